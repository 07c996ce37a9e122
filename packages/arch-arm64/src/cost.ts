/**
 * Cost defaults for arm64. Counts are the primary output; these only turn them into an estimate.
 * core SPEC.md §11.2 has no per-instruction latency for arm64 (only whole-workload shares), so
 * the per-instruction figures are order-of-magnitude estimates, labelled as such, and the
 * completing DSB ISH carries most of the cost because it waits for every CPU in the
 * inner-shareable domain to finish the broadcast (DVM) operations.
 */
import type { CostModel } from '@tlbsim/core';

const EST = 'estimate (order of magnitude, not measured; override with the cost option)';

export const ARM64_COST: CostModel = {
  ipiSend: 1000,
  ipiPerTarget: 200,
  instructions: {
    'TLBI VALE1IS': 20,
    'TLBI VAE1IS': 20,
    'TLBI RVALE1IS': 25,
    'TLBI RVAE1IS': 25,
    'TLBI ASIDE1IS': 30,
    'TLBI VAALE1IS': 20,
    'TLBI RVAALE1IS': 25,
    'TLBI VMALLE1IS': 40,
    'TLBI VMALLE1': 100,
    'TLBI VALE1': 10,
    'DSB ISHST': 10,
    'DSB ISH': 500,
    'DSB NSHST': 5,
    'DSB NSH': 20,
    ISB: 10,
  },
  defaultInstruction: 20,
  pageFree: 20,
  tableFree: 40,
  rcuCallback: 50,
  sources: {
    ipiSend: 'rule of thumb, ~1 us base (core SPEC.md §11.2, secondary source [S]); arm64 IPIs only for table-free sync',
    ipiPerTarget: 'rule of thumb, ~200 ns per receiving CPU (core SPEC.md §11.2 [S])',
    'TLBI VALE1IS': `${EST}; issue cost only, completion is paid at DSB ISH`,
    'TLBI VAE1IS': EST,
    'TLBI RVALE1IS': EST,
    'TLBI RVAE1IS': EST,
    'TLBI ASIDE1IS': EST,
    'TLBI VMALLE1': `${EST}; local full invalidation at ASID rollover`,
    'DSB ISH': `${EST}; waits for broadcast TLBI completion on all CPUs. Scale check: ptep_clear_flush (TLBI+DSB per page) is 5.36% of CPU paging out on 8 cores and 16.99% on ~100 cores (Barry Song / Yicong Yang, batched reclaim series, core SPEC.md §11.2 [V])`,
    'DSB ISHST': EST,
    pageFree: 'same as the generic backend',
  },
};
