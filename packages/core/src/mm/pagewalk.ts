/**
 * The page-table walker the mm operations share, as mm/pagewalk.c is for the kernel's walkers:
 * walk_page_range descends the real levels from the pgd, skips what is not mapped at any level,
 * and hands each PMD entry in [start, end) to the caller's ops (the pmd_entry callback split by
 * what the entry is). mm_find_pmd is the single-address form.
 */
import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF, pteFrame } from '../machine/pte.js';
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

/** walk_p?d_range for the entries of table `t` (a real level above the PTE tables). */
function walkLevel(m: Machine, t: PageTable, addr: number, end: number, ops: PmdWalkOps): void {
  const size = entrySize(m, t.level);
  while (addr < end) {
    const next = Math.min(addr - (addr % size) + size, end);
    const i = m.index(t, addr);
    const e = t.entries[i];
    if (e !== 0) {
      if (t.level === 1) {
        if (e & PTE_LEAF) {
          if (ops.pmdLeaf?.(t, i, addr, next) === ACTION_AGAIN) continue;
        } else ops.pteTable?.(t, i, m.tables.get(pteFrame(e))!, addr, next);
      } else if (!(e & PTE_LEAF)) {
        // a huge leaf above the PMD level (PUD-level THP/DAX) is not modelled
        walkLevel(m, m.tables.get(pteFrame(e))!, addr, next, ops);
      }
    }
    addr = next;
  }
}

/** mm_find_pmd: the PMD table and index mapping `addr`, with its entry (null: no PMD table there). */
export function findPmd(m: Machine, mm: Mm, addr: number): { pmd: PageTable; i: number; e: number } | null {
  const pmd = walkToTable(m, mm, addr, 1, false);
  if (!pmd) return null;
  const i = m.index(pmd, addr);
  return { pmd, i, e: pmd.entries[i] };
}
