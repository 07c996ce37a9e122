/**
 * A line parser for what `strace -f -tt -e trace=memory,process -o FILE PROGRAM` writes.
 *
 * Accepted variants: with or without the pid column (`-f`; `[pid N]` as strace prints it to
 * stderr), with or without timestamps (`-t`, `-tt`, `-ttt`, `-r`), `-T` durations, `-i`
 * instruction pointers, `-y` fd paths, per-pid files of `-ff` (the pid then comes from the file
 * name, see {@link pidFromFileName}). `<unfinished ...>` / `<... NAME resumed>` pairs are joined
 * per thread by {@link StraceParser}; `--- SIG... ---`, `+++ exited with N +++` and strace's own
 * messages are recognised. Nothing here knows about the simulator.
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

/** One line, parsed on its own (before unfinished/resumed pairs are joined). */
export type ParsedLine =
  | { type: 'call'; pid?: number; ts?: number; name: string; args: string; result: StraceResult }
  | { type: 'unfinished'; pid?: number; ts?: number; name: string; args: string }
  | { type: 'resumed'; pid?: number; ts?: number; name: string; rest: string }
  | { type: 'exit'; pid?: number; ts?: number; how: 'exited' | 'killed' | 'superseded'; status?: number; signal?: string; newPid?: number }
  | { type: 'signal'; pid?: number; ts?: number; signal: string }
  | { type: 'noise'; pid?: number; ts?: number; reason: string }
  | { type: 'error'; pid?: number; ts?: number; reason: string };

