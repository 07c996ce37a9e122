import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { tlbGatherMmu, type MmuGather } from '../gather/mmu-gather.js';
import { FOLIO_ANON } from '../machine/frames.js';
import { PTE_EXEC, PTE_LEAF, PTE_WRITE, pteFrame } from '../machine/pte.js';
import { alignUp } from '../arch/geometry.js';
import { fail, OK, type OpResult } from './errors.js';
import { entrySize, pmdpInvalidate, pmdpInvalidateAd, setEntry } from './pgtable.js';
import { ACTION_AGAIN, walkPmdRange } from './pagewalk.js';
import { copyVmaFlags, splitVmaAt } from './mmap.js';
import { splitHugePmd } from './zap.js';
import { flushTlbBatchedPending } from './reclaim.js';
import { usesZeroPage, ZERO_PAGE_FRAME } from './wp-fault.js';

export interface Prot {
  read: boolean;
  write: boolean;
  exec: boolean;
}

/** A permission reduction the checker must see invalidated by the time the call returns. */
export interface Reduction {
  start: number;
  end: number;
  /** when the permission went (a ClearStamp from core's entry-changing helpers) */
  epoch: number;
  /** log2 of the mapping size (a PMD-mapped THP is one 2 MiB translation); default PAGE_SHIFT */
  shift?: number;
}

/**
 * Record the reduction of one base page at `a` cleared at `epoch`: the range before it grows
 * when it ends at `a` with the same stamp (what the checker sees of it is the same pages with
 * the same stamps, in the same order), so that a long run of pages is one range, not one each.
 */
export function pushPageReduction(reductions: Reduction[], a: number, ps: number, epoch: number): void {
  const last = reductions.length > 0 ? reductions[reductions.length - 1] : undefined;
  if (last && last.end === a && last.epoch === epoch && last.shift === undefined) last.end = a + ps;
  else reductions.push({ start: a, end: a + ps, epoch });
}

/** mprotect(2): one gather around the VMA loop (4a18419f71cd, v5.19: every modelled release), change_protection per VMA. */
export function mprotect(m: Machine, mm: Mm, start: number, length: number, prot: Prot): OpResult {
  const ps = m.pageSize;
  if (start % ps) return fail('EINVAL', `mprotect address 0x${start.toString(16)} is not page-aligned`);
  const end = start + alignUp(length, ps);
  if (end === start) return OK;
  // the whole range must be mapped
  let at = start;
  for (let i = mm.firstVmaIndexEndingAfter(start); i < mm.vmas.length && mm.vmas[i].start < end; i++) {
    if (mm.vmas[i].start > at) break;
    at = mm.vmas[i].end;
  }
  if (at < end) return fail('ENOMEM', 'mprotect range is not fully mapped');
  for (let i = mm.firstVmaIndexEndingAfter(start); i < mm.vmas.length && mm.vmas[i].start < end; i++) {
    const v = mm.vmas[i];
    if (v.flags.hugetlb) {
      const hs = 2 ** v.hugeShift;
      if (start % hs || end % hs) return fail('EINVAL', 'mprotect of a hugetlb VMA off a huge-page boundary');
    }
  }
  const reductions: Reduction[] = [];
  // do_mprotect_pkey: the gather is live before mprotect_fixup splits VMAs (a hugetlb split's
  // own gather therefore sees a nested flusher)
  const g = tlbGatherMmu(m, mm);
  const same = (v: Vma) => v.flags.read === prot.read && v.flags.write === prot.write && v.flags.exec === prot.exec;
  for (let i = mm.firstVmaIndexEndingAfter(start); i < mm.vmas.length && mm.vmas[i].start < end; i++) {
    // mprotect_fixup: newflags == oldflags leaves the VMA alone (no split, no walk, no flush)
    if (same(mm.vmas[i])) continue;
    if (mm.vmas[i].start < start) {
      splitVmaAt(m, mm, start);
      continue; // the next iteration sees the piece that starts at `start`
    }
    if (mm.vmas[i].end > end) splitVmaAt(m, mm, end);
    const v = mm.vmas[i];
    const flags = copyVmaFlags(v.flags);
    flags.read = prot.read;
    flags.write = prot.write;
    flags.exec = prot.exec;
    v.flags = flags;
    if (v.flags.hugetlb) {
      if (!m.hugetlb?.changeProtection) throw new Error('hugetlb mprotect needs @tlbsim/hugetlb');
      m.hugetlb.changeProtection(m, g, v, v.start, v.end, reductions);
    } else changeProtection(m, g, v, v.start, v.end, reductions);
  }
  g.finish();
  m.checker.permissionReduced(mm, reductions);
  return OK;
}

