import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF, mkPte, pteFrame } from '../machine/pte.js';
import { tableSpan } from '../arch/geometry.js';

/** pmdp_invalidate: flush_pmd_tlb_range over the THP at `base` */
export function pmdpInvalidate(m: Machine, mm: Mm, base: number, exec: boolean): void {
  const size = 2 ** m.geometry.levels[1].shift;
  m.hooks.flushPmdTlbRange(mm, base, base + size, { exec, hugetlb: false });
}

/** The next real (non-folded) level below `level`, or -1. */
export function childLevel(m: Machine, level: number): number {
  const lv = m.geometry.levels;
  for (let l = level - 1; l >= 0; l--) if (lv[l].folding === 'none') return l;
  return -1;
}

/** Entry size at `level` in bytes. */
export function entrySize(m: Machine, level: number): number {
  return 2 ** m.geometry.levels[level].shift;
}

/**
 * Walk from the pgd to the table of logical `level` that maps `addr`, allocating missing tables
 * when `alloc` (a fault's p?d_alloc). Returns null when a table is missing (no alloc) or a huge
 * leaf sits above `level`.
 */
export function walkToTable(m: Machine, mm: Mm, addr: number, level: number, alloc: boolean): PageTable | null {
  let t: PageTable = mm.pgd;
  while (t.level > level) {
    const idx = m.index(t, addr);
    const e = t.entries[idx];
    if (e === 0) {
      if (!alloc) return null;
      const cl = childLevel(m, t.level);
      const span = tableSpan(m.geometry, cl);
      const child = m.newTable(cl, addr - (addr % span), mm);
      t.entries[idx] = mkPte(child.frame, 0);
      t.present++;
      if (cl === 0) mm.nrPtes++;
      else if (cl === 1) mm.nrPmds++;
      else if (cl === 2) mm.nrPuds++;
      t = child;
      continue;
    }
    if (e & PTE_LEAF) return null;
    t = m.tables.get(pteFrame(e))!;
  }
  return t;
}

/** The table entry slot (table + index) that maps addr at `level`, if the path exists. */
export function lookupEntry(m: Machine, mm: Mm, addr: number, level: number): { t: PageTable; i: number } | null {
  const t = walkToTable(m, mm, addr, level, false);
  if (!t || t.level !== level) return null;
  return { t, i: m.index(t, addr) };
}
