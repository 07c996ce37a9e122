import type { ArchRuntime } from '../arch/contract.js';
import { TLB_FLUSH_REASONS, type TraceEvent } from './events.js';

/** `tlb_flush: pages:%ld reason:%s (%d)` as include/trace/events/tlb.h prints it. */
export function formatTlbFlush(pages: number, reason: number): string {
  return `tlb_flush: pages:${pages} reason:${TLB_FLUSH_REASONS[reason] ?? 'unknown'} (${reason})`;
}

function stamp(ns: number): string {
  const us = Math.floor(ns / 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/**
 * The ftrace text format of a run (the `trace` file), for the events that have a kernel
 * tracepoint: `tlb:tlb_flush` (and whatever the backend's `ftrace` hook formats), so output can be
 * diffed against a real capture. Other events are omitted.
 */
export function toFtrace(events: readonly TraceEvent[], rt?: Pick<ArchRuntime, 'ftrace'>): string {
  let out = '# tracer: nop\n#\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n';
  for (const e of events) {
    let body = rt?.ftrace?.(e);
    if (body === undefined && e.name === 'tlb_flush' && e.args) body = formatTlbFlush(Number(e.args.pages), Number(e.args.reason));
    if (body === undefined) continue;
    out += `          tlbsim-1       [${String(e.cpu).padStart(3, '0')}] d..1. ${stamp(e.ts).padStart(12)}: ${body}\n`;
  }
  return out;
}
