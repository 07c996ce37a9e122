/**
 * Event assembly: one event per strace line, `<unfinished ...>` / `<... resumed>` pairs joined
 * per thread.
 */
import { closingParen, parseCallBody, parseLine, parseResult, type StraceResult } from './strace-line.js';

interface EventBase {
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

  /**
   * @param file name of the input (for reports)
   * @param defaultTid thread id of lines without a pid column (the -ff file's pid, or a synthetic id)
   */
  constructor(readonly file: string, readonly defaultTid: number) {}

  /** Parse the next line (numbered from 1 by the parser). */
  push(text: string): StraceEvent {
    const n = ++this.lines;
    const p = parseLine(text);
    if (p.pid !== undefined) this.sawPid = true;
    const tid = p.pid ?? this.defaultTid;
    const base = { file: this.file, line: n, tid, ...(p.ts !== undefined ? { ts: p.ts } : {}) };
    switch (p.type) {
      case 'call':
        return { ...base, kind: 'call', endLine: n, name: p.name, args: p.args, result: p.result };
      case 'unfinished':
        this.pending.set(tid, { name: p.name, args: p.args, line: n, ts: p.ts });
        return { ...base, kind: 'start', name: p.name, args: p.args };
      case 'resumed': {
        const st = this.pending.get(tid);
        if (st && st.name === p.name) {
          this.pending.delete(tid);
          const joined = parseCallBody(`${p.name}(${st.args}${p.rest}`, p.name, tid, p.ts);
          if (joined.type !== 'call') return { ...base, kind: 'error', reason: joined.type === 'error' ? joined.reason : 'bad resumed line' };
          return { ...base, line: st.line, ...(st.ts !== undefined ? { ts: st.ts } : {}), kind: 'call', endLine: n, name: p.name, args: joined.args, result: joined.result };
        }
        // the start is missing (trace cut, or the thread changed its id in execve)
        const rest = p.rest.replace(/^\s*<unfinished \.\.\.>/, '');
        const close = closingParen(rest, 0);
        const eq = close >= 0 ? /^\s*=\s*/.exec(rest.slice(close + 1)) : null;
        if (!eq) return { ...base, kind: 'error', reason: `<... ${p.name} resumed> without its start and without a result` };
        return { ...base, kind: 'call', endLine: n, name: p.name, args: '', orphan: true, result: parseResult(rest.slice(close + 1 + eq[0].length)) };
      }
      case 'exit':
        if (p.how === 'superseded') {
          // the thread that called execve now has the id of the group leader
          const st = this.pending.get(tid);
          this.pending.delete(tid);
          if (st) this.pending.set(p.newPid!, st);
        } else this.pending.delete(tid);
        return { ...base, kind: 'exit', how: p.how, ...(p.status !== undefined ? { status: p.status } : {}), ...(p.signal ? { signal: p.signal } : {}), ...(p.newPid !== undefined ? { newTid: p.newPid } : {}) };
      case 'signal':
        return { ...base, kind: 'signal', signal: p.signal };
      case 'noise':
        return { ...base, kind: 'noise', reason: p.reason };
      case 'error':
        return { ...base, kind: 'error', reason: p.reason };
    }
  }
}
