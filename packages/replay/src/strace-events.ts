/**
 * Event assembly: one event per strace line, `<unfinished ...>` / `<... resumed>` pairs joined
 * per thread.
 */
import { closingParen, type ParsedLine, parseCallBody, parsedOf, parseResult, type StraceResult } from './strace-line.js';
import { CALL, LineScan } from './strace-scan.js';
import { THREAD_CALL_NAMES } from './syscall-args.js';

/** The fields every event has. */
export interface EventBase {
  file: string;
  /** 1-based line number where the call (or event) started */
  line: number;
  /** thread id: the pid column, the -ff file's pid, or the input's synthetic id */
  tid: number;
  /** microseconds (time of day with -t/-tt), when the trace has timestamps */
  ts?: number;
  /** the CPU the event happened on (kernel recordings) */
  cpu?: number;
}

/** A complete system call: one line, or an unfinished line joined with its resumed line. */
export interface CallEvent extends EventBase {
  kind: 'call';
  /** line number of the resumed part (equal to `line` for a one-line call) */
  endLine: number;
  name: string;
  /** the argument list as printed (joined across unfinished/resumed) */
  args: string;
  result: StraceResult;
  /** `<... name resumed>` without its start: the arguments are unknown */
  orphan?: boolean;
}
/** The start of a call that another thread's line interrupted (`<unfinished ...>`). */
export interface StartEvent extends EventBase {
  kind: 'start';
  name: string;
  args: string;
}
/** `+++ exited with N +++`, `+++ killed by SIG +++`, `+++ superseded by execve in pid N +++` */
export interface ExitEvent extends EventBase {
  kind: 'exit';
  how: 'exited' | 'killed' | 'superseded';
  status?: number;
  signal?: string;
  newTid?: number;
}
export interface SignalEvent extends EventBase {
  kind: 'signal';
  signal: string;
}
/** A line with no effect (blank, strace's own messages) */
export interface NoiseEvent extends EventBase {
  kind: 'noise';
  reason: string;
}
/** A line that could not be parsed */
export interface ErrorEvent extends EventBase {
  kind: 'error';
  reason: string;
}
/** A page fault of thread `tid` (kernel recordings: exceptions:page_fault_user). */
export interface FaultEvent extends EventBase {
  kind: 'fault';
  addr: number;
  write: boolean;
  /** the PTE was present (a protection fault: copy-on-write, a read-only page written) */
  present: boolean;
  /** an instruction fetch */
  exec: boolean;
}
/** A context switch on `cpu` (kernel recordings: sched:sched_switch); `tid` is the task switched out. */
export interface SwitchEvent extends EventBase {
  kind: 'switch';
  cpu: number;
  /** R/R+: preempted (still runnable); anything else blocked or exiting */
  prevState: string;
  nextTid: number;
  nextComm: string;
}
export type StraceEvent = CallEvent | StartEvent | ExitEvent | SignalEvent | NoiseEvent | ErrorEvent | FaultEvent | SwitchEvent;

