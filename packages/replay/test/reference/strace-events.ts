// The StraceParser as it was before it read the scanner's fields directly (strace-events.ts): the
// reference it must agree with exactly (parse-equivalence.test.ts). Not used by the replay. The
// event types are the replay's own.
import type { CallEvent, ErrorEvent, EventBase, ExitEvent, NoiseEvent, SignalEvent, StartEvent, StraceEvent } from '../../src/strace-events.js';
import { closingParen, parseCallBody, parseLine, parseResult } from './strace-line.js';

/**
 * Parses one input line by line and joins `<unfinished ...>` / `<... resumed>` pairs per thread.
 * State is one pending start per live thread: memory is bounded by the number of threads.
 */
export class ReferenceParser {
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

  /**
   * Parse the next line (numbered from 1 by the parser). The events are built field by field,
   * not with object spreads: a conditional spread per line cost more than parsing the line.
   */
  push(text: string): StraceEvent {
    const n = ++this.lines;
    const p = parseLine(text);
    if (p.pid !== undefined) this.sawPid = true;
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
