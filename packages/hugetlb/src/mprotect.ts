// ================================================================ mprotect (hugetlb SPEC.md §4.2)
/** hugetlb_change_protection: every shared table in the range is unshared, the rest rewritten. */
import { PTE_EXEC, PTE_WRITE, type MmuGather, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { tryUnshare } from './pmd-unshare.js';

/**
 * hugetlb_change_protection. V0/V1 use no gather and always end with one direct
 * flush_hugetlb_tlb_range; V2 uses its own gather (tlb_gather_mmu_vma), not mprotect's.
 */
export function hugetlbChangeProtection(ctx: HugetlbContext, outer: MmuGather, vma: Vma, start: number, end: number, reductions: { start: number; end: number; epoch: number }[]): void {
  const m = ctx.m;
  const mm = outer.mm;
  const h = ctx.hstateOf(vma);
  const sz = h.size;
  const [rs, re] = ctx.adjustRange(vma, start, end);
  const unshares = ctx.policy.caller(vma, mm);
  const f0 = m.metrics.archFlushes;
  ctx.lockImmap(vma.file);
  for (let a = start; a < end; a += sz) {
    const slot = ctx.walk(mm, a, h);
    if (!slot) {
      a = ctx.lastInTable(a, h);
      continue;
    }
    const { t, i } = slot;
    if (h.level === 1 && t.share > 0) {
      // the unshared region disappears from this mm: no translation may survive the call
      const base = a - (a % ctx.pudSize);
      const epoch = m.tlb.epoch;
      for (let k = 0; k < t.entries.length; k++) if (t.entries[k] !== 0) reductions.push({ start: base + k * sz, end: base + k * sz + ctx.ps, epoch });
    }
    if (tryUnshare(ctx, unshares, mm, vma, a, h, t)) {
      a = ctx.lastInTable(a, h);
      continue;
    }
    const e = t.entries[i];
    if (e === 0) continue;
    const np = protEntry(vma, e);
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
    unshares.entryChanged(sz, a);
    if (((e & PTE_WRITE) && !(np & PTE_WRITE)) || ((e & PTE_EXEC) && !(np & PTE_EXEC))) {
      reductions.push({ start: a, end: a + ctx.ps, epoch: m.tlb.epoch });
    }
  }
  unshares.flush(vma, [rs, re], [start, end], true);
  ctx.unlockImmap(vma.file);
  ctx.stats.flushes += m.metrics.archFlushes - f0;
  // mprotect's own gather is live: this finish sees a nested flusher (mm_tlb_flush_nested)
  unshares.finish();
}

/** huge_pte_modify with the VMA's new protection (private mappings stay write-protected: COW) */
function protEntry(vma: Vma, e: number): number {
  let np = e & ~(PTE_WRITE | PTE_EXEC);
  if (vma.flags.exec) np |= PTE_EXEC;
  if (vma.flags.write && vma.flags.shared) np |= PTE_WRITE;
  return np;
}
