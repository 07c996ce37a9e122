/** Decoding the arguments of the memory and process system calls, as strace prints them. */
import { brkFast, HUGE_SIZES, MADVICE, madviseFast, mmapFast, mprotectFast, mremapFast, munmapFast } from './args-scan.js';
import { isSpace } from './strace-scan.js';
import { splitArgs } from './strace-line.js';

export interface ProtBits {
  read: boolean;
  write: boolean;
  exec: boolean;
}

export type MadviseKind = 'dontneed' | 'dontneed_locked' | 'free';

/** What a system call does to memory, decoded from its arguments. */
export type Decoded =
  | { op: 'mmap'; addr: number; length: number; prot: ProtBits; shared: boolean; anonymous: boolean; fixed: boolean; noReplace: boolean; hugetlb: boolean; hugeSize?: number; populate: boolean; locked: boolean; noreserve: boolean; fd: number; offset: number }
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

/** The decoded calls that change memory. */
export type MemoryCall = Extract<Decoded, { op: 'mmap' | 'munmap' | 'mprotect' | 'madvise' | 'mremap' | 'brk' }>;

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
/** the calls that change the thread table (create, exec or end threads): what the first pass counts */
export const THREAD_CALL_NAMES: readonly string[] = ['clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group'];
/** clone, clone3, fork, vfork */
export function isCloneName(name: string): boolean {
  return CLONE_NAMES.has(name);
}

/** A number as strace prints it: NULL, decimal, 0x hex, optionally followed by -y's <path>. */
export function parseNum(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim();
  if (t === 'NULL') return 0;
  // what /^(-?)(0x[0-9a-fA-F]+|\d+)/ reads, scanned by hand: this runs for every argument
  // (indices stay below the length: reading past the end would deoptimise the function)
  const n = t.length;
  const neg = n > 0 && t.charCodeAt(0) === 45; /* - */
  const from = neg ? 1 : 0;
  let i = from;
  if (i + 2 < n && t.charCodeAt(i) === 48 /* 0 */ && t.charCodeAt(i + 1) === 120 /* x */ && isHexDigit(t.charCodeAt(i + 2))) {
    i += 3;
    while (i < n && isHexDigit(t.charCodeAt(i))) i++;
  } else {
    while (i < n && isDigit(t.charCodeAt(i))) i++;
    if (i === from) return NaN;
  }
  const v = Number(t.slice(from, i));
  return neg ? -v : v;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** The `|`-separated names of a flags argument (a loop, not split/map/filter: this runs for every call). */
function flagSet(s: string | undefined): Set<string> {
  const r = new Set<string>();
  if (!s) return r;
  for (let from = 0; ; ) {
    const bar = s.indexOf('|', from);
    const part = (bar < 0 ? s.slice(from) : s.slice(from, bar)).trim();
    if (part !== '') r.add(part);
    if (bar < 0) return r;
    from = bar + 1;
  }
}

const CLONE_FLAGS_RE = /\bflags=([^,}]*)/;
const CLONE_VM = 1;
const CLONE_THREAD = 2;
const CLONE_VFORK = 4;

