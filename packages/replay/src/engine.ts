/**
 * The replay engine: each event of the merged inputs, in the order the kernel ran them, routed to
 * the thread table (clone, execve, exit) and to the model (the memory calls). The model is the
 * simulated machine, or for the first pass, which only counts the threads, one that does nothing.
 */
import { ReplayError } from './options.js';
import type { EventSink, InputState } from './inputs.js';
import { BLOCKED, CallOrder } from './ordering.js';
import type { FtraceReader } from './ftrace-events.js';
import type { CallEvent, FaultEvent, StraceEvent, SwitchEvent } from './strace-events.js';
import { decodeCall, execName, isCloneName, resultProblem, THREAD_CALL_NAMES, type Decoded, type MemoryCall } from './syscall-args.js';
import { Tally } from './tally.js';
import { ThreadCountScan, NOT_SURE } from './thread-count.js';
import { ThreadTable, type ThreadSink, type TracedThread } from './threads.js';

/** What the replay does to what it models, besides threads coming and going. */
export interface ReplayModel<P, T> extends ThreadSink<P, T> {
  /** an event is about to be applied */
  beforeEvent(ev?: StraceEvent): void;
  /** it was applied (not held back) */
  afterEvent(ev: StraceEvent): void;
  /** a call of `rec` is about to be replayed */
  syscall(ev: CallEvent, rec: TracedThread<P, T>): void;
  /** a memory call that succeeded in the trace; {@link BLOCKED} when it must wait (`mayBlock`) */
  memoryCall(ev: CallEvent, rec: TracedThread<P, T>, d: MemoryCall, mayBlock: boolean): number;
  /** a page fault of a kernel recording */
  pageFault?(ev: FaultEvent, rec: TracedThread<P, T>): void;
  /** a context switch of a kernel recording (`prev`/`next`: the traced threads, if they are) */
  schedSwitch?(ev: SwitchEvent, prev: TracedThread<P, T> | undefined, next: TracedThread<P, T> | undefined): void;
  /** an input is a kernel recording */
  recording?(reader: FtraceReader): void;
  /** nothing is simulated: only the thread table matters (the first pass) */
  readonly threadsOnly?: boolean;
}

/** The first pass's model: threads only, nothing simulated. */
export const COUNT_THREADS_ONLY: ReplayModel<null, null> = {
  newMm: () => null,
  isEmpty: () => true,
  startThread: () => null,
  fork: () => null,
  forkUntraced: () => {},
  exitThread: () => {},
  threadGone: () => {},
  exec: () => null,
  beforeEvent: () => {},
  afterEvent: () => {},
  syscall: () => {},
  memoryCall: () => 0,
  threadsOnly: true,
};

/** calls whose replay needs their arguments */
const NEEDS_ARGS = new Set(['mmap', 'mmap2', 'old_mmap', 'munmap', 'mprotect', 'pkey_mprotect', 'madvise', 'mremap', 'brk']);
const THREAD_CALLS = new Set(THREAD_CALL_NAMES);

export class Replayer<P, T> implements EventSink {
  readonly threads: ThreadTable<P, T>;
  private readonly order: CallOrder;
  /**
   * the first pass without --strict: only the thread table matters (its tally is dropped, no call
   * waits), so the other calls' arguments are not decoded and the call order is not tracked
   */
  private readonly countOnly: boolean;
  /**
   * Counting threads, a call of a thread already known to a system call that changes no thread
   * (not clone, execve, exit...) changes nothing, whatever its arguments and result say: its line
   * need not be read past the name (one input only: with several, a thread may end between the
   * line's reading and its turn). Undefined when replaying: every line is read whole.
   */
  readonly ignoresCallsOf: ((tid: number) => boolean) | undefined;
  /**
   * Counting threads, one input: a line the light scan is sure is such a call of a thread already
   * known is not even parsed (see {@link EventSink.skipsLine}). Undefined when replaying.
   */
  readonly skipsLine: ((text: string, defaultTid: number) => number) | undefined;

  /**
   * @param tracePage page size of the traced machine (an mmap result must be aligned to it)
   */
  constructor(readonly model: ReplayModel<P, T>, readonly tally: Tally, private readonly strict: boolean, private readonly tracePage = 4096) {
    this.threads = new ThreadTable(model, tally);
    this.order = new CallOrder((ev, input, mayBlock) => this.apply(ev, input, mayBlock));
    // a flag, not the object's identity: the first pass adds its own recording callback to a copy
    this.countOnly = model.threadsOnly === true && !strict;
    this.ignoresCallsOf = this.countOnly ? (tid) => this.threads.threads.has(tid) : undefined;
    const scan = new ThreadCountScan();
    this.skipsLine = this.countOnly
      ? (text, defaultTid) => {
          const r = scan.scan(text, defaultTid);
          return r !== NOT_SURE && this.threads.threads.has(scan.tid) ? r : NOT_SURE;
        }
      : undefined;
  }

  /** The event must wait: the kernel chose [start, end) for rec, another thread of its mm releases it. */
  waitForRelease(rec: TracedThread<P, T>, start: number, end: number): boolean {
    return this.order.waitForRelease(rec.tid, start, end, (tid) => this.threads.get(tid)?.proc === rec.proc);
  }

