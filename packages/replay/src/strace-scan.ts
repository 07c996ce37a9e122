/**
 * The character-code scanner behind parseLine and the StraceParser: one strace line read into
 * fields in place, by index, without a regular expression or a substring per token for the lines
 * that matter (calls). It reads exactly what the patterns in strace-line.ts describe (the prefix
 * `[pid N]` | `N`, `-t/-tt/-ttt/-r` times, `-i`'s `[ip]`; `name(args) = result`), bounded by the
 * end of the line; the rare lines (`+++ ... +++`, `--- SIG ---`) keep their patterns. This runs
 * for every line of every pass: a regular expression with captures cost more than the rest of
 * the line's replay on a simple backend.
 */

/** The return value of one system call as strace printed it. */
export interface StraceResult {
  /** the number (addresses are below 2^53 on every 64-bit ABI; larger values lose precision) */
  value: number | null;
  /** `E...` name when the call failed (`= -1 ENOMEM (Cannot allocate memory)`) */
  errno?: string;
  /** `= ?`: the call did not return (exit, exit_group, a thread killed inside the call) */
  unknown: boolean;
  /** the text after `= ` */
  raw: string;
}

/** What `\s` matches in a regular expression (WhiteSpace and LineTerminator); also what trim() removes. */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `\w` */
function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** [A-Za-z_] */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** the body s[b, e) ends with ` <unfinished ...>` (its last character first: most lines end with a result, not `>`) */
function endsUnfinished(s: string, b: number, e: number): boolean {
  return e - b >= UNFINISHED_LEN && s.charCodeAt(e - 1) === 62 /* > */ && s.startsWith(UNFINISHED_TEXT, e - UNFINISHED_LEN);
}

/** where the last readHex/readDec stopped */
export let numEnd = 0;

/** The hex digits from s[i] on (before e), as Number('0x...') reads them; numEnd: after the last. */
export function readHex(s: string, i: number, e: number): number {
  const from = i;
  let v = 0;
  for (; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) v = v * 16 + c - 48;
    else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) v = v * 16 + (c | 32) - 87;
    else break;
  }
  numEnd = i;
  // exact in a double up to 13 digits; longer ones rounded as Number() rounds
  return i - from > 13 ? Number(s.slice(from - 2, i)) : v;
}

/** The decimal digits from s[i] on (before e), as Number() reads them; numEnd: after the last (i: none). */
export function readDec(s: string, i: number, e: number): number {
  const from = i;
  let v = 0;
  for (; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + c - 48;
  }
  numEnd = i;
  return i - from > 15 ? Number(s.slice(from, i)) : v;
}

const PAD = [1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/** Microseconds of the fraction's digits from s[i] on (before e): its first six, padded with zeros; numEnd: after the last. */
function fraction(s: string, i: number, e: number): number {
  const from = i;
  let us = 0;
  for (; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (i - from < 6) us = us * 10 + c - 48;
  }
  numEnd = i;
  return us * PAD[Math.min(6, i - from)];
}

/** a run of plain characters (no string, bracket or `/`) up to a `)`: that `)` closes the list */
const PLAIN_TO_CLOSE = /[^"()[\]{}/]*\)/y;

/** Index of the `)` closing an argument list that starts at `from`, before `end`, or -1. Strings and comments are skipped. */
export function closingParenIn(s: string, from: number, end: number): number {
  // the common list holds nothing to skip: the first `)` closes it (found by the regexp engine,
  // not a loop over the characters here)
  PLAIN_TO_CLOSE.lastIndex = from;
  if (PLAIN_TO_CLOSE.test(s) && PLAIN_TO_CLOSE.lastIndex <= end) return PLAIN_TO_CLOSE.lastIndex - 1;
  let depth = 0;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < end && s.charCodeAt(i) !== 34) i += s.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
    } else if (c === 47 /* / */ && i + 1 < end && s.charCodeAt(i + 1) === 42 /* * */) {
      const e = s.indexOf('*/', i + 2);
      if (e < 0 || e + 2 > end) return -1;
      i = e + 1;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (depth === 0) return c === 41 ? i : -1;
      depth--;
    }
  }
  return -1;
}

const DURATION_RE = /\s+<\d+(?:\.\d+)?>\s*$/;

/** The result `s[from, to)` is (what follows `= `): -T's duration dropped, trimmed, then read. */
export function scanResult(s: string, from: number, to: number): StraceResult {
  let e = to;
  while (e > from && isSpace(s.charCodeAt(e - 1))) e--;
  if (e > from && s.charCodeAt(e - 1) === 62 /* > */) {
    // -T's duration (or -y's <path> after the number): the pattern is tried only then
    const r = s.slice(from, to).replace(DURATION_RE, '').trim();
    return resultOf(r, 0, r.length);
  }
  let b = from;
  while (b < e && isSpace(s.charCodeAt(b))) b++;
  return resultOf(s, b, e);
}

