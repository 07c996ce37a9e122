import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import type { MmuGather } from '../gather/mmu-gather.js';
import { FOLIO_ANON, FOLIO_DIRTY } from '../machine/frames.js';
import { TableState, type PageTable } from '../machine/page-table.js';
import { childTable, clearTableEntry } from '../machine/pgtable-pages.js';
import { PTE_DIRTY, PTE_LEAF, mkPte, pteFrame } from '../machine/pte.js';
import { zapPresentPtesRun } from './zap-run.js';
import { childLevel, clearEntry, entrySize, pmdpInvalidate, ptlStamp } from './pgtable.js';
import { walkPmdRange, type PmdWalkOps } from './pagewalk.js';
import { flushTlbBatchedPending } from './reclaim.js';

/** struct zap_details, the parts the gather cares about */
export interface ZapDetails {
  /** PT_RECLAIM: free PTE tables that become empty (MADV_DONTNEED) */
  reclaimPt?: boolean;
}

/** unmap_vmas: zap [start, end) of every VMA in `vmas` (sorted) */
export function unmapVmas(m: Machine, g: MmuGather, vmas: readonly Vma[], start: number, end: number): void {
  if (m.explore) m.explore.at('unmap_vmas', { mm: g.mm, addr: start, vmas });
  for (const v of vmas) {
    if (v.start >= end) break;
    unmapSingleVma(m, g, v, start, end, undefined);
  }
}

/** unmap_single_vma */
export function unmapSingleVma(m: Machine, g: MmuGather, v: Vma, start: number, end: number, d: ZapDetails | undefined): void {
  const s = Math.max(start, v.start);
  const e = Math.min(end, v.end);
  if (s >= e) return;
  if (v.flags.hugetlb) {
    if (!m.hugetlb?.unmapRange) throw new Error('hugetlb VMA zapped but no hugetlb implementation is installed (@tlbsim/hugetlb)');
    m.hugetlb.unmapRange(m, g, v, s, e);
    return;
  }
  unmapPageRange(m, g, v, s, e, d);
}

/** unmap_page_range: tlb_start_vma, zap_p?d_range down the tables, tlb_end_vma */
export function unmapPageRange(m: Machine, g: MmuGather, v: Vma, addr: number, end: number, d: ZapDetails | undefined): void {
  g.startVma(v);
  walkPmdRange(m, g.mm, addr, end, new ZapWalk(m, g, v, d));
  g.endVma();
}

/** unmap_page_range's walk callbacks: one object per call, its methods shared (no closures per call) */
class ZapWalk implements PmdWalkOps {
  private readonly size: number;
  constructor(private readonly m: Machine, private readonly g: MmuGather, private readonly v: Vma, private readonly d: ZapDetails | undefined) {
    this.size = entrySize(m, 1);
  }
  // zap_pmd_range on a THP: whole -> zap_huge_pmd; partly -> split, then its PTEs
  pmdLeaf(pmd: PageTable, i: number, a: number, next: number): void {
    const { m, g, v, size } = this;
    if (next - a === size) return zapHugePmd(m, g, v, pmd, i, a);
    const base = a - (a % size);
    // __split_huge_pmd_locked: pmdp_invalidate, then the PTE table is populated
    pmdpInvalidate(m, g.mm, base, v.flags.exec);
    splitHugePmd(m, pmd, i, base);
    zapPteRange(m, g, v, pmd, i, a, next, this.d);
  }
  pteTable(pmd: PageTable, i: number, _pt: PageTable, a: number, next: number): void {
    zapPteRange(this.m, this.g, this.v, pmd, i, a, next, this.d);
  }
}

