/**
 * The mmu_gather hooks of arch/x86/include/asm/tlb.h and asm/tlbflush.h: tlb_flush() and
 * pte_needs_flush().
 */
import { PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_PRESENT, PTE_WRITE, pteFrame, tlbGetUnmapShift, type GatherView } from '@tlbsim/core';
import { flushTlbMmRange } from './flush.js';
import { TLB_FLUSH_ALL, type X86Kernel } from './state.js';

/**
 * tlb_flush(tlb): the whole address space for fullmm/need_flush_all, else the gather's range;
 * stride from the lowest level cleared; freed_tables passed through (unshared_tables is not).
 */
export function tlbFlush(k: X86Kernel, g: GatherView): void {
  const lv = k.ctx.geometry.levels;
  const shift = tlbGetUnmapShift(g, { page: lv[0].shift, pmd: lv[1].shift, pud: lv[2].shift, p4d: lv[3].shift });
  let start = 0;
  let end = TLB_FLUSH_ALL;
  if (!g.fullmm && !g.needFlushAll) {
    start = g.start;
    end = g.end;
  }
  flushTlbMmRange(k, g.mm, start, end, shift, g.freedTables);
}

/**
 * pte_needs_flush(old, new) in core's PTE encoding: no flush from a non-present PTE; a flush for
 * a new frame, for Dirty or Present cleared, or for RW / NX (exec) / PSE (leaf) changed in either
 * direction. The Accessed bit (young) is ignored.
 */
export function pteNeedsFlush(oldPte: number, newPte: number): boolean {
  if (!(oldPte & PTE_PRESENT)) return false;
  if (pteFrame(oldPte) !== pteFrame(newPte)) return true;
  const diff = oldPte ^ newPte;
  if (diff & oldPte & (PTE_DIRTY | PTE_PRESENT)) return true;
  return (diff & (PTE_WRITE | PTE_EXEC | PTE_LEAF)) !== 0;
}