// [pid N] | N, then a timestamp (HH:MM:SS[.frac] | seconds.frac), then -i's [ip]
const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+(?=\S))?(?:(\d{1,2}):(\d\d):(\d\d)(?:\.(\d+))?\s+|(\d+)\.(\d+)\s+)?(?:\[[0-9a-f?]{4,16}\]\s+)?/;
const EXIT_RE = /^\+\+\+ (?:exited with (-?\d+)|killed by (\w+)(?: \(core dumped\))?|superseded by execve in pid (\d+)) \+\+\+\s*$/;
const RESUMED_RE = /^<\.\.\. ([A-Za-z_][\w]*) resumed>(.*)$/;
const CALL_RE = /^([A-Za-z_][\w]*)\(/;
const UNFINISHED = ' <unfinished ...>';
const DURATION_RE = /\s+<\d+(?:\.\d+)?>\s*$/;
const RESULT_RE = /^(0x[0-9a-fA-F]+|-?\d+)(?:<[^>]*>)?(?:\s+(E[A-Z0-9]+)\b)?/;

function fracUs(f: string | undefined): number {
  if (!f) return 0;
  return Number((f + '000000').slice(0, 6));
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
  const r = raw.replace(DURATION_RE, '').trim();
  if (r.startsWith('?')) return { value: null, unknown: true, raw: r };
  const m = RESULT_RE.exec(r);
  if (!m) return { value: null, unknown: true, raw: r };
  const value = Number(m[1]);
  return m[2] ? { value, errno: m[2], unknown: false, raw: r } : { value, unknown: false, raw: r };
}

/** The body of a complete call, `name(args) = result`. */
function parseCallBody(body: string, name: string, pid: number | undefined, ts: number | undefined): ParsedLine {
  const open = name.length + 1;
  const close = closingParen(body, open);
  if (close < 0) return { type: 'error', pid, ts, reason: `${name}: no closing parenthesis` };
  const after = body.slice(close + 1);
  const eq = /^\s*=\s*/.exec(after);
  if (!eq) return { type: 'error', pid, ts, reason: `${name}: no "= result" after the arguments` };
  return { type: 'call', pid, ts, name, args: body.slice(open, close), result: parseResult(after.slice(eq[0].length)) };
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

/** The pid of a `-ff` output file `NAME.PID`, or undefined. */
export function pidFromFileName(name: string): number | undefined {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

// ------------------------------------------------------------------------------------------
// events: one per line, unfinished/resumed pairs joined

interface EventBase {
  file: string;
  /** 1-based line number where the call (or event) started */
  line: number;
  /** thread id: the pid column, the -ff file's pid, or the input's synthetic id */
  tid: number;
  /** microseconds (time of day with -t/-tt), when the trace has timestamps */
  ts?: number;
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
export type StraceEvent = CallEvent | StartEvent | ExitEvent | SignalEvent | NoiseEvent | ErrorEvent;

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

// ------------------------------------------------------------------------------------------
// decoding the memory and process system calls

export interface ProtBits {
  read: boolean;
  write: boolean;
  exec: boolean;
}

export type MadviseKind = 'dontneed' | 'dontneed_locked' | 'free';

/** What a system call does to memory, decoded from its arguments. */
export type Decoded =
  | { op: 'mmap'; addr: number; length: number; prot: ProtBits; shared: boolean; anonymous: boolean; fixed: boolean; noReplace: boolean; hugetlb: boolean; hugeSize?: number; populate: boolean; locked: boolean; fd: number; offset: number }
  | { op: 'munmap'; addr: number; length: number }
  | { op: 'mprotect'; addr: number; length: number; prot: ProtBits }
  | { op: 'madvise'; addr: number; length: number; advice: MadviseKind | null; adviceName: string }
  | { op: 'mremap'; addr: number; oldLength: number; newLength: number; mayMove: boolean; fixed: boolean; dontUnmap: boolean; newAddr?: number }
  | { op: 'brk'; addr: number }
  | { op: 'clone'; vm: boolean; thread: boolean; vfork: boolean }
  | { op: 'execve' }
  | { op: 'exit'; group: boolean }
  /** a memory system call whose effect is not modelled (the reason says why) */
  | { op: 'ignore'; reason: string }
  /** a system call with no effect on memory (wait4, kill...) */
  | { op: 'other' }
  /** arguments that could not be decoded */
  | { op: 'bad'; reason: string };

/** Memory-class calls that tlbsim does not replay, with the reason. */
const IGNORED: Record<string, string> = {
  mlock: 'populates and pins pages; no TLB flush',
  mlock2: 'populates and pins pages; no TLB flush',
  munlock: 'unpins pages; no TLB flush',
  mlockall: 'populates and pins pages; no TLB flush',
  munlockall: 'unpins pages; no TLB flush',
  msync: 'writes back file pages; no TLB flush modelled',
  mincore: 'reads residency only',
  mbind: 'NUMA policy; no migration modelled',
  set_mempolicy: 'NUMA policy only',
  get_mempolicy: 'reads policy only',
  set_mempolicy_home_node: 'NUMA policy only',
  migrate_pages: 'page migration is not modelled',
  move_pages: 'page migration is not modelled',
  remap_file_pages: 'deprecated nonlinear mappings are not modelled',
  shmat: 'System V segment size is not in the trace',
  shmdt: 'System V segment size is not in the trace',
  process_madvise: 'advice on another process is not modelled',
  process_mrelease: 'reaping another process is not modelled',
  map_shadow_stack: 'shadow stacks are not modelled',
  mseal: 'sealing changes no translation',
  memfd_secret: 'secret memory is not modelled',
  pkey_alloc: 'protection keys change no translation',
  pkey_free: 'protection keys change no translation',
};

const CLONE_NAMES = new Set(['clone', 'clone3', 'fork', 'vfork']);
/** clone, clone3, fork, vfork */
export function isCloneName(name: string): boolean {
  return CLONE_NAMES.has(name);
}

/** A number as strace prints it: NULL, decimal, 0x hex, optionally followed by -y's <path>. */
export function parseNum(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim();
  if (t === 'NULL') return 0;
  const m = /^(-?)(0x[0-9a-fA-F]+|\d+)/.exec(t);
  if (!m) return NaN;
  const v = Number(m[2]);
  return m[1] ? -v : v;
}

function flagSet(s: string | undefined): Set<string> {
  return new Set((s ?? '').split('|').map((x) => x.trim()).filter(Boolean));
}

/** PROT_* as strace prints them (a hex residue counts by its bits). */
export function parseProt(s: string): ProtBits | null {
  const r = { read: false, write: false, exec: false };
  for (const f of flagSet(s)) {
    if (f === 'PROT_READ') r.read = true;
    else if (f === 'PROT_WRITE') r.write = true;
    else if (f === 'PROT_EXEC') r.exec = true;
    else if (f === 'PROT_NONE' || f.startsWith('PROT_')) continue;
    else {
      const n = parseNum(f);
      if (Number.isNaN(n)) return null;
      if (n & 1) r.read = true;
      if (n & 2) r.write = true;
      if (n & 4) r.exec = true;
    }
  }
  return r;
}

const MADVICE: Record<string, MadviseKind> = { MADV_DONTNEED: 'dontneed', MADV_DONTNEED_LOCKED: 'dontneed_locked', MADV_FREE: 'free' };
const MADV_WHY: Record<string, string> = {
  MADV_DONTFORK: 'changes VMA flags only',
  MADV_DOFORK: 'changes VMA flags only',
  MADV_DONTDUMP: 'changes VMA flags only',
  MADV_DODUMP: 'changes VMA flags only',
  MADV_HUGEPAGE: 'changes VMA flags only (THP is not modelled by replay)',
  MADV_NOHUGEPAGE: 'changes VMA flags only',
  MADV_MERGEABLE: 'KSM is not modelled',
  MADV_UNMERGEABLE: 'KSM is not modelled',
  MADV_WILLNEED: 'readahead only',
  MADV_NORMAL: 'readahead hint only',
  MADV_RANDOM: 'readahead hint only',
  MADV_SEQUENTIAL: 'readahead hint only',
  MADV_WIPEONFORK: 'changes VMA flags only',
  MADV_KEEPONFORK: 'changes VMA flags only',
  MADV_COLD: 'page aging is not modelled',
  MADV_PAGEOUT: 'reclaim from madvise is not modelled',
  MADV_POPULATE_READ: 'populates pages; no TLB flush',
  MADV_POPULATE_WRITE: 'populates pages; no TLB flush',
  MADV_REMOVE: 'hole punching in shared files is not modelled',
  MADV_COLLAPSE: 'THP collapse is not modelled',
  MADV_HWPOISON: 'memory failure is not modelled',
  MADV_SOFT_OFFLINE: 'memory failure is not modelled',
  MADV_GUARD_INSTALL: 'guard regions are not modelled',
  MADV_GUARD_REMOVE: 'guard regions are not modelled',
};

const HUGE_SIZES: Record<string, number> = {
  MAP_HUGE_64KB: 2 ** 16, MAP_HUGE_512KB: 2 ** 19, MAP_HUGE_1MB: 2 ** 20, MAP_HUGE_2MB: 2 ** 21, MAP_HUGE_8MB: 2 ** 23,
  MAP_HUGE_16MB: 2 ** 24, MAP_HUGE_32MB: 2 ** 25, MAP_HUGE_256MB: 2 ** 28, MAP_HUGE_512MB: 2 ** 29, MAP_HUGE_1GB: 2 ** 30,
  MAP_HUGE_2GB: 2 ** 31, MAP_HUGE_16GB: 2 ** 34,
};

function num(args: string[], i: number, what: string, name: string): number | string {
  const v = parseNum(args[i]);
  return Number.isNaN(v) ? `${name}: cannot read ${what} "${args[i] ?? ''}"` : v;
}

/**
 * Decode a memory or process system call from its printed arguments. Works on the partial
 * argument list of an `<unfinished ...>` start too (everything these calls print on entry).
 */
export function decodeCall(name: string, argsText: string): Decoded {
  const sys = name === 'mmap2' || name === 'old_mmap' ? 'mmap' : name === 'pkey_mprotect' ? 'mprotect' : name;
  switch (sys) {
    case 'mmap': {
      const a = splitArgs(argsText);
      if (a.length < 6) return { op: 'bad', reason: `${name}: expected 6 arguments, got ${a.length}` };
      const addr = num(a, 0, 'the address', name);
      const length = num(a, 1, 'the length', name);
      const fd = num(a, 4, 'the fd', name);
      let offset = num(a, 5, 'the offset', name);
      for (const v of [addr, length, fd, offset]) if (typeof v === 'string') return { op: 'bad', reason: v };
      if (name === 'mmap2') offset = (offset as number) * 4096;
      const prot = parseProt(a[2]);
      if (!prot) return { op: 'bad', reason: `${name}: cannot read the protection "${a[2]}"` };
      const fl = flagSet(a[3]);
      let hugeSize: number | undefined;
      for (const f of fl) if (HUGE_SIZES[f]) hugeSize = HUGE_SIZES[f];
      return {
        op: 'mmap', addr: addr as number, length: length as number, prot,
        shared: fl.has('MAP_SHARED') || fl.has('MAP_SHARED_VALIDATE'),
        anonymous: fl.has('MAP_ANONYMOUS') || fl.has('MAP_ANON'),
        fixed: fl.has('MAP_FIXED') || fl.has('MAP_FIXED_NOREPLACE'), noReplace: fl.has('MAP_FIXED_NOREPLACE'),
        hugetlb: fl.has('MAP_HUGETLB'), ...(hugeSize ? { hugeSize } : {}),
        populate: fl.has('MAP_POPULATE') || fl.has('MAP_LOCKED'), locked: fl.has('MAP_LOCKED'),
        fd: fd as number, offset: offset as number,
      };
    }
    case 'munmap': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the address', name);
      const length = num(a, 1, 'the length', name);
      if (typeof addr === 'string') return { op: 'bad', reason: addr };
      if (typeof length === 'string') return { op: 'bad', reason: length };
      return { op: 'munmap', addr, length };
    }
    case 'mprotect': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the address', name);
      const length = num(a, 1, 'the length', name);
      if (typeof addr === 'string') return { op: 'bad', reason: addr };
      if (typeof length === 'string') return { op: 'bad', reason: length };
      const prot = a[2] !== undefined ? parseProt(a[2]) : null;
      if (!prot) return { op: 'bad', reason: `${name}: cannot read the protection "${a[2] ?? ''}"` };
      return { op: 'mprotect', addr, length, prot };
    }
    case 'madvise': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the address', name);
      const length = num(a, 1, 'the length', name);
      if (typeof addr === 'string') return { op: 'bad', reason: addr };
      if (typeof length === 'string') return { op: 'bad', reason: length };
      const adviceName = (a[2] ?? '').replace(/\s*\/\*.*\*\/\s*$/, '').trim();
      return { op: 'madvise', addr, length, advice: MADVICE[adviceName] ?? null, adviceName };
    }
    case 'mremap': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the old address', name);
      const oldLength = num(a, 1, 'the old length', name);
      const newLength = num(a, 2, 'the new length', name);
      for (const v of [addr, oldLength, newLength]) if (typeof v === 'string') return { op: 'bad', reason: v };
      const fl = flagSet(a[3]);
      const fixed = fl.has('MREMAP_FIXED');
      const newAddr = a[4] !== undefined ? parseNum(a[4]) : undefined;
      return {
        op: 'mremap', addr: addr as number, oldLength: oldLength as number, newLength: newLength as number,
        mayMove: fl.has('MREMAP_MAYMOVE'), fixed, dontUnmap: fl.has('MREMAP_DONTUNMAP'),
        ...(newAddr !== undefined && !Number.isNaN(newAddr) ? { newAddr } : {}),
      };
    }
    case 'brk': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the break', name);
      if (typeof addr === 'string') return { op: 'bad', reason: addr };
      return { op: 'brk', addr };
    }
    case 'clone':
    case 'clone3': {
      const m = /\bflags=([^,}]*)/.exec(argsText);
      const fl = flagSet(m ? m[1] : '');
      return { op: 'clone', vm: fl.has('CLONE_VM'), thread: fl.has('CLONE_THREAD'), vfork: fl.has('CLONE_VFORK') };
    }
    case 'fork':
      return { op: 'clone', vm: false, thread: false, vfork: false };
    case 'vfork':
      // vfork is clone(CLONE_VM | CLONE_VFORK): the child borrows the parent's mm until execve/exit
      return { op: 'clone', vm: true, thread: false, vfork: true };
    case 'execve':
    case 'execveat':
      return { op: 'execve' };
    case 'exit':
      return { op: 'exit', group: false };
    case 'exit_group':
      return { op: 'exit', group: true };
    default:
      if (IGNORED[name]) return { op: 'ignore', reason: `${name}: ${IGNORED[name]}` };
      return { op: 'other' };
  }
}

/** Why a madvise advice other than DONTNEED/DONTNEED_LOCKED/FREE is not replayed. */
export function madviseIgnoredReason(adviceName: string): string {
  return `madvise ${adviceName || '(no advice)'}: ${MADV_WHY[adviceName] ?? 'advice not modelled'}`;
}

/** The program name of an execve: the basename of its first (string) argument. */
export function execName(argsText: string): string | undefined {
  const m = /^\s*"((?:[^"\\]|\\.)*)"/.exec(argsText);
  if (!m) return undefined;
  const p = m[1];
  return p.slice(p.lastIndexOf('/') + 1) || p;
}
