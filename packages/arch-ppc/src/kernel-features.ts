/**
 * The kernel changes the powerpc model reads (`tlbsim kernels` lists them with the rest). Every
 * other rule of this backend holds from v6.1, the oldest modelled release, to mainline; ppc
 * SPEC.md §0 says which release each rule belongs to.
 */
import { defineKernelFeatures, type KernelSpec } from '@tlbsim/core';

export const [PPC_RADIX_NO_NEED_FLUSH_ALL, PPC_LAZY_TLB_SHOOTDOWN, PPC_RADIX_EXIT_FLUSH] = defineKernelFeatures([
  {
    id: '45abf5d94b9b',
    name: 'ppc-radix-no-need-flush-all',
    title: 'radix__tlb_flush no longer reads need_flush_all (nothing on powerpc sets it: only a gather built by hand sees a difference)',
    mainline: '6.3',
    packages: ['ppc'],
  },
  {
    id: '77f68ebeee20',
    name: 'ppc-lazy-tlb-shootdown',
    title: 'book3s64 selects MMU_LAZY_TLB_SHOOTDOWN: __mmdrop IPIs the CPUs left in mm_cpumask to drop a lazily used mm (cleanup_lazy_tlbs)',
    mainline: '6.4',
    packages: ['ppc'],
  },
  {
    id: 'e43c0a0c3c28',
    name: 'ppc-radix-exit-flush',
    title: 'radix exit flush: the fullmm tlb_flush IPIs the other mm_cpumask CPUs out (each flushes the PID locally), then flushes this CPU, instead of one broadcast tlbie RIC=2 (with 20045f0155ab, also v6.6: __flush_all_mm after the IPIs, global only with a copro left)',
    mainline: '6.6',
    packages: ['ppc'],
  },
] as const);

/** What one modelled kernel does, as the ppc model asks it. */
export interface PpcKernel {
  readonly spec: KernelSpec;
  /** cleanup_lazy_tlbs in __mmdrop */
  readonly lazyTlbShootdown: boolean;
  /** radix__tlb_flush's fullmm branch is the shootdown (it is IS_ENABLED(MMU_LAZY_TLB_SHOOTDOWN) in the kernel) */
  readonly radixExitShootdown: boolean;
  /** radix__tlb_flush still reads need_flush_all */
  readonly readsNeedFlushAll: boolean;
}

export function ppcKernel(spec: KernelSpec): PpcKernel {
  const lazy = spec.has(PPC_LAZY_TLB_SHOOTDOWN);
  const exit = spec.has(PPC_RADIX_EXIT_FLUSH);
  return { spec, lazyTlbShootdown: lazy, radixExitShootdown: exit && lazy, readsNeedFlushAll: !spec.has(PPC_RADIX_NO_NEED_FLUSH_ALL) };
}
