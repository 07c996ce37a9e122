/** The built-in workloads the CLI tests run, with small parameters so the whole matrix runs quickly. */
export const ISSUE_WORKLOADS = ['munmap', 'madvise-dontneed', 'madvise-free', 'mprotect', 'mremap', 'exit', 'hugetlb-share', 'reclaim', 'tlb_flush1', 'tlb_flush2', 'tlb_flush3'];
/** small parameters per workload so the whole matrix runs quickly */
export const SMALL: Record<string, string[]> = {
  'tlb_flush1': ['pages=16'],
  'tlb_flush2': ['pages=16'],
  'tlb_flush3': ['pages=16'],
  reclaim: ['pages=8', 'cpus=3'],
  exit: ['rss=16'],
  'hugetlb-share': ['sharers=3'],
};
export const sets = (w: string) => (SMALL[w] ?? []).flatMap((s) => ['--set', s]);
/** the start of an ANSI escape (colour) */
export const ESC = '\x1b[';
