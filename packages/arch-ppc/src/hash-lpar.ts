/**
 * The hash MMU in a pseries guest (arch/powerpc/platforms/pseries/lpar.c, mmu_hash_ops set by
 * hpte_init_pseries): the guest cannot touch the hashed page table, so it issues no tlbie or
 * tlbiel at all. The hypervisor removes each HPTE and invalidates its translation on every CPU
 * of the partition:
 * - one entry (flush_hash_page -> pSeries_lpar_hpte_invalidate): one H_REMOVE;
 * - a batch (flush_hash_range -> pSeries_lpar_flush_hash_range): H_BULK_REMOVE with up to 4
 *   entries per call (8 parameters, 2 per entry), or one H_REMOVE each when the firmware lacks
 *   `hcall-bulk` (FW_FEATURE_BULK_REMOVE; `bulk_remove=off`);
 * - a THP (flush_hash_hugepage -> pSeries_lpar_hugepage_invalidate): the valid sub-page HPTEs in
 *   groups of PPC64_HUGE_HPTE_BATCH (12), each group as above (hugepage_bulk_invalidate).
 * The `local` hint is ignored. H_BLOCK_REMOVE (PowerVM firmware that reports TLB block
 * invalidate characteristics) is not modelled.
 */
import type { Invalidation, Mm } from '@tlbsim/core';
import type { PpcRun } from './mmu-context.js';

/** HPTEs per H_BULK_REMOVE: 8 parameters, a control word and an AVPN for each */
export const BULK_REMOVE_ENTRIES = 4;
/** PPC64_HUGE_HPTE_BATCH: sub-page HPTEs gathered per hugepage_bulk_invalidate call */
export const PPC64_HUGE_HPTE_BATCH = 12;

export type HptHcall = 'H_REMOVE' | 'H_BULK_REMOVE';

export class LparHpt {
  constructor(
    private readonly r: PpcRun,
    /** FW_FEATURE_BULK_REMOVE */
    private readonly bulk: boolean,
  ) {}

  private hcall(cpu: number, name: HptHcall, entries: number): void {
    const r = this.r;
    r.ctx.instr(cpu, `hcall ${name}`);
    r.ctx.counter(cpu, `hcall.${name}`);
    if (r.ctx.tracing) r.ctx.trace({ cpu, name: 'hcall', cat: 'tlb', args: { hcall: name, entries } });
  }

  /** `n` entries the way pSeries_lpar_flush_hash_range / hugepage_bulk_invalidate remove them */
  private removeGroup(cpu: number, n: number): void {
    if (!this.bulk) {
      for (let i = 0; i < n; i++) this.hcall(cpu, 'H_REMOVE', 1);
      return;
    }
    for (let done = 0; done < n; done += BULK_REMOVE_ENTRIES) this.hcall(cpu, 'H_BULK_REMOVE', Math.min(BULK_REMOVE_ENTRIES, n - done));
  }

  /** pSeries_lpar_hpte_invalidate: one HPTE, one H_REMOVE */
  hpteInvalidate(cpu: number, _mm: Mm, _va: number): void {
    this.hcall(cpu, 'H_REMOVE', 1);
  }

  /** pSeries_lpar_flush_hash_range: the batch's `n` HPTEs */
  flushHashRange(cpu: number, n: number): void {
    this.removeGroup(cpu, n);
  }

  /** pSeries_lpar_hugepage_invalidate: `n` valid sub-page HPTEs in groups of 12 */
  hugepageInvalidate(cpu: number, n: number): void {
    for (let done = 0; done < n; done += PPC64_HUGE_HPTE_BATCH) this.removeGroup(cpu, Math.min(PPC64_HUGE_HPTE_BATCH, n - done));
  }

  /** what the hypervisor removed: the translation everywhere in the partition */
  report(mm: Mm, inv: Invalidation): void {
    this.r.ctx.invalidateAllCpus(mm, inv);
  }
}