/** zap_huge_pmd for a PMD-mapped THP */
function zapHugePmd(m: Machine, g: MmuGather, v: Vma, pmd: PageTable, i: number, addr: number): void {
  const size = entrySize(m, 1);
  g.changePageSize(size);
  const e = pmd.entries[i];
  const cleared = clearEntry(m, pmd.entries, i);
  pmd.present--;
  // pmdp_huge_get_and_clear_full (book3s64: and flush_pmd_tlb_range at once unless fullmm)
  m.hooks.pteUpdate(g.mm, addr, e, 0, 1);
  if (m.hooks.pmdpHugeClearFullFlushes(g.fullmm)) m.hooks.flushPmdTlbRange(g.mm, addr, addr + size, { exec: v.flags.exec, hugetlb: false });
  g.flushPmdRange(addr, size); // tlb_remove_pmd_tlb_entry
  const f = pteFrame(e);
  // the deposited PTE table is freed directly, not through the gather
  const dep = m.deposits.get(f);
  if (dep) {
    m.deposits.delete(f);
    m.tables.delete(dep.frame);
    dep.state = TableState.Freed;
    m.frames.free(dep.frame);
  }
  m.frames.addMapcount(f, -1);
  g.removePageSize(f, size, addr, false, cleared);
}

/** __split_huge_pmd: map the THP with the deposited PTE table, one PTE per subpage */
export function splitHugePmd(m: Machine, pmd: PageTable, i: number, base: number): void {
  const e = pmd.entries[i];
  const f = pteFrame(e);
  const n = m.geometry.levels[0].entries;
  const pt = m.deposits.get(f) ?? m.newTable(0, base, pmd.owner);
  m.deposits.delete(f);
  const flags = e & 0x1f & ~1;
  for (let k = 0; k < n; k++) {
    pt.entries[k] = mkPte(f + k, flags);
    m.tailHead.set(f + k, f);
  }
  pt.present = n;
  m.frames.setRefcount(f, n);
  m.frames.setMapcount(f, n);
  pmd.entries[i] = mkPte(pt.frame, 0);
  // __split_huge_pmd_locked populates a local pmd to fill the table through it, then the real
  // one: two pmd_populate calls
  m.hooks.setTableEntry(pmd.owner, 1, true);
  m.hooks.setTableEntry(pmd.owner, 1, true);
  pmd.owner.nrPtes++;
}

/**
 * zap_pte_range (core SPEC.md §9.4): clear PTEs, queue pages, and run forced flushes under the
 * PTE lock when a batch is full or a dirty file page needs its rmap delayed. With PT_RECLAIM
 * (reclaimPt), a PTE table left empty is freed through the gather.
 */
