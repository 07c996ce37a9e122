/**
 * The per-run hooks of the book3s64 backend: `tlb_flush` (radix__tlb_flush or hash__tlb_flush,
 * as book3s/64/tlbflush.h dispatches it), the flush_tlb_* primitives, switch_mm's cpumask
 * accounting, and the extras tests and tools use (per-mm context, trim clock, debugfs knobs).
 */
import { PTE_DIRTY, PTE_EXEC, PTE_PRESENT, PTE_WRITE, PTE_YOUNG, internalsKey } from '@tlbsim/core';
import type { ArchContext, ArchInternals, ArchRuntime, GatherView, Mm } from '@tlbsim/core';
import { exitLazyFlushTlb } from './flush-type.js';
import { HashMmu } from './hash-tlb.js';
import { PpcRun, switchMm, type MmContext } from './mmu-context.js';
import type { ResolvedPpcOptions } from './options.js';
import type { PpcKernel } from './kernel-features.js';
import { onEachCpuMask } from './radix-tlbi.js';
import {
  radixFlushAllMm, radixFlushHugetlbTlbRange, radixFlushTlbKernelRange, radixFlushTlbMm,
  radixFlushTlbPagePsize, radixFlushTlbRange, radixFlushTlbRangePsize, radixInitNewContext, radixTlbFlush,
} from './radix-tlb.js';
import { formatTlbieFtrace } from './trace-format.js';

/**
 * The runtime a `ppc()` backend creates: the ArchRuntime hooks plus inspection helpers; the
 * runtime itself is its internals (under {@link PPC_INTERNALS}).
 */
