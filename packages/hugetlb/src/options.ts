/** The options, the kernel behaviours and the counters of @tlbsim/hugetlb. */

/**
 * The three kernel behaviours of huge_pmd_unshare and its callers (hugetlb SPEC.md §0), named by
 * the kernel features of features.ts:
 * - `V0`: before 1013af4f58 (mainline before v6.16; 6.1 before 6.1.142, 6.6 before 6.6.95, 6.12
 *   before 6.12.35): no synchronisation with GUP-fast at all.
 * - `V1`: 1013af4f58 (v6.16 to v6.18, and those stables until they took 8ce720d5bd): one
 *   tlb_remove_table_sync_one() broadcast inside every successful huge_pmd_unshare().
 * - `V2`: 8ce720d5bd (v6.19; 6.18.13, 6.12.74, 6.1.167): unsharing is recorded in the mmu_gather
 *   (`unshared_tables`, `fully_unshared_tables`) and huge_pmd_unshare_flush() flushes once and
 *   broadcasts once per flush point, and only when a table became exclusive.
 */
export type Behaviour = 'V0' | 'V1' | 'V2';
export const BEHAVIOURS: readonly Behaviour[] = ['V0', 'V1', 'V2'];

export interface HugetlbOptions {
  /**
   * overrides the behaviour the machine's kernel has (`m.kernel`: V2 on mainline); a what-if, as
   * a `--feature` change is
   */
  behaviour?: Behaviour;
  /**
   * Report (H2) when a formerly shared PMD table that became exclusive is first touched by its
   * last owner while a GUP-fast walker of another sharer may still be inside it, or while a CPU
   * running a former sharer's user code may still hold a walk-cache entry (its old PUD entry)
   * pointing into it. Default true.
   */
  checkReuse?: boolean;
}

/** Counters of hugetlb events (monotonic; tests take differences around an operation). */
export interface HugetlbStats {
  /** page faults handled (hugetlb_fault) */
  faults: number;
  /** huge_pmd_share attached a table of another mapping */
  tablesShared: number;
  /** huge_pmd_unshare returned 1 */
  tablesUnshared: number;
  /** of those, the table's share count went to 0 (it became exclusive) */
  tablesFullyUnshared: number;
  /** tlb_remove_table_sync_one() calls made by hugetlb code that were not NOPs */
  syncIpis: number;
  /**
   * TLB flushes made by hugetlb code while it held i_mmap_rwsem: arch tlb_flush calls from the
   * gather (tlb_end_vma, forced flush, huge_pmd_unshare_flush...) plus direct
   * flush_hugetlb_tlb_range()/flush_tlb_range() calls. The "flushes" counter of hugetlb SPEC.md §1 and §7.
   */
  flushes: number;
  /** of `flushes`, the direct flush_hugetlb_tlb_range()/flush_tlb_range() calls (V0/V1 callers, rmap) */
  directFlushes: number;
  /** flush_tlb_range of one huge page for a copy-on-write break (hugetlb_wp) */
  cowFlushes: number;
  /** formerly shared tables checked at their first reuse by the last owner */
  reuseChecks: number;
}

export const ZERO_STATS: HugetlbStats = {
  faults: 0, tablesShared: 0, tablesUnshared: 0, tablesFullyUnshared: 0, syncIpis: 0, flushes: 0,
  directFlushes: 0, cowFlushes: 0, reuseChecks: 0,
};
