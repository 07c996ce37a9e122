/**
 * The hash MMU (arch/powerpc/mm/book3s64/hash_tlb.c, hash_native.c): a Linux PTE change of a
 * hashed page queues its HPTE invalidation in the per-CPU `ppc64_tlb_batch` (192 entries) while
 * the CPU is in lazy-MMU mode; the batch is flushed when full, when the mm or page size changes,
 * and when lazy-MMU mode ends. `hash__tlb_flush` only drains what is still queued. Hash never
 * sends IPIs: a flush is local (tlbiel) when mm_is_thread_local, else a broadcast tlbie.
 *
 * Modelled on bare metal (powernv, native_flush_hash_range) with 64K (or 4K) HPTEs backing each
 * base page: every present PTE is taken to be hashed (the user touched it), one HPTE per PTE.
 */
import type { Invalidation, Mm } from '@tlbsim/core';
import { mmIsThreadLocal } from './flush-type.js';
import { RIC_FLUSH_TLB, WALK_ALL, afterTlbielBarrier, barrier, hashTlbi, tlbieLpid, tlbieTail } from './insn.js';
import type { PpcRun } from './mmu-context.js';

/** PPC64_TLB_BATCH_NR */
export const PPC64_TLB_BATCH_NR = 192;

/** struct ppc64_tlb_batch (per CPU) */
export class Ppc64TlbBatch {
  index = 0;
  mm: Mm | null = null;
  /** page-size shift of the queued entries (batch->psize) */
  psize = 0;
  /** which PTE table the entries came from: a new table means the previous zap_pte_range ended */
  table = -1;
  readonly va = new Float64Array(PPC64_TLB_BATCH_NR);
}

export type PendingReason = 'batch_full' | 'batch_switch' | 'leave_lazy_mmu' | 'tlb_flush';

export class HashMmu {
  readonly batches: Ppc64TlbBatch[];
  /** PTE / THP updates core reported only through pte_needs_flush (mprotect), per CPU */
  readonly pendingPteUpdates: Uint32Array;
  /** every mm seen, for the walk-cache report of tlb_remove_table_sync_one */
  readonly mms = new Set<Mm>();
  private readonly pmdSize: number;
  private readonly pageSize: number;

  constructor(private readonly r: PpcRun) {
    this.batches = Array.from({ length: r.ctx.nrCpus }, () => new Ppc64TlbBatch());
    this.pendingPteUpdates = new Uint32Array(r.ctx.nrCpus);
    this.pmdSize = 2 ** r.pmdShift;
    this.pageSize = 2 ** r.pageShift;
  }

  /** mmu_psize_defs[psize].tlbiel: the kernel uses tlbiel only for 4K and 64K pages */
  private tlbielOk(shift: number): boolean {
    return shift === 12 || shift === 16;
  }

  /**
   * hpte_need_flush(mm, addr, ptep, pte, huge) inside lazy-MMU mode (zap_pte_range and friends).
   * Core gives no arch_leave_lazy_mmu_mode hook; its effect, flushing the batch when one
   * zap_pte_range returns, is modelled by flushing when an entry arrives from another PTE table.
   */
  needFlush(cpu: number, mm: Mm, addr: number, shift: number): void {
    const b = this.batches[cpu];
    const table = Math.floor(addr / this.pmdSize);
    if (b.index !== 0 && (b.mm !== mm || b.psize !== shift)) this.flushPending(cpu, 'batch_switch');
    else if (b.index !== 0 && b.table !== table) this.flushPending(cpu, 'leave_lazy_mmu');
    if (b.index === 0) {
      b.mm = mm;
      b.psize = shift;
      b.table = table;
    }
    b.va[b.index++] = addr - (addr % 2 ** shift);
    if (b.index >= PPC64_TLB_BATCH_NR) this.flushPending(cpu, 'batch_full');
  }

  /** __flush_tlb_pending: flush_hash_page for one entry, flush_hash_range for more (same sequence natively) */
  flushPending(cpu: number, reason: PendingReason): void {
    const b = this.batches[cpu];
    const n = b.index;
    if (n === 0 || !b.mm) return;
    const r = this.r;
    if (r.ctx.tracing) r.ctx.trace({ cpu, name: 'flush_tlb_pending', cat: 'tlb', args: { mm: b.mm.name, entries: n, reason } });
    this.nativeFlushHashRange(cpu, b.mm, b.va, n, b.psize, mmIsThreadLocal(r, b.mm, cpu));
    b.index = 0;
  }

