/**
 * @tlbsim/arch-riscv: riscv64 as Linux drives it (sfence.vma, Svinval, SBI remote fences or IPIs,
 * the ASID allocator), built only against @tlbsim/core's public contract. See SPEC.md.
 */
import {
  MAINLINE, archInternals, defineArch, makeGeometry, optionError, resolveArchOptions, withCostOverrides,
  type ArchBackend, type ArchContext, type ArchRuntime, type Kconfig, type KernelSpec, type Mm,
} from '@tlbsim/core';
import { riscvFeatures, type RiscvFeatures } from './features.js';
import { cntxAsid, cntxVersion } from './asid.js';
import { RISCV_COST } from './cost.js';
import { OPTION_SPECS, RISCV_OPTIONS, type ResolvedOptions, type RiscvOptions } from './options.js';
import { COUNTER_IPI, COUNTER_SBI, RISCV_INTERNALS, createRuntime, type RiscvInternals } from './tlbflush.js';
import { RISCV_METRIC_DOCS } from './metric-docs.js';

export type { RiscvOptions, ResolvedOptions, SatpMode, Rfence } from './options.js';
export { OPTION_SPECS, RISCV_OPTIONS, DEFAULTS, TLB_FLUSH_ALL_THRESHOLD, SBI_RANGE_FLUSH_LIMIT, resolveOptions, riscvLabel } from './options.js';
export { RISCV_COST, SBI_TARGET_COST_KEY } from './cost.js';
export { RISCV_BATCHED_UNMAP, RISCV_RCU_TABLE_FREE, riscvFeatures, type RiscvFeatures } from './features.js';
export { AsidAllocator, NO_ASID, SATP_ASID_BITS, type MmContext } from './asid.js';
export { RISCV_INTERNALS, type RiscvInternals } from './tlbflush.js';
export { COUNTER_IPI, COUNTER_SBI, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, P4D_SHIFT, PGDIR_SHIFT } from './tlbflush.js';

const NAME = 'riscv';
const LEVELS = { sv39: 3, sv48: 4, sv57: 5 } as const;

/** The Kconfig a riscv64 SMP kernel selects (arch/riscv/Kconfig; core SPEC.md §8.2), per kernel. */
export function riscvKconfig(o: Pick<ResolvedOptions, 'ptReclaim'>, f: RiscvFeatures = riscvFeatures(MAINLINE)): Kconfig {
  return {
    MMU_GATHER_TABLE_FREE: f.rcuTableFree, // selected by MMU_GATHER_RCU_TABLE_FREE
    MMU_GATHER_RCU_TABLE_FREE: f.rcuTableFree, // if SMP && MMU (69be3fb111e7, v6.9)
    MMU_GATHER_PAGE_SIZE: false,
    MMU_GATHER_NO_RANGE: false,
    MMU_GATHER_NO_GATHER: false,
    MMU_GATHER_MERGE_VMAS: false,
    MMU_GATHER_NO_FLUSH_CACHE: false,
    PT_RECLAIM: o.ptReclaim,
    ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: f.batchedUnmap, // if MMU (54d7431af73e, v6.8)
    ARCH_WANT_HUGE_PMD_SHARE: true, // if 64BIT
    SMP: true,
  };
}

/**
 * A riscv64 backend. The page tables are built with five levels and folded at run time to the
 * satp mode (pgtable_l4_enabled / pgtable_l5_enabled), as riscv64 kernels do. It models the
 * machine's kernel (mainline unless the machine is given one: withKernel).
 */
export function riscv(opts: RiscvOptions = {}): ArchBackend {
  return build(opts);
}

function build(opts: RiscvOptions, machine?: KernelSpec): ArchBackend {
  const { options: o, label, cost } = resolveArchOptions(RISCV_OPTIONS, opts);
  const spec = machine ?? MAINLINE;
  const f = riscvFeatures(spec);
  if (o.ptReclaim && !f.ptReclaimExists) throw optionError('riscv', 'ptReclaim', `false with kernel '${spec.label}'`, 'CONFIG_PT_RECLAIM was merged in v6.14');
  const levels = LEVELS[o.satpMode];
  // TASK_SIZE = PGDIR_SIZE * PTRS_PER_PGD / 2: 2^38 (Sv39), 2^47 (Sv48), 2^56 (Sv57)
  const geometry = makeGeometry({ pageShift: 12, bitsPerLevel: 9, realLevels: levels, taskSize: 2 ** (12 + 9 * levels - 1), folding: 'runtime' });
  const hugePageSizes = [...(o.svnapot ? [2 ** 16] : []), 2 ** 21, 2 ** 30];
  return defineArch({
    name: NAME,
    // the kernel modelled: the machine's, else mainline's release
    label: label.replace(/^riscv64 /, `riscv64 ${spec.label} `),
    options: { ...o },
    optionSpecs: OPTION_SPECS,
    kconfig: riscvKconfig(o, f),
    geometry,
    hugePageSizes,
    thpPmdSize: 2 ** 21,
    cost: withCostOverrides(RISCV_COST, cost),
    perCpuCounters: [COUNTER_IPI, COUNTER_SBI],
    metricDocs: RISCV_METRIC_DOCS,
    kernel: spec,
    withKernel: (k: KernelSpec) => build(opts, k),
    create: (ctx: ArchContext) => createRuntime(ctx, o),
  });
}

/** The riscv internals of a machine built with `riscv()`. */
export function riscvInternals(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }): RiscvInternals {
  return archInternals(m, RISCV_INTERNALS, 'riscvInternals');
}

/** The riscv context of `mm` on machine `m` (mm->context.id split into ASID and version), if it has one yet. */
export function riscvMmContext(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }, mm: Mm): { id: number; asid: number; version: number } | undefined {
  const c = riscvInternals(m).mmContext(mm);
  return c ? { id: c.id, asid: cntxAsid(c.id), version: cntxVersion(c.id) } : undefined;
}
export { RISCV_METRIC_DOCS } from './metric-docs.js';
