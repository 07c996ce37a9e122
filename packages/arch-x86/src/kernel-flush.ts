/**
 * Kernel-address flushes: flush_tlb_kernel_range and flush_tlb_all (arch/x86/mm/tlb.c). They
 * cross-call every online CPU with their own handlers, never flush_tlb_func, so they show up
 * in "Function call interrupts" only, never in "TLB shootdowns".
 */
import { INVALIDATE_ALL } from '@tlbsim/core';
import { NR_TLB_REMOTE_FLUSH, NR_TLB_REMOTE_FLUSH_RECEIVED } from './counters.js';
import { getFlushTlbInfo } from './flush.js';
import { invlpgbFlushAll, invlpgbKernelRangeFlush } from './invlpgb.js';
import { flushTlbAllLocal, flushTlbOneKernel } from './native.js';
import { PAGE_SHIFT, TLB_FLUSH_ALL, TLB_GENERATION_INVALID, type X86Kernel } from './state.js';

/** on_each_cpu(func): every online CPU, the caller in place, waiting for all */
function onEachCpu(k: X86Kernel, kind: string, fn: (cpu: number) => void): void {
  k.ctx.onEachCpuMask(k.ctx.cpus.map((c) => c.id), fn, { kind, wait: true, broadcast: true });
}

/** do_flush_tlb_all on one CPU */
function doFlushTlbAll(k: X86Kernel, cpu: number): void {
  k.counter(cpu, NR_TLB_REMOTE_FLUSH_RECEIVED);
  flushTlbAllLocal(k, cpu);
  // INVPCID all-contexts (or the CR4.PGE toggle) drops every PCID's entries
  for (const mm of k.mms) k.invalidate(cpu, mm, INVALIDATE_ALL);
  k.ctx.countFlush(cpu, 'full');
}

/** flush_tlb_all */
export function flushTlbAll(k: X86Kernel): void {
  const self = k.ctx.currentCpu();
  k.counter(self, NR_TLB_REMOTE_FLUSH);
  if (k.opts.invlpgb) invlpgbFlushAll(k, self);
  else onEachCpu(k, 'do_flush_tlb_all', (cpu) => doFlushTlbAll(k, cpu));
}

/** flush_tlb_kernel_range(start, end) */
export function flushTlbKernelRange(k: X86Kernel, start: number, end: number): void {
  const self = k.ctx.currentCpu();
  const info = getFlushTlbInfo(k, null, start, end, PAGE_SHIFT, false, TLB_GENERATION_INVALID);
  if (info.end === TLB_FLUSH_ALL) {
    // kernel_tlb_flush_all
    if (k.opts.invlpgb) invlpgbFlushAll(k, self);
    else onEachCpu(k, 'do_flush_tlb_all', (cpu) => doFlushTlbAll(k, cpu));
    return;
  }
  // kernel_tlb_flush_range
  if (k.opts.invlpgb) {
    invlpgbKernelRangeFlush(k, self, info.start, info.end);
    return;
  }
  const pages = Math.ceil((info.end - info.start) / 2 ** PAGE_SHIFT);
  onEachCpu(k, 'do_kernel_range_flush', (cpu) => {
    flushTlbOneKernel(k, cpu, pages);
    k.ctx.countFlush(cpu, 'ranged');
  });
}
