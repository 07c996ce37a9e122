/**
 * The asm-generic hook layer, laid out like include/asm-generic/tlb.h: every hook a backend may
 * leave out gets its generic body here (the `#ifndef hook ... #endif` of the header), and
 * {@link asmGenericTlb} fills them in once, when the Machine is built. Core then calls every
 * hook of {@link TlbHooks} unconditionally; an arch overrides a hook by defining it in its
 * {@link ArchRuntime} (the header's `#define hook hook`).
 */
import type { ArchContext, ArchRuntime, GatherView, IpiInfo, TlbBatch, VmaFlagsView } from './contract.js';
import type { Kconfig } from './kconfig.js';

/** The runtime as core calls it: every hook present, a default wherever the backend has none. */
export type TlbHooks = Required<Omit<ArchRuntime, 'ftrace' | 'internals'>>;

/**
 * The generic `tlb_flush` of asm-generic/tlb.h, used when an arch defines none:
 * fullmm/need_flush_all -> flush_tlb_mm; otherwise flush_tlb_range over a temporary VMA with the
 * gather's exec/hugetlb flags. Under MMU_GATHER_NO_RANGE: flush_tlb_mm whenever end != 0.
 */
export function genericTlbFlush(rt: Pick<ArchRuntime, 'flushTlbMm' | 'flushTlbRange'>, k: Kconfig, g: GatherView): void {
  if (k.MMU_GATHER_NO_RANGE) {
    if (g.end !== 0) rt.flushTlbMm(g.mm);
    return;
  }
  if (g.fullmm || g.needFlushAll) rt.flushTlbMm(g.mm);
  else if (g.end !== 0) rt.flushTlbRange(g.mm, g.start, g.end, g.vmaHuge ? { exec: g.vmaExec, hugetlb: true, hugeShift: g.vmaHugeShift } : { exec: g.vmaExec, hugetlb: false });
}

/** The kernel names of the gather's flush bits, by bit of {@link bitMask} (one list for both forms). */
const BIT_NAMES = ['fullmm', 'need_flush_all', 'freed_tables', 'cleared_ptes', 'cleared_pmds', 'cleared_puds', 'cleared_p4ds', 'unshared_tables'];

/** the gather's flush bits as bits of one number (a note keeps that, not a list) */
export function bitMask(g: GatherView): number {
  return (+g.fullmm) | (+g.needFlushAll << 1) | (+g.freedTables << 2) | (+g.clearedPtes << 3) | (+g.clearedPmds << 4) | (+g.clearedPuds << 5) | (+g.clearedP4ds << 6) | (+g.unsharedTables << 7);
}

function namesOf(mask: number): string[] {
  const r: string[] = [];
  for (let k = 0; k < BIT_NAMES.length; k++) if (mask & (1 << k)) r.push(BIT_NAMES[k]);
  return r;
}

/** The gather's flush bits that are set, by their kernel names (for traces, notes and tests). */
export function gatherBits(g: GatherView): string[] {
  return namesOf(bitMask(g));
}

/** gatherBits(g).join(',') for the gather whose bitMask was `mask` */
export function bitNames(mask: number): string {
  return namesOf(mask).join(',');
}

/** tlb_get_unmap_shift: the smallest level whose entries were cleared */
export function tlbGetUnmapShift(g: GatherView, shifts: { page: number; pmd: number; pud: number; p4d: number }): number {
  if (g.clearedPtes) return shifts.page;
  if (g.clearedPmds) return shifts.pmd;
  if (g.clearedPuds) return shifts.pud;
  if (g.clearedP4ds) return shifts.p4d;
  return shifts.page;
}

const nop = (): void => {};

/**
 * Build the hooks core calls, once per Machine: the backend's own where it has one (bound to its
 * runtime object), the generic body of asm-generic/tlb.h (or of the kernel file named) otherwise.
 */
