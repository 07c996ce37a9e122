/**
 * The syscall tracepoints' fields (`sys_mmap(addr: 0x0, len: 0x2000, prot: 0x3, ...)`, every
 * value as the raw register in hex) as the argument text strace prints, so one decoder
 * (syscall-args.ts) serves both inputs. Flag values are the generic ones (include/uapi/asm-generic,
 * as x86, arm64 and riscv use).
 */

/** `name: value` pairs of a sys_enter event's field text. */
export function enterFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  const open = text.indexOf('(');
  const body = open >= 0 ? text.slice(open + 1, text.lastIndexOf(')') > open ? text.lastIndexOf(')') : undefined) : text;
  for (const part of body.split(',')) {
    const c = part.indexOf(':');
    if (c > 0) m.set(part.slice(0, c).trim(), part.slice(c + 1).trim());
  }
  return m;
}

const TWO64 = 2n ** 64n;

/** A register value: `0xffffffffffffffff` is -1 (the value read as a signed long). */
export function signedHex(s: string | undefined): number {
  if (s === undefined) return NaN;
  const digits = s.startsWith('0x') ? s.length - 2 : s.length;
  // up to 13 hex digits (52 bits) are exact and non-negative as a Number
  if (digits <= 13) return Number(s.startsWith('0x') ? s : `0x${s}`);
  let v: bigint;
  try {
    v = BigInt(s.startsWith('0x') ? s : `0x${s}`);
  } catch {
    return NaN;
  }
  if (v >= TWO64 / 2n) v -= TWO64;
  return Number(v);
}

function names(v: number, table: readonly (readonly [number, string])[]): string[] {
  const out: string[] = [];
  let rest = v;
  for (const [bit, name] of table) {
    if ((rest & bit) === bit && bit !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

const MAP_FLAGS = [
  [0x03, 'MAP_SHARED_VALIDATE'], [0x01, 'MAP_SHARED'], [0x02, 'MAP_PRIVATE'], [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'],
  [0x100, 'MAP_GROWSDOWN'], [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'], [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'], [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'], [0x80000, 'MAP_SYNC'],
  [0x100000, 'MAP_FIXED_NOREPLACE'],
] as const;
const MAP_HUGE_SHIFT = 26;
const HUGE_NAMES: Record<number, string> = { 16: 'MAP_HUGE_64KB', 19: 'MAP_HUGE_512KB', 20: 'MAP_HUGE_1MB', 21: 'MAP_HUGE_2MB', 23: 'MAP_HUGE_8MB', 24: 'MAP_HUGE_16MB', 25: 'MAP_HUGE_32MB', 28: 'MAP_HUGE_256MB', 29: 'MAP_HUGE_512MB', 30: 'MAP_HUGE_1GB', 31: 'MAP_HUGE_2GB', 34: 'MAP_HUGE_16GB' };

/** mmap's flags as strace names them (`MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGE_2MB`). */
export function mapFlags(v: number): string {
  const huge = Math.floor(v / 2 ** MAP_HUGE_SHIFT) & 0x3f;
  const low = v % 2 ** MAP_HUGE_SHIFT;
  const out = names(low, MAP_FLAGS);
  if (huge) out.push(HUGE_NAMES[huge] ?? `${huge}<<MAP_HUGE_SHIFT`);
  return out.join('|') || '0';
}

const MADV: Record<number, string> = {
  0: 'MADV_NORMAL', 1: 'MADV_RANDOM', 2: 'MADV_SEQUENTIAL', 3: 'MADV_WILLNEED', 4: 'MADV_DONTNEED', 8: 'MADV_FREE', 9: 'MADV_REMOVE',
  10: 'MADV_DONTFORK', 11: 'MADV_DOFORK', 12: 'MADV_MERGEABLE', 13: 'MADV_UNMERGEABLE', 14: 'MADV_HUGEPAGE', 15: 'MADV_NOHUGEPAGE',
  16: 'MADV_DONTDUMP', 17: 'MADV_DODUMP', 18: 'MADV_WIPEONFORK', 19: 'MADV_KEEPONFORK', 20: 'MADV_COLD', 21: 'MADV_PAGEOUT',
  22: 'MADV_POPULATE_READ', 23: 'MADV_POPULATE_WRITE', 24: 'MADV_DONTNEED_LOCKED', 25: 'MADV_COLLAPSE', 100: 'MADV_HWPOISON',
  101: 'MADV_SOFT_OFFLINE', 102: 'MADV_GUARD_INSTALL', 103: 'MADV_GUARD_REMOVE',
};
const MREMAP_FLAGS = [[1, 'MREMAP_MAYMOVE'], [2, 'MREMAP_FIXED'], [4, 'MREMAP_DONTUNMAP']] as const;
const CLONE_FLAGS = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'], [0x1000, 'CLONE_PIDFD'],
  [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'],
  [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'], [0x1000000, 'CLONE_CHILD_SETTID'],
] as const;

/** clone flags (the low byte is the exit signal) as strace prints them: `flags=CLONE_VM|CLONE_THREAD`. */
export function cloneFlags(v: number): string {
  return `flags=${names(v & ~0xff, CLONE_FLAGS).join('|') || '0'}`;
}

const hex = (n: number) => (n < 0 ? String(n) : `0x${n.toString(16)}`);

/**
 * The strace-style argument text of a memory or process call from its sys_enter fields, or
 * undefined for a call whose arguments replay does not read.
 */
export function straceArgs(name: string, f: Map<string, string>): string | undefined {
  const n = (k: string) => signedHex(f.get(k));
  switch (name) {
    case 'mmap':
      return `${hex(n('addr'))}, ${n('len')}, ${hex(n('prot'))}, ${mapFlags(n('flags'))}, ${n('fd')}, ${hex(n('off'))}`;
    case 'munmap':
      return `${hex(n('addr'))}, ${n('len')}`;
    case 'mprotect':
      return `${hex(n('start'))}, ${n('len')}, ${hex(n('prot'))}`;
    case 'pkey_mprotect':
      return `${hex(n('start'))}, ${n('len')}, ${hex(n('prot'))}, ${n('pkey')}`;
    case 'madvise': {
      const b = n('behavior');
      return `${hex(n('start'))}, ${n('len_in')}, ${MADV[b] ?? `${b} /* MADV_??? */`}`;
    }
    case 'mremap':
      return `${hex(n('addr'))}, ${n('old_len')}, ${n('new_len')}, ${names(n('flags'), MREMAP_FLAGS).join('|') || '0'}, ${hex(n('new_addr'))}`;
    case 'brk':
      return hex(n('brk'));
    case 'clone':
      return `${cloneFlags(n('clone_flags'))}`;
    default:
      return '';
  }
}
