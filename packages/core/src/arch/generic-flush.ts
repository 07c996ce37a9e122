import type { ArchRuntime, GatherView } from './contract.js';
import type { Kconfig } from './kconfig.js';

/**
 * The generic `tlb_flush` of asm-generic/tlb.h, used when an arch defines none:
 * fullmm/need_flush_all -> flush_tlb_mm; otherwise flush_tlb_range over a temporary VMA with the
 * gather's exec/hugetlb flags. Under MMU_GATHER_NO_RANGE: flush_tlb_mm whenever end != 0.
 */
export function genericTlbFlush(rt: ArchRuntime, k: Kconfig, g: GatherView): void {
  if (k.MMU_GATHER_NO_RANGE) {
    if (g.end !== 0) rt.flushTlbMm(g.mm);
    return;
  }
  if (g.fullmm || g.needFlushAll) rt.flushTlbMm(g.mm);
  else if (g.end !== 0) rt.flushTlbRange(g.mm, g.start, g.end, { exec: g.vmaExec, hugetlb: g.vmaHuge });
}

/** The gather's flush bits that are set, by their kernel names (for traces, notes and tests). */
export function gatherBits(g: GatherView): string[] {
  const b: string[] = [];
  if (g.fullmm) b.push('fullmm');
  if (g.needFlushAll) b.push('need_flush_all');
  if (g.freedTables) b.push('freed_tables');
  if (g.clearedPtes) b.push('cleared_ptes');
  if (g.clearedPmds) b.push('cleared_pmds');
  if (g.clearedPuds) b.push('cleared_puds');
  if (g.clearedP4ds) b.push('cleared_p4ds');
  if (g.unsharedTables) b.push('unshared_tables');
  return b;
}

/** tlb_get_unmap_shift: the smallest level whose entries were cleared */
export function tlbGetUnmapShift(g: GatherView, shifts: { page: number; pmd: number; pud: number; p4d: number }): number {
  if (g.clearedPtes) return shifts.page;
  if (g.clearedPmds) return shifts.pmd;
  if (g.clearedPuds) return shifts.pud;
  if (g.clearedP4ds) return shifts.p4d;
  return shifts.page;
}
