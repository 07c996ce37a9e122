/**
 * Reclaim's batched unmap (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH): arch_tlbbatch_should_defer,
 * arch_tlbbatch_add_pending (asm/tlbflush.h) and arch_tlbbatch_flush (arch/x86/mm/tlb.c).
 */
import type { Mm, TlbBatch } from '@tlbsim/core';
import { flushTlbFunc, flushTlbMulti, getFlushTlbInfo } from './flush.js';
import { invlpgbFlushAllNonglobals } from './invlpgb.js';
import { TLB_FLUSH_ALL, TLB_GENERATION_INVALID, type X86Kernel } from './state.js';

/** struct arch_tlbflush_unmap_batch, plus the mms it covers (for the checker) */
export interface X86TlbBatch extends TlbBatch {
  /** arch_tlbbatch_should_defer(mm): batch only if another CPU may hold the mm */
  shouldDefer(mm: Mm): boolean;
  readonly cpumask: ReadonlySet<number>;
}

/** arch_tlbbatch_should_defer: batch only when another CPU may hold the mm */
export function shouldDefer(k: X86Kernel, mm: Mm): boolean {
  const self = k.ctx.currentCpu();
  return k.ctx.mmCpumask(mm).list().some((c) => c !== self);
}

export function createTlbBatch(k: X86Kernel): X86TlbBatch {
  const cpumask = new Set<number>();
  let unmappedPages = false;
  let mms: Mm[] = [];
  return {
    cpumask,
    shouldDefer: (mm: Mm) => shouldDefer(k, mm),
    addPending(mm: Mm): void {
      // the generation bump is what makes every CPU holding mm flush it (now or at switch)
      k.mmCtx(mm).tlbGen++;
      for (const c of k.ctx.mmCpumask(mm).list()) cpumask.add(c);
      unmappedPages = true;
      if (!mms.includes(mm)) mms.push(mm);
    },
    flush(): void {
      const self = k.ctx.currentCpu();
      const info = getFlushTlbInfo(k, null, 0, TLB_FLUSH_ALL, 0, false, TLB_GENERATION_INVALID);
      const batchMms = mms;
      mms = [];
      k.covered(batchMms, () => {
        if (k.opts.invlpgb && unmappedPages) {
          invlpgbFlushAllNonglobals(k, self);
          unmappedPages = false;
        } else if ([...cpumask].some((c) => c !== self)) {
          flushTlbMulti(k, [...cpumask].sort((a, b) => a - b), info);
        } else if (cpumask.has(self)) {
          flushTlbFunc(k, self, info);
        }
      });
      cpumask.clear();
    },
  };
}
