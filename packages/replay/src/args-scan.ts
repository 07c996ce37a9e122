/**
 * The fast paths of decodeCall (syscall-args.ts): the memory calls' arguments read in place, by
 * index, when no string, comment or bracket comes before the arguments needed (then a comma is a
 * separator, as splitArgs finds it). No array of arguments, no Set of flags, no substring per
 * number. Each returns null for anything else (a malformed number, an unusual flag, a missing
 * argument): decodeCall then decodes the general way, with its exact messages.
 */
import { isDigit, isSpace, numEnd, readDec, readHex } from './strace-scan.js';
import type { Decoded, MadviseKind, ProtBits } from './syscall-args.js';

export const MADVICE: Record<string, MadviseKind> = { MADV_DONTNEED: 'dontneed', MADV_DONTNEED_LOCKED: 'dontneed_locked', MADV_FREE: 'free' };

export const HUGE_SIZES: Record<string, number> = {
  MAP_HUGE_64KB: 2 ** 16, MAP_HUGE_512KB: 2 ** 19, MAP_HUGE_1MB: 2 ** 20, MAP_HUGE_2MB: 2 ** 21, MAP_HUGE_8MB: 2 ** 23,
  MAP_HUGE_16MB: 2 ** 24, MAP_HUGE_32MB: 2 ** 25, MAP_HUGE_256MB: 2 ** 28, MAP_HUGE_512MB: 2 ** 29, MAP_HUGE_1GB: 2 ** 30,
  MAP_HUGE_2GB: 2 ** 31, MAP_HUGE_16GB: 2 ** 34,
};

