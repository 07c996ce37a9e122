/**
 * The hugetlb entry points core's mm operations call for a VM_HUGETLB VMA (include/linux/hugetlb.h).
 * Core has no hugetlb of its own: @tlbsim/hugetlb installs an implementation in `Machine.hugetlb`.
 */
import type { MmuGather } from '../gather/mmu-gather.js';
import type { OpResult } from '../mm/errors.js';
import type { Machine } from './machine.js';
import type { Mm, SimFile, Vma } from './mm.js';

export interface HugetlbHooks {
  /** hugetlb_fault */
  fault(m: Machine, mm: Mm, vma: Vma, addr: number, write: boolean): OpResult;
  /** __unmap_hugepage_range (+ huge_pmd_unshare_flush) inside the caller's gather */
  unmapRange(m: Machine, g: MmuGather, vma: Vma, start: number, end: number): void;
  /** hugetlb_change_protection inside the caller's gather */
  changeProtection?(m: Machine, g: MmuGather, vma: Vma, start: number, end: number, reductions: { start: number; end: number; epoch: number }[]): void;
  /**
   * fork: copy_hugetlb_page_range from `src` to `dst` for one hugetlb VMA (the implementation
   * decides vma_needs_copy). Write-protections of the parent's entries go into `reductions`.
   */
  copyRange?(m: Machine, src: Mm, dst: Mm, srcVma: Vma, dstVma: Vma, reductions: { start: number; end: number; epoch: number }[]): void;
  /** __split_vma -> hugetlb_split: `vma` of `mm` is about to be split at `addr` (strictly inside it) */
  split?(m: Machine, mm: Mm, vma: Vma, addr: number): void;
  /** try_to_unmap / try_to_migrate of one hugetlbfs file folio (file index `idx`, in base pages) */
  tryToUnmap?(file: SimFile, idx: number): number;
  /** mremap(2) of a hugetlb VMA (hugetlb size rules, move_hugetlb_page_tables) */
  mremap?(m: Machine, mm: Mm, vma: Vma, old: number, oldLen: number, newLen: number, mayMove: boolean): OpResult & { addr?: number; moved?: boolean };
}
