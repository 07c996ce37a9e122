import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { PTE_DIRTY, PTE_LEAF, pteFrame } from '../machine/pte.js';
import { clearTableEntry } from '../machine/pgtable-pages.js';
import { MREMAP_FLUSH_UNDER_PTL } from './features.js';
import { alignUp } from '../arch/geometry.js';
import { fail, type OpResult } from './errors.js';
import { entrySize, pmdpInvalidate, walkToTable } from './pgtable.js';
import { findPmd } from './pagewalk.js';
import { mmap } from './mmap.js';
import { munmap } from './munmap.js';
import { flushTlbBatchedPending } from './reclaim.js';
import { splitHugePmd } from './zap.js';

/** move_normal_pud: relink the PMD table under `o` to `n` when the new PUD slot is empty */
function movePud(m: Machine, mm: Mm, o: number, n: number): boolean {
  const opud = walkToTable(m, mm, o, 2, false);
  if (!opud || opud.level !== 2) return false;
  const oi = m.index(opud, o);
  const oe = opud.entries[oi];
  if (oe === 0 || oe & PTE_LEAF) return false;
  const npud = walkToTable(m, mm, n, 2, true)!;
  const ni = m.index(npud, n);
  if (npud.entries[ni] !== 0) return false;
  clearTableEntry(opud, oi);
  opud.present--;
  npud.entries[ni] = oe;
  npud.present++;
  rebase(m, m.tables.get(pteFrame(oe))!, n);
  return true;
}

/** a moved table and the tables below it now map from `base` */
function rebase(m: Machine, t: import('../machine/page-table.js').PageTable, base: number): void {
  const delta = base - t.base;
  const walk = (x: import('../machine/page-table.js').PageTable) => {
    x.base += delta;
    if (x.level === 0) return;
    for (const e of x.entries) if (e !== 0 && !(e & PTE_LEAF)) walk(m.tables.get(pteFrame(e))!);
  };
  walk(t);
}

export interface MremapResult extends OpResult {
  addr?: number;
  moved?: boolean;
}

/**
 * mremap(2) without MREMAP_FIXED: grow in place when the gap allows, otherwise (MREMAP_MAYMOVE)
 * move the page tables to a new area (move_page_tables) and unmap the old range.
 * move_ptes flushes the old range with flush_tlb_range when it moved a present PTE;
 * move_normal_pmd moves a whole PTE table and flushes the PMD range.
 */
export function mremap(m: Machine, mm: Mm, old: number, oldLen: number, newLen: number, mayMove = true): MremapResult {
  const ps = m.pageSize;
  if (old % ps) return fail('EINVAL', `mremap address 0x${old.toString(16)} is not page-aligned`);
  oldLen = alignUp(oldLen, ps);
  newLen = alignUp(newLen, ps);
  if (newLen === 0) return fail('EINVAL', 'mremap new length is 0');
  const v = mm.findVma(old);
  if (!v || old + oldLen > v.end) return fail('EFAULT', 'mremap old range is not one mapped VMA');
  if (v.flags.hugetlb) {
    if (!m.hugetlb?.mremap) return fail('EINVAL', 'mremap of a hugetlb VMA needs @tlbsim/hugetlb');
    return m.hugetlb.mremap(m, mm, v, old, oldLen, newLen, mayMove);
  }
  if (v.flags.pfnmap) return fail('EINVAL', 'mremap of PFNMAP VMAs is not modelled');
  if (newLen <= oldLen) {
    if (newLen < oldLen) munmap(m, mm, old + newLen, oldLen - newLen);
    return { ok: true, addr: old, moved: false };
  }
  const idx = mm.vmas.indexOf(v);
  const nextVma = mm.vmas[idx + 1];
  if (old + oldLen === v.end && (!nextVma || nextVma.start >= old + newLen) && old + newLen <= m.geometry.taskSize) {
    v.end = old + newLen;
    return { ok: true, addr: old, moved: false };
  }
  if (!mayMove) return fail('ENOMEM', 'cannot grow in place and MREMAP_MAYMOVE is not set');
  const r = mmap(m, mm, { length: newLen, read: v.flags.read, write: v.flags.write, exec: v.flags.exec, shared: v.flags.shared, file: v.file ?? undefined, pgoff: v.pgoff + (old - v.start) / ps, name: v.name });
  if (!r.ok) return r;
  const nv = mm.findVma(r.addr!)!;
  nv.anonRoot = v.anonRoot; // the moved pages keep their anon_vma
  movePageTables(m, mm, v.flags.exec, old, r.addr!, oldLen);
  munmap(m, mm, old, oldLen);
  return { ok: true, addr: r.addr, moved: true };
}

/**
 * move_page_tables: per chunk, relink a whole PMD table (move_normal_pud, where the PUD level is
 * real and both ranges are PUD-aligned), move a PMD-mapped THP (move_huge_pmd), relink a whole
 * PTE table (move_normal_pmd), or move PTEs (move_ptes), flushing the old range after each.
 */
