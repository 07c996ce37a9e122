/** What the hugetlb statistics mean (the metric registry's `hugetlb.*` rows). */
import type { MetricDoc } from '@tlbsim/core';
import type { HugetlbStats } from './options.js';

const model = (unit: MetricDoc['unit'], definition: string): MetricDoc => ({ unit, definition, kernel: 'model only' });

export const HUGETLB_METRIC_DOCS: Readonly<Record<keyof HugetlbStats, MetricDoc>> = {
  faults: model('operations', 'hugetlb page faults handled (hugetlb_fault)'),
  tablesShared: model('page tables', 'PMD tables attached from another mapping of the same file (huge_pmd_share)'),
  tablesUnshared: model('page tables', 'PMD tables detached from a sharer (huge_pmd_unshare returned 1)'),
  tablesFullyUnshared: model('page tables', 'of tablesUnshared, tables whose last other sharer left (the table became exclusive)'),
  syncIpis: model('operations', 'tlb_remove_table_sync_one broadcasts hugetlb code made that were not no-ops (one IPI to every other CPU each)'),
  flushes: model('flushes', "TLB flushes made by hugetlb code under i_mmap_rwsem: the gather's tlb_flush calls plus direct flush_hugetlb_tlb_range/flush_tlb_range calls"),
  directFlushes: model('flushes', 'of flushes, the direct flush_hugetlb_tlb_range/flush_tlb_range calls'),
  cowFlushes: model('flushes', 'one-huge-page flushes for a copy-on-write break (hugetlb_wp)'),
  reuseChecks: model('operations', 'formerly shared PMD tables checked at their first reuse by the last owner'),
};
