/**
 * Parsing one line of what `strace -f -tt -e trace=memory,process -o FILE PROGRAM` writes.
 *
 * Accepted variants: with or without the pid column (`-f`; `[pid N]` as strace prints it to
 * stderr), with or without timestamps (`-t`, `-tt`, `-ttt`, `-r`), `-T` durations, `-i`
 * instruction pointers, `-y` fd paths, per-pid files of `-ff` (the pid then comes from the file
 * name, see {@link pidFromFileName}). `<unfinished ...>` / `<... NAME resumed>` lines are
 * recognised here and joined per thread by the StraceParser (strace-events.ts); `--- SIG... ---`,
 * `+++ exited with N +++` and strace's own messages are recognised. Nothing here knows about the
 * simulator. The scanning itself is strace-scan.ts's.
 */

import { CALL, closingParenIn, EMPTY_LINE, LineScan, NOISE, RESUMED, scanResult, SIGNAL_LINE, STATUS, UNFINISHED, type StraceResult } from './strace-scan.js';

export type { StraceResult } from './strace-scan.js';

/** One line, parsed on its own (before unfinished/resumed pairs are joined). */
export type ParsedLine =
  | { type: 'call'; pid?: number; ts?: number; name: string; args: string; result: StraceResult }
  | { type: 'unfinished'; pid?: number; ts?: number; name: string; args: string }
  | { type: 'resumed'; pid?: number; ts?: number; name: string; rest: string }
  | { type: 'exit'; pid?: number; ts?: number; how: 'exited' | 'killed' | 'superseded'; status?: number; signal?: string; newPid?: number }
  | { type: 'signal'; pid?: number; ts?: number; signal: string }
  | { type: 'noise'; pid?: number; ts?: number; reason: string }
  | { type: 'error'; pid?: number; ts?: number; reason: string };

const EXIT_RE = /^\+\+\+ (?:exited with (-?\d+)|killed by (\w+)(?: \(core dumped\))?|superseded by execve in pid (\d+)) \+\+\+\s*$/;
const SIGNAL_RE = /^--- (?:stopped by )?(SIG\w+)/;

/** Index of the `)` closing an argument list that starts at `from`, or -1. Strings and comments are skipped. */
export function closingParen(s: string, from: number): number {
  return closingParenIn(s, from, s.length);
}

/** Split an argument list at its top-level commas (strings, comments and brackets respected). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      i++;
      while (i < s.length && s.charCodeAt(i) !== 34) i += s.charCodeAt(i) === 92 ? 2 : 1;
    } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const e = s.indexOf('*/', i + 2);
      i = e < 0 ? s.length : e + 1;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== '' || out.length) out.push(last);
  return out;
}

/** Parse what follows `= `. */
export function parseResult(raw: string): StraceResult {
  return scanResult(raw, 0, raw.length);
}

const scanner = new LineScan();

/** The body of a complete call, `name(args) = result`. */
export function parseCallBody(body: string, name: string, pid: number | undefined, ts: number | undefined): ParsedLine {
  scanner.name = name;
  scanner.callBody(body, name.length + 1, body.length);
  if (scanner.kind !== CALL) return { type: 'error', pid, ts, reason: scanner.reason };
  return { type: 'call', pid, ts, name, args: scanner.args, result: scanner.result! };
}

/** Parse one line of strace output on its own. */
export function parseLine(text: string): ParsedLine {
  scanner.scan(text);
  return parsedOf(scanner);
}

/** The ParsedLine of the line `sc` scanned last. */
export function parsedOf(sc: LineScan): ParsedLine {
  const pid = Number.isNaN(sc.pid) ? undefined : sc.pid;
  const ts = sc.ts;
  switch (sc.kind) {
    case CALL:
      return { type: 'call', pid, ts, name: sc.name, args: sc.args, result: sc.result! };
    case UNFINISHED:
      return { type: 'unfinished', pid, ts, name: sc.name, args: sc.args };
    case RESUMED:
      return { type: 'resumed', pid, ts, name: sc.name, rest: sc.args };
    case STATUS:
      return statusLine(sc.body(), pid, ts);
    case SIGNAL_LINE: {
      const m = SIGNAL_RE.exec(sc.body());
      return m ? { type: 'signal', pid, ts, signal: m[1] } : { type: 'noise', pid, ts, reason: 'signal line' };
    }
    case NOISE:
      return sc.reason === EMPTY_LINE ? { type: 'noise', reason: EMPTY_LINE } : { type: 'noise', pid, ts, reason: sc.reason };
    default:
      return { type: 'error', pid, ts, reason: sc.reason };
  }
}

/** `+++ exited with N +++`, `+++ killed by SIG +++`, `+++ superseded by execve in pid N +++` (or another status line). */
function statusLine(body: string, pid: number | undefined, ts: number | undefined): ParsedLine {
  const m = EXIT_RE.exec(body);
  if (!m) return { type: 'noise', pid, ts, reason: 'status line' };
  if (m[1] !== undefined) return { type: 'exit', pid, ts, how: 'exited', status: Number(m[1]) };
  if (m[2] !== undefined) return { type: 'exit', pid, ts, how: 'killed', signal: m[2] };
  return { type: 'exit', pid, ts, how: 'superseded', newPid: Number(m[3]) };
}

/** The pid of a `-ff` output file `NAME.PID`, or undefined. */
export function pidFromFileName(name: string): number | undefined {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
