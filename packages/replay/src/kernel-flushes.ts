/**
 * Counting flushes and flush IPIs the way x86's tlb:tlb_flush and IPI events show them, for the
 * kernel's recording and for the model's own events alike (one rule for both sides): a flush is
 * one flush_tlb_mm_range that did something, i.e. a flush_tlb_multi (traced once as
 * TLB_REMOTE_SEND_IPI, whose local part, if any, follows as TLB_LOCAL_MM_SHOOTDOWN) or a local
 * flush alone (TLB_LOCAL_MM_SHOOTDOWN); a flush IPI is one flush_tlb_func cross-call to another
 * CPU. Flushes that found no CPU to flush (nobody had the mm loaded, or a lazy CPU switched to
 * init_mm instead) leave no such event on either side. Counted by what the initiating thread was
 * doing: a system call (its name), a page fault, exit, or `other`.
 */

import type { TraceEvent } from '@tlbsim/core';

const TLB_LOCAL_MM_SHOOTDOWN = 3;
const TLB_REMOTE_SEND_IPI = 4;

export interface FlushFigures {
  flushes: number;
  ipis: number;
}

/** What the initiator was doing (rows of the comparison). */
export const PAGE_FAULT = 'page fault';
export const EXIT = 'exit';
export const OTHER = 'other';

export class FlushCounter {
  readonly byKind = new Map<string, FlushFigures>();
  /** CPU -> the kind of its flush_tlb_multi whose local part may still follow */
  private readonly open = new Map<number, string>();

  private of(kind: string): FlushFigures {
    let f = this.byKind.get(kind);
    if (!f) {
      f = { flushes: 0, ipis: 0 };
      this.byKind.set(kind, f);
    }
    return f;
  }

  /** a tlb_flush event of the initiator's CPU (other reasons are not operations: ignored) */
  tlbFlush(cpu: number, reason: number, kind: string): void {
    if (reason === TLB_REMOTE_SEND_IPI) {
      this.of(kind).flushes++;
      this.open.set(cpu, kind);
    } else if (reason === TLB_LOCAL_MM_SHOOTDOWN) {
      // the local part of the flush_tlb_multi just counted
      if (this.open.delete(cpu)) return;
      this.of(kind).flushes++;
    }
  }

  /** flush_tlb_func cross-calls sent from `cpu` */
  ipis(cpu: number, n: number, kind: string): void {
    this.of(this.open.get(cpu) ?? kind).ipis += n;
  }

  /** is a flush_tlb_multi of `cpu` open (its IPIs may follow)? */
  isOpen(cpu: number): boolean {
    return this.open.has(cpu);
  }

  /** anything else happened on `cpu` (or, with no CPU, anywhere): no local part follows */
  close(cpu?: number): void {
    if (cpu === undefined) this.open.clear();
    else this.open.delete(cpu);
  }

  total(): FlushFigures {
    const t = { flushes: 0, ipis: 0 };
    for (const f of this.byKind.values()) {
      t.flushes += f.flushes;
      t.ipis += f.ipis;
    }
    return t;
  }
}

/** One row of the comparison: recorded (the kernel's events) and predicted (the model's). */
export interface ComparisonRow {
  kind: string;
  recorded: FlushFigures;
  predicted: FlushFigures;
}

/** Rows in a stable order: the busiest recorded first, then by name; `total` last. */
export function comparisonRows(recorded: FlushCounter, predicted: FlushCounter): ComparisonRow[] {
  const kinds = new Set([...recorded.byKind.keys(), ...predicted.byKind.keys()]);
  const zero = { flushes: 0, ipis: 0 };
  const rows = [...kinds].map((kind) => ({ kind, recorded: { ...(recorded.byKind.get(kind) ?? zero) }, predicted: { ...(predicted.byKind.get(kind) ?? zero) } }));
  rows.sort((a, b) => b.recorded.flushes - a.recorded.flushes || b.predicted.flushes - a.predicted.flushes || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  rows.push({ kind: 'total', recorded: recorded.total(), predicted: predicted.total() });
  return rows;
}

/** `MATCH`, or predicted/recorded as a ratio (`x1.25`, `x0.50`; `+3` when nothing was recorded). */
export function agreement(recorded: number, predicted: number): string {
  if (recorded === predicted) return 'MATCH';
  if (recorded === 0) return `+${predicted}`;
  return `x${(predicted / recorded).toFixed(2)}`;
}

/** |predicted - recorded| / recorded (0 when both are 0; 1 when only predicted is not). */
export function relativeError(recorded: number, predicted: number): number {
  if (recorded === 0) return predicted === 0 ? 0 : 1;
  return Math.abs(predicted - recorded) / recorded;
}

/** One of the model's trace events (x86's tlb_flush, a flush_tlb_func IPI) counted as the kernel's are. */
export function countModelEvent(c: FlushCounter, e: TraceEvent, kind: string): void {
  if (e.name === 'tlb_flush' && e.cat === 'tlb') c.tlbFlush(e.cpu, e.args!.reason as number, kind);
  else if (e.name === 'ipi_send' && e.args?.kind === 'flush_tlb_func') c.ipis(e.cpu, (e.args.targets as number[]).length, kind);
}

/**
 * The model's flushes and flush IPIs in a whole run's trace events (a replay with `trace`), for
 * comparing an strace replay with a recording of the same run: each replayed call's events
 * (after its `syscall` event) are one initiator's.
 */
export function countModelEvents(events: readonly TraceEvent[]): FlushFigures {
  const c = new FlushCounter();
  for (const e of events) {
    if (e.cat === 'syscall') c.close();
    else countModelEvent(c, e, OTHER);
  }
  return c.total();
}