  /**
   * native_flush_hash_range: clear the V bit of every batched HPTE, then one ptesync-bracketed
   * run of tlbiel (local) or tlbie (global, with the POWER9 fixup on the last entry).
   */
  nativeFlushHashRange(cpu: number, mm: Mm, vas: Float64Array, n: number, shift: number, local: boolean): void {
    const r = this.r;
    this.hpteClear(cpu, vas, 0, n, shift);
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

  /** flush_hash_page outside lazy-MMU mode (ptep_clear_flush, hugetlb): one HPTE at once */
  flushNow(cpu: number, mm: Mm, addr: number, shift: number): void {
    const va = new Float64Array(1);
    va[0] = addr - (addr % 2 ** shift);
    this.nativeFlushHashRange(cpu, mm, va, 1, shift, mmIsThreadLocal(this.r, mm, cpu));
  }

  /**
   * flush_hash_hugepage -> native_hugepage_invalidate for a THP at `addr`: every valid 64K
   * sub-page HPTE (all PMD_SIZE/PAGE_SIZE taken as valid) is cleared and invalidated with its own
   * tlbie() bracket (actual page size 16M).
   */
  flushHugepage(cpu: number, mm: Mm, addr: number): void {
    const r = this.r;
    const base = addr - (addr % this.pmdSize);
    const n = this.pmdSize / this.pageSize;
    const useLocal = mmIsThreadLocal(r, mm, cpu) && this.tlbielOk(r.pageShift);
    const one = new Float64Array(1);
    for (let i = 0; i < n; i++) {
      one[0] = base + i * this.pageSize;
      this.hpteClear(cpu, one, 0, 1, r.pageShift);
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
   * Updates core reported without addresses (mprotect's pte_needs_flush calls): flushed as the
   * kernel would batch them, 192 at a time, covering the gather's range for the checker.
   */
  flushUntracked(cpu: number, mm: Mm, n: number, start: number, end: number): void {
    const r = this.r;
    const local = mmIsThreadLocal(r, mm, cpu);
    const unknown = new Float64Array(PPC64_TLB_BATCH_NR).fill(NaN);
    for (let done = 0; done < n; done += PPC64_TLB_BATCH_NR) {
      const k = Math.min(PPC64_TLB_BATCH_NR, n - done);
      this.hpteClear(cpu, unknown, 0, k, r.pageShift);
      barrier(r, cpu, 'ptesync');
      hashTlbi(r, cpu, local, unknown, 0, k, r.pageShift, r.pageShift);
      if (local) afterTlbielBarrier(r, cpu);
      else {
        this.fixupTlbieVpn(cpu, NaN, r.pageShift);
        tlbieTail(r, cpu);
      }
      r.ctx.counter(cpu, 'hash_batch_flush');
      r.ctx.countFlush(cpu, 'ranged');
    }
    const s = start - (start % this.pageSize);
    const inv: Invalidation = { start: s, end, stride: this.pageSize, leaf: true, walk: false };
    if (local) r.ctx.invalidate(cpu, mm, inv);
    else r.ctx.invalidateAllCpus(mm, inv);
  }

  /**
   * A flush core asked for but the hash kernel does through PTE updates core does not report
   * (fork's write-protect, mremap's moves): reported to the checker, counted as
   * `hash_untracked_flush` only (the kernel's HPTE invalidations there are not counted).
   */
  untrackedFlush(cpu: number, mm: Mm, inv: Invalidation): void {
    const r = this.r;
    r.ctx.counter(cpu, 'hash_untracked_flush');
    if (mmIsThreadLocal(r, mm, cpu)) r.ctx.invalidate(cpu, mm, inv);
    else r.ctx.invalidateAllCpus(mm, inv);
  }

  /**
   * The hash MMU never walks Linux page tables, so no CPU can hold a walk entry into a freed
   * table: said to the checker as a walk-only invalidation with no instruction.
   */
  noWalkCache(mm: Mm): void {
    this.r.ctx.invalidateAllCpus(mm, WALK_ALL);
  }

  /** hash__tlb_flush: drain this CPU's batch (normally already empty) */
  tlbFlushPending(cpu: number): void {
    if (this.batches[cpu].index) this.flushPending(cpu, 'tlb_flush');
  }

  private hpteClear(cpu: number, vas: ArrayLike<number>, from: number, n: number, shift: number): void {
    const r = this.r;
    r.ctx.counter(cpu, 'hpte_invalidate', n);
    r.ctx.cost(n * (r.ctx.costModel.instructions['hpte invalidate'] ?? r.ctx.costModel.defaultInstruction));
    if (r.ctx.tracing) {
      for (let i = from; i < from + n; i++) {
        r.ctx.trace({ cpu, name: 'hpte_invalidate', cat: 'tlb', args: { va: Number.isNaN(vas[i]) ? null : '0x' + vas[i].toString(16), psize: shift } });
      }
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

