// ================================================================ mremap (hugetlb SPEC.md §4.3)
/** mremap(2) of a hugetlb VMA: the size rules, and move_hugetlb_page_tables for MREMAP_FIXED. */
import { alignUp, fail, mmap, munmap, type Mm, type OpResult, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { hugePteAlloc } from './pmd-share.js';
import { tryUnshare } from './pmd-unshare.js';

/**
 * mremap(2) on a hugetlb VMA: lengths round up to the huge page size, addresses must be
 * huge-aligned, growing is refused (the reservation code cannot split), MREMAP_FIXED moves the
 * range with move_vma -> move_hugetlb_page_tables and then unmaps the old range.
 */
export function mremapHugetlb(ctx: HugetlbContext, mm: Mm, old: number, oldLen: number, newLen: number, opts: { mayMove?: boolean; fixed?: number } = {}): OpResult & { addr?: number; moved?: boolean } {
  const m = ctx.m;
  const v = mm.findVma(old);
  if (!v || !v.flags.hugetlb) return fail('EFAULT', 'mremap: no hugetlb VMA at the old address');
  const h = ctx.hstateOf(v);
  const sz = h.size;
  oldLen = alignUp(oldLen, sz);
  newLen = alignUp(newLen, sz);
  if (old % sz) return fail('EINVAL', 'mremap: hugetlb address not huge-page aligned');
  if (opts.fixed !== undefined && opts.fixed % sz) return fail('EINVAL', 'mremap: new hugetlb address not huge-page aligned');
  if (newLen === 0) return fail('EINVAL', 'mremap: new length is 0');
  if (newLen > oldLen) return fail('EINVAL', 'mremap: a hugetlb mapping cannot grow');
  if (old + oldLen > v.end) return fail('EFAULT', 'mremap: old range is not one mapped VMA');
  if (opts.fixed === undefined) {
    if (newLen < oldLen) {
      const r = munmap(m, mm, old + newLen, oldLen - newLen);
      if (!r.ok) return r;
    }
    return { ok: true, addr: old, moved: false };
  }
  if (!opts.mayMove) return fail('EINVAL', 'MREMAP_FIXED requires MREMAP_MAYMOVE');
  const neu = opts.fixed;
  if (neu < old + oldLen && old < neu + newLen) return fail('EINVAL', 'mremap: old and new ranges overlap');
  // mremap_to: unmap the destination, trim the source to the new length
  let r = munmap(m, mm, neu, newLen);
  if (!r.ok) return r;
  if (oldLen > newLen) {
    r = munmap(m, mm, old + newLen, oldLen - newLen);
    if (!r.ok) return r;
  }
  const src = mm.findVma(old)!;
  // move_vma: copy_vma creates the new VMA (with its own hugetlb VMA lock)
  const nr = mmap(m, mm, {
    addr: neu, length: newLen, read: src.flags.read, write: src.flags.write, exec: src.flags.exec,
    shared: src.flags.shared, file: src.file ?? undefined, pgoff: src.pgoff + (old - src.start) / ctx.ps,
    hugetlb: true, hugeSize: sz, name: src.name,
  });
  if (!nr.ok) return nr;
  const newVma = mm.findVma(neu)!;
  moveHugetlbPageTables(ctx, mm, src, newVma, old, neu, newLen);
  r = munmap(m, mm, old, newLen);
  if (!r.ok) return r;
  return { ok: true, addr: neu, moved: true };
}

/**
 * move_hugetlb_page_tables. A source entry in a shared table is not moved: the table is unshared
 * and the rest of its PUD region skipped in both ranges (refaulted later from the page cache).
 * The destination is allocated without PMD sharing: huge_pmd_share would need i_mmap_rwsem for
 * read while this function holds it for write.
 */
function moveHugetlbPageTables(ctx: HugetlbContext, mm: Mm, vma: Vma, newVma: Vma, oldAddr: number, newAddr: number, len: number): void {
  const m = ctx.m;
  const h = ctx.hstateOf(vma);
  const sz = h.size;
  const oldEnd = oldAddr + len;
  const [rs, re] = ctx.adjustRange(vma, oldAddr, oldEnd);
  const unshares = ctx.policy.caller(vma, mm);
  const f0 = m.metrics.archFlushes;
  ctx.lockImmap(vma.file);
  const skip = (a: number) => ctx.lastInTable(a, h);
  for (; oldAddr < oldEnd; oldAddr += sz, newAddr += sz) {
    const slot = ctx.walk(mm, oldAddr, h);
    if (!slot) {
      oldAddr = skip(oldAddr);
      newAddr = skip(newAddr);
      continue;
    }
    const { t, i } = slot;
    const e = t.entries[i];
    if (e === 0) continue;
    if (tryUnshare(ctx, unshares, mm, vma, oldAddr, h, t)) {
      oldAddr = skip(oldAddr);
      newAddr = skip(newAddr);
      continue;
    }
    const d = hugePteAlloc(ctx, mm, newVma, newAddr, h, false);
    if (!d) break;
    // move_huge_pte
    for (let k = 0; k < h.contig; k++) {
      t.entries[i + k] = 0;
      d.t.entries[d.i + k] = e;
    }
    t.present -= h.contig;
    d.t.present += h.contig;
    unshares.entryChanged(sz, oldAddr);
  }
  unshares.flush(vma, [rs, re], [oldEnd - len, oldEnd], true);
  ctx.unlockImmap(vma.file);
  ctx.stats.flushes += m.metrics.archFlushes - f0;
  unshares.finish();
}
