/**
 * The two kernel changes to huge_pmd_unshare and its callers (hugetlb SPEC.md §0), declared with
 * core's registry. The machine's kernel picks the behaviour: V2 with 8ce720d5bd, else V1 with
 * 1013af4f58, else V0. 8ce720d5bd reworks 1013af4f58's broadcast, so a kernel with the first keeps
 * V2 whether or not it lists the second.
 */
import { defineKernelFeatures, type KernelSpec } from '@tlbsim/core';
import type { Behaviour } from './options.js';

export const [HUGETLB_UNSHARE_SYNC, HUGETLB_UNSHARE_BATCHED] = defineKernelFeatures([
  {
    id: '1013af4f58',
    name: 'hugetlb-unshare-sync',
    title: 'every successful huge_pmd_unshare() waits for GUP-fast walkers: one tlb_remove_table_sync_one() broadcast per unshared table (V1)',
    mainline: '6.16',
    backports: { '6.1': 142, '6.6': 95, '6.12': 35 },
    packages: ['hugetlb'],
  },
  {
    id: '8ce720d5bd',
    name: 'hugetlb-unshare-batched',
    title: 'unshares are recorded in the mmu_gather: one flush, and one sync broadcast only when a table became exclusive, per flush point (V2)',
    mainline: '6.19',
    backports: { '6.1': 167, '6.12': 74, '6.18': 13 },
    packages: ['hugetlb'],
  },
] as const);

/** The unshare behaviour of kernel `k`. */
export function behaviourOf(k: KernelSpec): Behaviour {
  if (k.has(HUGETLB_UNSHARE_BATCHED)) return 'V2';
  return k.has(HUGETLB_UNSHARE_SYNC) ? 'V1' : 'V0';
}
