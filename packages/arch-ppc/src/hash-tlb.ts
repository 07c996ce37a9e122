/**
 * The hash MMU (arch/powerpc/mm/book3s64/hash_tlb.c, hash_native.c, tlbflush-hash.h): a Linux
 * PTE change of a hashed page (pte_update -> hpte_need_flush) queues its HPTE invalidation in the
 * per-CPU `ppc64_tlb_batch` (192 entries) while the CPU is in lazy-MMU mode, and flushes it at
 * once otherwise. The batch is flushed when full, when the mm or page size changes, and when
 * lazy-MMU mode ends (arch_leave_lazy_mmu_mode); `hash__tlb_flush` only drains what is still
 * queued. Hash never sends IPIs: a flush is local (tlbiel) when mm_is_thread_local, else a
 * broadcast tlbie.
 *
 * Modelled on bare metal (powernv, native_flush_hash_range) and in a pseries guest (the hcalls of
 * hash-lpar.ts) with 64K (or 4K) HPTEs backing each base page: every present PTE is taken to be
 * hashed (the user touched it), one HPTE per PTE.
 */
import type { Invalidation, Mm } from '@tlbsim/core';
import { mmIsThreadLocal } from './flush-type.js';
import { RIC_FLUSH_TLB, afterTlbielBarrier, barrier, hashTlbi, tlbieLpid, tlbieTail } from './insn.js';
import type { PpcRun } from './mmu-context.js';
import { LparHpt } from './hash-lpar.js';

/** PPC64_TLB_BATCH_NR */
export const PPC64_TLB_BATCH_NR = 192;

/** struct ppc64_tlb_batch (per CPU) */
export class Ppc64TlbBatch {
  /**
   * batch->active as a nesting depth: arch_enter_lazy_mmu_mode makes the batch active, the
   * outermost arch_leave_lazy_mmu_mode makes it inactive (every leave flushes what is queued)
   */
  active = 0;
  index = 0;
  mm: Mm | null = null;
  /** page-size shift of the queued entries (batch->psize) */
  psize = 0;
  readonly va = new Float64Array(PPC64_TLB_BATCH_NR);
}

export type PendingReason = 'batch_full' | 'batch_switch' | 'leave_lazy_mmu' | 'tlb_flush';

export class HashMmu {
  readonly batches: Ppc64TlbBatch[];
  private readonly pmdSize: number;
  private readonly pageSize: number;
  /** mmu_hash_ops of a pseries guest (hpte_init_pseries); null on bare metal */
  private readonly lpar: LparHpt | null;

  constructor(private readonly r: PpcRun) {
    this.batches = Array.from({ length: r.ctx.nrCpus }, () => new Ppc64TlbBatch());
    this.lpar = r.o.platform === 'pseries' ? new LparHpt(r, r.o.bulkRemove) : null;
    this.pmdSize = 2 ** r.pmdShift;
    this.pageSize = 2 ** r.pageShift;
  }

  /** mmu_psize_defs[psize].tlbiel: the kernel uses tlbiel only for 4K and 64K pages */
  private tlbielOk(shift: number): boolean {
    return shift === 12 || shift === 16;
  }

  /** arch_enter_lazy_mmu_mode (hash): the batch becomes active */
  enterLazyMmu(cpu: number): void {
    this.batches[cpu].active++;
  }

  /** arch_leave_lazy_mmu_mode (hash): flush what is queued, and leave when outermost */
  leaveLazyMmu(cpu: number): void {
    const b = this.batches[cpu];
    if (b.index) this.flushPending(cpu, 'leave_lazy_mmu');
    if (b.active > 0) b.active--;
  }

  /**
   * hpte_need_flush(mm, addr, ptep, pte, huge): flush at once outside lazy-MMU mode; otherwise
   * flush a batch holding another mm or page size first, queue, and flush when full.
   */
  needFlush(cpu: number, mm: Mm, addr: number, shift: number): void {
    const b = this.batches[cpu];
    const va = addr - (addr % 2 ** shift);
    if (!b.active) {
      this.flushNow(cpu, mm, va, shift);
      return;
    }
    if (b.index !== 0 && (b.mm !== mm || b.psize !== shift)) this.flushPending(cpu, 'batch_switch');
    if (b.index === 0) {
      b.mm = mm;
      b.psize = shift;
    }
    b.va[b.index++] = va;
    if (b.index >= PPC64_TLB_BATCH_NR) this.flushPending(cpu, 'batch_full');
  }

