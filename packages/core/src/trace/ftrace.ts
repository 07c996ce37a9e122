import type { ArchRuntime } from '../arch/contract.js';
import { TLB_FLUSH_REASONS, type TraceEvent } from './events.js';

/** `tlb_flush: pages:%ld reason:%s (%d)` as include/trace/events/tlb.h prints it. */
export function formatTlbFlush(pages: number, reason: number): string {
  return `tlb_flush: pages:${pages} reason:${TLB_FLUSH_REASONS[reason] ?? 'unknown'} (${reason})`;
}

/**
 * The kernel's `SECONDS.FRACTION:` stamp, with nanosecond digits (as with the `nanosec`-style
 * clocks): simulated events are nanoseconds apart, so microseconds would lose their order.
 */
function stamp(ns: number): string {
  const t = Math.round(ns);
  return `${Math.floor(t / 1e9)}.${String(t % 1e9).padStart(9, '0')}`;
}

/** `comm-pid` as ftrace prints it, right-aligned in 16 columns + `-pid` (idle: `<idle>-0`). */
function taskField(task: string | undefined): string {
  const t = task ?? '<idle>-0';
  const dash = t.lastIndexOf('-');
  return `${t.slice(0, dash).slice(0, 16).padStart(16)}-${t.slice(dash + 1).padEnd(7)}`;
}

/** The `trace` file's header, as ftrace's nop tracer prints it. */
export const FTRACE_HEADER = '# tracer: nop\n#\n#                TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#                   | |         |   |||||     |         |\n';
/** what a run none of whose events has a kernel tracepoint prints under the header */
export const FTRACE_NO_EVENTS = '# no event of this run has a kernel tracepoint (tlb:tlb_flush is x86\'s; other architectures trace no TLB flush)\n';

/**
 * One event's `trace` line (with the newline) when it has a kernel tracepoint: `tlb:tlb_flush`,
 * or whatever the backend's `ftrace` hook formats; undefined for the others.
 */
export function ftraceLine(e: TraceEvent, rt?: Pick<ArchRuntime, 'ftrace'>): string | undefined {
  let body = rt?.ftrace?.(e);
  if (body === undefined && e.name === 'tlb_flush' && e.args) body = formatTlbFlush(Number(e.args.pages), Number(e.args.reason));
  if (body === undefined) return undefined;
  return `${taskField(e.task)} [${String(e.cpu).padStart(3, '0')}] d..1. ${stamp(e.ts).padStart(15)}: ${body}\n`;
}

/**
 * The ftrace text format of a run (the `trace` file), for the events that have a kernel
 * tracepoint: `tlb:tlb_flush` (and whatever the backend's `ftrace` hook formats), so output can be
 * diffed against a real capture. Other events are omitted.
 */
export function toFtrace(events: readonly TraceEvent[], rt?: Pick<ArchRuntime, 'ftrace'>): string {
  let out = FTRACE_HEADER;
  let n = 0;
  for (const e of events) {
    const line = ftraceLine(e, rt);
    if (line === undefined) continue;
    n++;
    out += line;
  }
  if (n === 0) out += FTRACE_NO_EVENTS;
  return out;
}
