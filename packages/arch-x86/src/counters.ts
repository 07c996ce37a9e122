/**
 * The counters x86 Linux keeps for TLB flushing, under the names users read them by, and the
 * `tlb:tlb_flush` tracepoint (include/trace/events/tlb.h).
 */
import { TLB_FLUSH_REASONS, type TraceEvent } from '@tlbsim/core';

/** /proc/interrupts "TLB shootdowns": flush_tlb_func run on a CPU other than the initiator */
export const IRQ_TLB = 'interrupts.TLB';
/** /proc/interrupts "Function call interrupts": every cross-call a CPU takes */
export const IRQ_CAL = 'interrupts.CAL';
/** vmstat (CONFIG_DEBUG_TLBFLUSH) */
export const NR_TLB_REMOTE_FLUSH = 'nr_tlb_remote_flush';
export const NR_TLB_REMOTE_FLUSH_RECEIVED = 'nr_tlb_remote_flush_received';
export const NR_TLB_LOCAL_FLUSH_ALL = 'nr_tlb_local_flush_all';
export const NR_TLB_LOCAL_FLUSH_ONE = 'nr_tlb_local_flush_one';

export const X86_COUNTERS = [
  IRQ_TLB, IRQ_CAL, NR_TLB_REMOTE_FLUSH, NR_TLB_REMOTE_FLUSH_RECEIVED, NR_TLB_LOCAL_FLUSH_ALL, NR_TLB_LOCAL_FLUSH_ONE,
] as const;

/**
 * enum tlb_flush_reason values (core's TlbFlushReason; repeated as plain numbers because a
 * `const enum` cannot be read across packages under isolatedModules once core ships .d.ts).
 */
export const TLB_FLUSH_ON_TASK_SWITCH = 0;
export const TLB_REMOTE_SHOOTDOWN = 1;
export const TLB_LOCAL_SHOOTDOWN = 2;
export const TLB_LOCAL_MM_SHOOTDOWN = 3;
export const TLB_REMOTE_SEND_IPI = 4;
export const TLB_REMOTE_WRONG_CPU = 5;

/** `pages` as the tracepoint prints TLB_FLUSH_ALL */
export const PAGES_FLUSH_ALL = -1;

/** Instruction mnemonics this backend counts. */
export const INVLPG = 'INVLPG';
export const CR3_WRITE = 'CR3 write';
export const INVPCID = 'INVPCID';
export const CR4_WRITE = 'CR4 write';
export const INVLPGB = 'INVLPGB';
export const TLBSYNC = 'TLBSYNC';
/** a TLB hypercall (Hyper-V flush, Xen mmuext op) issued instead of native instructions */
export const HYPERCALL = 'hypercall';

/** The ftrace text of a `tlb_flush` event: `pages:%ld reason:%s (%d)`. */
export function formatTlbFlush(ev: TraceEvent): string | undefined {
  if (ev.name !== 'tlb_flush' || ev.cat !== 'tlb' || !ev.args) return undefined;
  const reason = ev.args.reason as number;
  const pages = ev.args.pages as number;
  return `tlb_flush: pages:${pages} reason:${TLB_FLUSH_REASONS[reason] ?? 'unknown'} (${reason})`;
}
