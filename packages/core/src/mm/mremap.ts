import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { PTE_LEAF, pteFrame } from '../machine/pte.js';
import { alignUp } from '../arch/geometry.js';
import { fail, type OpResult } from './errors.js';
import { entrySize, walkToTable } from './pgtable.js';
import { mmap } from './mmap.js';
import { munmap } from './munmap.js';
import { flushTlbBatchedPending } from './reclaim.js';

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
  const ps = 2 ** m.geometry.pageShift;
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
 * move_page_tables: relink whole PTE tables where both ranges are PMD-aligned (move_normal_pmd) or
 * move PTEs (move_ptes), flushing the old range after each.
 */
export function movePageTables(m: Machine, mm: Mm, exec: boolean, old: number, neu: number, len: number): void {
  const ps = 2 ** m.geometry.pageShift;
  const pmdSize = entrySize(m, 1);
  const vflags = { exec, hugetlb: false };
  flushTlbBatchedPending(m, mm);
  let done = 0;
  while (done < len) {
    const o = old + done;
    const n = neu + done;
    const extent = Math.min(pmdSize - (o % pmdSize), pmdSize - (n % pmdSize), len - done);
    const opmd = walkToTable(m, mm, o, 1, false);
    const oe = opmd ? opmd.entries[m.index(opmd, o)] : 0;
    if (oe === 0 || oe & PTE_LEAF) {
      done += extent;
      continue;
    }
    if (extent === pmdSize && (m.runtime.supportsPageTableMove?.() ?? true)) {
      // move_normal_pmd: relink the whole PTE table, flush the old PMD range
      const npmd = walkToTable(m, mm, n, 1, true)!;
      const ni = m.index(npmd, n);
      if (npmd.entries[ni] === 0) {
        opmd!.entries[m.index(opmd!, o)] = 0;
        opmd!.present--;
        npmd.entries[ni] = oe;
        npmd.present++;
        m.tables.get(pteFrame(oe))!.base = n;
        m.runtime.flushTlbRange(mm, o, o + pmdSize, vflags);
        done += extent;
        continue;
      }
    }
    // move_ptes
    const opt = m.tables.get(pteFrame(oe))!;
    const npt = walkToTable(m, mm, n, 0, true)!;
    let forceFlush = false;
    m.runtime.enterLazyMmu?.(m.curCpu);
    for (let a = 0; a < extent; a += ps) {
      const oi = m.index(opt, o + a);
      const e = opt.entries[oi];
      if (e === 0) continue;
      opt.entries[oi] = 0;
      opt.present--;
      m.runtime.pteUpdate?.(mm, o + a, e, 0, 0);
      forceFlush = true;
      npt.entries[m.index(npt, n + a)] = e;
      npt.present++;
    }
    m.runtime.leaveLazyMmu?.(m.curCpu);
    if (forceFlush) m.runtime.flushTlbRange(mm, o, o + extent, vflags);
    done += extent;
  }
}