export function zapPteRange(m: Machine, g: MmuGather, v: Vma, pmd: PageTable, pmdIdx: number, addr: number, end: number, d: ZapDetails | undefined): number {
  const geo = m.geometry;
  const ps = m.pageSize;
  const pmdSize = entrySize(m, 1);
  const start = addr;
  const pt = childTable(m, pmd, pmdIdx, pmd.entries[pmdIdx]);
  const ents = pt.entries;
  const fr = m.frames;
  const mm = g.mm;
  let canReclaim = m.kconfig.PT_RECLAIM && !!d?.reclaimPt && end - addr >= pmdSize;
  let directReclaim = true;
  let pmdCleared = false;
  const hasLarge = m.tailHead.size > 0;
  const noGather = g.noGather;
  for (;;) {
    g.changePageSize(ps);
    flushTlbBatchedPending(m, mm);
    m.hooks.enterLazyMmu(m.curCpu);
    let forceFlush = false;
    let forceBreak = false;
    const locked = ptlStamp(m);
    let i = m.index(pt, addr);
    while (addr < end) {
      const e = ents[i];
      if (e === 0) {
        // a run of none entries, skipped by index (one address update for the run)
        const i1 = i;
        const iEnd = i + (end - addr) / ps;
        while (i < iEnd && ents[i] === 0) i++;
        addr += (i - i1) * ps;
        continue;
      }
      const frame = pteFrame(e);
      if (!hasLarge && frame !== 0 && !noGather && g.active.nr < g.active.max - 1 && !(e & PTE_DIRTY && !(fr.flagsOf(frame) & FOLIO_ANON))) {
        // zap_present_ptes for order-0 pages, straight into the active batch
        const r = zapPresentPtesRun(m, g, pt, i, i + (end - addr) / ps, addr, locked);
        const to = r < 0 ? ~r : r;
        addr += (to - i) * ps;
        i = to;
        if (r < 0) {
          forceFlush = true;
          directReclaim = false;
          forceBreak = true;
          break;
        }
        continue;
      }
      if (frame === 0) {
        // no struct page (PFNMAP): clear, record the TLB entry, queue nothing
        ents[i] = 0;
        pt.present--;
        if (m.explore) m.explore.pfnCleared(mm, v, addr, locked);
        g.removeTlbEntries(addr, 1);
        i++;
        addr += ps;
        continue;
      }
      let head = frame;
      let nr = 1;
      if (hasLarge) {
        const h = m.tailHead.get(frame);
        if (h !== undefined) {
          head = h;
          const folioEnd = h + 2 ** fr.orderOf(h);
          const maxNr = Math.min((end - addr) / ps, ents.length - i, folioEnd - frame);
          while (nr < maxNr && ents[i + nr] !== 0 && pteFrame(ents[i + nr]) === frame + nr) nr++;
        }
      }
      // zap_present_folio_ptes
      let delay = false;
      let dirty = false;
      for (let k = 0; k < nr; k++) {
        if (ents[i + k] & PTE_DIRTY) dirty = true;
        ents[i + k] = 0;
      }
      pt.present -= nr;
      mm.rss -= nr;
      if (!(fr.flagsOf(head) & FOLIO_ANON) && dirty) {
        fr.addFlags(head, FOLIO_DIRTY);
        if (g.delayRmap()) {
          delay = true;
          forceFlush = true;
        }
      }
      g.removeTlbEntries(addr, nr);
      if (!delay) fr.addMapcount(head, -nr);
      if (g.removeFolioPages(head, nr, delay, addr, geo.pageShift, locked)) {
        forceFlush = true;
        forceBreak = true;
      }
      i += nr;
      addr += nr * ps;
      if (forceBreak) {
        directReclaim = false;
        break;
      }
    }
    if (canReclaim && directReclaim && addr === end) {
      // try_get_and_clear_pmd: uncontended in the simulation
      clearTableEntry(pmd, pmdIdx);
      pmd.present--;
      m.hooks.setTableEntry(mm, 1, false); // pmd_clear
      m.unlinkTable(pt);
      pmdCleared = true;
    }
    m.hooks.leaveLazyMmu(m.curCpu);
    const ex = m.explore;
    if (ex) ex.at('zap_pte_range:after-clear', { mm, addr: start });
    // the forced flush (and the delayed rmaps) under the PTE lock, the frees after pte_unmap_unlock
    if (forceFlush) {
      g.flushMmuTlbonly(forceBreak ? undefined : 'force');
      g.flushRmaps();
    }
    if (ex) ex.at('zap_pte_range:after-unlock', { mm, addr: start });
    if (forceFlush) g.flushMmu();
    if (addr !== end) continue;
    break;
  }
  if (canReclaim) {
    if (pmdCleared) {
      g.freeTableTlb(0, pt, start - (start % pmdSize));
      mm.nrPtes--;
    } else if (pt.present === 0) {
      // try_to_free_pte: recheck under the PMD and PTE locks that every entry is none
      clearTableEntry(pmd, pmdIdx);
      pmd.present--;
      m.hooks.setTableEntry(mm, 1, false); // pmd_clear
      m.unlinkTable(pt);
      g.freeTableTlb(0, pt, start - (start % pmdSize));
      mm.nrPtes--;
    }
  }
  canReclaim = false;
  return addr;
}

/** The real levels from the pgd down (logical indices), e.g. [4, 2, 1, 0] on x86-64 4-level. */
export function realLevelsTopDown(m: Machine): number[] {
  const r: number[] = [];
  for (let l = 4; l >= 0; l = childLevel(m, l)) {
    r.push(l);
    if (l === 0) break;
  }
  return r;
}

export type { Mm };