/**
 * A trimmed result s[b, e): `?`, or what /^(0x[0-9a-fA-F]+|-?\d+)(?:<[^>]*>)?(?:\s+(E[A-Z0-9]+)\b)?/
 * reads (the number, -y's <path>, the errno name).
 */
function resultOf(s: string, b: number, e: number): StraceResult {
  const raw = b === 0 && e === s.length ? s : s.slice(b, e);
  if (b === e || s.charCodeAt(b) === 63 /* ? */) return { value: null, unknown: true, raw };
  let i = b;
  let value = 0;
  // hex when a hex digit follows `0x` (else the decimal 0)
  const hex = i + 2 < e && s.charCodeAt(i) === 48 && s.charCodeAt(i + 1) === 120; /* x */
  if (hex) value = readHex(s, i + 2, e);
  if (hex && numEnd > i + 2) i = numEnd;
  else {
    const neg = s.charCodeAt(i) === 45; /* - */
    if (neg) i++;
    const v = readDec(s, i, e);
    if (numEnd === i) return { value: null, unknown: true, raw };
    i = numEnd;
    value = neg ? -v : v;
  }
  if (i < e && s.charCodeAt(i) === 60 /* < */) {
    const gt = s.indexOf('>', i + 1);
    if (gt >= 0 && gt < e) i = gt + 1;
  }
  if (i < e && isSpace(s.charCodeAt(i))) {
    let k = i + 1;
    while (k < e && isSpace(s.charCodeAt(k))) k++;
    if (k < e && s.charCodeAt(k) === 69 /* E */) {
      let m = k + 1;
      for (let c = s.charCodeAt(m); m < e && ((c >= 65 && c <= 90) || isDigit(c)); c = s.charCodeAt(++m));
      if (m > k + 1 && (m === e || !isWord(s.charCodeAt(m)))) return { value, errno: s.slice(k, m), unknown: false, raw };
    }
  }
  return { value, unknown: false, raw };
}

// what a scanned line is
export const CALL = 0;
export const UNFINISHED = 1;
export const RESUMED = 2;
/** `+++ ... +++`: the body is read with its pattern */
export const STATUS = 3;
/** `--- ... ---` */
export const SIGNAL_LINE = 4;
export const NOISE = 5;
export const ERROR = 6;
/** the reason of a blank line (a NOISE line with no prefix) */
export const EMPTY_LINE = 'empty line';

/**
 * The system call names the replay looks at (and a few common others), each found by a number
 * made of its length and two characters: a line's name is then this string, not a new one per
 * line, and comparing or looking it up costs a pointer comparison.
 */
const NAMES = new Map<number, string[]>();
for (const name of [
  'mmap', 'mmap2', 'old_mmap', 'munmap', 'mprotect', 'pkey_mprotect', 'madvise', 'mremap', 'brk', 'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group',
  'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'msync', 'mincore', 'mbind', 'set_mempolicy', 'get_mempolicy', 'shmat', 'shmdt', 'process_madvise', 'mseal',
  'wait4', 'waitid', 'futex', 'kill', 'tgkill', 'rt_sigprocmask', 'rt_sigaction', 'rt_sigreturn', 'set_robust_list', 'rseq', 'set_tid_address', 'prctl', 'arch_prctl',
]) {
  const k = nameKey(name, 0, name.length);
  NAMES.set(k, [...(NAMES.get(k) ?? []), name]);
}

function nameKey(s: string, b: number, e: number): number {
  return (e - b) | (s.charCodeAt(b) << 6) | (s.charCodeAt(e - 1) << 14);
}

/** s[b, e) as a string: one of NAMES when it is one */
function nameAt(s: string, b: number, e: number): string {
  const list = NAMES.get(nameKey(s, b, e));
  if (list !== undefined) for (const n of list) if (n.length === e - b && s.startsWith(n, b)) return n;
  return s.slice(b, e);
}

const UNFINISHED_TEXT = ' <unfinished ...>';
const UNFINISHED_LEN = UNFINISHED_TEXT.length;

/**
 * One line scanned: `kind`, the prefix's pid and time, and the fields of its kind. One instance
 * is reused line after line (the fields are overwritten).
 */
export class LineScan {
  kind = NOISE;
  /** the pid column (NaN: none) */
  pid = NaN;
  ts: number | undefined = undefined;
  /** the line's text and its body, text[bodyStart, bodyEnd): after the prefix, trimmed */
  text = '';
  bodyStart = 0;
  bodyEnd = 0;
  /** CALL, UNFINISHED, RESUMED: the call's name */
  name = '';
  /** CALL, UNFINISHED: the argument list; RESUMED: what follows `resumed>` */
  args = '';
  /** CALL */
  result: StraceResult | null = null;
  /** NOISE, ERROR */
  reason = '';