  /** __flush_tlb_pending: flush_hash_page for one entry, flush_hash_range for more (same sequence natively) */
  flushPending(cpu: number, reason: PendingReason): void {
    const b = this.batches[cpu];
    const n = b.index;
    if (n === 0 || !b.mm) return;
    const r = this.r;
    if (r.ctx.tracing) r.ctx.trace({ cpu, name: 'flush_tlb_pending', cat: 'tlb', args: { mm: b.mm.name, entries: n, reason } });
    this.flushEntries(cpu, b.mm, b.va, n, b.psize);
    b.index = 0;
  }

  /** hash__tlb_flush: drain this CPU's batch (normally already empty) */
  tlbFlush(cpu: number, _mm: Mm): void {
    if (this.batches[cpu].index) this.flushPending(cpu, 'tlb_flush');
  }

  /** pmd_hugepage_update -> hpte_do_hugepage_flush (change_huge_pmd, zap_huge_pmd): at once */
  hugepageUpdate(cpu: number, mm: Mm, addr: number): void {
    this.flushHugepage(cpu, mm, addr);
  }

  /**
   * flush_hash_page (one entry) or flush_hash_range (more): by the platform's mmu_hash_ops, with
   * the `local` hint of mm_is_thread_local (which only bare metal uses).
   */
  private flushEntries(cpu: number, mm: Mm, vas: Float64Array, n: number, shift: number): void {
    const lpar = this.lpar;
    if (!lpar) {
      this.nativeFlushHashRange(cpu, mm, vas, n, shift, mmIsThreadLocal(this.r, mm, cpu));
      return;
    }
    this.hpteClear(cpu, vas, n, shift);
    if (n === 1) lpar.hpteInvalidate(cpu, mm, vas[0]);
    else lpar.flushHashRange(cpu, n);
    this.report(cpu, mm, false, vas, n, shift);
    this.r.ctx.counter(cpu, 'hash_batch_flush');
    this.r.ctx.countFlush(cpu, 'ranged');
  }

  /**
   * native_flush_hash_range: clear the V bit of every batched HPTE, then one ptesync-bracketed
   * run of tlbiel (local) or tlbie (global, with the POWER9 fixup on the last entry).
   */
  private nativeFlushHashRange(cpu: number, mm: Mm, vas: Float64Array, n: number, shift: number, local: boolean): void {
    const r = this.r;
    this.hpteClear(cpu, vas, n, shift);
    const useLocal = local && this.tlbielOk(shift);
    barrier(r, cpu, 'ptesync');
    hashTlbi(r, cpu, useLocal, vas, 0, n, shift, shift);
    if (useLocal) afterTlbielBarrier(r, cpu);
    else {
      this.fixupTlbieVpn(cpu, vas[n - 1], shift);
      tlbieTail(r, cpu);
    }
    this.report(cpu, mm, useLocal, vas, n, shift);
    r.ctx.counter(cpu, 'hash_batch_flush');
    r.ctx.countFlush(cpu, 'ranged');
  }

  /** flush_hash_page outside lazy-MMU mode: one HPTE at once */
  private flushNow(cpu: number, mm: Mm, va: number, shift: number): void {
    this.flushEntries(cpu, mm, Float64Array.of(va), 1, shift);
  }

