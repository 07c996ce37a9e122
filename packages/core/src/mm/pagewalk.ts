/**
 * The page-table walker the mm operations share, as mm/pagewalk.c is for the kernel's walkers:
 * walk_page_range descends the real levels from the pgd, skips what is not mapped at any level,
 * and hands each PMD entry in [start, end) to the caller's ops (the pmd_entry callback split by
 * what the entry is). mm_find_pmd is the single-address form.
 */
import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF } from '../machine/pte.js';
import { childTable } from '../machine/pgtable-pages.js';
import { entrySize, walkToTable } from './pgtable.js';

/** A pmdLeaf callback's answer: walk this entry again (pagewalk.c's ACTION_AGAIN, after a split). */
export const ACTION_AGAIN = 'again';

/** What the walker hands over for each mapped PMD entry covering [addr, next). */
export interface PmdWalkOps {
  /** a PMD-mapped huge page (THP) at pmd.entries[i]; [addr, next) may be only part of it */
  pmdLeaf?(pmd: PageTable, i: number, addr: number, next: number): typeof ACTION_AGAIN | void;
  /** a PTE table `pt` linked at pmd.entries[i] */
  pteTable?(pmd: PageTable, i: number, pt: PageTable, addr: number, next: number): void;
}

/** walk_page_range over [start, end) of `mm`'s page tables with pmd-level `ops`. */
export function walkPmdRange(m: Machine, mm: Mm, start: number, end: number, ops: PmdWalkOps): void {
  walkLevel(m, mm.pgd, start, end, ops);
}

/**
 * walk_p?d_range for the entries of table `t` (a real level above the PTE tables). [addr, end)
 * lies inside what `t` maps; its entries are scanned by index, so that a long stretch of none
 * entries (a big sparse mapping) costs an array read each, not an address computation each.
 */
function walkLevel(m: Machine, t: PageTable, addr: number, end: number, ops: PmdWalkOps): void {
  const size = entrySize(m, t.level);
  const ents = t.entries;
  const i0 = m.index(t, addr);
  // the address entry i0 starts at; entry i starts (i - i0) entries after it (exact: sizes are powers of two)
  const first = Math.floor(addr / size) * size; // addr - addr % size, without a float modulo
  const iEnd = Math.min(ents.length, i0 + Math.ceil((end - first) / size));
  for (let i = i0; i < iEnd; i++) {
    const e = ents[i];
    if (e === 0) continue;
    const a = i === i0 ? addr : first + (i - i0) * size;
    const next = Math.min(first + (i - i0 + 1) * size, end);
    if (t.level === 1) {
      if (e & PTE_LEAF) {
        // ACTION_AGAIN: the callback split the entry; walk the same entry again
        if (ops.pmdLeaf?.(t, i, a, next) === ACTION_AGAIN) i--;
      } else ops.pteTable?.(t, i, childTable(m, t, i, e), a, next);
    } else if (!(e & PTE_LEAF)) {
      // a huge leaf above the PMD level (PUD-level THP/DAX) is not modelled
      walkLevel(m, childTable(m, t, i, e), a, next, ops);
    }
  }
}

/** mm_find_pmd: the PMD table and index mapping `addr`, with its entry (null: no PMD table there). */
export function findPmd(m: Machine, mm: Mm, addr: number): { pmd: PageTable; i: number; e: number } | null {
  const pmd = walkToTable(m, mm, addr, 1, false);
  if (!pmd) return null;
  const i = m.index(pmd, addr);
  return { pmd, i, e: pmd.entries[i] };
}
