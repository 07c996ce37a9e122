// ================================================================ fork (hugetlb SPEC.md §4.6)
/** copy_hugetlb_page_range: fork never unshares. */
import { PTE_WRITE, pteFrame, type Mm, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { hugePteAlloc } from './pmd-share.js';

/**
 * copy_hugetlb_page_range when vma_needs_copy: MAP_SHARED hugetlb VMAs are not copied (no
 * anon_vma, no uffd-wp modelled); the child shares tables lazily at its first fault. Private
 * mappings are copied write-protected in both (copy-on-write).
 */
export function copyHugetlbPageRange(ctx: HugetlbContext, src: Mm, dst: Mm, srcVma: Vma, dstVma: Vma, reductions: { start: number; end: number; epoch: number }[]): void {
  if (srcVma.flags.shared) return;
  const m = ctx.m;
  const h = ctx.hstateOf(srcVma);
  const fr = m.frames;
  for (let a = srcVma.start; a < srcVma.end; a += h.size) {
    const slot = ctx.walk(src, a, h);
    if (!slot) {
      a = ctx.lastInTable(a, h);
      continue;
    }
    const d = hugePteAlloc(ctx, dst, dstVma, a, h, true);
    if (!d) break;
    if (h.level === 1 && d.t.share > 0) {
      // a shared destination table already maps the region (ptdesc_pmd_is_shared)
      a = ctx.lastInTable(a, h);
      continue;
    }
    let e = slot.t.entries[slot.i];
    if (e === 0) continue;
    const f = pteFrame(e);
    fr.addRefcount(f, 1);
    fr.addMapcount(f, 1);
    if (e & PTE_WRITE) {
      e &= ~PTE_WRITE; // huge_ptep_set_wrprotect on the parent
      for (let k = 0; k < h.contig; k++) slot.t.entries[slot.i + k] = e;
      reductions.push({ start: a, end: a + ctx.ps, epoch: m.tlb.epoch });
    }
    for (let k = 0; k < h.contig; k++) d.t.entries[d.i + k] = e;
    d.t.present += h.contig;
  }
}
