/**
 * @tlbsim/arch-x86: x86-64 TLB shootdowns as Linux does them. `x86({ pcid: true, ... })` returns
 * an ArchBackend for core's Machine.
 */
import {
  GENERIC_KCONFIG, MAINLINE, X86_64_4LEVEL, archInternals, defineArch, internalsKey, optionError, resolveKernel,
  type ArchBackend, type ArchInternals, type ArchContext, type ArchRuntime, type Kconfig, type KernelSpec, type Mm,
} from '@tlbsim/core';
import { NAMED_KERNELS, x86Features, type NamedKernel, type X86Features } from './features.js';
import { createTlbBatch, shouldDefer } from './batch.js';
import { x86Cost } from './cost.js';
import { X86_COUNTERS, formatTlbFlush } from './counters.js';
import { flushTlbFunc, flushTlbMm, flushTlbMmRange, flushTlbPage, getFlushTlbInfo } from './flush.js';
import { mmFreeGlobalAsid, useGlobalAsid } from './invlpgb.js';
import { flushTlbAll, flushTlbKernelRange } from './kernel-flush.js';
import { enterLazyTlb, leaveMm, switchMmIrqsOff } from './lazy.js';
import { KERNEL_VERSIONS, X86_OPTION_SPECS, resolveX86Options, x86Label, type ResolvedX86Options, type X86Options } from './options.js';
import { setVcpuPreempted } from './paravirt.js';
import { ID_IRQ_CAL, PAGE_SHIFT, X86Kernel, type FlushTlbInfo, type MmContext, type TlbState } from './state.js';
import { pteNeedsFlush, tlbFlush } from './tlb.js';
import { X86_METRIC_DOCS } from './metric-docs.js';

export { X86_COST, x86Cost } from './cost.js';
export * from './counters.js';
export { KERNEL_VERSIONS, PARAVIRT_MODES, X86_OPTIONS, X86_OPTION_SPECS, resolveX86Options, x86Label } from './options.js';
export type { KernelVersion, Paravirt, ResolvedX86Options, X86Options } from './options.js';
export { NAMED_KERNELS, X86_FLUSH_RANGE_FREED_TABLES, X86_INVLPGB, X86_LAZY_CPUMASK, X86_RCU_TABLE_FREE, x86Features } from './features.js';
export type { NamedKernel, X86Features } from './features.js';
export {
  HZ, INIT_MM_CTX_ID, MAX_ASID_AVAILABLE, TLB_FLUSH_ALL, TLB_GENERATION_INVALID, TLB_NR_DYN_ASIDS, kernPcid, userPcid,
} from './state.js';
export type { FlushTlbInfo, MmContext, TlbContext, TlbState } from './state.js';
export type { X86TlbBatch } from './batch.js';
export { pteNeedsFlush } from './tlb.js';

/** The Kconfig x86-64 selects (core SPEC.md §8.2), per kernel and paravirt mode. */
export function x86Kconfig(o: ResolvedX86Options, f: X86Features = x86Features(MAINLINE)): Kconfig {
  // RCU table freeing: unconditional since a37259732a7d; before, PT_RECLAIM (x86-64, default y)
  // selects it, else only a hypervisor flush hook frees tables through RCU (bare metal frees
  // them with the pages, after the flush)
  const rcu = f.rcuTableFree || f.ptReclaim || o.paravirt !== 'none';
  return {
    ...GENERIC_KCONFIG,
    MMU_GATHER_TABLE_FREE: rcu,
    MMU_GATHER_RCU_TABLE_FREE: rcu,
    MMU_GATHER_MERGE_VMAS: true,
    PT_RECLAIM: f.ptReclaim,
    ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: true,
    ARCH_WANT_HUGE_PMD_SHARE: true,
    SMP: true,
  };
}