  /**
   * hpte_do_hugepage_flush -> flush_hash_hugepage -> native_hugepage_invalidate for the THP at
   * `addr` (a PMD update: pmdp_invalidate, pmdp_huge_get_and_clear): never batched; every valid
   * sub-page HPTE (all PMD_SIZE/PAGE_SIZE taken as valid) is cleared and invalidated with its
   * own tlbie() bracket (actual page size 16M).
   */
  flushHugepage(cpu: number, mm: Mm, addr: number): void {
    const r = this.r;
    const base = addr - (addr % this.pmdSize);
    const n = this.pmdSize / this.pageSize;
    if (this.lpar) {
      // pSeries_lpar_hugepage_invalidate: the hypervisor removes them, in groups of 12
      const vas = Float64Array.from({ length: n }, (_, i) => base + i * this.pageSize);
      this.hpteClear(cpu, vas, n, r.pageShift);
      this.lpar.hugepageInvalidate(cpu, n);
      this.lpar.report(mm, { start: base, end: base + this.pmdSize, stride: this.pageSize, leaf: true, walk: false });
      r.ctx.countFlush(cpu, 'ranged');
      return;
    }
    const useLocal = mmIsThreadLocal(r, mm, cpu) && this.tlbielOk(r.pageShift);
    const one = new Float64Array(1);
    for (let i = 0; i < n; i++) {
      one[0] = base + i * this.pageSize;
      this.hpteClear(cpu, one, 1, r.pageShift);
      barrier(r, cpu, 'ptesync');
      hashTlbi(r, cpu, useLocal, one, 0, 1, r.pageShift, r.pmdShift);
      if (useLocal) afterTlbielBarrier(r, cpu);
      else {
        this.fixupTlbieVpn(cpu, one[0], r.pageShift);
        tlbieTail(r, cpu);
      }
    }
    const inv: Invalidation = { start: base, end: base + this.pmdSize, stride: this.pageSize, leaf: true, walk: false };
    if (useLocal) r.ctx.invalidate(cpu, mm, inv);
    else r.ctx.invalidateAllCpus(mm, inv);
    r.ctx.countFlush(cpu, 'ranged');
  }

  /**
   * A flush for PTE updates core reports only as a range (the hugetlb package's huge PTE
   * changes, which the kernel invalidates one by one in huge_ptep_* -> hpte_need_flush):
   * reported to the checker, counted as `hash_untracked_flush` only.
   */
  untrackedFlush(cpu: number, mm: Mm, inv: Invalidation): void {
    const r = this.r;
    r.ctx.counter(cpu, 'hash_untracked_flush');
    if (!this.lpar && mmIsThreadLocal(r, mm, cpu)) r.ctx.invalidate(cpu, mm, inv);
    else r.ctx.invalidateAllCpus(mm, inv);
  }

  private hpteClear(cpu: number, vas: Float64Array, n: number, shift: number): void {
    const r = this.r;
    r.ctx.counter(cpu, 'hpte_invalidate', n);
    r.ctx.cost(n * (r.ctx.costModel.instructions['hpte invalidate'] ?? r.ctx.costModel.defaultInstruction));
    if (r.ctx.tracing) {
      for (let i = 0; i < n; i++) r.ctx.trace({ cpu, name: 'hpte_invalidate', cat: 'tlb', args: { va: '0x' + vas[i].toString(16), psize: shift } });
    }
  }

  /** fixup_tlbie_vpn (POWER9): a radix-format LPID tlbie for the ERAT bug, a repeat for STQ */
  private fixupTlbieVpn(cpu: number, va: number, shift: number): void {
    const r = this.r;
    if (r.eratBug) {
      barrier(r, cpu, 'ptesync');
      tlbieLpid(r, cpu, 0, RIC_FLUSH_TLB);
      r.ctx.counter(cpu, 'tlbie_fixup');
    }
    if (r.stqBug) {
      barrier(r, cpu, 'ptesync');
      hashTlbi(r, cpu, false, [va], 0, 1, shift, shift);
      r.ctx.counter(cpu, 'tlbie_fixup');
    }
  }

  /** what a batch flush removed: one leaf range per run of consecutive pages */
  private report(cpu: number, mm: Mm, local: boolean, vas: Float64Array, n: number, shift: number): void {
    const r = this.r;
    const pg = 2 ** shift;
    let i = 0;
    while (i < n) {
      let j = i + 1;
      while (j < n && vas[j] === vas[j - 1] + pg) j++;
      const inv: Invalidation = { start: vas[i], end: vas[j - 1] + pg, stride: pg, leaf: true, walk: false };
      if (local) r.ctx.invalidate(cpu, mm, inv);
      else r.ctx.invalidateAllCpus(mm, inv);
      i = j;
    }
  }
}
