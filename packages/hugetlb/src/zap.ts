// ================================================================ zap (hugetlb SPEC.md §4.1)
/** __unmap_hugepage_range: a hugetlb VMA's entries cleared into the caller's gather. */
import { FOLIO_DIRTY, PTE_DIRTY, alignUp, pteFrame, type MmuGather, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { tryUnshare } from './pmd-unshare.js';

/** __unmap_hugepage_range (i_mmap_rwsem held by the caller) */
export function unmapHugepageRange(ctx: HugetlbContext, g: MmuGather, vma: Vma, start: number, end: number): void {
  const m = ctx.m;
  const mm = g.mm;
  const h = ctx.hstateOf(vma);
  const sz = h.size;
  const fr = m.frames;
  const f0 = m.metrics.archFlushes;
  const unshares = ctx.policy.zap(g);
  start -= start % sz;
  end = alignUp(end, sz);
  g.changePageSize(sz);
  g.startVma(vma);
  for (let a = start; a < end; a += sz) {
    const slot = ctx.walk(mm, a, h);
    if (!slot) {
      a = ctx.lastInTable(a, h);
      continue;
    }
    const { t, i } = slot;
    if (tryUnshare(ctx, unshares, mm, vma, a, h, t)) {
      unshares.afterUnshare(a);
      a = ctx.lastInTable(a, h);
      continue;
    }
    const e = t.entries[i];
    if (e === 0) continue;
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = 0;
    t.present -= h.contig;
    g.removeHugeTlbEntry(sz, a);
    const f = pteFrame(e);
    if (e & PTE_DIRTY) fr.addFlags(f, FOLIO_DIRTY);
    if (ctx.unmapLog) ctx.unmapLog.push({ mm, addr: a, frame: f, epoch: m.tlb.epoch });
    fr.addMapcount(f, -1); // hugetlb_remove_rmap
    g.removePageSize(f, sz, a);
  }
  g.endVma();
  unshares.flush(vma);
  ctx.stats.flushes += m.metrics.archFlushes - f0;
}
