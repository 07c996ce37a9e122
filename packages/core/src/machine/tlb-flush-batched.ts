/**
 * mm->tlb_flush_batched (mm/rmap.c): reclaim's count of deferred flushes in the low bits
 * (TLB_FLUSH_BATCH_PENDING_MASK) and of the ones already flushed from bit
 * TLB_FLUSH_BATCH_FLUSHED_SHIFT up. One encoder and decoder for every reader.
 */
import type { Mm } from './mm.js';

export const TLB_FLUSH_BATCH_FLUSHED_SHIFT = 16;
export const TLB_FLUSH_BATCH_PENDING_MASK = (1 << (TLB_FLUSH_BATCH_FLUSHED_SHIFT - 1)) - 1;

/** The deferred-flush generation reclaim last recorded. */
export function batchedPending(mm: Mm): number {
  return mm.tlbFlushBatched & TLB_FLUSH_BATCH_PENDING_MASK;
}
/** The generation flush_tlb_batched_pending last flushed. */
export function batchedFlushed(mm: Mm): number {
  return (mm.tlbFlushBatched >>> TLB_FLUSH_BATCH_FLUSHED_SHIFT) & TLB_FLUSH_BATCH_PENDING_MASK;
}
/** Is a flush reclaim deferred for this mm still owed? */
export function batchedFlushOwed(mm: Mm): boolean {
  return batchedPending(mm) !== batchedFlushed(mm);
}
/** Store both generations. */
export function setBatched(mm: Mm, pending: number, flushed: number): void {
  mm.tlbFlushBatched = pending | (flushed << TLB_FLUSH_BATCH_FLUSHED_SHIFT);
}
