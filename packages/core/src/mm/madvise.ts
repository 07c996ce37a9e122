import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { tlbGatherMmu, type MmuGather } from '../gather/mmu-gather.js';
import { FOLIO_ANON, FOLIO_DIRTY, FOLIO_LAZYFREE } from '../machine/frames.js';
import { PTE_DIRTY, PTE_YOUNG, pteFrame } from '../machine/pte.js';
import { alignUp } from '../arch/geometry.js';
import { fail, OK, type OpResult } from './errors.js';
import { entrySize, pmdpInvalidate } from './pgtable.js';
import { walkPmdRange } from './pagewalk.js';
import { unmapSingleVma } from './zap.js';
import { flushTlbBatchedPending } from './reclaim.js';
import { MADV_DONTNEED_BATCHED, MADV_FREE_BATCHED } from '../kernel/mm-features.js';

export type Advice = 'dontneed' | 'dontneed_locked' | 'free';

/** The VMAs overlapping [start, end), and whether the range has holes (-> ENOMEM). */
function vmasIn(mm: Mm, start: number, end: number): { vmas: Vma[]; holes: boolean } {
  const vmas: Vma[] = [];
  let holes = false;
  let at = start;
  for (let i = mm.firstVmaIndexEndingAfter(start); i < mm.vmas.length && mm.vmas[i].start < end; i++) {
    const v = mm.vmas[i];
    if (v.start > at) holes = true;
    vmas.push(v);
    at = v.end;
  }
  if (at < end) holes = true;
  return { vmas, holes };
}

/**
 * zap_page_range_single_batched: zap one VMA in the caller's gather; for hugetlb, finish and
 * restart the gather so the pool refills before the hugetlb locks drop (core SPEC.md §9.6).
 */
export function zapPageRangeSingleBatched(m: Machine, g: MmuGather, v: Vma, addr: number, end: number, reclaimPt: boolean): void {
  unmapSingleVma(m, g, v, addr, end, { reclaimPt });
  if (v.flags.hugetlb) {
    g.finish();
    g.init(false);
  }
}

/** zap_page_range_single: its own gather around the batched version */
export function zapPageRangeSingle(m: Machine, mm: Mm, v: Vma, addr: number, size: number): void {
  const g = tlbGatherMmu(m, mm);
  zapPageRangeSingleBatched(m, g, v, addr, addr + size, false);
  g.finish();
}

/**
 * madvise(2) for the advices that batch TLB flushes: since v6.16 one gather for the whole call
 * (madvise_init_tlb / madvise_finish_tlb); before, each VMA had its own (madvise_free_single_vma,
 * madvise_dontneed_single_vma -> zap_page_range_single), so each VMA ended in its own flush.
 */
export function madvise(m: Machine, mm: Mm, start: number, length: number, advice: Advice): OpResult {
  const ps = m.pageSize;
  if (start % ps) return fail('EINVAL', `madvise address 0x${start.toString(16)} is not page-aligned`);
  if (length < 0) return fail('EINVAL', 'madvise length is negative');
  const end = start + alignUp(length, ps);
  if (end === start) return OK;
  const { vmas, holes } = vmasIn(mm, start, end);
  for (const v of vmas) {
    if (advice !== 'free' && !v.flags.hugetlb && (v.flags.pfnmap || (v.flags.locked && advice === 'dontneed'))) {
      return fail('EINVAL', `MADV_DONTNEED on a ${v.flags.pfnmap ? 'VM_PFNMAP' : 'VM_LOCKED'} VMA`);
    }
    if (advice === 'free' && !v.flags.anon) return fail('EINVAL', 'MADV_FREE on a non-anonymous VMA');
  }
  const batched = m.kernel.has(advice === 'free' ? MADV_FREE_BATCHED : MADV_DONTNEED_BATCHED);
  const g = batched ? tlbGatherMmu(m, mm) : null; // madvise_init_tlb
  for (const v of vmas) {
    const s = Math.max(start, v.start);
    let e = Math.min(end, v.end);
    if (advice !== 'free' && v.flags.hugetlb) {
      const hs = 2 ** v.hugeShift;
      if (s % hs) {
        g?.finish();
        return fail('EINVAL', 'MADV_DONTNEED on hugetlb must start huge-page aligned');
      }
      e -= e % hs;
      if (e <= s) continue;
    }
    if (g) {
      if (advice === 'free') madviseFreeVma(m, g, v, s, e);
      else zapPageRangeSingleBatched(m, g, v, s, e, true);
      continue;
    }
    // before v6.16: the VMA's own gather, finished before the next VMA
    const own = tlbGatherMmu(m, mm);
    if (advice === 'free') madviseFreeVma(m, own, v, s, e);
    else unmapSingleVma(m, own, v, s, e, { reclaimPt: true }); // zap_page_range_single(details: reclaim_pt)
    own.finish();
  }
  g?.finish(); // madvise_finish_tlb
  return holes ? fail('ENOMEM', 'part of the range is not mapped') : OK;
}

/** MADV_FREE on one anonymous VMA: clear young/dirty of mapped pages, queue nothing */
function madviseFreeVma(m: Machine, g: MmuGather, v: Vma, s: number, e: number): void {
  const ps = m.pageSize;
  const pmdSize = entrySize(m, 1);
  const fr = m.frames;
  g.startVma(v);
  walkPmdRange(m, g.mm, s, e, {
    pmdLeaf(pmd, pi, addr, next) {
      // madvise_free_huge_pmd: a whole, exclusively mapped THP that is young or dirty is
      // invalidated at once (pmdp_invalidate) and recorded at PMD level
      const pe = pmd.entries[pi];
      const f = pteFrame(pe);
      if (next - addr === pmdSize && fr.mapcountOf(f) === 1) {
        g.changePageSize(pmdSize);
        if (pe & (PTE_YOUNG | PTE_DIRTY)) {
          pmdpInvalidate(m, g.mm, addr, v.flags.exec);
          pmd.entries[pi] = pe & ~(PTE_YOUNG | PTE_DIRTY);
          g.flushPmdRange(addr, pmdSize); // tlb_remove_pmd_tlb_entry
        }
        fr.setFlags(f, (fr.flagsOf(f) & ~FOLIO_DIRTY) | FOLIO_LAZYFREE);
      }
    },
    // madvise_free_pte_range
    pteTable(_pmd, _pi, pt, addr, next) {
      g.changePageSize(ps);
      flushTlbBatchedPending(m, g.mm);
      for (let a = addr; a < next; a += ps) {
        const i = m.index(pt, a);
        const x = pt.entries[i];
        if (x === 0) continue;
        const sub = pteFrame(x);
        const f = m.tailHead.size ? m.tailHead.get(sub) ?? sub : sub;
        if (!(fr.flagsOf(f) & FOLIO_ANON)) continue;
        // a dirty folio that another mm also maps is left alone (folio_maybe_mapped_shared);
        // a clean shared one still has its PTE made old and clean
        const pages = 2 ** fr.orderOf(f);
        if (fr.flagsOf(f) & FOLIO_DIRTY && fr.mapcountOf(f) > pages) continue;
        if (x & (PTE_YOUNG | PTE_DIRTY)) {
          pt.entries[i] = x & ~(PTE_YOUNG | PTE_DIRTY);
          g.removeTlbEntries(a, 1);
        }
        fr.setFlags(f, (fr.flagsOf(f) & ~FOLIO_DIRTY) | FOLIO_LAZYFREE);
      }
    },
  });
  g.endVma();
}

