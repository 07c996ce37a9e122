/**
 * @tlbsim/arch-ppc: powerpc book3s64 TLB flushing as Linux does it, for both MMUs.
 *
 *   ppc()                                  radix, POWER10, 64K pages, tlbie, the machine's kernel
 *   ppc({ mmu: 'hash', cpu: 'power9' })    hashed page table on POWER9 (bare metal)
 *   ppc({ mmu: 'hash', platform: 'pseries' })  hash in a guest: H_REMOVE / H_BULK_REMOVE
 *   ppc({ tlbie: false })                  disable_tlbie: global flushes become tlbiel by IPI
 *   ppc({ kernel: '6.1' })                 v6.1 whatever the machine's --kernel
 */
import {
  GENERIC_KCONFIG, archInternals, defineArch, resolveArchOptions, resolveKernel, withCostOverrides,
  type ArchBackend, type ArchContext, type ArchRuntime, type Kconfig, type KernelSpec, type ResolvedArchOptions,
} from '@tlbsim/core';
import { PPC_COST } from './cost.js';
import { ppcGeometry, ppcHugePageSizes, ppcThpSize } from './geometry.js';
import { PPC_OPTIONS, PPC_OPTION_SPECS, ppcLabel, type PpcOptions, type ResolvedPpcOptions } from './options.js';
import { ppcKernel } from './kernel-features.js';
import { PPC_INTERNALS, createPpcRuntime, type PpcRuntime } from './tlb.js';
import { PPC_METRIC_DOCS } from './metric-docs.js';

/** What `config PPC` selects for mmu_gather (arch/powerpc/Kconfig; core SPEC.md §8.2). */
export const PPC_KCONFIG: Kconfig = {
  ...GENERIC_KCONFIG,
  MMU_GATHER_TABLE_FREE: true,
  MMU_GATHER_RCU_TABLE_FREE: true,
  MMU_GATHER_PAGE_SIZE: true,
  MMU_GATHER_MERGE_VMAS: true,
  MMU_GATHER_NO_RANGE: false,
  MMU_GATHER_NO_GATHER: false,
  PT_RECLAIM: false,
  ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: false,
  ARCH_WANT_HUGE_PMD_SHARE: false,
  SMP: true,
};

/** Per-CPU counters this backend keeps (besides per-mnemonic instruction counts). */
export const PPC_COUNTERS = [
  'tlbie', 'tlbiel', 'tlbie_fixup', 'hcall.H_RPT_INVALIDATE', 'mm_cpumask_trim', 'trim_clock_fired',
  'hpte_invalidate', 'hash_batch_flush', 'hash_untracked_flush', 'hcall.H_REMOVE', 'hcall.H_BULK_REMOVE',
] as const;

/**
 * The powerpc (book3s64) backend. Throws on an unknown option or a bad value. Its `kernel`
 * option, when given, overrides the machine's kernel; otherwise the machine rebuilds it for its
 * own (withKernel).
 */
export function ppc(opts: PpcOptions = {}): ArchBackend {
  const res = resolveArchOptions(PPC_OPTIONS, opts);
  return ppcFor(res, resolveKernel(res.options.kernel));
}

function ppcFor(res: ResolvedArchOptions<ResolvedPpcOptions>, spec: KernelSpec): ArchBackend {
  const o = res.options;
  const own = res.given.has('kernel');
  const k = ppcKernel(spec);
  const backend: ArchBackend = defineArch({
    name: 'ppc',
    label: ppcLabel(o, spec.label),
    options: { ...o },
    optionSpecs: PPC_OPTION_SPECS,
    kconfig: PPC_KCONFIG,
    geometry: ppcGeometry(o.mmu, o.pageSize),
    hugePageSizes: ppcHugePageSizes(o.mmu),
    // the hashed page table is separate from the Linux tables: the hash MMU never walks them
    walksPageTables: o.mmu === 'radix',
    thpPmdSize: ppcThpSize(o.mmu, o.pageSize),
    cost: withCostOverrides(PPC_COST, res.cost),
    perCpuCounters: PPC_COUNTERS,
    metricDocs: PPC_METRIC_DOCS,
    kernel: spec,
    // the option, when given, wins over the machine's kernel
    withKernel: (kernel: KernelSpec) => (own ? backend : ppcFor(res, kernel)),
    create(ctx: ArchContext): PpcRuntime {
      return createPpcRuntime(ctx, o, k);
    },
  });
  return backend;
}

/** The ppc runtime of a machine built with `ppc()`, with its inspection helpers (its internals). */
export function ppcRuntime(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }): PpcRuntime {
  return archInternals(m, PPC_INTERNALS, 'ppcRuntime');
}

export { PPC_COST } from './cost.js';
export { PPC_OPTIONS, PPC_OPTION_SPECS, POWER9_TLB_SETS_RADIX, resolvePpcOptions, ppcLabel, ppcPvr } from './options.js';
export type { PpcOptions, ResolvedPpcOptions, MmuMode, CpuModel, P9Errata, Platform, BasePageSize } from './options.js';
export { CPU_PVR, dtCpuFtrsErrata, p9ErrataFor } from './cpu.js';
export { PPC_LAZY_TLB_SHOOTDOWN, PPC_RADIX_EXIT_FLUSH, PPC_RADIX_NO_NEED_FLUSH_ALL, ppcKernel, type PpcKernel } from './kernel-features.js';
export { ppcGeometry, ppcHugePageSizes, ppcThpSize, ppcFragments, radixAp } from './geometry.js';
export { formatInsn, insnSequence, formatTlbieFtrace } from './trace-format.js';
export { FlushType, TLB_MM_CPUMASK_TRIM_TIMER } from './flush-type.js';
export { PPC64_TLB_BATCH_NR } from './hash-tlb.js';
export { FIXUP_PID_VA } from './radix-tlbi.js';
export { PPC_INTERNALS, type PpcRuntime } from './tlb.js';
export type { MmContext } from './mmu-context.js';
export { PPC_METRIC_DOCS } from './metric-docs.js';
