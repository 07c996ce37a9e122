import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { FOLIO_ANON, FOLIO_DIRTY, FrameKind, type Frames } from '../machine/frames.js';
import { PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_WRITE, PTE_YOUNG, mkPte } from '../machine/pte.js';
import type { PageTable } from '../machine/page-table.js';
import { walkToTable } from './pgtable.js';
import { doWpPage, mapZeroPage, usesZeroPage } from './wp-fault.js';
import { fail, OK, type OpResult } from './errors.js';

export interface TouchArgs {
  write?: boolean;
  /** map a PMD-sized transparent huge page (the VMA must cover the aligned 2 MiB) */
  thp?: boolean;
  /** map a large folio of 2^order pages with PTEs (mTHP) */
  order?: number;
  /**
   * a read fault on private anonymous memory maps the shared zero page, as do_anonymous_page
   * does (mm/wp-fault.ts); off by default: scenarios and the strace replay allocate a page
   */
  zeroPage?: boolean;
}

function protBits(v: Vma, write: boolean): number {
  return (v.flags.write && write ? PTE_WRITE : 0) | (v.flags.exec ? PTE_EXEC : 0);
}

/** Page-cache lookup for a file page, allocating it on a miss (the cache holds one reference). */
export function filePage(m: Machine, v: Vma, addr: number): number {
  const idx = v.pgoff + (addr - v.start) / m.pageSize;
  let f = v.file!.pages.get(idx);
  if (f === undefined) {
    f = m.frames.alloc(FrameKind.Data);
    v.file!.pages.set(idx, f);
  }
  return f;
}

/**
 * handle_mm_fault for `addr` from a thread of `mm` running on the current CPU: populates the page
 * tables and maps a page. The faulting CPU may then cache the translation (it has mm loaded).
 */
export function touch(m: Machine, mm: Mm, addr: number, a: TouchArgs = {}): OpResult {
  const write = a.write ?? true;
  const v = mm.findVma(addr);
  if (!v) return fail('EFAULT', `no VMA at 0x${addr.toString(16)} (SIGSEGV)`);
  if (write && !v.flags.write) return fail('EFAULT', `write to read-only mapping at 0x${addr.toString(16)} (SIGSEGV)`);
  if (v.flags.hugetlb) {
    if (!m.hugetlb) return fail('EINVAL', 'hugetlb VMA touched but no hugetlb implementation is installed (@tlbsim/hugetlb)');
    return m.hugetlb.fault(m, mm, v, addr, write);
  }
  const fr = m.frames;
  const young = PTE_YOUNG | (write ? PTE_DIRTY : 0);
  if (a.thp) {
    const pmdSize = 2 ** m.geometry.levels[1].shift;
    if (m.arch.thpPmdSize !== pmdSize) return fail('EINVAL', `${m.arch.label} has no PMD-sized transparent huge pages`);
    const base = addr - (addr % pmdSize);
    if (base < v.start || base + pmdSize > v.end || !v.flags.anon) return fail('EINVAL', 'THP needs an anonymous VMA covering the aligned PMD range');
    const pmd = walkToTable(m, mm, base, 1, true)!;
    const i = m.index(pmd, base);
    if (pmd.entries[i] !== 0) return OK;
    const order = m.geometry.levels[1].shift - m.geometry.pageShift;
    const f = fr.alloc(FrameKind.Data, order);
    fr.setFlags(f, FOLIO_ANON | (write ? FOLIO_DIRTY : 0));
    fr.setMapcount(f, 1);
    // the deposited PTE table (pgtable_trans_huge_deposit) for a later split
    m.deposits.set(f, m.newTable(0, base, mm));
    pmd.entries[i] = mkPte(f, protBits(v, true) | young | PTE_LEAF);
    pmd.present++;
    return OK;
  }
  const pt = walkToTable(m, mm, addr, 0, true);
  if (!pt) return fail('EFAULT', 'address is covered by a huge mapping');
  const i = m.index(pt, addr);
  const e = pt.entries[i];
  if (e !== 0) {
    if (write && !(e & PTE_WRITE)) return doWpPage(m, mm, v, pt.entries, i, addr);
    pt.entries[i] = e | young;
    return OK;
  }
  if (!write && a.zeroPage && usesZeroPage(v)) return mapZeroPage(pt, i, v);
  const order = a.order ?? 0;
  if (order > 0 && !v.flags.pfnmap && (v.flags.anon || (!v.flags.shared && write))) {
    if (!v.flags.anon) v.hasAnonVma = true; // anon_vma_prepare on the first private copy
    return mapLargeFolio(m, mm, v, addr, order, write);
  }
  mapNewPage(m, mm, v, pt, i, addr, write);
  return OK;
}