/** Inspection and control of one run's x86 state (tests, scenarios, the CLI). */
export interface X86Internals {
  readonly options: ResolvedX86Options;
  /** cpu_tlbstate of `cpu` (live, mutable) */
  tlbState(cpu: number): TlbState;
  /** mm->context of `mm` (live, mutable) */
  mmContext(mm: Mm): MmContext;
  /** Set mm->context.tlb_gen, moving every CPU slot of the mm by the same amount. */
  setTlbGen(mm: Mm, gen: number): void;
  /** KVM: the host scheduled the vCPU out (true) or back in (false). */
  setVcpuPreempted(cpu: number, preempted: boolean): void;
  /** use_global_asid(mm) from the current CPU (INVLPGB). */
  useGlobalAsid(mm: Mm): void;
  /** flush_tlb_mm_range from the current CPU. */
  flushTlbMmRange(mm: Mm, start: number, end: number, strideShift: number, freedTables: boolean): void;
  /** A flush_tlb_info as get_flush_tlb_info builds it on the current CPU (ceiling applied). */
  flushTlbInfo(mm: Mm | null, start: number, end: number, strideShift: number, freedTables: boolean, newTlbGen: number): FlushTlbInfo;
  /** flush_tlb_func(info) on `cpu`, as if its IPI (or the local call) ran now. */
  flushTlbFunc(cpu: number, info: FlushTlbInfo): void;
  /** flush_tlb_all from the current CPU. */
  flushTlbAll(): void;
  /** leave_mm on `cpu` (cpuidle entering a TLB-flushing C-state). */
  leaveMm(cpu: number): void;
  /** tlb_single_page_flush_ceiling (debugfs read). */
  readonly flushCeiling: number;
  /** debugfs write of tlb_single_page_flush_ceiling (negative: -EINVAL). */
  setFlushCeiling(strides: number): void;
}

/** The key of x86's per-run internals (see core's archInternals). */
export const X86_INTERNALS = internalsKey<X86Internals>('x86');

export interface X86Runtime extends ArchRuntime {
  readonly internals: ArchInternals<X86Internals>;
}

/** The x86 internals of a machine built with `x86()`. */
export function x86Internals(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }): X86Internals {
  return archInternals(m, X86_INTERNALS, 'x86Internals');
}

function bind(ctx: ArchContext, opts: ResolvedX86Options, feat: X86Features): X86Runtime {
  const k = new X86Kernel(ctx, opts, feat);
  const internals: X86Internals = {
    options: opts,
    tlbState: (cpu) => k.cpus[cpu],
    mmContext: (mm) => k.mmCtx(mm),
    setTlbGen(mm, gen) {
      const c = k.mmCtx(mm);
      const d = gen - c.tlbGen;
      c.tlbGen = gen;
      for (const st of k.cpus) for (const s of st.ctxs) if (s.ctxId === c.ctxId) s.tlbGen += d;
    },
    setVcpuPreempted: (cpu, p) => setVcpuPreempted(k, cpu, p),
    useGlobalAsid: (mm) => useGlobalAsid(k, mm, ctx.currentCpu()),
    flushTlbMmRange: (mm, s, e, sh, f) => flushTlbMmRange(k, mm, s, e, sh, f),
    flushTlbInfo: (mm, s, e, sh, f, g) => getFlushTlbInfo(k, mm, s, e, sh, f, g),
    flushTlbFunc: (cpu, info) => flushTlbFunc(k, cpu, info),
    flushTlbAll: () => flushTlbAll(k),
    leaveMm: (cpu) => leaveMm(k, cpu),
    get flushCeiling() {
      return k.ceiling;
    },
    setFlushCeiling(n) {
      if (!Number.isInteger(n) || n < 0) {
        throw new Error(`x86: tlb_single_page_flush_ceiling must be an integer >= 0 (debugfs returns -EINVAL for ${n})`);
      }
      k.ceiling = n;
    },
  };
  return {
    internals: { key: X86_INTERNALS, value: internals },
    tlbFlush: (g) => tlbFlush(k, g),
    flushTlbMm: (mm) => flushTlbMm(k, mm),
    flushTlbRange(mm, start, end, vma) {
      // flush_tlb_range: the stride is the hstate's page size for a hugetlb VMA
      const shift = vma.hugetlb ? vma.hugeShift : PAGE_SHIFT;
      flushTlbMmRange(k, mm, start, end, shift, feat.rangeFreedTables);
    },
    flushTlbPage: (mm, addr) => flushTlbPage(k, mm, addr),
    flushTlbKernelRange: (start, end) => flushTlbKernelRange(k, start, end),
    flushTlbBatchedPending: (mm) => flushTlbMm(k, mm),
    pteNeedsFlush,
    // x86's pmdp_invalidate_ad clears the PMD without a flush (change_huge_pmd defers to the gather)
    pmdpInvalidateAd: () => {},
    switchMm(cpu, prev, next) {
      switchMmIrqsOff(k, cpu, prev, next);
    },
    enterLazy: (cpu) => enterLazyTlb(k, cpu),
    onIpi(cpu) {
      // every cross-call arrives on CALL_FUNCTION(_SINGLE)_VECTOR
      ctx.counterById(cpu, ID_IRQ_CAL);
    },
    createTlbBatch: () => createTlbBatch(k),
    tlbbatchShouldDefer: (mm) => shouldDefer(k, mm),
    destroyMm(mm) {
      mmFreeGlobalAsid(k, mm);
      k.mms.delete(mm);
    },
    ftrace: formatTlbFlush,
  };
}

