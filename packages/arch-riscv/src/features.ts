/**
 * The riscv kernel changes this backend models by release (riscv SPEC.md §9), declared with core's
 * registry. Both change the Kconfig riscv selects; the backend reads them from the kernel it is
 * built for (the machine's), never a version number.
 */
import { PT_RECLAIM_FEATURE, defineKernelFeatures, type KernelSpec } from '@tlbsim/core';

export const [RISCV_BATCHED_UNMAP, RISCV_RCU_TABLE_FREE] = defineKernelFeatures([
  {
    id: '54d7431af73e',
    name: 'riscv-batched-unmap',
    title: 'reclaim batches its TLB flushes (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: one all-ASID fence per CPU of the batch; before: a flush per unmapped page)',
    mainline: '6.8',
    packages: ['riscv'],
  },
  {
    id: '69be3fb111e7',
    name: 'riscv-rcu-table-free',
    title: 'page tables are freed after an RCU grace period (MMU_GATHER_RCU_TABLE_FREE for SMP, with GUP-fast); before: with the pages, after the flush',
    mainline: '6.9',
    packages: ['riscv'],
  },
] as const);

/** What the modelled kernel gives the riscv Kconfig. */
export interface RiscvFeatures {
  batchedUnmap: boolean;
  rcuTableFree: boolean;
  /** CONFIG_PT_RECLAIM exists at all (the ptReclaim option needs it) */
  ptReclaimExists: boolean;
}

export function riscvFeatures(k: KernelSpec): RiscvFeatures {
  return { batchedUnmap: k.has(RISCV_BATCHED_UNMAP), rcuTableFree: k.has(RISCV_RCU_TABLE_FREE), ptReclaimExists: k.has(PT_RECLAIM_FEATURE) };
}