/** What the fault of an absent PTE maps: the same for every page of a VMA (for a read or a write). */
export const NewPage = {
  /** a special PTE: a raw PFN with no struct page (frame 0) */
  Pfn: 0,
  /** a new anonymous page: do_anonymous_page, or do_cow_fault for a write to a private file page */
  Anon: 1,
  /** the page-cache page: do_read_fault / do_shared_fault */
  File: 2,
} as const;
export type NewPage = (typeof NewPage)[keyof typeof NewPage];

export function newPageKind(v: Vma, write: boolean): NewPage {
  if (v.flags.pfnmap) return NewPage.Pfn;
  return v.flags.anon || (!v.flags.shared && write) ? NewPage.Anon : NewPage.File;
}

/** The PTE bits (besides the frame) the fault of an absent PTE of `v` sets. */
export function newPageBits(v: Vma, write: boolean, kind: NewPage): number {
  // a private file mapping is mapped read-only until a write breaks COW
  return protBits(v, kind !== NewPage.File || v.flags.shared) | PTE_YOUNG | (write ? PTE_DIRTY : 0);
}

/**
 * The fault of one absent PTE (entry `i` of `pt`, mapping `addr` of `v`) with an order-0 page.
 * Shared by {@link touch} and the populate loop (mm/populate.ts), so that both leave the same
 * state; `kind` and `bits` are newPageKind's and newPageBits' for `v`.
 */
export function mapNewPage(m: Machine, mm: Mm, v: Vma, pt: PageTable, i: number, addr: number, write: boolean, kind = newPageKind(v, write), bits = newPageBits(v, write, kind)): void {
  if (kind === NewPage.Anon) {
    if (!v.flags.anon) v.hasAnonVma = true; // anon_vma_prepare on the first private copy
    mapAnonPage(m.frames, mm, pt, i, bits);
    return;
  }
  if (kind === NewPage.Pfn) {
    pt.entries[i] = mkPte(0, bits);
    pt.present++;
    return;
  }
  const fr = m.frames;
  const f = filePage(m, v, addr);
  fr.addRefcount(f, 1);
  fr.addMapcount(f, 1);
  if (write) fr.addFlags(f, FOLIO_DIRTY);
  pt.entries[i] = mkPte(f, bits);
  pt.present++;
  mm.rss++;
}

/** A new anonymous page for entry `i` of `pt` (the VMA's anon_vma already prepared). */
export function mapAnonPage(fr: Frames, mm: Mm, pt: PageTable, i: number, bits: number): void {
  const f = fr.alloc(FrameKind.Data);
  fr.setFlags(f, FOLIO_ANON);
  fr.setMapcount(f, 1);
  pt.entries[i] = mkPte(f, bits);
  pt.present++;
  mm.rss++;
}

/** An mTHP: one folio of 2^order pages mapped by consecutive PTEs of one table. */
function mapLargeFolio(m: Machine, mm: Mm, v: Vma, addr: number, order: number, write: boolean): OpResult {
  const ps = m.pageSize;
  const n = 2 ** order;
  const base = addr - (addr % (n * ps));
  if (base < v.start || base + n * ps > v.end) return fail('EINVAL', 'large folio does not fit in the VMA');
  const pt = walkToTable(m, mm, base, 0, true)!;
  const i0 = m.index(pt, base);
  for (let k = 0; k < n; k++) if (pt.entries[i0 + k] !== 0) return fail('EINVAL', 'large folio range is partly mapped');
  const fr = m.frames;
  const f = fr.alloc(FrameKind.Data, order);
  fr.setFlags(f, FOLIO_ANON);
  fr.setRefcount(f, n);
  fr.setMapcount(f, n);
  for (let k = 0; k < n; k++) {
    m.tailHead.set(f + k, f);
    pt.entries[i0 + k] = mkPte(f + k, protBits(v, true) | PTE_YOUNG | (write ? PTE_DIRTY : 0));
  }
  pt.present += n;
  mm.rss += n;
  return OK;
}
