// ================================================================ truncate / punch hole
/** Truncating a hugetlbfs file: its mappings unmapped, then its page-cache pages dropped. */
import { OK, fail, tlbGatherMmu, type OpResult, type SimFile } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { unmapHugepageRange } from './zap.js';

/**
 * fallocate(PUNCH_HOLE) / truncate on a hugetlbfs file: hugetlb_vmdelete_list (each mapping
 * unmapped with its own gather via unmap_hugepage_range, i_mmap_rwsem held for write
 * throughout), then remove_inode_hugepages drops the page-cache references.
 * `offset` and `len` are in bytes and must be multiples of the huge page size.
 */
export function punchHole(ctx: HugetlbContext, file: SimFile, offset: number, len: number): OpResult {
  const m = ctx.m;
  const maps = ctx.mappingsOf(file);
  const sz = maps.length ? ctx.hstateOf(maps[0].vma).size : ctx.pmdSize;
  if (offset % sz || len % sz || len <= 0) return fail('EINVAL', 'punch hole range not huge-page aligned');
  const startIdx = offset / ctx.ps;
  const endIdx = (offset + len) / ctx.ps;
  ctx.lockImmap(file);
  ctx.unmapLog = [];
  try {
    for (const { mm, vma } of maps) {
      const pages = (vma.end - vma.start) / ctx.ps;
      const vs = Math.max(startIdx, vma.pgoff);
      const ve = Math.min(endIdx, vma.pgoff + pages);
      if (vs >= ve) continue;
      // unmap_hugepage_range: its own gather
      const g = tlbGatherMmu(m, mm);
      unmapHugepageRange(ctx, g, vma, vma.start + (vs - vma.pgoff) * ctx.ps, vma.start + (ve - vma.pgoff) * ctx.ps);
      g.finish();
    }
    // remove_inode_hugepages
    const fr = m.frames;
    for (let idx = startIdx; idx < endIdx; idx += sz / ctx.ps) {
      const f = file.pages.get(idx);
      if (f === undefined) continue;
      file.pages.delete(idx);
      if (fr.addRefcount(f, -1) === 0) {
        for (const r of ctx.unmapLog) if (r.frame === f) m.checker.pageFreed(r.mm, r.addr, Math.log2(sz), r.epoch);
        fr.free(f);
        m.metrics.pagesFreed++;
      }
    }
  } finally {
    ctx.unmapLog = null;
    ctx.unlockImmap(file);
  }
  return OK;
}
