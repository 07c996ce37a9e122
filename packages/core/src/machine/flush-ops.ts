/**
 * Counting TLB flush operations (metrics.flushes, metrics.flushesBy): one per call of an arch
 * flush entry point from the generic mm code, named after the kernel function, whichever path
 * called it (the gather's tlb_flush, flush_tlb_range of mprotect, mremap and hugetlb,
 * flush_tlb_page of ptep_clear_flush, fork's flush_tlb_mm, pmdp flushes, batched unmap).
 * Flushes an arch does inside one of these, or on a context switch, are part of that operation
 * or of the switch, not operations of their own.
 */
import type { ArchRuntime, TlbBatch } from '../arch/contract.js';
import type { TlbHooks } from '../arch/asm-generic-tlb.js';
import type { Metrics } from '../metrics/metrics.js';

/** The hooks with each flush entry point counted. `rt` tells which hooks are the arch's own. */
export function countFlushOps(h: TlbHooks, rt: ArchRuntime, metrics: Metrics): TlbHooks {
  const counted = <A extends unknown[]>(fn: string, f: (...a: A) => void) => (...a: A) => {
    metrics.flush(fn);
    f(...a);
  };
  return {
    ...h,
    tlbFlush: counted('tlb_flush', h.tlbFlush),
    flushTlbMm: counted('flush_tlb_mm', h.flushTlbMm),
    flushTlbRange: counted('flush_tlb_range', h.flushTlbRange),
    flushTlbPage: counted('flush_tlb_page', h.flushTlbPage),
    flushTlbKernelRange: counted('flush_tlb_kernel_range', h.flushTlbKernelRange),
    flushPmdTlbRange: counted('flush_pmd_tlb_range', h.flushPmdTlbRange),
    // the generic pmdp_invalidate_ad is pmdp_invalidate, which flushes the PMD range; an arch's
    // own (x86) does not flush
    pmdpInvalidateAd: rt.pmdpInvalidateAd ? h.pmdpInvalidateAd : counted('flush_pmd_tlb_range', h.pmdpInvalidateAd),
    flushTlbBatchedPending: counted('arch_flush_tlb_batched_pending', h.flushTlbBatchedPending),
    createTlbBatch: () => countedBatch(h.createTlbBatch(), metrics),
  };
}

/** arch_tlbbatch_flush counts when try_to_unmap_flush finds flush_required (something was added). */
function countedBatch(b: TlbBatch, metrics: Metrics): TlbBatch {
  let pending = false;
  return {
    addPending(mm, start, end) {
      pending = true;
      b.addPending(mm, start, end);
    },
    flush() {
      if (pending) metrics.flush('arch_tlbbatch_flush');
      pending = false;
      b.flush();
    },
  };
}
