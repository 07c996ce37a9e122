/**
 * The unshare policy: one object per kernel behaviour of huge_pmd_unshare and its callers, chosen
 * once when hugetlb is installed. The callers (zap, mprotect, mremap, split, rmap) walk and unshare
 * the same way in every behaviour; what differs is only what the policy decides:
 *
 * | rule | V0: before 1013af4f58 | V1: 1013af4f58 (v6.16) | V2: 8ce720d5bd (2026) |
 * |---|---|---|---|
 * | huge_pmd_unshare drops the share count | ptdesc_pmd_pts_dec, nothing else | tlb_remove_table_sync_one() first, once per unshared table | tlb_unshare_pmd_ptdesc: recorded in the caller's gather (PUD region, unshared_tables, fully_unshared_tables) |
 * | __unmap_hugepage_range after an unshare | tlb_flush_pmd_range(PUD region), force_flush | as V0 | nothing more: the gather has it |
 * | end of __unmap_hugepage_range | tlb_flush_mmu_tlbonly if force_flush | as V0 | huge_pmd_unshare_flush |
 * | hugetlb_change_protection, move_hugetlb_page_tables, hugetlb_unshare_pmds, try_to_unmap_one | no gather; one direct flush_hugetlb_tlb_range (the adjusted range if anything was unshared) | as V0 | their own tlb_gather_mmu_vma gather: tlb_flush_mmu_tlbonly, huge_pmd_unshare_flush, tlb_finish_mmu |
 */
import { tlbGatherMmuVma, type Machine, type Mm, type MmuGather, type PageTable, type Vma } from '@tlbsim/core';
import type { Behaviour } from './options.js';

/** What the policies use of the hugetlb instance. */
export interface UnshareEnv {
  readonly m: Machine;
  readonly pudSize: number;
  /** tlb_remove_table_sync_one() from hugetlb code */
  syncOne(): void;
  /** flush_hugetlb_tlb_range */
  directFlush(mm: Mm, vma: Vma, start: number, end: number): void;
  /** huge_pmd_unshare_flush */
  hugePmdUnshareFlush(g: MmuGather, vma: Vma): void;
}

/** The unshares of one caller invocation, up to its flush point. */
export interface Unshares {
  /** huge_pmd_unshare, once the PUD entry is cleared: the table's share count drops */
  dropShare(t: PageTable, addr: number): void;
}

/** __unmap_hugepage_range's unshares, in the zap's gather. */
export interface ZapUnshares extends Unshares {
  /** huge_pmd_unshare succeeded at `addr` */
  afterUnshare(addr: number): void;
  /** the end of __unmap_hugepage_range, i_mmap_rwsem still held */
  flush(vma: Vma): void;
}

/** The unshares of a caller that is not a zap (mprotect, mremap, split, rmap). */
export interface CallerUnshares extends Unshares {
  /** a present entry the caller rewrote or moved (tlb_remove_huge_tlb_entry) */
  entryChanged(size: number, addr: number): void;
  /**
   * The caller's flush point, under i_mmap_rwsem. A direct flush covers `adjusted` when anything
   * was unshared, else `plain`; `entries`: the caller records entries (flushed first in a gather).
   */
  flush(vma: Vma, adjusted: readonly [number, number], plain: readonly [number, number], entries: boolean): void;
  /** tlb_finish_mmu of the caller's own gather */
  finish(): void;
}

export interface UnsharePolicy {
  readonly behaviour: Behaviour;
  zap(g: MmuGather): ZapUnshares;
  /** opened where the caller starts (tlb_gather_mmu_vma in V2) */
  caller(vma: Vma, mm: Mm): CallerUnshares;
}

/** V0: unsharing only drops the count; the callers flush directly and never wait for GUP-fast. */
class BeforeGupFastSync implements UnsharePolicy {
  readonly behaviour: Behaviour = 'V0';

  constructor(protected readonly env: UnshareEnv) {}

  /** ptdesc_pmd_pts_dec */
  protected dropShare(t: PageTable): void {
    t.share--;
  }

  zap(g: MmuGather): ZapUnshares {
    const pud = this.env.pudSize;
    let forceFlush = false;
    return {
      dropShare: (t) => this.dropShare(t),
      afterUnshare: (addr) => {
        g.flushPmdRange(addr - (addr % pud), pud);
        forceFlush = true;
      },
      flush: () => {
        if (forceFlush) g.flushMmuTlbonly('unshare');
      },
    };
  }

  caller(_vma: Vma, mm: Mm): CallerUnshares {
    const env = this.env;
    let unshared = false;
    return {
      dropShare: (t) => {
        this.dropShare(t);
        unshared = true;
      },
      entryChanged: () => {},
      flush: (vma, adjusted, plain) => {
        const [s, e] = unshared ? adjusted : plain;
        env.directFlush(mm, vma, s, e);
      },
      finish: () => {},
    };
  }
}

/** V1: as V0, and every successful unshare waits for GUP-fast walkers (one broadcast per table). */
class SyncPerUnshare extends BeforeGupFastSync {
  override readonly behaviour: Behaviour = 'V1';

  /** 1013af4f58: tlb_remove_table_sync_one() before ptdesc_pmd_pts_dec, so nobody reuses the table under a walker */
  protected override dropShare(t: PageTable): void {
    this.env.syncOne();
    t.share--;
  }
}

/** V2: unshares are recorded in a gather; one flush, and one broadcast only if a table became exclusive, per flush point. */
class GatheredUnshare implements UnsharePolicy {
  readonly behaviour: Behaviour = 'V2';

  constructor(private readonly env: UnshareEnv) {}

  zap(g: MmuGather): ZapUnshares {
    return {
      dropShare: (t, addr) => g.unsharePmdPtdesc(t, addr),
      afterUnshare: () => {},
      flush: (vma) => this.env.hugePmdUnshareFlush(g, vma),
    };
  }

  caller(vma: Vma, mm: Mm): CallerUnshares {
    const env = this.env;
    const tg = tlbGatherMmuVma(env.m, vma, mm);
    return {
      dropShare: (t, addr) => tg.unsharePmdPtdesc(t, addr),
      entryChanged: (size, addr) => tg.removeHugeTlbEntry(size, addr),
      flush: (v, _adjusted, _plain, entries) => {
        if (entries) tg.flushMmuTlbonly('explicit');
        env.hugePmdUnshareFlush(tg, v);
      },
      finish: () => tg.finish(),
    };
  }
}

/** The policy of a kernel behaviour. */
export function unsharePolicy(behaviour: Behaviour, env: UnshareEnv): UnsharePolicy {
  if (behaviour === 'V0') return new BeforeGupFastSync(env);
  if (behaviour === 'V1') return new SyncPerUnshare(env);
  return new GatheredUnshare(env);
}