/** The CLONE_VM, CLONE_THREAD and CLONE_VFORK parts of a flags argument (what flagSet would hold), without a Set of every part. */
function cloneBits(s: string): number {
  let fl = 0;
  for (let from = 0; ; ) {
    const bar = s.indexOf('|', from);
    let b = from;
    let e = bar < 0 ? s.length : bar;
    while (b < e && isSpace(s.charCodeAt(b))) b++;
    while (e > b && isSpace(s.charCodeAt(e - 1))) e--;
    const len = e - b;
    if (len === 8 && s.startsWith('CLONE_VM', b)) fl |= CLONE_VM;
    else if (len === 12 && s.startsWith('CLONE_THREAD', b)) fl |= CLONE_THREAD;
    else if (len === 11 && s.startsWith('CLONE_VFORK', b)) fl |= CLONE_VFORK;
    if (bar < 0) return fl;
    from = bar + 1;
  }
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

function num(args: string[], i: number, what: string, name: string): number | string {
  const v = parseNum(args[i]);
  return Number.isNaN(v) ? `${name}: cannot read ${what} "${args[i] ?? ''}"` : v;
}

/**
 * Decode a memory or process system call from its printed arguments. Works on the partial
 * argument list of an `<unfinished ...>` start too (everything these calls print on entry).
 * The memory calls' common forms are read in place (args-scan.ts); the rest, and every line
 * those fast paths decline, the general way.
 */
export function decodeCall(name: string, argsText: string): Decoded {
  const sys = sysOf(name);
  let d: Decoded | null;
  switch (sys) {
    case 'mmap':
      d = mmapFast(name, argsText);
      break;
    case 'munmap':
      d = munmapFast(argsText);
      break;
    case 'mprotect':
      d = mprotectFast(argsText);
      break;
    case 'madvise':
      d = madviseFast(argsText);
      break;
    case 'mremap':
      d = mremapFast(argsText);
      break;
    case 'brk':
      d = brkFast(argsText);
      break;
    default:
      d = null;
  }
  return d ?? decodeGeneral(name, argsText);
}

/** the call a name decodes as (mmap2 and old_mmap as mmap, pkey_mprotect as mprotect) */
const sysOf = (name: string) => (name === 'mmap2' || name === 'old_mmap' ? 'mmap' : name === 'pkey_mprotect' ? 'mprotect' : name);

/**
 * decodeCall without the fast paths: splitArgs, flag sets, and the exact message of what cannot
 * be read. Exported as the reference the fast paths must agree with (parse-equivalence.test.ts).
 */
export function decodeGeneral(name: string, argsText: string): Decoded {
  switch (sysOf(name)) {
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
      const d: Decoded & { op: 'mmap' } = {
        op: 'mmap', addr: addr as number, length: length as number, prot,
        shared: fl.has('MAP_SHARED') || fl.has('MAP_SHARED_VALIDATE'),
        anonymous: fl.has('MAP_ANONYMOUS') || fl.has('MAP_ANON'),
        fixed: fl.has('MAP_FIXED') || fl.has('MAP_FIXED_NOREPLACE'), noReplace: fl.has('MAP_FIXED_NOREPLACE'),
        hugetlb: fl.has('MAP_HUGETLB'),
        populate: fl.has('MAP_POPULATE') || fl.has('MAP_LOCKED'), locked: fl.has('MAP_LOCKED'), noreserve: fl.has('MAP_NORESERVE'),
        fd: fd as number, offset: offset as number,
      };
      // set, not spread: a conditional spread costs microseconds per call
      if (hugeSize) d.hugeSize = hugeSize;
      return d;
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
      const d: Decoded & { op: 'mremap' } = {
        op: 'mremap', addr: addr as number, oldLength: oldLength as number, newLength: newLength as number,
        mayMove: fl.has('MREMAP_MAYMOVE'), fixed, dontUnmap: fl.has('MREMAP_DONTUNMAP'),
      };
      if (newAddr !== undefined && !Number.isNaN(newAddr)) d.newAddr = newAddr;
      return d;
    }
    case 'brk': {
      const a = splitArgs(argsText);
      const addr = num(a, 0, 'the break', name);
      if (typeof addr === 'string') return { op: 'bad', reason: addr };
      return { op: 'brk', addr };
    }
    case 'clone':
    case 'clone3': {
      const m = CLONE_FLAGS_RE.exec(argsText);
      const fl = m ? cloneBits(m[1]) : 0;
      return { op: 'clone', vm: (fl & CLONE_VM) !== 0, thread: (fl & CLONE_THREAD) !== 0, vfork: (fl & CLONE_VFORK) !== 0 };
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

const hex = (n: number) => (n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);

/**
 * Why the printed result of an mmap or mremap that succeeded cannot be what the kernel returned
 * (do_mmap and mremap hand out page-aligned addresses, and exactly the one MAP_FIXED or
 * MREMAP_FIXED asked for), or null. Such a line is malformed, like one that cannot be decoded.
 */
export function resultProblem(name: string, d: Decoded, ret: number, pageSize: number): string | null {
  if (d.op !== 'mmap' && d.op !== 'mremap') return null;
  if (ret % pageSize !== 0) return `${name}: the result ${hex(ret)} is not aligned to the ${pageSize}-byte page`;
  if (d.op === 'mmap' && d.fixed && ret !== d.addr) return `${name}: ${d.noReplace ? 'MAP_FIXED_NOREPLACE' : 'MAP_FIXED'} at ${hex(d.addr)} returned ${hex(ret)}`;
  if (d.op === 'mremap' && d.fixed && d.newAddr !== undefined && ret !== d.newAddr) return `${name}: MREMAP_FIXED to ${hex(d.newAddr)} returned ${hex(ret)}`;
  return null;
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
