import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import { FOLIO_DIRTY } from '../machine/frames.js';
import { clearEntry, lookupEntry } from './pgtable.js';
import type { ClearStamp } from '../check/checker.js';
import { PTE_DIRTY, pteFrame } from '../machine/pte.js';
import { TLB_FLUSH_BATCH_PENDING_MASK, batchedFlushOwed, batchedFlushed, batchedPending, setBatched } from '../machine/tlb-flush-batched.js';


/**
 * flush_tlb_batched_pending (mm/rmap.c): before a PTE lock holder changes PTEs, flush what reclaim
 * deferred for this mm and has not flushed yet.
 */
export function flushTlbBatchedPending(m: Machine, mm: Mm): void {
  if (!batchedFlushOwed(mm)) return;
  m.hooks.flushTlbBatchedPending(mm);
  const pending = batchedPending(mm);
  setBatched(mm, pending, pending);
}

/** set_tlb_ubc_flush_pending's bookkeeping of mm->tlb_flush_batched */
function markBatched(mm: Mm): void {
  const pending = batchedPending(mm);
  // past TLB_FLUSH_BATCH_PENDING_LARGE the word restarts at 1 (as the kernel does to avoid overflow)
  if (pending > TLB_FLUSH_BATCH_PENDING_MASK >> 1) {
    mm.tlbFlushBatched = 1;
    return;
  }
  setBatched(mm, pending + 1, batchedFlushed(mm));
}

export interface ReclaimResult {
  /** folios freed */
  freed: number;
  /** PTE mappings removed */
  unmapped: number;
  batched: boolean;
}

/**
 * Reclaim clean file folios (a kswapd-like pass running on the current CPU): for each folio,
 * walk the rmap (every mm mapping the file page), clear the PTEs and either defer the flush into
 * the task's batch (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: try_to_unmap with TTU_BATCH_FLUSH) or
 * flush each mapping at once (ptep_clear_flush). Then try_to_unmap_flush and free the folios.
 */
export function reclaimFilePages(m: Machine, file: { pages: Map<number, number> }, pageIdx: readonly number[]): ReclaimResult {
  // the Machine refuses an arch that selects the option without a batch
  const batch = m.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH ? m.hooks.createTlbBatch() : null;
  const ps = m.pageSize;
  const cleared: { mm: Mm; addr: number; epoch: ClearStamp; frame: number }[] = [];
  const folios: { idx: number; frame: number }[] = [];
  for (const idx of pageIdx) {
    const f = file.pages.get(idx);
    if (f === undefined) continue;
    folios.push({ idx, frame: f });
    for (const mm of m.mms) {
      if (mm.dead) continue;
      for (const v of mm.vmas) {
        if (v.file !== file || v.flags.hugetlb) continue;
        const addr = v.start + (idx - v.pgoff) * ps;
        if (addr < v.start || addr >= v.end) continue;
        const slot = lookupEntry(m, mm, addr, 0);
        if (!slot || pteFrame(slot.t.entries[slot.i]) !== f) continue;
        if (slot.t.entries[slot.i] & PTE_DIRTY) m.frames.addFlags(f, FOLIO_DIRTY);
        const epoch = clearEntry(m, slot.t.entries, slot.i);
        slot.t.present--;
        // should_defer_flush: the arch may refuse to defer this mm (arch_tlbbatch_should_defer)
        if (batch && m.hooks.tlbbatchShouldDefer(mm)) {
          batch.addPending(mm, addr, addr + ps);
          markBatched(mm);
        } else {
          m.hooks.flushTlbPage(mm, addr);
        }
        m.frames.addMapcount(f, -1);
        m.frames.addRefcount(f, -1);
        cleared.push({ mm, addr, epoch, frame: f });
      }
    }
  }
  // the deferred flush still to come: an interleaving point of schedule exploration (core SPEC.md §13)
  if (m.explore && cleared.length) m.explore.at('try_to_unmap_flush', { mm: cleared[0].mm });
  if (batch) batch.flush(); // try_to_unmap_flush
  let freed = 0;
  for (const { idx, frame } of folios) {
    if (m.frames.mapcountOf(frame) !== 0) continue;
    if (m.frames.flagsOf(frame) & FOLIO_DIRTY) continue; // would need writeback first
    file.pages.delete(idx);
    if (m.frames.addRefcount(frame, -1) === 0) {
      for (const c of cleared) if (c.frame === frame) m.checker.pageFreed(c.mm, c.addr, m.geometry.pageShift, c.epoch);
      m.frames.free(frame);
      m.metrics.pagesFreed++;
      freed++;
    }
  }
  return { freed, unmapped: cleared.length, batched: !!batch };
}