/** change_protection_range: tlb_start_vma, change_pte_range per PTE table, tlb_end_vma */
export function changeProtection(m: Machine, g: MmuGather, v: Vma, start: number, end: number, reductions: Reduction[]): void {
  const ps = m.pageSize;
  const pmdSize = entrySize(m, 1);
  const rt = m.hooks;
  g.startVma(v);
  walkPmdRange(m, g.mm, start, end, {
    pmdLeaf(pmd, pi, addr, next) {
      const base = addr - (addr % pmdSize);
      if (next - addr !== pmdSize) {
        // change_pmd_range: a THP only partly in the range is split first (pmdp_invalidate flushes)
        pmdpInvalidate(m, g.mm, base, v.flags.exec);
        splitHugePmd(m, pmd, pi, base);
        return ACTION_AGAIN;
      }
      // change_huge_pmd
      const pe = pmd.entries[pi];
      g.changePageSize(pmdSize);
      // pmdp_invalidate_ad: the entry is invalidated (and on most arches flushed) before it changes
      const invalidated = pmdpInvalidateAd(m, g.mm, base, v.flags.exec);
      const np = newPte(m, v, pe);
      const changed = setEntry(m, pmd.entries, pi, np);
      if (rt.hugePmdNeedsFlush(pe, np) && m.bugs.mprotectRecordsFlush(reduces(pe, np))) g.flushPmdRange(base, pmdSize);
      if (reduces(pe, np)) reductions.push({ start: base, end: base + pmdSize, epoch: Math.min(changed, invalidated), shift: m.geometry.levels[1].shift });
    },
    // change_pte_range
    pteTable(_pmd, _pi, pt, addr, next) {
      g.changePageSize(ps);
      flushTlbBatchedPending(m, g.mm);
      rt.enterLazyMmu(m.curCpu);
      for (let a = addr, i = m.index(pt, addr); a < next; a += ps, i++) {
        const old = pt.entries[i];
        if (old === 0) continue;
        const np = newPte(m, v, old);
        const changed = setEntry(m, pt.entries, i, np);
        rt.pteUpdate(g.mm, a, old, np, 0);
        if (rt.pteNeedsFlush(old, np) && m.bugs.mprotectRecordsFlush(reduces(old, np))) g.flushPteRange(a, ps);
        if (reduces(old, np)) pushPageReduction(reductions, a, ps, changed);
      }
      rt.leaveLazyMmu(m.curCpu);
    },
  });
  g.endVma();
}

/** The PTE after the VMA's new protection: writable only where no COW is pending. */
function newPte(m: Machine, v: Vma, old: number): number {
  const fr = m.frames;
  const f = pteFrame(old);
  let np = old & ~(PTE_WRITE | PTE_EXEC);
  if (v.flags.exec) np |= PTE_EXEC;
  if (v.flags.write) {
    // a private page stays read-only while shared (COW) or while it is a page-cache page
    // frame 0 has no struct page: a PFNMAP page may be made writable, the zero page never
    const exclusive = (f === ZERO_PAGE_FRAME && !usesZeroPage(v)) || v.flags.shared || (fr.flagsOf(f) & FOLIO_ANON && fr.mapcountOf(f) === 1 && fr.refcountOf(f) <= 1) ||
      (fr.flagsOf(f) & FOLIO_ANON && m.tailHead.has(f));
    if (exclusive) np |= PTE_WRITE;
  }
  return np;
}

/** Did the change remove write or exec permission? */
export function reduces(old: number, np: number): boolean {
  return ((old & PTE_WRITE) !== 0 && (np & PTE_WRITE) === 0) || ((old & PTE_EXEC) !== 0 && (np & PTE_EXEC) === 0);
}

