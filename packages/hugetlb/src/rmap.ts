// ================================================================ rmap (hugetlb SPEC.md §4.5)
/** try_to_unmap_one on a hugetlbfs file folio: the file-side rmap walk over its mappings. */
import { FOLIO_DIRTY, PTE_DIRTY, pteFrame, type SimFile } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { hugePmdUnshare } from './pmd-unshare.js';
import { noteRewrite } from './reuse-check.js';

/**
 * try_to_unmap / try_to_migrate of one hugetlbfs file folio (the page at file index `idx`, in
 * base pages): for every mapping, unshare a shared PMD table (which unmaps the folio from that
 * mapping) or clear the entry with huge_ptep_clear_flush. The rmap walk holds i_mmap_rwsem for
 * write. Returns the number of mappings removed.
 */
export function tryToUnmap(ctx: HugetlbContext, file: SimFile, idx: number): number {
  const m = ctx.m;
  const frame = file.pages.get(idx);
  if (frame === undefined) return 0;
  const fr = m.frames;
  let removed = 0;
  ctx.lockImmap(file);
  try {
    for (const { mm, vma } of ctx.mappingsOf(file)) {
      const h = ctx.hstateOf(vma);
      const pages = (vma.end - vma.start) / ctx.ps;
      if (idx < vma.pgoff || idx >= vma.pgoff + pages) continue;
      const addr = vma.start + (idx - vma.pgoff) * ctx.ps;
      const slot = ctx.walk(mm, addr, h);
      if (!slot) continue;
      const e = slot.t.entries[slot.i];
      if (e === 0 || pteFrame(e) !== frame) continue;
      if (h.level === 1 && ctx.sharing && h.shareable) {
        // hugetlb VMA lock trylock (uncontended here), then try to unshare
        const unshares = ctx.policy.caller(vma, mm);
        const f0 = m.metrics.archFlushes;
        if (hugePmdUnshare(ctx, unshares, mm, vma, addr, slot.t)) {
          const range = ctx.adjustRange(vma, addr, addr + h.size);
          unshares.flush(vma, range, range, false);
          ctx.stats.flushes += m.metrics.archFlushes - f0;
          unshares.finish();
          removed++;
          continue;
        }
        noteRewrite(ctx, slot.t);
        unshares.finish();
      }
      // huge_ptep_clear_flush
      for (let k = 0; k < h.contig; k++) slot.t.entries[slot.i + k] = 0;
      slot.t.present -= h.contig;
      const epoch = m.tlb.epoch;
      ctx.directFlush(mm, vma, addr, addr + h.size);
      if (e & PTE_DIRTY) fr.addFlags(frame, FOLIO_DIRTY);
      fr.addMapcount(frame, -1);
      if (fr.addRefcount(frame, -1) === 0) {
        m.checker.pageFreed(mm, addr, h.shift, epoch);
        fr.free(frame);
        m.metrics.pagesFreed++;
      }
      removed++;
    }
  } finally {
    ctx.unlockImmap(file);
  }
  return removed;
}