/** The text of a call for reports: `name(args) = result`, at most `max` characters. */
export function callText(e: { name: string; args: string; result?: StraceResult }, max = 120): string {
  const s = `${e.name}(${e.args})${e.result ? ' = ' + e.result.raw : ''}`;
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

const IDLE_REASON = 'not read: a call that changes no thread, while threads are counted';

/**
 * Parses one input line by line and joins `<unfinished ...>` / `<... resumed>` pairs per thread.
 * State is one pending start per live thread: memory is bounded by the number of threads.
 */
export class StraceParser {
  private readonly pending = new Map<number, { name: string; args: string; line: number; ts?: number }>();
  /** true once a line carried a pid column */
  sawPid = false;
  /** lines pushed so far */
  lines = 0;
  private readonly scan = new LineScan();
  /**
   * Set by the first pass (counting threads): true for a thread whose calls other than clone,
   * execve, exit... change nothing. Such a line is read up to its name only (a noise event).
   */
  idle: ((tid: number) => boolean) | undefined = undefined;

  /**
   * @param file name of the input (for reports)
   * @param defaultTid thread id of lines without a pid column (the -ff file's pid, or a synthetic id)
   */
  constructor(readonly file: string, readonly defaultTid: number) {}

  /**
   * Parse the next line (numbered from 1 by the parser). The events are built field by field,
   * not with object spreads: a conditional spread per line cost more than parsing the line.
   */
  push(text: string): StraceEvent {
    const n = ++this.lines;
    const sc = this.scan;
    const body = sc.head(text);
    const hasPid = !Number.isNaN(sc.pid);
    if (hasPid) this.sawPid = true;
    if (body) {
      const idle = this.idle;
      if (idle !== undefined && idle(hasPid ? sc.pid : this.defaultTid) && sc.callNotNamed(THREAD_CALL_NAMES)) {
        // one literal, not fields added to the base: most lines of the first pass are these
        const tid = hasPid ? sc.pid : this.defaultTid;
        const ts = sc.ts;
        return ts !== undefined ? { file: this.file, line: n, tid, ts, kind: 'noise', reason: IDLE_REASON } : { file: this.file, line: n, tid, kind: 'noise', reason: IDLE_REASON };
      }
      sc.rest();
    }
    if (sc.kind === CALL) {
      // the common line: its event straight from the scan, with no ParsedLine between
      const tid = hasPid ? sc.pid : this.defaultTid;
      const ts = sc.ts;
      return ts !== undefined
        ? { file: this.file, line: n, tid, ts, kind: 'call', endLine: n, name: sc.name, args: sc.args, result: sc.result! }
        : { file: this.file, line: n, tid, kind: 'call', endLine: n, name: sc.name, args: sc.args, result: sc.result! };
    }
    return this.event(n, parsedOf(sc));
  }

  /** The event of line `n` from its parsed form (every line but the common one-line call). */
  protected event(n: number, p: ParsedLine): StraceEvent {
    const tid = p.pid ?? this.defaultTid;
    switch (p.type) {
      case 'call': {
        return this.call(n, tid, p.ts, n, p.name, p.args, p.result);
      }
      case 'unfinished': {
        this.pending.set(tid, { name: p.name, args: p.args, line: n, ts: p.ts });
        const ev = this.base(n, tid, p.ts) as StartEvent;
        ev.kind = 'start';
        ev.name = p.name;
        ev.args = p.args;
        return ev;
      }
      case 'resumed': {
        const st = this.pending.get(tid);
        if (st && st.name === p.name) {
          this.pending.delete(tid);
          const joined = parseCallBody(`${p.name}(${st.args}${p.rest}`, p.name, tid, p.ts);
          if (joined.type !== 'call') return this.error(n, tid, p.ts, joined.type === 'error' ? joined.reason : 'bad resumed line');
          // the call's line and time are its start's (the resumed line's time when the start had none)
          return this.call(st.line, tid, st.ts ?? p.ts, n, p.name, joined.args, joined.result);
        }
        // the start is missing (trace cut, or the thread changed its id in execve)
        const rest = p.rest.replace(/^\s*<unfinished \.\.\.>/, '');
        const close = closingParen(rest, 0);
        const eq = close >= 0 ? /^\s*=\s*/.exec(rest.slice(close + 1)) : null;
        if (!eq) return this.error(n, tid, p.ts, `<... ${p.name} resumed> without its start and without a result`);
        const ev = this.base(n, tid, p.ts) as CallEvent;
        ev.kind = 'call';
        ev.endLine = n;
        ev.name = p.name;
        ev.args = '';
        ev.orphan = true;
        ev.result = parseResult(rest.slice(close + 1 + eq[0].length));
        return ev;
      }
      case 'exit': {
        if (p.how === 'superseded') {
          // the thread that called execve now has the id of the group leader
          const st = this.pending.get(tid);
          this.pending.delete(tid);
          if (st) this.pending.set(p.newPid!, st);
        } else this.pending.delete(tid);
        const ev = this.base(n, tid, p.ts) as ExitEvent;
        ev.kind = 'exit';
        ev.how = p.how;
        if (p.status !== undefined) ev.status = p.status;
        if (p.signal) ev.signal = p.signal;
        if (p.newPid !== undefined) ev.newTid = p.newPid;
        return ev;
      }
      case 'signal': {
        const ev = this.base(n, tid, p.ts) as SignalEvent;
        ev.kind = 'signal';
        ev.signal = p.signal;
        return ev;
      }
      case 'noise': {
        const ev = this.base(n, tid, p.ts) as NoiseEvent;
        ev.kind = 'noise';
        ev.reason = p.reason;
        return ev;
      }
      case 'error':
        return this.error(n, tid, p.ts, p.reason);
    }
  }

  /** The fields every event starts with (`ts` only when the line had a time). */
  private base(line: number, tid: number, ts: number | undefined): EventBase {
    return ts !== undefined ? { file: this.file, line, tid, ts } : { file: this.file, line, tid };
  }

  /** a whole call: from its line (or its start's) to `endLine` */
  private call(line: number, tid: number, ts: number | undefined, endLine: number, name: string, args: string, result: CallEvent['result']): CallEvent {
    const ev = this.base(line, tid, ts) as CallEvent;
    ev.kind = 'call';
    ev.endLine = endLine;
    ev.name = name;
    ev.args = args;
    ev.result = result;
    return ev;
  }

  private error(line: number, tid: number, ts: number | undefined, reason: string): ErrorEvent {
    const ev = this.base(line, tid, ts) as ErrorEvent;
    ev.kind = 'error';
    ev.reason = reason;
    return ev;
  }
}
