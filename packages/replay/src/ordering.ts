/**
 * The order events are applied in: strace's print order, except that an address the kernel
 * handed to one thread waits for another thread's unfinished call that releases it (that call is
 * printed later, but happened first in the kernel).
 */
import type { InputState } from './inputs.js';
import type { StraceEvent } from './strace-events.js';
import { decodeCall } from './syscall-args.js';

/** lines held back while a kernel-chosen address waits for another thread's unmap to be printed */
const MAX_QUEUE = 4096;
/** what applying an event returns when it must wait */
export const BLOCKED = 1;

/** Applies one event; `mayBlock`: it may return {@link BLOCKED} instead. */
export type ApplyEvent = (ev: StraceEvent, input: InputState, mayBlock: boolean) => number;

interface Range {
  start: number;
  end: number;
}

function rangesOverlap(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** The trace range an unmap-like call may release (munmap, mremap, MAP_FIXED mmap), or null. */
function releasedRange(name: string, args: string): Range | null {
  const d = decodeCall(name, args);
  if (d.op === 'munmap') return { start: d.addr, end: d.addr + d.length };
  if (d.op === 'mremap') return { start: d.addr, end: d.addr + d.oldLength };
  if (d.op === 'mmap' && d.fixed && !d.noReplace) return { start: d.addr, end: d.addr + d.length };
  return null;
}

export class CallOrder {
  /** tid -> trace range an unfinished unmap-like call of that thread may be releasing */
  private readonly inflight = new Map<number, Range>();
  private readonly queue: { ev: StraceEvent; input: InputState }[] = [];
  private waitTid = NaN;

  constructor(private readonly apply: ApplyEvent) {}

  feed(ev: StraceEvent, input: InputState): void {
    if (ev.kind === 'call' || ev.kind === 'exit') this.inflight.delete(ev.tid);
    else if (ev.kind === 'start') this.mayRelease(ev.tid, ev.name, ev.args);
    if (this.queue.length === 0) {
      if (this.apply(ev, input, true) === BLOCKED) this.queue.push({ ev, input });
      return;
    }
    if (ev.tid === this.waitTid && (ev.kind === 'call' || ev.kind === 'exit')) {
      // the call the held-back lines wait for: it happened first in the kernel
      this.apply(ev, input, false);
      this.drain(false);
    } else {
      this.queue.push({ ev, input });
      if (this.queue.length > MAX_QUEUE) this.drain(true);
    }
  }

  /** Thread tid is inside (or, announced, about to print) a call that may release a range. */
  mayRelease(tid: number, name: string, args: string): void {
    const r = releasedRange(name, args);
    if (r) this.inflight.set(tid, r);
  }

  finish(): void {
    this.drain(true);
  }

  /**
   * The kernel chose [start, end) for thread `tid`, but the model still has something there: is
   * another thread of the same mm inside a call that releases it? Then the event waits for it.
   */
  waitForRelease(tid: number, start: number, end: number, sameMm: (other: number) => boolean): boolean {
    for (const [other, r] of this.inflight) {
      if (other === tid || !rangesOverlap(start, end, r.start, r.end)) continue;
      if (sameMm(other)) {
        this.waitTid = other;
        return true;
      }
    }
    return false;
  }

  private drain(force: boolean): void {
    while (this.queue.length) {
      const q = this.queue[0];
      if (this.apply(q.ev, q.input, !force) === BLOCKED) return;
      this.queue.shift();
    }
    this.waitTid = NaN;
  }
}
