/**
 * Interleaving points (core SPEC.md §13): the places in the modelled kernel paths where another
 * CPU can act, named after the kernel code they sit in. Each says what the CPU running the path
 * holds there, which decides what a concurrent actor may do (a reclaim needs the page-table lock
 * and the rmap locks the path may be holding; a GUP-fast walker needs none).
 */
import type { Mm, Vma } from '../machine/mm.js';

/** What the CPU running the path holds at a point. */
export type Held =
  /** nothing an actor needs: reclaim, a driver's unmap_mapping_range and RCU may all proceed */
  | 'none'
  /** a page-table spinlock (preemption off): lockless actors only, no grace period ends */
  | 'ptl'
  /** i_mmap_rwsem of a file: no rmap walk of that file; lockless actors only */
  | 'i_mmap'
  /** a cross-CPU call is in flight (the sender spins, preemption off) */
  | 'ipi';

export interface PointDef {
  /** the kernel function (and place in it) */
  readonly where: string;
  readonly held: Held;
  readonly what: string;
}

export const POINTS = {
  unmap_vmas: {
    where: 'mm/memory.c unmap_vmas, before the first VMA is zapped',
    held: 'none',
    what: 'the VMAs are detached from the mm but still linked in the rmap; nothing is cleared yet',
  },
  'zap_pte_range:after-clear': {
    where: 'mm/memory.c zap_pte_range, after the PTEs of one table are cleared, PTE lock held',
    held: 'ptl',
    what: 'entries cleared, their TLB flush not yet done',
  },
  'zap_pte_range:after-unlock': {
    where: 'mm/memory.c zap_pte_range, after pte_unmap_unlock',
    held: 'none',
    what: 'the PTE lock dropped; cleared pages wait in the gather for its flush',
  },
  'tlb_flush_mmu:before-free': {
    where: 'mm/mmu_gather.c tlb_flush_mmu, between tlb_flush_mmu_tlbonly and tlb_flush_mmu_free',
    held: 'none',
    what: 'the TLB flush done; the batched pages and tables not yet freed',
  },
  'free_pgtables:after-unlink': {
    where: 'mm/memory.c free_pgtables, once the VMAs are unlinked from the rmap (after tlb_free_vmas)',
    held: 'none',
    what: 'no rmap walk (reclaim, unmap_mapping_range) finds these VMAs any more; their tables are not freed yet',
  },
  'move_ptes:after-unlock': {
    where: 'mm/mremap.c move_ptes, after both PTE locks are dropped',
    held: 'none',
    what: 'the PTEs of one chunk moved; the old addresses flushed under the lock, or (before eb66ae030829) not yet',
  },
  try_to_unmap_flush: {
    where: 'mm/rmap.c try_to_unmap_flush, reclaim\'s PTEs cleared, its batched flush not yet sent',
    held: 'none',
    what: 'reclaim cleared the mappings of its folios and deferred their flush (TTU_BATCH_FLUSH); nothing freed yet',
  },
  huge_pmd_unshare: {
    where: 'mm/hugetlb.c huge_pmd_unshare, after the PUD entry is cleared and the share count dropped',
    held: 'i_mmap',
    what: 'a shared PMD table detached from one mm; i_mmap_rwsem still held',
  },
  'smp_call_function_many_cond:ipi-in-flight': {
    where: 'kernel/smp.c smp_call_function_many_cond, an IPI sent and not yet handled by its target',
    held: 'ipi',
    what: 'a cross-CPU call (a TLB flush, a table-free sync) on its way to one target',
  },
} as const satisfies Record<string, PointDef>;

export type PointName = keyof typeof POINTS;
export const POINT_NAMES = Object.keys(POINTS) as PointName[];

/** What the path tells the explorer at a point. */
export interface PointInfo {
  /** the mm the path works on (none for a cross-CPU call) */
  mm?: Mm;
  /** the address it works at (a walker placed here walks it) */
  addr?: number;
  /** the VMAs being torn down (unmap_vmas, free_pgtables) */
  vmas?: readonly Vma[];
  /** the target CPU of an IPI in flight */
  cpu?: number;
}
