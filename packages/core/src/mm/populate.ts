/**
 * populate_vma_page_range (mm/gup.c): fault in the pages of a range of one VMA, as __mm_populate
 * does for MAP_POPULATE and mlock, and as a front end does for the pages it assumes a program
 * used (the strace replay's touch assumption). The kernel faults page by page (__get_user_pages
 * calling handle_mm_fault); the model leaves exactly the state that per-page loop of
 * {@link touch} leaves (the same frames in the same order, the same tables, PTEs and counters),
 * but walks the page table once per PTE table instead of once per page.
 *
 * A page already mapped is left as it is, written or not: the range is taken as used, and no
 * write fault (copy-on-write after fork) is forced on a page that is present.
 */
import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { mapAnonPage, mapNewPage, NewPage, newPageBits, newPageKind } from './fault.js';
import { entrySize, walkToTable } from './pgtable.js';

/**
 * Fault in the absent pages of [start, end) in `v` (page-aligned, inside `v`, not hugetlb), write
 * faults when `write`. No page is faulted in once the machine has `maxFrames` frames in use:
 * returns the address of the first page left absent that way, else `end`. Pages under a huge
 * mapping (a THP's PMD) are left as they are.
 */
export function populateVmaRange(m: Machine, mm: Mm, v: Vma, start: number, end: number, write: boolean, maxFrames = Infinity): number {
  if (v.flags.hugetlb) throw new RangeError('populateVmaRange: a hugetlb VMA is faulted one huge page at a time (touch)');
  if (write && !v.flags.write) throw new RangeError('populateVmaRange: write faults on a read-only VMA');
  const ps = m.pageSize;
  const span = entrySize(m, 1);
  const fr = m.frames;
  // what each fault maps is the VMA's: decided once, the loop touches the tables and frames only
  const kind = newPageKind(v, write);
  const bits = newPageBits(v, write, kind);
  const anon = kind === NewPage.Anon;
  let a = start;
  while (a < end) {
    const tableEnd = Math.min(end, Math.floor(a / span) * span + span);
    // under the frame limit one walk finds the PTE table or makes the missing ones (p?d_alloc,
    // pte_alloc); at the limit nothing may be allocated: the walk only looks
    const had = fr.allocated;
    const pt = walkToTable(m, mm, a, 0, had < maxFrames);
    if (!pt) {
      if (had >= maxFrames) return a;
      a = tableEnd; // a huge mapping covers this part of the range
      continue;
    }
    let i = m.index(pt, a);
    if (fr.allocated !== had) {
      // the tables are new: the first page's fault made them and maps the page, one step under
      // the frame limit
      faultOne(m, mm, v, pt, i, a, write, kind, bits);
      a += ps;
      i++;
    }
    const ents = pt.entries;
    if (anon) {
      // the rest of this table's part of the range in one pass over its entries
      const iEnd = i + (tableEnd - a) / ps;
      const before = fr.allocated;
      const stop = fr.mapAnonPtes(ents, i, iEnd, bits, maxFrames - before);
      const n = fr.allocated - before;
      if (n > 0) {
        if (!v.flags.anon) v.hasAnonVma = true; // anon_vma_prepare
        pt.present += n;
        mm.rss += n;
      }
      if (stop < iEnd) return a + (stop - i) * ps;
      a = tableEnd;
      continue;
    }
    for (; a < tableEnd; a += ps, i++) {
      if (ents[i] !== 0) continue;
      if (fr.allocated >= maxFrames) return a;
      faultOne(m, mm, v, pt, i, a, write, kind, bits);
    }
  }
  return end;
}

/**
 * One page's fault (do_anonymous_page or the VMA's other kind), a plain function rather than a
 * closure made per call. anon_vma_prepare on a private copy's fault: setting hasAnonVma again is
 * a no-op, as the kernel's finds the anon_vma there.
 */
function faultOne(m: Machine, mm: Mm, v: Vma, pt: PageTable, i: number, a: number, write: boolean, kind: NewPage, bits: number): void {
  if (kind !== NewPage.Anon) return mapNewPage(m, mm, v, pt, i, a, write, kind, bits);
  if (!v.flags.anon) v.hasAnonVma = true;
  mapAnonPage(m.frames, mm, pt, i, bits);
}
