// The strace line parser as it was before the character-code scanner (strace-scan.ts): the
// reference the scanner must agree with exactly (parse-equivalence.test.ts). Not used by the replay.
// What the scanner did not replace (splitArgs, the types) is the replay's own.

import type { ParsedLine, StraceResult } from '../../src/strace-line.js';

// [pid N] | N, then a timestamp (HH:MM:SS[.frac] | seconds.frac), then -i's [ip]
const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+(?=\S))?(?:(\d{1,2}):(\d\d):(\d\d)(?:\.(\d+))?\s+|(\d+)\.(\d+)\s+)?(?:\[[0-9a-f?]{4,16}\]\s+)?/;
const EXIT_RE = /^\+\+\+ (?:exited with (-?\d+)|killed by (\w+)(?: \(core dumped\))?|superseded by execve in pid (\d+)) \+\+\+\s*$/;
const RESUMED_RE = /^<\.\.\. ([A-Za-z_][\w]*) resumed>(.*)$/;
const CALL_RE = /^([A-Za-z_][\w]*)\(/;
const UNFINISHED = ' <unfinished ...>';
const DURATION_RE = /\s+<\d+(?:\.\d+)?>\s*$/;
const RESULT_RE = /^(0x[0-9a-fA-F]+|-?\d+)(?:<[^>]*>)?(?:\s+(E[A-Z0-9]+)\b)?/;

/** Microseconds of a fraction's digits: its first six, padded with zeros (a loop: it runs for every line). */
function fracUs(f: string | undefined): number {
  if (!f) return 0;
  let us = 0;
  for (let k = 0; k < 6; k++) us = us * 10 + (k < f.length ? f.charCodeAt(k) - 48 : 0);
  return us;
}

/** Microseconds of a prefix timestamp (time of day for -t/-tt, seconds for -ttt/-r). */
function timestamp(m: RegExpExecArray): number | undefined {
  if (m[3] !== undefined) return ((Number(m[3]) * 60 + Number(m[4])) * 60 + Number(m[5])) * 1e6 + fracUs(m[6]);
  if (m[7] !== undefined) return Number(m[7]) * 1e6 + fracUs(m[8]);
  return undefined;
}

/** Index of the `)` closing an argument list that starts at `from`, or -1. Strings and comments are skipped. */
export function closingParen(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < s.length && s.charCodeAt(i) !== 34) i += s.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
    } else if (c === 47 /* / */ && s.charCodeAt(i + 1) === 42 /* * */) {
      const e = s.indexOf('*/', i + 2);
      if (e < 0) return -1;
      i = e + 1;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (depth === 0) return c === 41 ? i : -1;
      depth--;
    }
  }
  return -1;
}

/** Parse what follows `= `. */
export function parseResult(raw: string): StraceResult {
  // -T's duration ends the line with '>': the pattern is tried only then
  const r = (raw.trimEnd().endsWith('>') ? raw.replace(DURATION_RE, '') : raw).trim();
  if (r.startsWith('?')) return { value: null, unknown: true, raw: r };
  const m = RESULT_RE.exec(r);
  if (!m) return { value: null, unknown: true, raw: r };
  const value = Number(m[1]);
  return m[2] ? { value, errno: m[2], unknown: false, raw: r } : { value, unknown: false, raw: r };
}

/** The body of a complete call, `name(args) = result`. */
export function parseCallBody(body: string, name: string, pid: number | undefined, ts: number | undefined): ParsedLine {
  const open = name.length + 1;
  const close = closingParen(body, open);
  if (close < 0) return { type: 'error', pid, ts, reason: `${name}: no closing parenthesis` };
  // `\s*=\s*` after the arguments, scanned by hand (this runs for every call)
  const n = body.length;
  let i = close + 1;
  while (i < n && isSpace(body.charCodeAt(i))) i++;
  if (i === n || body.charCodeAt(i) !== 61 /* = */) return { type: 'error', pid, ts, reason: `${name}: no "= result" after the arguments` };
  i++;
  while (i < n && isSpace(body.charCodeAt(i))) i++;
  return { type: 'call', pid, ts, name, args: body.slice(open, close), result: parseResult(body.slice(i)) };
}

/** What `\s` matches in a regular expression (WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Parse one line of strace output on its own. */
export function parseLine(text: string): ParsedLine {
  let line = text.endsWith('\r') ? text.slice(0, -1) : text;
  line = line.trimStart();
  if (line === '') return { type: 'noise', reason: 'empty line' };
  const p = PREFIX.exec(line)!;
  const pid = p[1] !== undefined ? Number(p[1]) : p[2] !== undefined ? Number(p[2]) : undefined;
  const ts = timestamp(p);
  const body = line.slice(p[0].length).trimEnd();
  const c0 = body.charCodeAt(0);
  if (c0 === 43 /* + */ && body.startsWith('+++ ')) {
    const m = EXIT_RE.exec(body);
    if (!m) return { type: 'noise', pid, ts, reason: 'status line' };
    if (m[1] !== undefined) return { type: 'exit', pid, ts, how: 'exited', status: Number(m[1]) };
    if (m[2] !== undefined) return { type: 'exit', pid, ts, how: 'killed', signal: m[2] };
    return { type: 'exit', pid, ts, how: 'superseded', newPid: Number(m[3]) };
  }
  if (c0 === 45 /* - */ && body.startsWith('--- ')) {
    const m = /^--- (?:stopped by )?(SIG\w+)/.exec(body);
    return m ? { type: 'signal', pid, ts, signal: m[1] } : { type: 'noise', pid, ts, reason: 'signal line' };
  }
  if (c0 === 60 /* < */) {
    const m = RESUMED_RE.exec(body);
    if (m) return { type: 'resumed', pid, ts, name: m[1], rest: m[2] };
    return { type: 'error', pid, ts, reason: 'unrecognised "<..." line' };
  }
  const cm = CALL_RE.exec(body);
  if (cm) {
    if (body.endsWith(UNFINISHED)) return { type: 'unfinished', pid, ts, name: cm[1], args: body.slice(cm[0].length, body.length - UNFINISHED.length) };
    return parseCallBody(body, cm[1], pid, ts);
  }
  if (body.startsWith('strace: ') || body.startsWith('[ Process PID=') || body.startsWith('????') || body.startsWith('> ')) {
    return { type: 'noise', pid, ts, reason: 'strace message' };
  }
  return { type: 'error', pid, ts, reason: `unrecognised line "${body.slice(0, 40)}"` };
}