export interface PpcRuntime extends ArchRuntime {
  readonly internals: ArchInternals<PpcRuntime>;
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

/** The key of ppc's per-run internals (see core's archInternals). */
export const PPC_INTERNALS = internalsKey<PpcRuntime>('ppc');

/** The runtime names itself as its internals. */
function withInternals(rt: Omit<PpcRuntime, 'internals'>): PpcRuntime {
  const full = rt as { internals?: ArchInternals<PpcRuntime> } & Omit<PpcRuntime, 'internals'>;
  full.internals = { key: PPC_INTERNALS, value: full as PpcRuntime };
  return full as PpcRuntime;
}

export function createPpcRuntime(ctx: ArchContext, o: ResolvedPpcOptions, k: PpcKernel): PpcRuntime {
  const r = new PpcRun(ctx, o, k);
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
    },
    /**
     * __mmdrop -> cleanup_lazy_tlbs (MMU_LAZY_TLB_SHOOTDOWN, 77f68ebeee20, v6.4): every CPU still
     * in the mask switches a lazy user of the mm to init_mm, by IPI unless it is this CPU. On
     * radix from v6.6 the final fullmm flush already trimmed the mask; hash never trims it.
     */
    destroyMm(mm: Mm) {
      if (!k.lazyTlbShootdown) return;
      onEachCpuMask(r, mm, 'do_shoot_lazy_tlb', (cpu) => {
        const c = ctx.cpus[cpu];
        if (c.loadedMm === mm && c.lazy) ctx.setLoadedMm(cpu, null);
      });
    },
    ftrace: formatTlbieFtrace,
  };

  if (!hash) {
    const rt: Omit<PpcRuntime, 'internals'> = {
      ...common,
      tlbFlush: (g: GatherView) => radixTlbFlush(r, g),
      flushTlbMm: (mm) => radixFlushTlbMm(r, mm),
      flushTlbRange(mm, start, end, vma) {
        if (vma.hugetlb) radixFlushHugetlbTlbRange(r, mm, start, end, vma.hugeShift);
        else radixFlushTlbRange(r, mm, start, end);
      },
      flushTlbPage: (mm, addr) => radixFlushTlbPagePsize(r, mm, addr, r.pageShift),
      // radix__flush_pmd_tlb_range: the range in 2M pages, no page-walk-cache flush
      flushPmdTlbRange: (mm, start, end) => radixFlushTlbRangePsize(r, mm, start, end, r.pmdShift, false),
      flushTlbKernelRange: (start, end) => radixFlushTlbKernelRange(r, start, end),
      // tlb_needs_table_invalidate() = radix_enabled(): the MMU caches Linux page-table walks
      needsTableInvalidate: () => true,
      // arch_supports_page_table_move() = radix_enabled() (HAVE_MOVE_PMD)
      supportsPageTableMove: () => true,
      // pte_needs_flush / huge_pmd_needs_flush (b11931e9adc1, v6.1)
      pteNeedsFlush: pteFlagsNeedFlush,
      initMm: (mm: Mm) => radixInitNewContext(r, mm),
      // pmdp_huge_get_and_clear_full (book3s64 pgtable.c, every release from v6.1 to mainline):
      // zap_huge_pmd outside exit flushes the THP's 2M at once (radix__flush_pmd_tlb_range),
      // before the gather flushes it again
      pmdpHugeClearFullFlushes: (full: boolean) => !full,
    };
    return withInternals(rt);
  }

  const h = hash;
  const thp = o.pageSize === 65536;
  return withInternals({
    ...common,
    /**
     * hash__tlb_flush drains the batch. A THP's HPTEs went at its PMD clear or update
     * (zap_huge_pmd / change_huge_pmd -> hpte_do_hugepage_flush, reported through pteUpdate).
     */
    tlbFlush(g: GatherView) {
      h.tlbFlush(ctx.currentCpu(), g.mm);
    },
    /** the zap's PTE clear (ptep_get_and_clear_full -> hpte_need_flush; hugetlb outside lazy-MMU mode) */
    removeTlbEntry(g: GatherView, addr: number) {
      h.needFlush(ctx.currentCpu(), g.mm, addr, g.pageSize > 0 ? Math.log2(g.pageSize) : r.pageShift);
    },
    /**
     * pte_update -> hpte_need_flush: mprotect's ptep_modify_prot_start, fork's
     * ptep_set_wrprotect, mremap's ptep_get_and_clear; a PMD leaf (change_huge_pmd's
     * pmdp_invalidate -> pmd_hugepage_update) -> hpte_do_hugepage_flush, never batched.
     */
    pteUpdate(mm: Mm, addr: number, oldPte: number, _newPte: number, level: number) {
      if (!(oldPte & PTE_PRESENT)) return;
      const cpu = ctx.currentCpu();
      if (level === 0) h.needFlush(cpu, mm, addr, r.pageShift);
      else if (level === 1 && thp) h.hugepageUpdate(cpu, mm, addr);
    },
    // pmdp_invalidate on hash: pmd_hugepage_update flushes the THP's HPTEs; flush_pmd_tlb_range is empty
    flushPmdTlbRange(mm: Mm, start: number) {
      if (thp) h.hugepageUpdate(ctx.currentCpu(), mm, start);
    },
    enterLazyMmu: (cpu: number) => h.enterLazyMmu(cpu),
    leaveLazyMmu: (cpu: number) => h.leaveLazyMmu(cpu),
    /**
     * hash__flush_tlb_mm is empty: the PTE updates flushed the HPTEs. fork calls it after the
     * hugetlb package write-protected the parent's private hugetlb pages (huge_ptep_set_wrprotect
     * -> hpte_need_flush, at once in the kernel), which reach the backend only through this call.
     */
    flushTlbMm(mm) {
      for (const v of mm.vmas) {
        if (v.flags.hugetlb && !v.flags.shared) h.untrackedFlush(ctx.currentCpu(), mm, { start: v.start, end: v.end, stride: 2 ** v.hugeShift, leaf: true, walk: false });
      }
    },
    /** hash__flush_tlb_range is empty too, but for the hugetlb package's huge PTE updates, reported only as this range */
    flushTlbRange(mm, start, end, vma) {
      if (!vma.hugetlb) return;
      const ps = 2 ** r.pageShift;
      h.untrackedFlush(ctx.currentCpu(), mm, { start: start - (start % ps), end, stride: ps, leaf: true, walk: false });
    },
    /** ptep_clear_flush: the PTE clear flushes its HPTE (outside lazy-MMU mode: at once); flush_tlb_page itself is empty */
    flushTlbPage: (mm, addr) => h.needFlush(ctx.currentCpu(), mm, addr, r.pageShift),
    flushTlbKernelRange() {
      // hash__flush_tlb_kernel_range is empty: kernel HPTEs are handled where they change
    },
    // (pmdpHugeClearFullFlushes stays false: hash's flush_pmd_tlb_range is empty, the zap's PMD
    // clear already flushed the THP's HPTEs through pteUpdate)
    needsTableInvalidate: () => false,
    // arch_supports_page_table_move() = radix_enabled(): mremap moves PTEs one by one on hash
    supportsPageTableMove: () => false,
  });
}
