import type { Machine } from '../machine/machine.js';
import type { Mm, SimFile, Vma, VmaFlags } from '../machine/mm.js';
import { alignDown, alignUp } from '../arch/geometry.js';
import { fail, type OpResult } from './errors.js';

export interface MmapArgs {
  /** fixed address (MAP_FIXED_NOREPLACE semantics); omitted: the kernel picks (top-down) */
  addr?: number;
  length: number;
  read?: boolean;
  write?: boolean;
  exec?: boolean;
  shared?: boolean;
  /** a file to map; omitted: anonymous */
  file?: SimFile;
  /** offset into the file, in pages */
  pgoff?: number;
  hugetlb?: boolean;
  /** hugetlb page size in bytes (default: the PMD size) */
  hugeSize?: number;
  pfnmap?: boolean;
  locked?: boolean;
  name?: string;
}

export interface MmapResult extends OpResult {
  addr?: number;
}

function sameFlags(a: VmaFlags, b: VmaFlags): boolean {
  return a.read === b.read && a.write === b.write && a.exec === b.exec && a.shared === b.shared &&
    a.anon === b.anon && a.hugetlb === b.hugetlb && a.pfnmap === b.pfnmap && a.mixedmap === b.mixedmap && a.locked === b.locked;
}

/** Anonymous private VMAs with equal flags and one anon_vma merge, as vma_merge_new_range does. */
export function canMerge(a: Vma, b: Vma): boolean {
  return canMergeWithRoot(a, b) && a.anonRoot === b.anonRoot;
}

/** canMerge for a new VMA that takes its neighbour's anon_vma (its own is not used yet). */
function canMergeWithRoot(a: Vma, b: Vma): boolean {
  return a.end === b.start && a.file === null && b.file === null && a.flags.anon && !a.flags.shared &&
    !a.flags.hugetlb && sameFlags(a.flags, b.flags) && a.name === b.name;
}

/**
 * A copy of VMA flags. Built as a literal, not spread: every VMA's flags then have one shape (the
 * code reading them stays monomorphic), and a spread copy costs microseconds.
 */
export function copyVmaFlags(f: VmaFlags): VmaFlags {
  return {
    read: f.read, write: f.write, exec: f.exec, shared: f.shared, anon: f.anon, hugetlb: f.hugetlb,
    pfnmap: f.pfnmap, mixedmap: f.mixedmap, locked: f.locked,
  };
}

/** A copy of `v` (vm_area_dup) with its own flags, from `start` at file page `pgoff`; literal for the same reasons. */
export function copyVma(v: Vma, start = v.start, pgoff = v.pgoff): Vma {
  const c: Vma = {
    start, end: v.end, flags: copyVmaFlags(v.flags), file: v.file, pgoff, hugeShift: v.hugeShift, anonRoot: v.anonRoot, name: v.name,
  };
  if (v.hasAnonVma !== undefined) c.hasAnonVma = v.hasAnonVma;
  return c;
}

/** Top-down search for a free gap of `len` bytes aligned to `align` below the mmap base. */
function getUnmappedArea(m: Machine, mm: Mm, len: number, align: number): number | null {
  const top = alignDown(Math.min(m.geometry.taskSize, 2 ** 47) - 2 ** 32, align);
  let hi = top;
  for (let i = mm.vmas.length - 1; i >= -1; i--) {
    const v = i >= 0 ? mm.vmas[i] : null;
    if (v && v.start >= hi) continue;
    const lo = v ? v.end : 2 ** 16;
    const start = alignDown(hi - len, align);
    if (start >= lo && start >= 2 ** 16) return start;
    if (v) hi = Math.min(hi, v.start);
  }
  return null;
}

