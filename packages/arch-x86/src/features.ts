/**
 * The x86 kernel changes this backend models by release (x86 SPEC.md §15), declared with core's
 * registry so `--kernel`, `--feature` and `tlbsim kernels` know them. Model code reads the derived
 * {@link X86Features} of the kernel the backend was built for, never a version number.
 */
import { PT_RECLAIM_FEATURE, defineKernelFeatures, resolveKernel, type KernelSpec } from '@tlbsim/core';

export const [X86_LAZY_CPUMASK, X86_RCU_TABLE_FREE, X86_INVLPGB, X86_FLUSH_RANGE_FREED_TABLES] = defineKernelFeatures([
  {
    id: '209954cbc7d0',
    name: 'x86-lazy-cpumask',
    title: 'a CPU keeps its mm_cpumask bit when it switches away; flushes trim stale bits (TLB_REMOTE_WRONG_CPU), at most once a second per mm (6db2526c1d69)',
    mainline: '6.14',
    packages: ['x86'],
  },
  {
    id: 'a37259732a7d',
    name: 'x86-rcu-table-free',
    title: 'page tables are always freed after an RCU grace period (MMU_GATHER_RCU_TABLE_FREE unconditional; before: only under a paravirt flush hook or PT_RECLAIM)',
    mainline: '6.15',
    packages: ['x86'],
  },
  {
    id: '4afeb0ed1753',
    name: 'x86-invlpgb',
    title: 'AMD INVLPGB broadcast flushes with global ASIDs for mms active on 4+ CPUs (option invlpgb needs it)',
    mainline: '6.15',
    packages: ['x86'],
  },
  {
    id: '3ef938c35035',
    name: 'x86-flush-range-freed-tables',
    title: 'flush_tlb_range() passes freed_tables=true, so lazy CPUs are IPIed too (before: false)',
    mainline: '6.15',
    backports: { '6.1': 134, '6.6': 87, '6.12': 23, '6.13': 11 },
    packages: ['x86'],
  },
] as const);

/** What the modelled kernel does, as the x86 code reads it. */
export interface X86Features {
  /** mm_cpumask bits cleared lazily by flushes, with the once-a-second trim */
  lazyCpumask: boolean;
  /** MMU_GATHER_RCU_TABLE_FREE selected whatever the paravirt mode */
  rcuTableFree: boolean;
  /** CONFIG_PT_RECLAIM selected (x86-64: default y) */
  ptReclaim: boolean;
  /** INVLPGB support exists */
  invlpgb: boolean;
  /** flush_tlb_range's freed_tables argument */
  rangeFreedTables: boolean;
}

export function x86Features(k: KernelSpec): X86Features {
  return {
    lazyCpumask: k.has(X86_LAZY_CPUMASK),
    rcuTableFree: k.has(X86_RCU_TABLE_FREE),
    ptReclaim: k.has(PT_RECLAIM_FEATURE),
    invlpgb: k.has(X86_INVLPGB),
    rangeFreedTables: k.has(X86_FLUSH_RANGE_FREED_TABLES),
  };
}

/**
 * The `kernel` option's values from before releases were one axis, as the kernels they stand for:
 * `v6.15` has every x86 change above; `v6.14` lacks RCU table freeing and INVLPGB; `v6.13` (v5.13
 * to v6.13) also lacks the lazy cpumask and PT_RECLAIM. All three pass freed_tables=true from
 * flush_tlb_range, as their stable series do (6.13.11 carries 3ef938c35035).
 */
export const NAMED_KERNELS = {
  'v6.15': () => resolveKernel('6.15'),
  'v6.14': () => resolveKernel('6.14', [`+${X86_FLUSH_RANGE_FREED_TABLES.id}`]),
  'v6.13': () => resolveKernel('6.13.11'),
} as const;
export type NamedKernel = keyof typeof NAMED_KERNELS;