  // ---------------------------------------------------------------- feeding
  feed(ev: StraceEvent, input: InputState): void {
    if (ev.kind === 'call') {
      this.tally.syscalls++;
      if (ev.result.errno !== undefined) this.tally.failures++;
    } else if (ev.kind === 'error' && this.strict) {
      throw new ReplayError(ev.file, ev.line, ev.reason);
    }
    // counting threads, no event is ever held back: the order has nothing to do
    if (this.countOnly) this.apply(ev, input, false);
    else this.order.feed(ev, input);
  }

  finish(): void {
    this.order.finish();
  }

  recording(reader: FtraceReader): void {
    this.model.recording?.(reader);
  }

  /**
   * Several inputs (strace -ff): the next line of each other thread is announced before it is
   * fed, since that call may already be running in the kernel (its file prints it whole, stamped
   * with its entry time). An unmap-like call announced this way can then release an address an
   * earlier-stamped call of another thread was handed.
   */
  announce(ev: StraceEvent): void {
    if (ev.kind !== 'call' || ev.result.errno !== undefined || ev.result.unknown) return;
    if (!this.countOnly) this.order.mayRelease(ev.tid, ev.name, ev.args);
    if (isCloneName(ev.name) && ev.result.value! > 0) {
      // the child's file may start at the same timestamp as the parent's clone line
      const d = decodeCall(ev.name, ev.args);
      if (d.op === 'clone') this.threads.announceClone(ev.tid, ev.result.value!, d);
    }
  }

  // ---------------------------------------------------------------- applying events
  private apply(ev: StraceEvent, input: InputState, mayBlock: boolean): number {
    this.model.beforeEvent(ev);
    const r = this.applyEvent(ev, input, mayBlock);
    if (r !== BLOCKED) this.model.afterEvent(ev);
    return r;
  }

  private applyEvent(ev: StraceEvent, input: InputState, mayBlock: boolean): number {
    switch (ev.kind) {
      case 'noise':
      case 'signal':
        return 0;
      case 'error':
        this.tally.skip(ev.file, ev.line, `unparseable: ${ev.reason}`);
        return 0;
      case 'start': {
        this.threads.threadOf(ev.tid, true);
        if (isCloneName(ev.name)) {
          const d = decodeCall(ev.name, ev.args);
          if (d.op === 'clone') this.threads.cloneStarted(ev.tid, d);
        }
        return 0;
      }
      case 'exit':
        this.threads.exitLine(ev);
        return 0;
      case 'fault': {
        const rec = this.threads.threadOf(ev.tid, true)!;
        this.model.pageFault?.(ev, rec);
        return 0;
      }
      case 'switch':
        this.model.schedSwitch?.(ev, this.threads.get(ev.tid), this.threads.get(ev.nextTid));
        return 0;
      case 'call':
        return this.call(ev, input, mayBlock);
    }
  }

  private call(ev: CallEvent, input: InputState, mayBlock: boolean): number {
    const res = ev.result;
    const rec = this.threads.threadOf(ev.tid, !res.unknown);
    if (!rec) return 0;
    this.model.syscall(ev, rec);
    if (this.countOnly && !THREAD_CALLS.has(ev.name)) return 0;
    const clonePending = isCloneName(ev.name) ? this.threads.takePendingClone(ev.tid) : undefined;
    let d: Decoded;
    if (ev.orphan) {
      // <... resumed> without its start: only calls whose effect needs no arguments can be replayed
      if (clonePending) d = clonePending.d;
      else if (NEEDS_ARGS.has(ev.name) || isCloneName(ev.name)) {
        this.tally.skip(ev.file, ev.line, `not replayed: <... ${ev.name} resumed> without its start (arguments unknown)`);
        return 0;
      } else d = decodeCall(ev.name, '');
    } else d = decodeCall(ev.name, ev.args);
    if (d.op === 'exit') {
      this.threads.exit(rec);
      return 0;
    }
    if (d.op === 'other') return 0;
    if (res.unknown) {
      this.tally.skip(ev.file, ev.line, `not replayed: ${ev.name} has no result (= ${res.raw})`);
      return 0;
    }
    if (res.errno !== undefined) return 0; // failed in the trace: counted, not applied
    switch (d.op) {
      case 'ignore':
        this.tally.skip(ev.file, ev.line, `ignored: ${d.reason}`);
        return 0;
      case 'bad':
        return this.malformed(ev, d.reason);
      case 'execve':
        this.threads.execve(rec, `${execName(ev.args) ?? 'exec'}[${rec.tgid}]`);
        return 0;
      case 'clone':
        this.threads.cloned(ev, rec, d, input);
        return 0;
      default: {
        const why = resultProblem(ev.name, d, res.value!, this.tracePage);
        if (why) return this.malformed(ev, why);
        return this.model.memoryCall(ev, rec, d, mayBlock);
      }
    }
  }

  /** A line that cannot be replayed as printed: skipped with its reason, or the error under strict. */
  private malformed(ev: CallEvent, reason: string): number {
    if (this.strict) throw new ReplayError(ev.file, ev.line, reason);
    this.tally.skip(ev.file, ev.line, `unparseable: ${reason}`);
    return 0;
  }
}