export function movePageTables(m: Machine, mm: Mm, exec: boolean, old: number, neu: number, len: number): void {
  const ps = m.pageSize;
  const pmdSize = entrySize(m, 1);
  const pudSize = entrySize(m, 2);
  const pudReal = m.geometry.levels[2].folding === 'none';
  const tableMove = m.hooks.supportsPageTableMove();
  const vflags = { exec, hugetlb: false } as const;
  const flushUnderPtl = m.kernel.has(MREMAP_FLUSH_UNDER_PTL);
  let deferred = false;
  let done = 0;
  while (done < len) {
    const o = old + done;
    const n = neu + done;
    if (pudReal && tableMove && o % pudSize === 0 && n % pudSize === 0 && len - done >= pudSize && movePud(m, mm, o, n)) {
      m.hooks.flushTlbRange(mm, o, o + pudSize, vflags);
      done += pudSize;
      continue;
    }
    // get_old_pud: nothing mapped under the PUD entry of o, skip to the next PUD boundary
    const slot = findPmd(m, mm, o);
    if (!slot && pudReal) {
      done += Math.min(pudSize - (o % pudSize), pudSize - (n % pudSize), len - done);
      continue;
    }
    const extent = Math.min(pmdSize - (o % pmdSize), pmdSize - (n % pmdSize), len - done);
    // get_old_pmd
    const opmd = slot?.pmd;
    const oi = slot ? slot.i : 0;
    let oe = slot ? slot.e : 0;
    if (oe === 0) {
      done += extent;
      continue;
    }
    if (oe & PTE_LEAF) {
      const npmd = walkToTable(m, mm, n, 1, true)!;
      const ni = m.index(npmd, n);
      if (extent === pmdSize && npmd.entries[ni] === 0) {
        // move_huge_pmd: the THP moves whole; flush_pmd_tlb_range over the old PMD
        clearTableEntry(opmd!, oi);
        opmd!.present--;
        npmd.entries[ni] = oe;
        npmd.present++;
        const dep = m.deposits.get(pteFrame(oe));
        if (dep) dep.base = n;
        pmdpInvalidate(m, mm, o, exec); // move_huge_pmd: flush_pmd_tlb_range
        done += extent;
        continue;
      }
      // a THP only partly moved is split first (pmdp_invalidate flushes it), then its PTEs move
      pmdpInvalidate(m, mm, o - (o % pmdSize), exec);
      splitHugePmd(m, opmd!, oi, o - (o % pmdSize));
      oe = opmd!.entries[oi];
    }
    if (extent === pmdSize && tableMove) {
      // move_normal_pmd: relink the whole PTE table, flush the old PMD range
      const npmd = walkToTable(m, mm, n, 1, true)!;
      const ni = m.index(npmd, n);
      if (npmd.entries[ni] === 0) {
        clearTableEntry(opmd!, m.index(opmd!, o));
        opmd!.present--;
        m.hooks.setTableEntry(mm, 1, false); // pmd_clear(old_pmd)
        npmd.entries[ni] = oe;
        npmd.present++;
        m.hooks.setTableEntry(mm, 1, true); // pmd_populate(new_pmd)
        m.tables.get(pteFrame(oe))!.base = n;
        m.hooks.flushTlbRange(mm, o, o + pmdSize, vflags);
        done += extent;
        continue;
      }
    }
    // move_ptes
    flushTlbBatchedPending(m, mm);
    const opt = m.tables.get(pteFrame(oe))!;
    const npt = walkToTable(m, mm, n, 0, true)!;
    let forceFlush = false;
    let moved = false;
    const ex = m.explore;
    m.hooks.enterLazyMmu(m.curCpu);
    for (let a = 0; a < extent; a += ps) {
      const oi = m.index(opt, o + a);
      const e = opt.entries[oi];
      if (e === 0) continue;
      opt.entries[oi] = 0;
      opt.present--;
      m.hooks.pteUpdate(mm, o + a, e, 0, 0);
      // before eb66ae030829 only a dirty PTE forced the flush under the lock (5d1904204c99)
      if (flushUnderPtl || e & PTE_DIRTY) forceFlush = true;
      moved = true;
      if (ex) ex.movedPte(mm, o + a, pteFrame(e), m.tlb.epoch);
      npt.entries[m.index(npt, n + a)] = e;
      npt.present++;
    }
    m.hooks.leaveLazyMmu(m.curCpu);
    if (forceFlush) m.hooks.flushTlbRange(mm, o, o + extent, vflags);
    else if (moved) deferred = true;
    if (ex) ex.at('move_ptes:after-unlock', { mm, addr: o });
    done += extent;
  }
  // move_page_tables before eb66ae030829: the clean PTEs' flush, after every lock was dropped
  if (deferred) m.hooks.flushTlbRange(mm, old, old + len, vflags);
}