/** do_mmap: create a VMA (no pages are populated until touched). */
export function mmap(m: Machine, mm: Mm, a: MmapArgs): MmapResult {
  const ps = m.pageSize;
  const hugeSize = a.hugetlb ? a.hugeSize ?? 2 ** m.geometry.levels[1].shift : ps;
  if (a.hugetlb && !m.arch.hugePageSizes.includes(hugeSize)) {
    return fail('EINVAL', `hugetlb page size ${hugeSize} is not offered by ${m.arch.name}`);
  }
  if (!(a.length > 0)) return fail('EINVAL', 'length must be greater than 0');
  const len = alignUp(a.length, hugeSize);
  let addr = a.addr;
  if (addr === undefined) {
    const found = getUnmappedArea(m, mm, len, hugeSize);
    if (found === null) return fail('ENOMEM', 'no free gap in the address space');
    addr = found;
  } else {
    if (addr % hugeSize !== 0) return fail('EINVAL', `address 0x${addr.toString(16)} is not aligned to ${hugeSize}`);
    if (addr + len > m.geometry.taskSize) return fail('ENOMEM', 'mapping ends above TASK_SIZE');
    const i = mm.firstVmaIndexEndingAfter(addr);
    const v = mm.vmas[i];
    if (v && v.start < addr + len) {
      return fail('EEXIST', `[0x${addr.toString(16)}, 0x${(addr + len).toString(16)}) overlaps the VMA [0x${v.start.toString(16)}, 0x${v.end.toString(16)})`);
    }
  }
  const flags: VmaFlags = {
    read: a.read ?? true,
    write: a.write ?? true,
    exec: a.exec ?? false,
    shared: a.shared ?? false,
    anon: !a.file && !a.pfnmap,
    hugetlb: a.hugetlb ?? false,
    pfnmap: a.pfnmap ?? false,
    mixedmap: false,
    locked: a.locked ?? false,
  };
  let file = a.file ?? null;
  // shared anonymous and hugetlb memory is backed by an internal file (shmem / hugetlbfs)
  if (!file && (flags.shared || flags.hugetlb) && !flags.pfnmap) file = m.createFile(a.name ?? `anon_shared@${addr.toString(16)}`);
  const vma: Vma = {
    start: addr, end: addr + len, flags, file, pgoff: a.pgoff ?? 0,
    hugeShift: Math.log2(hugeSize), anonRoot: flags.anon ? m.nextAnonRoot++ : 0, name: a.name,
  };
  insertVmaMerging(mm, vma);
  return { ok: true, addr };
}

/** Insert, merging with an adjacent compatible anonymous VMA. */
export function insertVmaMerging(mm: Mm, vma: Vma): Vma {
  const i = mm.firstVmaIndexEndingAfter(vma.start);
  const prev = i > 0 ? mm.vmas[i - 1] : undefined;
  const next = mm.vmas[i];
  if (prev && vma.anonRoot && prev.flags.anon && canMergeWithRoot(prev, vma)) {
    prev.end = vma.end;
    if (next && next.flags.anon && canMergeWithRoot(prev, next)) {
      prev.end = next.end;
      mm.vmas.splice(i, 1);
    }
    return prev;
  }
  if (next && vma.anonRoot && next.flags.anon && canMergeWithRoot(vma, next)) {
    next.start = vma.start;
    return next;
  }
  mm.vmas.splice(i, 0, vma);
  return vma;
}

/** __split_vma: split the VMA containing `addr` so that a VMA starts exactly at addr. */
export function splitVmaAt(m: Machine, mm: Mm, addr: number): void {
  const ps = m.pageSize;
  const v = mm.findVma(addr);
  if (!v || v.start === addr) return;
  // hugetlb_split: the piece that loses PUD alignment can no longer share its PMD table
  if (v.flags.hugetlb) m.hugetlb?.split?.(m, mm, v, addr);
  const tail = copyVma(v, addr, v.pgoff + (addr - v.start) / ps);
  v.end = addr;
  // v is the first VMA ending after addr (it contains addr)
  const i = mm.firstVmaIndexEndingAfter(addr - 1);
  mm.vmas.splice(i + 1, 0, tail);
}