/**
 * The x86-64 backend. Defaults: bare-metal Intel, the machine's kernel (mainline unless given),
 * PCID, no PTI, no INVLPGB. `kernel` overrides the machine's kernel for this backend.
 */
export function x86(options: X86Options = {}): ArchBackend {
  return build(options);
}

/** The kernel the `kernel` option names: a named behaviour or a release. */
function optionKernel(value: string): KernelSpec {
  return (KERNEL_VERSIONS as readonly string[]).includes(value) ? NAMED_KERNELS[value as NamedKernel]() : resolveKernel(value);
}

function build(options: X86Options, machine?: KernelSpec): ArchBackend {
  const { resolved, cost, given } = resolveX86Options(options);
  const explicit = given.has('kernel');
  const spec = explicit ? optionKernel(resolved.kernel) : (machine ?? MAINLINE);
  if (machine && !explicit) resolved.kernel = spec.label;
  const feat = x86Features(spec);
  if (resolved.invlpgb && !feat.invlpgb) {
    throw optionError('x86', 'invlpgb', `false with kernel '${resolved.kernel}'`, 'INVLPGB support was merged in v6.15');
  }
  const self: ArchBackend = defineArch({
    name: 'x86',
    // the kernel modelled: the option's, else the machine's, else mainline's release
    label: x86Label({ ...resolved, kernel: explicit ? resolved.kernel : spec.label }),
    options: { ...resolved },
    optionSpecs: X86_OPTION_SPECS,
    kconfig: x86Kconfig(resolved, feat),
    geometry: X86_64_4LEVEL,
    hugePageSizes: resolved.gbpages ? [2 ** 21, 2 ** 30] : [2 ** 21],
    thpPmdSize: 2 ** 21,
    cost: x86Cost(cost),
    perCpuCounters: X86_COUNTERS,
    metricDocs: X86_METRIC_DOCS,
    // a named behaviour (v6.15...) is x86's alone: the machine's kernel stays its own
    ...(explicit && resolved.kernel in NAMED_KERNELS ? {} : { kernel: spec }),
    withKernel: (k: KernelSpec) => (explicit ? self : build(options, k)),
    create: (ctx) => bind(ctx, resolved, feat),
  });
  return self;
}
export { X86_METRIC_DOCS } from './metric-docs.js';
