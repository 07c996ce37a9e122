/**
 * The per-run hooks of the book3s64 backend: `tlb_flush` (radix__tlb_flush or hash__tlb_flush,
 * as book3s/64/tlbflush.h dispatches it), the flush_tlb_* primitives, switch_mm's cpumask
 * accounting, and the extras tests and tools use (per-mm context, trim clock, debugfs knobs).
 */
import { PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_WRITE, PTE_YOUNG } from '@tlbsim/core';
import type { ArchContext, ArchRuntime, GatherView, Mm } from '@tlbsim/core';
import { exitLazyFlushTlb } from './flush-type.js';
import { HashMmu } from './hash-tlb.js';
import { LEAF_ALL } from './insn.js';
import { PpcRun, switchMm, type MmContext } from './mmu-context.js';
import type { ResolvedPpcOptions } from './options.js';
import { onEachCpuMask } from './radix-tlbi.js';
import {
  radixFlushAllMm, radixFlushHugetlbTlbRange, radixFlushTlbKernelRange, radixFlushTlbMm,
  radixFlushTlbPagePsize, radixFlushTlbRange, radixTlbFlush,
} from './radix-tlb.js';
import { formatTlbieFtrace } from './trace-format.js';

/** The runtime a `ppc()` backend creates: the ArchRuntime hooks plus inspection helpers. */
export interface PpcRuntime extends ArchRuntime {
  readonly ppc: PpcRun;
  /** mm->context: PID, active_cpus, copros */
  mmContext(mm: Mm): MmContext;
  /** this CPU's mm_cpumask_trim_clock */
  trimClock(cpu: number): number;
  setTrimClock(cpu: number, value: number): void;
  /** debugfs <arch>/tlbie_enabled */
  setTlbieEnabled(on: boolean): void;
  /** mm_context_add_copro: a nest-MMU user attaches (the first one adds an active CPU) */
  attachCopro(mm: Mm): void;
  /** mm_context_remove_copro: radix flushes the whole mm first, then drops the count */
  detachCopro(mm: Mm): void;
  /** exit_lazy_flush_tlb(mm, always) run on `cpu` (as its IPI would) */
  exitLazyFlushTlb(cpu: number, mm: Mm, always: boolean): void;
  /** the hash MMU's per-CPU batch state (null on radix) */
  hashBatch(cpu: number): { index: number; mm: Mm | null } | null;
}

/** __pte_flags_need_flush (book3s64, radix): flush on any change but added permission or accessed */
function pteFlagsNeedFlush(oldPte: number, newPte: number): boolean {
  const delta = oldPte ^ newPte;
  if (delta & ~(PTE_WRITE | PTE_EXEC | PTE_DIRTY | PTE_YOUNG)) return true;
  return ((delta & ~PTE_YOUNG) & oldPte) !== 0;
}

/** core's VmaFlagsView has no hstate: take 1G when the range is 1G-aligned, else 2M */
function guessHugetlbShift(start: number, end: number): number {
  const g = 2 ** 30;
  return start % g === 0 && end % g === 0 ? 30 : 21;
}

