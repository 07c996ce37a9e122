/**
 * The fast paths of decodeCall (syscall-args.ts): the memory calls' arguments read in place, by
 * index, when no string, comment or bracket comes before the arguments needed (then a comma is a
 * separator, as splitArgs finds it). No array of arguments, no Set of flags, no substring per
 * number. Each returns null for anything else (a malformed number, an unusual flag, a missing
 * argument): decodeCall then decodes the general way, with its exact messages.
 */
import { isDigit, isHexDigit, isSpace, numEnd, readDec, readHex } from './strace-scan.js';
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
  let v: number;
  if (from + 2 < e && s.charCodeAt(from) === 48 /* 0 */ && s.charCodeAt(from + 1) === 120 /* x */ && isHexDigit(s.charCodeAt(from + 2))) v = readHex(s, from + 2, e);
  else {
    v = readDec(s, from, e);
    if (numEnd === from) return NaN;
  }
  return neg ? -v : v;
}

/** s[b, e) is the flag `name` */
function is(s: string, b: number, e: number, name: string): boolean {
  return e - b === name.length && s.startsWith(name, b);
}

/** The trimmed `|`-separated parts of argument k, each passed to fn(b, e) (empty ones skipped); false when fn refused one. */
function eachFlag(s: string, k: number, fn: (b: number, e: number) => boolean): boolean {
  const end = argE[k];
  for (let from = argB[k]; ; ) {
    let bar = s.indexOf('|', from);
    if (bar < 0 || bar > end) bar = end;
    let b = from;
    let e = bar;
    while (b < e && isSpace(s.charCodeAt(b))) b++;
    while (e > b && isSpace(s.charCodeAt(e - 1))) e--;
    if (b < e && !fn(b, e)) return false;
    if (bar === end) return true;
    from = bar + 1;
  }
}

/** parseProt of argument k; null when a part is neither PROT_* nor a number (the general way says why). */
function prot(s: string, k: number): ProtBits | null {
  const r = { read: false, write: false, exec: false };
  const ok = eachFlag(s, k, (b, e) => {
    if (is(s, b, e, 'PROT_READ')) r.read = true;
    else if (is(s, b, e, 'PROT_WRITE')) r.write = true;
    else if (is(s, b, e, 'PROT_EXEC')) r.exec = true;
    else if (!s.startsWith('PROT_', b) || e - b < 5) {
      // a number's bits (what parseNum reads of the part)
      const n = numIn(s, b, e);
      if (Number.isNaN(n)) return false;
      if (n & 1) r.read = true;
      if (n & 2) r.write = true;
      if (n & 4) r.exec = true;
    }
    return true;
  });
  return ok ? r : null;
}

const MAP_SHARED = 1;
const MAP_ANONYMOUS = 2;
const MAP_FIXED = 4;
const MAP_FIXED_NOREPLACE = 8;
const MAP_HUGETLB = 16;
const MAP_POPULATE = 32;
const MAP_LOCKED = 64;
const MAP_NORESERVE = 128;

export function mmapFast(name: string, s: string): Decoded | null {
  const count = plainArgs(s, 6);
  if (count < 6 || count > MAX_ARGS) return null;
  const addr = num(s, 0);
  const length = num(s, 1);
  const fd = num(s, 4);
  let offset = num(s, 5);
  if (Number.isNaN(addr) || Number.isNaN(length) || Number.isNaN(fd) || Number.isNaN(offset)) return null;
  if (name === 'mmap2') offset *= 4096;
  let fl = 0;
  let hugeSize = 0;
  let huge = 0;
  const flagsOk = eachFlag(s, 3, (b, e) => {
    if (!s.startsWith('MAP_', b)) return isDigit(s.charCodeAt(b)); // a name no table holds, or a number: no flag of ours
    if (is(s, b, e, 'MAP_SHARED') || is(s, b, e, 'MAP_SHARED_VALIDATE')) fl |= MAP_SHARED;
    else if (is(s, b, e, 'MAP_ANONYMOUS') || is(s, b, e, 'MAP_ANON')) fl |= MAP_ANONYMOUS;
    else if (is(s, b, e, 'MAP_FIXED')) fl |= MAP_FIXED;
    else if (is(s, b, e, 'MAP_FIXED_NOREPLACE')) fl |= MAP_FIXED | MAP_FIXED_NOREPLACE;
    else if (is(s, b, e, 'MAP_HUGETLB')) fl |= MAP_HUGETLB;
    else if (is(s, b, e, 'MAP_POPULATE')) fl |= MAP_POPULATE;
    else if (is(s, b, e, 'MAP_LOCKED')) fl |= MAP_LOCKED | MAP_POPULATE;
    else if (is(s, b, e, 'MAP_NORESERVE')) fl |= MAP_NORESERVE;
    else if (s.startsWith('MAP_HUGE_', b)) {
      const size = HUGE_SIZES[s.slice(b, e)];
      // two sizes: which one wins depends on the order of a Set (the general way keeps it)
      if (size && ++huge > 1) return false;
      if (size) hugeSize = size;
    }
    return true;
  });
  if (!flagsOk) return null;
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
  let mayMove = false;
  let fixed = false;
  let dontUnmap = false;
  if (count > 3) {
    eachFlag(s, 3, (b, e) => {
      if (is(s, b, e, 'MREMAP_MAYMOVE')) mayMove = true;
      else if (is(s, b, e, 'MREMAP_FIXED')) fixed = true;
      else if (is(s, b, e, 'MREMAP_DONTUNMAP')) dontUnmap = true;
      return true;
    });
  }
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