/** what splitArgs does not take as plain text: a string, a bracket, a comment */
const SPECIAL = /["()[\]{}]|\/\*/;
const MAX_ARGS = 8;
/** the arguments plainArgs found: s[argB[k], argE[k]), trimmed */
const argB = new Int32Array(MAX_ARGS);
const argE = new Int32Array(MAX_ARGS);

/**
 * Cut the first `want` arguments of s as splitArgs does (trimmed, into argB/argE). Returns how
 * many arguments s has when all of it is plain (no special character), `want` when only the
 * first `want` are, or -1 when one of those holds a special character.
 */
function plainArgs(s: string, want: number): number {
  const n = s.length;
  let x = s.search(SPECIAL);
  if (x < 0) x = n;
  let from = 0;
  for (let k = 0; k < MAX_ARGS; k++) {
    const comma = s.indexOf(',', from);
    const end = comma < 0 ? n : comma;
    if (end > x) return k >= want ? want : -1;
    let b = from;
    let e = end;
    while (b < e && isSpace(s.charCodeAt(b))) b++;
    while (e > b && isSpace(s.charCodeAt(e - 1))) e--;
    argB[k] = b;
    argE[k] = e;
    if (comma < 0) return k === 0 && b === e ? 0 : k + 1;
    from = comma + 1;
  }
  // more than MAX_ARGS: only the first MAX_ARGS are known
  return want <= MAX_ARGS && x === n ? MAX_ARGS + 1 : -1;
}

/** parseNum of argument k */
function num(s: string, k: number): number {
  return numIn(s, argB[k], argE[k]);
}

/** parseNum of the trimmed s[b, e): NULL, decimal, 0x hex (what follows the number, -y's <path>, is ignored); NaN if none. */
function numIn(s: string, b: number, e: number): number {
  if (e - b === 4 && s.startsWith('NULL', b)) return 0;
  const neg = b < e && s.charCodeAt(b) === 45; /* - */
  const from = neg ? b + 1 : b;
  if (from + 2 < e && s.charCodeAt(from) === 48 /* 0 */ && s.charCodeAt(from + 1) === 120 /* x */) {
    // hex when a hex digit follows `0x` (else the decimal 0)
    const v = readHex(s, from + 2, e);
    if (numEnd > from + 2) return neg ? -v : v;
  }
  const v = readDec(s, from, e);
  if (numEnd === from) return NaN;
  return neg ? -v : v;
}

/**
 * Flag names and their bits, found by a number made of a name's length and two of its
 * characters (one Map lookup and one comparison per part, not a comparison per name).
 */
class FlagTable {
  private readonly byKey = new Map<number, { name: string; bits: number; size: number }[]>();
  constructor(entries: [string, number, number?][]) {
    for (const [name, bits, size = 0] of entries) {
      const k = key(name, 0, name.length);
      const list = this.byKey.get(k) ?? [];
      list.push({ name, bits, size });
      this.byKey.set(k, list);
    }
  }
  /** the entry s[b, e) names, or undefined */
  find(s: string, b: number, e: number): { name: string; bits: number; size: number } | undefined {
    const list = this.byKey.get(key(s, b, e));
    if (list === undefined) return undefined;
    for (const f of list) if (f.name.length === e - b && s.startsWith(f.name, b)) return f;
    return undefined;
  }
}

function key(s: string, b: number, e: number): number {
  const len = e - b;
  return len | (len > 5 ? s.charCodeAt(b + 5) << 6 : 0) | (s.charCodeAt(e - 1) << 14);
}

// the bits of the flags the decoders read; 0: a flag that changes nothing here
const READ = 1;
const WRITE = 2;
const EXEC = 4;
const NONE = 8;
const PROT = new FlagTable([['PROT_READ', READ], ['PROT_WRITE', WRITE], ['PROT_EXEC', EXEC], ['PROT_NONE', NONE]]);

const MAP_SHARED = 1;
const MAP_ANONYMOUS = 2;
const MAP_FIXED = 4;
const MAP_FIXED_NOREPLACE = 8;
const MAP_HUGETLB = 16;
const MAP_POPULATE = 32;
const MAP_LOCKED = 64;
const MAP_NORESERVE = 128;
const MAP = new FlagTable([
  ['MAP_SHARED', MAP_SHARED], ['MAP_SHARED_VALIDATE', MAP_SHARED], ['MAP_ANONYMOUS', MAP_ANONYMOUS], ['MAP_ANON', MAP_ANONYMOUS],
  ['MAP_FIXED', MAP_FIXED], ['MAP_FIXED_NOREPLACE', MAP_FIXED | MAP_FIXED_NOREPLACE], ['MAP_HUGETLB', MAP_HUGETLB],
  ['MAP_POPULATE', MAP_POPULATE], ['MAP_LOCKED', MAP_LOCKED | MAP_POPULATE], ['MAP_NORESERVE', MAP_NORESERVE],
  ['MAP_PRIVATE', 0], ['MAP_DENYWRITE', 0], ['MAP_STACK', 0], ['MAP_GROWSDOWN', 0], ['MAP_EXECUTABLE', 0], ['MAP_32BIT', 0], ['MAP_NONBLOCK', 0], ['MAP_SYNC', 0],
  ...Object.entries(HUGE_SIZES).map(([name, size]): [string, number, number] => [name, 0, size]),
]);

const ADVICE_KINDS: (MadviseKind | null)[] = [null, 'dontneed', 'dontneed_locked', 'free'];
/** the advice names (the ones decodeCall replays, with their kind's index, and the ones it names as ignored) */
const MADV = new FlagTable([
  ['MADV_DONTNEED', 1], ['MADV_DONTNEED_LOCKED', 2], ['MADV_FREE', 3],
  ...['DONTFORK', 'DOFORK', 'DONTDUMP', 'DODUMP', 'HUGEPAGE', 'NOHUGEPAGE', 'MERGEABLE', 'UNMERGEABLE', 'WILLNEED', 'NORMAL', 'RANDOM', 'SEQUENTIAL',
    'WIPEONFORK', 'KEEPONFORK', 'COLD', 'PAGEOUT', 'POPULATE_READ', 'POPULATE_WRITE', 'REMOVE', 'COLLAPSE', 'HWPOISON', 'SOFT_OFFLINE', 'GUARD_INSTALL', 'GUARD_REMOVE'].map((n): [string, number] => [`MADV_${n}`, 0]),
]);

const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const MREMAP_DONTUNMAP = 4;
const MREMAP = new FlagTable([['MREMAP_MAYMOVE', MREMAP_MAYMOVE], ['MREMAP_FIXED', MREMAP_FIXED], ['MREMAP_DONTUNMAP', MREMAP_DONTUNMAP]]);

/** where the parts of a flags argument are: the next part is s[partB, partE), trimmed; the last ends at partEnd */
let partB = 0;
let partE = 0;
let partEnd = 0;
let partNext = 0;

/** Start reading the `|`-separated parts of argument k. */
function parts(k: number): void {
  partNext = argB[k];
  partEnd = argE[k];
}

/** The next non-empty part (trimmed, as flagSet takes it) into partB/partE; false after the last. */
function nextPart(s: string): boolean {
  while (partNext <= partEnd) {
    let bar = s.indexOf('|', partNext);
    if (bar < 0 || bar > partEnd) bar = partEnd;
    let b = partNext;
    let e = bar;
    partNext = bar + 1;
    while (b < e && isSpace(s.charCodeAt(b))) b++;
    while (e > b && isSpace(s.charCodeAt(e - 1))) e--;
    if (b < e) {
      partB = b;
      partE = e;
      return true;
    }
  }
  return false;
}

/**
 * What a flags argument reads as, by its text: a program passes the same few flag sets over and
 * over, and one lookup of the argument's text costs less than reading its parts name by name.
 * Bounded: emptied when full.
 */
class ArgMemo {
  private readonly byText = new Map<string, number>();
  /** what s[b, e) read as, or undefined when it was not seen */
  get(s: string, b: number, e: number): number | undefined {
    return this.byText.get(s.slice(b, e));
  }
  set(s: string, b: number, e: number, v: number): number {
    if (this.byText.size >= MEMO_MAX) this.byText.clear();
    this.byText.set(s.slice(b, e), v);
    return v;
  }
}

const MEMO_MAX = 512;

const PROT_MEMO = new ArgMemo();

/** the PROT bits of argument k (as parseProt reads them), or -1 when a part is neither PROT_* nor a number */
function protBits(s: string, k: number): number {
  const v = PROT_MEMO.get(s, argB[k], argE[k]);
  return v !== undefined ? v : PROT_MEMO.set(s, argB[k], argE[k], readProt(s, k));
}

function readProt(s: string, k: number): number {
  let bits = 0;
  for (parts(k); nextPart(s); ) {
    const f = PROT.find(s, partB, partE);
    if (f !== undefined) bits |= f.bits;
    else if (!s.startsWith('PROT_', partB)) {
      // a number's bits (what parseNum reads of the part)
      const n = numIn(s, partB, partE);
      if (Number.isNaN(n)) return -1;
      bits |= n & 7;
    }
  }
  return bits;
}

/** parseProt of argument k; null when a part is neither PROT_* nor a number (the general way says why). */
function prot(s: string, k: number): ProtBits | null {
  const bits = protBits(s, k);
  return bits < 0 ? null : { read: (bits & READ) !== 0, write: (bits & WRITE) !== 0, exec: (bits & EXEC) !== 0 };
}

const MAP_MEMO = new ArgMemo();
/** the MAP_ bits below this; the huge page size above (a power of two: exact) */
const MAP_BITS = 256;

/** The MAP_ bits of argument k plus MAP_BITS times its MAP_HUGE_ size, or -1 for what only the general way reads. */
function mapFlags(s: string, k: number): number {
  const v = MAP_MEMO.get(s, argB[k], argE[k]);
  return v !== undefined ? v : MAP_MEMO.set(s, argB[k], argE[k], readMapFlags(s, k));
}

function readMapFlags(s: string, k: number): number {
  let fl = 0;
  let hugeSize = 0;
  for (parts(k); nextPart(s); ) {
    const f = MAP.find(s, partB, partE);
    if (f !== undefined) {
      fl |= f.bits;
      // two sizes: which one wins depends on the order of a Set (the general way keeps it)
      if (f.size && hugeSize) return -1;
      if (f.size) hugeSize = f.size;
    } else if (!s.startsWith('MAP_', partB) && !isDigit(s.charCodeAt(partB))) return -1; // a name an object's prototype may have
  }
  return fl + hugeSize * MAP_BITS;
}

export function mmapFast(name: string, s: string): Decoded | null {
  const count = plainArgs(s, 6);
  if (count < 6 || count > MAX_ARGS) return null;
  const addr = num(s, 0);
  const length = num(s, 1);
  const fd = num(s, 4);
  let offset = num(s, 5);
  if (Number.isNaN(addr) || Number.isNaN(length) || Number.isNaN(fd) || Number.isNaN(offset)) return null;
  if (name === 'mmap2') offset *= 4096;
  const flags = mapFlags(s, 3);
  if (flags < 0) return null;
  const fl = flags % MAP_BITS;
  const hugeSize = (flags - fl) / MAP_BITS;
  const p = prot(s, 2);
  if (!p) return null;
  const d: Decoded & { op: 'mmap' } = {
    op: 'mmap', addr, length, prot: p,
    shared: (fl & MAP_SHARED) !== 0, anonymous: (fl & MAP_ANONYMOUS) !== 0,
    fixed: (fl & MAP_FIXED) !== 0, noReplace: (fl & MAP_FIXED_NOREPLACE) !== 0,
    hugetlb: (fl & MAP_HUGETLB) !== 0,
    populate: (fl & MAP_POPULATE) !== 0, locked: (fl & MAP_LOCKED) !== 0, noreserve: (fl & MAP_NORESERVE) !== 0,
    fd, offset,
  };
  if (hugeSize) d.hugeSize = hugeSize;
  return d;
}

let addr0 = 0;
let len1 = 0;
/** munmap, and the first two numbers of mprotect and madvise (into addr0, len1): false unless both read. */
function addrLen(s: string, want: number): boolean {
  if (plainArgs(s, want) < want) return false;
  addr0 = num(s, 0);
  len1 = num(s, 1);
  return !Number.isNaN(addr0) && !Number.isNaN(len1);
}

export function munmapFast(s: string): Decoded | null {
  return addrLen(s, 2) ? { op: 'munmap', addr: addr0, length: len1 } : null;
}

export function mprotectFast(s: string): Decoded | null {
  if (!addrLen(s, 3)) return null;
  const p = prot(s, 2);
  return p ? { op: 'mprotect', addr: addr0, length: len1, prot: p } : null;
}

export function madviseFast(s: string): Decoded | null {
  if (!addrLen(s, 3)) return null;
  const b = argB[2];
  const e = argE[2];
  // a comment after the advice, or a name an object's prototype has: the general way
  if (!s.startsWith('MADV_', b) || s.indexOf('/', b) >= 0) return null;
  // a name of the table: its string, not a new one; another: read as the general way reads it
  const f = MADV.find(s, b, e);
  if (f !== undefined) return { op: 'madvise', addr: addr0, length: len1, advice: ADVICE_KINDS[f.bits], adviceName: f.name };
  const adviceName = s.slice(b, e);
  return { op: 'madvise', addr: addr0, length: len1, advice: MADVICE[adviceName] ?? null, adviceName };
}

export function mremapFast(s: string): Decoded | null {
  const count = plainArgs(s, 5);
  if (count < 3 || count > MAX_ARGS) return null;
  const addr = num(s, 0);
  const oldLength = num(s, 1);
  const newLength = num(s, 2);
  if (Number.isNaN(addr) || Number.isNaN(oldLength) || Number.isNaN(newLength)) return null;
  let fl = 0;
  if (count > 3) for (parts(3); nextPart(s); ) fl |= MREMAP.find(s, partB, partE)?.bits ?? 0;
  const mayMove = (fl & MREMAP_MAYMOVE) !== 0;
  const fixed = (fl & MREMAP_FIXED) !== 0;
  const dontUnmap = (fl & MREMAP_DONTUNMAP) !== 0;
  const d: Decoded & { op: 'mremap' } = { op: 'mremap', addr, oldLength, newLength, mayMove, fixed, dontUnmap };
  if (count > 4) {
    const newAddr = num(s, 4);
    if (!Number.isNaN(newAddr)) d.newAddr = newAddr;
  }
  return d;
}

export function brkFast(s: string): Decoded | null {
  if (plainArgs(s, 1) < 1) return null;
  const addr = num(s, 0);
  return Number.isNaN(addr) ? null : { op: 'brk', addr };
}
