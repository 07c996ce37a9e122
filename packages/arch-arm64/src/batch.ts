/**
 * Batched unmap for reclaim/migration (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH, arm64 from 6.6,
 * 43b3dfdd0455):
 * arch_tlbbatch_should_defer, arch_tlbbatch_add_pending, arch_tlbbatch_flush and
 * arch_flush_tlb_batched_pending. The TLBIs are broadcast when a folio is added; only the
 * completing DSB ISH is deferred to the end of the batch.
 */
import type { Mm, TlbBatch } from '@tlbsim/core';
import type { Arm64Config } from './options.js';
import { TLBF_NOSYNC, TLBF_NOWALKCACHE, type TlbFlush } from './tlbflush.js';
import { TTL_UNKNOWN } from './tlbi.js';

/**
 * arch_tlbbatch_should_defer: false while REPEAT_TLBI needs a DSB after each TLBI; with
 * a8f78680ee6b the workaround moved to the sync and deferral is always allowed.
 */
export function shouldDefer(cfg: Arm64Config): boolean {
  return cfg.batchedUnmap && !cfg.repeatEach;
}

/**
 * One reclaim pass's batch (current->tlb_ubc.arch). Core asks arch_tlbbatch_should_defer
 * ({@link shouldDefer}) before adding a mapping; when it is false, try_to_unmap_one flushes that
 * PTE at once with ptep_clear_flush (flush_tlb_page) and never reaches this batch.
 */
export function createTlbBatch(tf: TlbFlush, cfg: Arm64Config): TlbBatch {
  /** tlb_ubc->flush_required: try_to_unmap_flush does nothing for an empty batch */
  let pending = false;
  const page = tf.page;
  return {
    addPending(mm: Mm, start: number, end: number): void {
      pending = true;
      if (cfg.batchRange) {
        // 2f4ab3ac10e1: a leaf-only, level-3 range flush of the folio without the completing DSB
        tf.flushTlbRangeStride(mm, start, end, page, 3, TLBF_NOWALKCACHE | TLBF_NOSYNC);
        return;
      }
      // before, one address per call (__flush_tlb_page_nosync): DSB ISHST; TLBI VALE1IS
      for (let a = start - (start % page); a < end; a += page) tf.doFlushTlbRange(mm, a, a + page, page, TTL_UNKNOWN, TLBF_NOWALKCACHE | TLBF_NOSYNC);
    },
    flush(): void {
      if (!pending) return;
      pending = false;
      tf.tlbi.syncBatch();
    },
  };
}

/**
 * arch_flush_tlb_batched_pending (flush_tlb_batched_pending when a PTE-lock holder races a
 * deferred reclaim flush): a DSB ISH, and with 4b634918384c ("Close theoretical race where stale
 * TLB entry remains valid", 6.16, 6.12.35) flush_tlb_mm: a DSB completes only the TLBIs its own
 * CPU issued, and the reclaiming CPU may be another one.
 */
export function flushTlbBatchedPending(tf: TlbFlush, cfg: Arm64Config, mm: Mm): void {
  if (cfg.batchedPendingFlushMm) tf.flushTlbMm(mm);
  else tf.tlbi.dsb('ISH');
}
