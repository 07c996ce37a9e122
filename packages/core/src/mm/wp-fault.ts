/**
 * Write-protection faults and the shared zero page (mm/memory.c do_wp_page, wp_page_copy,
 * do_anonymous_page): the faults whose handling flushes the TLB. A write to a present read-only
 * PTE either reuses the page (exclusive anonymous, or shared: a permission increase, no flush)
 * or copies it; the copy clears the old PTE with ptep_clear_flush, one single-page flush
 * (flush_tlb_page, the arch's own through the backend's hook) before the new page is mapped.
 * That covers copy-on-write after fork, the first write to a private file page a read fault (or
 * fault-around) mapped read-only, and the first write to anonymous memory a read fault mapped to
 * the zero page.
 */
import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { FOLIO_ANON, FrameKind } from '../machine/frames.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_DIRTY, PTE_EXEC, PTE_WRITE, PTE_YOUNG, mkPte, pteFrame } from '../machine/pte.js';
import { clearEntry } from './pgtable.js';
import { OK, type OpResult } from './errors.js';

/**
 * The shared zero page is mapped by a special PTE with no struct page of the mm's (vm_normal_page
 * gives none, as for PFNMAP): frame 0. Zapping it frees nothing; it is never counted in rss.
 */
export const ZERO_PAGE_FRAME = 0;

/** Does a private anonymous VMA's read fault map the zero page (do_anonymous_page without FAULT_FLAG_WRITE)? */
export function usesZeroPage(v: Vma): boolean {
  return v.flags.anon && !v.flags.shared && !v.flags.pfnmap && !v.flags.hugetlb;
}

/** do_anonymous_page for a read: map the zero page read-only (pte_mkspecial of my_zero_pfn). */
export function mapZeroPage(pt: PageTable, i: number, v: Vma): OpResult {
  pt.entries[i] = mkPte(ZERO_PAGE_FRAME, (v.flags.exec ? PTE_EXEC : 0) | PTE_YOUNG);
  pt.present++;
  return OK;
}

/** do_wp_page: a write to a write-protected PTE (COW after fork, a private file page, the zero page). */
export function doWpPage(m: Machine, mm: Mm, v: Vma, ents: Int32Array, i: number, addr: number): OpResult {
  const fr = m.frames;
  const old = ents[i];
  const f = pteFrame(old);
  const zero = f === ZERO_PAGE_FRAME;
  const exclusive = !zero && fr.flagsOf(f) & FOLIO_ANON && fr.mapcountOf(f) === 1 && fr.refcountOf(f) === 1;
  if (exclusive || (v.flags.shared && !zero)) {
    // wp_page_reuse: just make it writable (a permission increase needs no flush)
    ents[i] = old | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;
    return OK;
  }
  return wpPageCopy(m, mm, v, ents, i, addr);
}

/** wp_page_copy: a new page, ptep_clear_flush on the old PTE, then the old page dropped. */
function wpPageCopy(m: Machine, mm: Mm, v: Vma, ents: Int32Array, i: number, addr: number): OpResult {
  const fr = m.frames;
  const f = pteFrame(ents[i]);
  const zero = f === ZERO_PAGE_FRAME;
  if (!v.flags.anon) v.hasAnonVma = true;
  const nf = fr.alloc(FrameKind.Data);
  fr.setFlags(nf, FOLIO_ANON);
  fr.setMapcount(nf, 1);
  const cleared = clearEntry(m, ents, i);
  m.hooks.flushTlbPage(mm, addr - (addr % m.pageSize));
  ents[i] = mkPte(nf, PTE_WRITE | PTE_YOUNG | PTE_DIRTY | (v.flags.exec ? PTE_EXEC : 0));
  if (zero) {
    // the zero page was not counted; the new anonymous page is
    mm.rss++;
    return OK;
  }
  fr.addMapcount(f, -1);
  if (fr.addRefcount(f, -1) === 0) {
    m.checker.pageFreed(mm, addr, m.geometry.pageShift, cleared);
    fr.free(f);
    m.metrics.pagesFreed++;
  }
  return OK;
}
