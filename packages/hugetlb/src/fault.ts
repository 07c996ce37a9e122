// ================================================================ faults
/** hugetlb_fault: a hugetlb page mapped at its hstate's level, from the page cache or anonymous. */
import {
  FOLIO_ANON, FOLIO_DIRTY, FrameKind, PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_WRITE, PTE_YOUNG, OK, fail, mkPte, pteFrame,
  type Mm, type OpResult, type PageTable, type Vma,
} from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import type { Hstate } from './hstate.js';
import { hugePteAlloc } from './pmd-share.js';
import { noteRewrite } from './reuse-check.js';

/** hugetlb_fault (hugetlb_no_page / hugetlb_wp) */
export function hugetlbFault(ctx: HugetlbContext, mm: Mm, vma: Vma, addr: number, write: boolean): OpResult {
  const m = ctx.m;
  const h = ctx.hstateOf(vma);
  const haddr = addr - (addr % h.size);
  ctx.stats.faults++;
  const slot = hugePteAlloc(ctx, mm, vma, haddr, h, true);
  if (!slot) return fail('ENOMEM', 'huge_pte_alloc failed (a larger huge mapping covers the address)');
  const { t, i } = slot;
  const fr = m.frames;
  const e = t.entries[i];
  const leaf = h.level > 0 ? PTE_LEAF : 0;
  const exec = vma.flags.exec ? PTE_EXEC : 0;
  if (e === 0) {
    // hugetlb_no_page
    noteRewrite(ctx, t);
    let f: number;
    if (vma.flags.shared) {
      const idx = ctx.fileIndex(vma, haddr);
      const cached = vma.file!.pages.get(idx);
      if (cached === undefined) {
        f = fr.alloc(FrameKind.Data); // the page cache's reference
        vma.file!.pages.set(idx, f);
      } else f = cached;
      fr.addRefcount(f, 1);
      fr.addMapcount(f, 1);
      if (write) fr.addFlags(f, FOLIO_DIRTY);
    } else {
      // a private mapping gets its own (anonymous) huge folio
      f = fr.alloc(FrameKind.Data);
      fr.setFlags(f, FOLIO_ANON);
      fr.setMapcount(f, 1);
    }
    const writable = vma.flags.write && (vma.flags.shared || write);
    const pte = mkPte(f, (writable ? PTE_WRITE : 0) | exec | PTE_YOUNG | (write ? PTE_DIRTY : 0) | leaf);
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = pte;
    t.present += h.contig;
    return OK;
  }
  if (write && !(e & PTE_WRITE)) return hugetlbWp(ctx, mm, vma, t, i, haddr, h);
  const young = e | PTE_YOUNG | (write ? PTE_DIRTY : 0);
  for (let k = 0; k < h.contig; k++) t.entries[i + k] = young;
  return OK;
}

/** hugetlb_wp: reuse the page (shared, or exclusive anonymous) or copy it (COW) */
function hugetlbWp(ctx: HugetlbContext, mm: Mm, vma: Vma, t: PageTable, i: number, haddr: number, h: Hstate): OpResult {
  const m = ctx.m;
  const fr = m.frames;
  const old = t.entries[i];
  const f = pteFrame(old);
  const exclusive = (fr.flagsOf(f) & FOLIO_ANON) !== 0 && fr.mapcountOf(f) === 1 && fr.refcountOf(f) === 1;
  noteRewrite(ctx, t);
  if (vma.flags.shared || exclusive) {
    const np = old | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
    return OK;
  }
  const nf = fr.alloc(FrameKind.Data);
  fr.setFlags(nf, FOLIO_ANON);
  fr.setMapcount(nf, 1);
  // huge_ptep_clear_flush, then install the copy
  for (let k = 0; k < h.contig; k++) t.entries[i + k] = 0;
  const epoch = m.tlb.epoch;
  ctx.stats.cowFlushes++;
  m.hooks.flushTlbRange(mm, haddr, haddr + h.size, { exec: vma.flags.exec, hugetlb: true, hugeShift: vma.hugeShift });
  const np = mkPte(nf, PTE_WRITE | PTE_YOUNG | PTE_DIRTY | (vma.flags.exec ? PTE_EXEC : 0) | (h.level > 0 ? PTE_LEAF : 0));
  for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
  fr.addMapcount(f, -1);
  if (fr.addRefcount(f, -1) === 0) {
    m.checker.pageFreed(mm, haddr, h.shift, epoch);
    fr.free(f);
    m.metrics.pagesFreed++;
  }
  return OK;
}
