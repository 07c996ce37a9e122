/**
 * do_fault_around (mm/memory.c): a read fault on a file-backed mapping maps, besides the faulting
 * page, the page-cache pages around it that are not mapped yet (filemap_map_pages), read-only
 * for a private mapping: fault_around_bytes (64 KiB) worth of PTEs, the window aligned to its
 * size, starting no lower than the VMA and ending within it and within the PTE table. Pages
 * mapped this way then take a write-protection fault (a copy and a flush) on their first write,
 * and are present when they are unmapped. The pages are taken to be in the page cache.
 */
import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { touch } from './fault.js';
import { entrySize, walkToTable } from './pgtable.js';

/** /sys/kernel/mm/... fault_around_bytes default (debugfs), 64 KiB */
export const FAULT_AROUND_BYTES = 65536;

/** Does a read fault in `v` fault around (do_read_fault's should_fault_around: a file with map_pages)? */
export function faultsAround(v: Vma): boolean {
  return v.file !== null && !v.flags.anon && !v.flags.hugetlb && !v.flags.pfnmap;
}

/** The pages around `addr` (its read fault already handled) mapped as do_fault_around maps them. */
export function doFaultAround(m: Machine, mm: Mm, v: Vma, addr: number, bytes = FAULT_AROUND_BYTES): number {
  const ps = m.pageSize;
  const nr = Math.floor(bytes / ps);
  if (nr <= 1 || !faultsAround(v)) return 0;
  const span = entrySize(m, 1);
  const table = addr - (addr % span);
  const ptes = span / ps;
  const off = (addr - table) / ps;
  // from the aligned window start, but not below the VMA; to nr PTEs on, within the table and the VMA
  const vmaStartIdx = Math.max(0, (v.start - table) / ps);
  const from = Math.max(off - (off % nr), Math.ceil(vmaStartIdx));
  const to = Math.min(from + nr, ptes, (v.end - table) / ps);
  const pt = walkToTable(m, mm, addr, 0, false);
  if (!pt) return 0;
  let mapped = 0;
  for (let k = from; k < to; k++) {
    const a = table + k * ps;
    if (a === addr - (addr % ps) || pt.entries[m.index(pt, a)] !== 0) continue;
    if (touch(m, mm, a, { write: false }).ok) mapped++;
  }
  return mapped;
}
