import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF, mkPte } from '../machine/pte.js';
import { childTable } from '../machine/pgtable-pages.js';
import { stampNow, type ClearStamp } from '../check/checker.js';

/**
 * ptep_get_and_clear / pmdp_huge_get_and_clear: clear entry `i` of `ents`; the stamp is what the
 * checker needs to know about the clear (the caller read the old entry and keeps `present`).
 */
export function clearEntry(m: Machine, ents: Int32Array, i: number): ClearStamp {
  ents[i] = 0;
  return stampNow(m);
}

/**
 * set_pte_at / set_pmd_at of a changed present entry (ptep_set_wrprotect, the commit of
 * ptep_modify_prot_start/commit): the stamp from which the old permissions are gone.
 */
export function setEntry(m: Machine, ents: Int32Array, i: number, e: number): ClearStamp {
  ents[i] = e;
  return stampNow(m);
}

/**
 * pte_offset_map_lock for a pass that clears entries: every entry cleared while the PTE lock is
 * held is cleared at or after this stamp.
 */
export function ptlStamp(m: Machine): ClearStamp {
  return stampNow(m);
}

/**
 * pmdp_invalidate_ad on the THP at `base` (the arch's, else pmdp_invalidate): the stamp at which
 * the entry stopped being valid.
 */
export function pmdpInvalidateAd(m: Machine, mm: Mm, base: number, exec: boolean): ClearStamp {
  const invalidated = stampNow(m);
  m.hooks.pmdpInvalidateAd(mm, base, { exec, hugetlb: false });
  return invalidated;
}

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
  return m.levelSizes[level];
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
      const span = m.tableSpans[cl];
      const child = m.newTable(cl, addr - (addr % span), mm);
      t.entries[idx] = mkPte(child.frame, 0);
      t.present++;
      // p?d_populate: pmd_populate for a PTE table, pud_populate for a PMD table, ...
      m.hooks.setTableEntry(mm, cl + 1, true);
      if (cl === 0) mm.nrPtes++;
      else if (cl === 1) mm.nrPmds++;
      else if (cl === 2) mm.nrPuds++;
      t = child;
      continue;
    }
    if (e & PTE_LEAF) return null;
    t = childTable(m, t, idx, e);
  }
  return t;
}

/** The table entry slot (table + index) that maps addr at `level`, if the path exists. */
export function lookupEntry(m: Machine, mm: Mm, addr: number, level: number): { t: PageTable; i: number } | null {
  const t = walkToTable(m, mm, addr, level, false);
  if (!t || t.level !== level) return null;
  return { t, i: m.index(t, addr) };
}
