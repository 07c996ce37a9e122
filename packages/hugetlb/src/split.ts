// ================================================================ VMA split (hugetlb SPEC.md §4.4)
/** hugetlb_unshare_pmds and its callers: a VMA split, userfaultfd registration. */
import { alignDown, alignUp, type Mm, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import { tryUnshare } from './pmd-unshare.js';

/** hugetlb_split: losing PUD alignment around `addr`, unshare that one PUD region now */
export function hugetlbSplit(ctx: HugetlbContext, mm: Mm, vma: Vma, addr: number): void {
  ctx.splitDone.add(`${mm.id}:${addr}`);
  if (addr % ctx.pudSize === 0) return;
  const floor = addr - (addr % ctx.pudSize);
  const ceil = floor + ctx.pudSize;
  if (floor < vma.start || ceil > vma.end) return;
  ctx.lockImmap(vma.file);
  try {
    hugetlbUnsharePmds(ctx, mm, vma, floor, ceil);
  } finally {
    ctx.unlockImmap(vma.file);
  }
}

/** hugetlb_unshare_all_pmds (userfaultfd WP/MINOR registration): every PUD region of the VMA */
export function hugetlbUnshareAllPmds(ctx: HugetlbContext, mm: Mm, vma: Vma): void {
  ctx.lockImmap(vma.file);
  try {
    hugetlbUnsharePmds(ctx, mm, vma, alignUp(vma.start, ctx.pudSize), alignDown(vma.end, ctx.pudSize));
  } finally {
    ctx.unlockImmap(vma.file);
  }
}

/** hugetlb_unshare_pmds */
function hugetlbUnsharePmds(ctx: HugetlbContext, mm: Mm, vma: Vma, start: number, end: number): void {
  const m = ctx.m;
  if (!vma.flags.shared || start >= end) return;
  const h = ctx.hstateOf(vma);
  const unshares = ctx.policy.caller(vma, mm);
  const f0 = m.metrics.archFlushes;
  for (let a = start; a < end; a += ctx.pudSize) {
    const slot = ctx.walk(mm, a, h);
    if (!slot) continue;
    tryUnshare(ctx, unshares, mm, vma, a, h, slot.t);
  }
  // V0/V1 flush [start, end) whether or not anything was unshared
  unshares.flush(vma, [start, end], [start, end], false);
  ctx.stats.flushes += m.metrics.archFlushes - f0;
  unshares.finish();
}