  body(): string {
    return this.text.slice(this.bodyStart, this.bodyEnd);
  }

  /** Scan one line of strace output. */
  scan(text: string): void {
    if (this.head(text)) this.bodyKind(text, this.bodyStart, this.bodyEnd);
  }

  /** Scan the prefix (pid, time) and find the body; false for a blank line (then scanned whole). */
  head(text: string): boolean {
    this.text = text;
    this.pid = NaN;
    this.ts = undefined;
    let n = text.length;
    if (n > 0 && text.charCodeAt(n - 1) === 13) n--;
    let p = 0;
    while (p < n && isSpace(text.charCodeAt(p))) p++;
    if (p === n) {
      this.kind = NOISE;
      this.reason = EMPTY_LINE;
      return false;
    }
    p = this.prefix(text, p, n);
    let e = n;
    while (e > p && isSpace(text.charCodeAt(e - 1))) e--;
    this.bodyStart = p;
    this.bodyEnd = e;
    return true;
  }

  /**
   * After {@link head}: the body is a complete call (`name(`, not `<unfinished ...>`) whose name
   * is none of `names`. Then scan() would make it a call or an error, whatever the rest says.
   */
  callNotNamed(names: readonly string[]): boolean {
    const s = this.text;
    const b = this.bodyStart;
    const e = this.bodyEnd;
    if (b >= e || !isIdentStart(s.charCodeAt(b))) return false;
    let k = b + 1;
    while (k < e && isWord(s.charCodeAt(k))) k++;
    if (k === e || s.charCodeAt(k) !== 40 /* ( */) return false;
    if (endsUnfinished(s, b, e)) return false;
    for (const name of names) if (name.length === k - b && s.startsWith(name, b)) return false;
    return true;
  }

  /** After {@link head}: what the body is. */
  rest(): void {
    this.bodyKind(this.text, this.bodyStart, this.bodyEnd);
  }

  /** The prefix at p: `[pid N] ` or `N `, then a time, then -i's `[ip] `; returns where the body starts. */
  private prefix(s: string, p: number, n: number): number {
    // [pid N] (strace -f to stderr) | N (-f -o FILE): then whitespace, and something after it
    if (s.charCodeAt(p) === 91 /* [ */) {
      if (s.startsWith('[pid', p) && p + 4 < n && isSpace(s.charCodeAt(p + 4))) {
        let j = p + 5;
        while (j < n && isSpace(s.charCodeAt(j))) j++;
        const d0 = j;
        const v = readDec(s, j, n);
        j = numEnd;
        if (j > d0 && j + 1 < n && s.charCodeAt(j) === 93 /* ] */ && isSpace(s.charCodeAt(j + 1))) {
          this.pid = v;
          j += 2;
          while (j < n && isSpace(s.charCodeAt(j))) j++;
          p = j;
        }
      }
    } else if (isDigit(s.charCodeAt(p))) {
      const v = readDec(s, p, n);
      const j = numEnd;
      if (j < n && isSpace(s.charCodeAt(j))) {
        let k = j + 1;
        while (k < n && isSpace(s.charCodeAt(k))) k++;
        if (k < n) {
          this.pid = v;
          p = k;
        }
      }
    }
    p = this.time(s, p, n);
    // -i: [0-9a-f?]{4,16} in brackets, then whitespace
    if (p < n && s.charCodeAt(p) === 91) {
      let j = p + 1;
      for (let c = s.charCodeAt(j); j < n && (isDigit(c) || (c >= 97 && c <= 102) || c === 63); c = s.charCodeAt(++j));
      const len = j - p - 1;
      if (len >= 4 && len <= 16 && j + 1 < n && s.charCodeAt(j) === 93 && isSpace(s.charCodeAt(j + 1))) {
        j += 2;
        while (j < n && isSpace(s.charCodeAt(j))) j++;
        p = j;
      }
    }
    return p;
  }