export function createPpcRuntime(ctx: ArchContext, o: ResolvedPpcOptions): PpcRuntime {
  const r = new PpcRun(ctx, o);
  const hash = o.mmu === 'hash' ? new HashMmu(r) : null;

  const common = {
    ppc: r,
    mmContext: (mm: Mm) => r.mmContext(mm),
    trimClock: (cpu: number) => r.trimClock[cpu],
    setTrimClock(cpu: number, value: number) {
      r.trimClock[cpu] = value;
    },
    setTlbieEnabled(on: boolean) {
      if (on && !r.tlbieCapable) throw new Error('ppc: tlbie is not capable (disable_tlbie at boot); debugfs tlbie_enabled cannot turn it on');
      r.tlbieEnabled = on;
    },
    attachCopro(mm: Mm) {
      const c = r.mmContext(mm);
      if (++c.copros === 1) c.activeCpus++;
    },
    detachCopro(mm: Mm) {
      const c = r.mmContext(mm);
      // hash keeps the count: it cannot do the proper flush, so its flushes stay global
      if (o.mmu !== 'radix' || c.copros === 0) return;
      radixFlushAllMm(r, mm, false);
      if (--c.copros === 0) c.activeCpus--;
    },
    exitLazyFlushTlb: (cpu: number, mm: Mm, always: boolean) => exitLazyFlushTlb(r, cpu, mm, always),
    hashBatch(cpu: number) {
      return hash ? hash.batches[cpu] : null;
    },
    switchMm(cpu: number, _prev: Mm | null, next: Mm) {
      switchMm(r, cpu, next);
      hash?.mms.add(next);
    },
    /**
     * __mmdrop -> cleanup_lazy_tlbs (MMU_LAZY_TLB_SHOOTDOWN, v6.4+): every CPU still in the mask
     * switches a lazy user of the mm to init_mm, by IPI unless it is this CPU. On radix the
     * final fullmm flush already trimmed the mask; hash never trims it.
     */
    destroyMm(mm: Mm) {
      hash?.mms.delete(mm);
      if (o.kernel !== '6.6') return;
      onEachCpuMask(r, mm, 'do_shoot_lazy_tlb', (cpu) => {
        const c = ctx.cpus[cpu];
        if (c.loadedMm === mm && c.lazy) ctx.setLoadedMm(cpu, null);
      });
    },
    ftrace: formatTlbieFtrace,
  };

  if (!hash) {
    const rt: PpcRuntime = {
      ...common,
      tlbFlush: (g: GatherView) => radixTlbFlush(r, g),
      flushTlbMm: (mm) => radixFlushTlbMm(r, mm),
      flushTlbRange(mm, start, end, vma) {
        if (vma.hugetlb) radixFlushHugetlbTlbRange(r, mm, start, end, vma.hugeShift ?? guessHugetlbShift(start, end));
        else radixFlushTlbRange(r, mm, start, end);
      },
      flushTlbPage: (mm, addr) => radixFlushTlbPagePsize(r, mm, addr, r.pageShift),
      flushTlbKernelRange: (start, end) => radixFlushTlbKernelRange(r, start, end),
      // tlb_needs_table_invalidate() = radix_enabled(): the MMU caches Linux page-table walks
      needsTableInvalidate: () => true,
    };
    // pte_needs_flush / huge_pmd_needs_flush: present in the v6.4+ era only
    if (o.kernel === '6.6') rt.pteNeedsFlush = pteFlagsNeedFlush;
    return rt;
  }

  const h = hash;
  const pmdSize = 2 ** r.pmdShift;
  const thp = o.pageSize === 65536;
  return {
    ...common,
    /** hash__tlb_flush, plus what core can only tell us here (see HashMmu.flushUntracked) */
    tlbFlush(g: GatherView) {
      const cpu = ctx.currentCpu();
      h.tlbFlushPending(cpu);
      const pending = h.pendingPteUpdates[cpu];
      if (pending) {
        h.pendingPteUpdates[cpu] = 0;
        h.flushUntracked(cpu, g.mm, pending, g.start, g.end);
      }
      // THP: the kernel invalidates the HPTEs at the PMD clear (hpte_do_hugepage_flush); core
      // reports that clear only as cleared_pmds with page_size == PMD_SIZE
      if (thp && !g.fullmm && !g.vmaHuge && g.clearedPmds && g.pageSize === pmdSize) {
        for (let a = g.start - (g.start % pmdSize); a < g.end; a += pmdSize) h.flushHugepage(cpu, g.mm, a);
      }
      if (g.freedTables) h.noWalkCache(g.mm);
    },
    removeTlbEntry(g: GatherView, addr: number) {
      const cpu = ctx.currentCpu();
      const shift = g.pageSize > 0 ? Math.log2(g.pageSize) : r.pageShift;
      // hugetlb unmap runs outside lazy-MMU mode: each huge HPTE is flushed at once
      if (shift !== r.pageShift) h.flushNow(cpu, g.mm, addr, shift);
      else h.needFlush(cpu, g.mm, addr, shift);
    },
    flushTlbMm: (mm) => h.untrackedFlush(ctx.currentCpu(), mm, LEAF_ALL),
    flushTlbRange(mm, start, end) {
      const ps = 2 ** r.pageShift;
      const s = start - (start % ps);
      h.untrackedFlush(ctx.currentCpu(), mm, { start: s, end, stride: ps, leaf: true, walk: false });
    },
    /** ptep_clear_flush: the PTE update flushes its HPTE at once (flush_tlb_page itself is empty) */
    flushTlbPage: (mm, addr) => h.flushNow(ctx.currentCpu(), mm, addr, r.pageShift),
    flushTlbKernelRange() {
      // hash__flush_tlb_kernel_range is empty: kernel HPTEs are handled where they change
    },
    needsTableInvalidate: () => false,
    tlbRemoveTableSyncOne() {
      for (const mm of h.mms) if (!mm.dead) h.noWalkCache(mm);
      ctx.syncAllCpus();
    },
    /** hash: every modified hashed PTE flushes its HPTE; pte_needs_flush is always true */
    pteNeedsFlush(oldPte: number) {
      if (!(oldPte & PTE_LEAF)) h.pendingPteUpdates[ctx.currentCpu()]++;
      return true;
    },
  };
}