export function asmGenericTlb(rt: ArchRuntime, ctx: ArchContext): TlbHooks {
  const k = ctx.kconfig;
  const own = <F extends (...a: never[]) => unknown>(f: F | undefined): F | undefined => (f ? (f.bind(rt) as F) : undefined);
  const flushTlbMm = rt.flushTlbMm.bind(rt);
  const flushTlbRange = rt.flushTlbRange.bind(rt);
  const archSyncOne = own(rt.tlbRemoveTableSyncOne);
  const pteNeedsFlush = own(rt.pteNeedsFlush) ?? (() => true);
  const flushPmdTlbRange: TlbHooks['flushPmdTlbRange'] =
    own(rt.flushPmdTlbRange) ??
    // #define flush_pmd_tlb_range(vma, addr, end) flush_tlb_range(vma, addr, end)
    ((mm, start, end, vma) => flushTlbRange(mm, start, end, vma));
  return {
    // tlb_flush: #ifndef tlb_flush ... the generic one
    tlbFlush: own(rt.tlbFlush) ?? ((g: GatherView) => genericTlbFlush(rt, k, g)),
    flushTlbMm,
    flushTlbRange,
    flushTlbPage: rt.flushTlbPage.bind(rt),
    // arch_supports_page_table_move (mm/mremap.c): IS_ENABLED(HAVE_MOVE_PMD) / HAVE_MOVE_PUD
    supportsPageTableMove: own(rt.supportsPageTableMove) ?? (() => true),
    tlbbatchShouldDefer: own(rt.tlbbatchShouldDefer) ?? (() => true),
    // flush_cache_range: a no-op wherever caches are physically tagged
    flushCacheRange: own(rt.flushCacheRange) ?? nop,
    // flush_tlb_kernel_range: every arch defines its own; core's mm paths never call it
    flushTlbKernelRange: own(rt.flushTlbKernelRange) ?? noKernelRangeFlush,
    // tlb_needs_table_invalidate: #ifndef ... true
    needsTableInvalidate: own(rt.needsTableInvalidate) ?? (() => true),
    // tlb_remove_table_sync_one (mm/mmu_gather.c): an empty stub without MMU_GATHER_RCU_TABLE_FREE;
    // with it, a synchronous no-op IPI to every other CPU (tlb_remove_table_smp_sync)
    tlbRemoveTableSyncOne: () => {
      if (!k.MMU_GATHER_RCU_TABLE_FREE) return;
      if (archSyncOne) archSyncOne();
      else ctx.syncAllCpus();
    },
    pteNeedsFlush,
    // huge_pmd_needs_flush: the arch's own; an arch that defines only pte_needs_flush applies it to
    // the PMD value too (every modelled arch defines both in the kernel, with the same rule)
    hugePmdNeedsFlush: own(rt.hugePmdNeedsFlush) ?? pteNeedsFlush,
    flushPmdTlbRange,
    // pmdp_invalidate_ad: #ifndef __HAVE_ARCH_PMDP_INVALIDATE_AD, pmdp_invalidate (which flushes)
    pmdpInvalidateAd: own(rt.pmdpInvalidateAd) ?? ((mm, addr, vma) => flushPmdTlbRange(mm, addr, addr + 2 ** ctx.geometry.levels[1].shift, vma)),
    initMm: own(rt.initMm) ?? nop,
    // pte_update: only powerpc hash queues work here
    pteUpdate: own(rt.pteUpdate) ?? nop,
    // pmdp_huge_get_and_clear_full: #ifndef __HAVE_ARCH_PMDP_HUGE_GET_AND_CLEAR_FULL, only the clear
    pmdpHugeClearFullFlushes: own(rt.pmdpHugeClearFullFlushes) ?? (() => false),
    // set_pmd / set_pud / set_p4d / set_pgd: a plain store (WRITE_ONCE) in the generic headers
    setTableEntry: own(rt.setTableEntry) ?? nop,
    // arch_enter_lazy_mmu_mode / arch_leave_lazy_mmu_mode: empty without __HAVE_ARCH_ENTER_LAZY_MMU_MODE
    enterLazyMmu: own(rt.enterLazyMmu) ?? nop,
    leaveLazyMmu: own(rt.leaveLazyMmu) ?? nop,
    // __tlb_remove_tlb_entry: #ifndef ... empty
    removeTlbEntry: own(rt.removeTlbEntry) ?? nop,
    switchMm: rt.switchMm.bind(rt),
    enterLazy: own(rt.enterLazy) ?? nop,
    onIpi: own(rt.onIpi) ?? ((_cpu: number, _ipi: IpiInfo) => {}),
    createTlbBatch: own(rt.createTlbBatch) ?? noTlbBatch,
    // arch_flush_tlb_batched_pending: a whole-mm flush
    flushTlbBatchedPending: own(rt.flushTlbBatchedPending) ?? flushTlbMm,
    destroyMm: own(rt.destroyMm) ?? nop,
  };
}

function noKernelRangeFlush(): void {
  throw new Error('flushTlbKernelRange: this arch defines no flush_tlb_kernel_range');
}

/** Reclaim asks for a batch only under ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH, which the Machine checks. */
function noTlbBatch(): TlbBatch {
  throw new Error('createTlbBatch called on an arch without ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH');
}