  /** HH:MM:SS[.frac] (time of day, -t/-tt) or seconds.frac (-ttt, -r), then whitespace: ts in microseconds. */
  private time(s: string, p: number, n: number): number {
    if (p >= n || !isDigit(s.charCodeAt(p))) return p;
    const whole = readDec(s, p, n);
    const j = numEnd;
    if (j - p <= 2 && j + 5 < n && s.charCodeAt(j) === 58 /* : */ && isDigit(s.charCodeAt(j + 1)) && isDigit(s.charCodeAt(j + 2)) &&
        s.charCodeAt(j + 3) === 58 && isDigit(s.charCodeAt(j + 4)) && isDigit(s.charCodeAt(j + 5))) {
      let k = j + 6;
      let us = 0;
      if (k < n && s.charCodeAt(k) === 46 /* . */) {
        us = fraction(s, k + 1, n);
        // a fraction not followed by whitespace: no time of day here
        if (numEnd > k + 1) k = numEnd;
      }
      if (k < n && isSpace(s.charCodeAt(k))) {
        const mm = (s.charCodeAt(j + 1) - 48) * 10 + s.charCodeAt(j + 2) - 48;
        const ss = (s.charCodeAt(j + 4) - 48) * 10 + s.charCodeAt(j + 5) - 48;
        this.ts = ((whole * 60 + mm) * 60 + ss) * 1e6 + us;
        return skipSpaces(s, k + 1, n);
      }
    }
    // seconds.frac
    if (j < n && s.charCodeAt(j) === 46) {
      const us = fraction(s, j + 1, n);
      const k = numEnd;
      if (k > j + 1 && k < n && isSpace(s.charCodeAt(k))) {
        this.ts = whole * 1e6 + us;
        return skipSpaces(s, k + 1, n);
      }
    }
    return p;
  }

  /** What the body s[b, e) is. */
  private bodyKind(s: string, b: number, e: number): void {
    const c0 = b < e ? s.charCodeAt(b) : -1;
    if (c0 === 43 /* + */ && startsAt(s, '+++ ', b, e)) {
      this.kind = STATUS;
      return;
    }
    if (c0 === 45 /* - */ && startsAt(s, '--- ', b, e)) {
      this.kind = SIGNAL_LINE;
      return;
    }
    if (c0 === 60 /* < */) {
      this.resumed(s, b, e);
      return;
    }
    if (isIdentStart(c0)) {
      let k = b + 1;
      while (k < e && isWord(s.charCodeAt(k))) k++;
      if (k < e && s.charCodeAt(k) === 40 /* ( */) {
        this.name = nameAt(s, b, k);
        if (endsUnfinished(s, b, e)) {
          this.kind = UNFINISHED;
          this.args = s.slice(k + 1, e - UNFINISHED_LEN);
          return;
        }
        this.callBody(s, k + 1, e);
        return;
      }
    }
    if (startsAt(s, 'strace: ', b, e) || startsAt(s, '[ Process PID=', b, e) || startsAt(s, '????', b, e) || startsAt(s, '> ', b, e)) {
      this.kind = NOISE;
      this.reason = 'strace message';
      return;
    }
    this.kind = ERROR;
    this.reason = `unrecognised line "${s.slice(b, Math.min(e, b + 40))}"`;
  }

  /** `<... NAME resumed>REST` (what /^<\.\.\. ([A-Za-z_]\w*) resumed>(.*)$/ reads: REST holds no line terminator). */
  private resumed(s: string, b: number, e: number): void {
    const n0 = b + 5;
    if (startsAt(s, '<... ', b, e) && n0 < e && isIdentStart(s.charCodeAt(n0))) {
      let k = n0 + 1;
      while (k < e && isWord(s.charCodeAt(k))) k++;
      if (startsAt(s, ' resumed>', k, e)) {
        const r = k + 9;
        let i = r;
        for (let c = s.charCodeAt(i); i < e && c !== 10 && c !== 13 && c !== 0x2028 && c !== 0x2029; c = s.charCodeAt(++i));
        if (i === e) {
          this.kind = RESUMED;
          this.name = nameAt(s, n0, k);
          this.args = s.slice(r, e);
          return;
        }
      }
    }
    this.kind = ERROR;
    this.reason = 'unrecognised "<..." line';
  }

  /** The rest of a complete call after `name(`: the arguments to s[open, close), then `\s*=\s*`, then the result up to e. */
  callBody(s: string, open: number, e: number): void {
    const close = closingParenIn(s, open, e);
    if (close < 0) {
      this.kind = ERROR;
      this.reason = `${this.name}: no closing parenthesis`;
      return;
    }
    let i = skipSpaces(s, close + 1, e);
    if (i === e || s.charCodeAt(i) !== 61 /* = */) {
      this.kind = ERROR;
      this.reason = `${this.name}: no "= result" after the arguments`;
      return;
    }
    i = skipSpaces(s, i + 1, e);
    this.kind = CALL;
    this.args = s.slice(open, close);
    this.result = scanResult(s, i, e);
  }
}

function skipSpaces(s: string, i: number, e: number): number {
  while (i < e && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** s[b, e) starts with `t` */
function startsAt(s: string, t: string, b: number, e: number): boolean {
  return e - b >= t.length && s.startsWith(t, b);
}
