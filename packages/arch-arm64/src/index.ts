/**
 * @tlbsim/arch-arm64: arm64 TLB maintenance as Linux does it. Broadcast `TLBI ...IS`
 * instructions reach every CPU without an IPI; `DSB ISH` waits for their completion; ASIDs let
 * an exiting mm skip flushing its leaf entries; RCU table freeing (plus the IPI fallback of
 * tlb_remove_table_sync_one) protects lockless page-table walkers, since TLBIs do not.
 *
 *   new Machine({ arch: arm64({ granule: '4k', tlbiRange: true }), cpus: 4 })
 */
import {
  GENERIC_KCONFIG, MAINLINE, PTE_DIRTY, PTE_PRESENT, archInternals, defineArch, internalsKey, withCostOverrides, type ArchBackend, type ArchContext, type ArchInternals, type ArchRuntime,
  type Kconfig, type KernelSpec, type Mm,
} from '@tlbsim/core';
import { AsidAllocator } from './asid.js';
import { createTlbBatch, flushTlbBatchedPending, shouldDefer } from './batch.js';
import { ARM64_COST } from './cost.js';
import { GRANULES, arm64Geometry, hugePageSizes, pmdSize, wantsHugePmdShare } from './granule.js';
import { OPTION_SPECS, deriveConfig, resolveArm64Options, type Arm64Config, type Arm64Options } from './options.js';
import { tlbFlush } from './tlb.js';
import { TLBF_NONE, TlbFlush } from './tlbflush.js';
import { Tlbi } from './tlbi.js';
import { ARM64_METRIC_DOCS } from './metric-docs.js';

export type { Arm64Options, ResolvedOptions, ResolvedArm64, Granule, KernelVersion, Arm64Config } from './options.js';
export { ARM64_OPTIONS, KERNEL_RELEASES, OPTION_SPECS, VA_BITS, DEFAULTS, arm64Label, resolveOptions, resolveArm64Options, deriveConfig, kernelOf } from './options.js';
export { ARM64_FEATURES, UNVERIFIED_CHANGES, arm64Feature } from './features.js';
export { GRANULES, MAX_TLBI_RANGE_PAGES, arm64Geometry, hugePageSizes, wantsHugePmdShare, type GranuleInfo } from './granule.js';
export { ARM64_COST } from './cost.js';
export { tlbGetLevel, tlbFlush } from './tlb.js';
export { TlbFlush, TLBF_NONE, TLBF_NOWALKCACHE, TLBF_NOSYNC, TLBF_NONOTIFY, TLBF_NOBROADCAST } from './tlbflush.js';
export { Tlbi, TTL_UNKNOWN, type TlbiOp, type DsbDomain } from './tlbi.js';
export { AsidAllocator, type Arm64MmContext } from './asid.js';
export { createTlbBatch, flushTlbBatchedPending, shouldDefer } from './batch.js';
export { formatInsn, tlbiSequence, type SequenceOptions } from './sequence.js';

/** The backend plus what tests and tools may want to inspect. */
export interface Arm64Backend extends ArchBackend {
  readonly config: Arm64Config;
}

/** What one arm64 run exposes for inspection. */
export interface Arm64Internals {
  /** this machine's ASID allocator */
  readonly asids: AsidAllocator;
}

/** The key of arm64's per-run internals (see core's archInternals). */
export const ARM64_INTERNALS = internalsKey<Arm64Internals>('arm64');

/** The runtime of one machine, its internals under {@link ARM64_INTERNALS}. */
export interface Arm64Runtime extends ArchRuntime {
  readonly internals: ArchInternals<Arm64Internals>;
}

/** The arm64 internals of a machine built with `arm64()`. */
export function arm64Internals(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }): Arm64Internals {
  return archInternals(m, ARM64_INTERNALS, 'arm64Internals');
}

/**
 * pte_needs_flush / huge_pmd_needs_flush (arm64, c320dbb7c80d): no flush for an invalid -> valid
 * change or a change of software bits only. Of the simulated PTE bits only dirty is a software
 * bit on arm64 (PTE_DIRTY); write, young (AF), exec (UXN) and leaf are hardware bits.
 */
export function arm64PteNeedsFlush(oldPte: number, newPte: number): boolean {
  if (!(oldPte & PTE_PRESENT)) return false;
  return ((oldPte ^ newPte) & ~PTE_DIRTY) !== 0;
}

/**
 * The arm64 backend factory: `arm64({ granule: '16k', tlbiRange: true, kernel: '6.12' })`.
 * Without a `kernel` option the backend models the machine's kernel (`new Machine({ kernel })`
 * rebuilds it through `withKernel`); with one, that release is modelled whatever the machine's.
 */
export function arm64(options: Arm64Options = {}): Arm64Backend {
  return build(options, MAINLINE);
}

function build(options: Arm64Options, machine: KernelSpec): Arm64Backend {
  const { options: opts, label, cost, given, kernel } = resolveArm64Options(options, machine);
  const cfg = deriveConfig(opts, kernel);
  const gi = GRANULES[opts.granule];
  const geometry = arm64Geometry(gi, opts.vaBits);
  // core SPEC.md §8.2: the generic set (RCU table free; neither MERGE_VMAS nor PAGE_SIZE, so
  // tlb_end_vma flushes) plus what depends on the kernel, granule and VA size
  const kconfig: Kconfig = {
    ...GENERIC_KCONFIG,
    PT_RECLAIM: opts.ptReclaim,
    ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: cfg.batchedUnmap,
    ARCH_WANT_HUGE_PMD_SHARE: wantsHugePmdShare(gi, opts.vaBits),
    SMP: true,
  };
  const shifts = {
    page: geometry.levels[0].shift,
    pmd: geometry.levels[1].shift,
    pud: geometry.levels[2].shift,
    p4d: geometry.levels[3].shift,
  };
  const backend: Arm64Backend = defineArch({
    name: 'arm64',
    label,
    options: { ...opts },
    optionSpecs: OPTION_SPECS,
    kconfig,
    geometry,
    hugePageSizes: hugePageSizes(gi, geometry),
    thpPmdSize: pmdSize(geometry),
    cost: withCostOverrides(ARM64_COST, cost),
    perCpuCounters: [],
    metricDocs: ARM64_METRIC_DOCS,
    config: cfg,
    kernel,
    // an explicit kernel option overrides the machine's kernel; otherwise model the machine's
    withKernel: (k: KernelSpec): Arm64Backend => (given.has('kernel') ? backend : build(options, k)),
    create(ctx: ArchContext): Arm64Runtime {
      // mms that may still have entries in some TLB: the targets of all-ASID invalidations
      const live = new Set<Mm>();
      const tlbi = new Tlbi(ctx, cfg, gi);
      let asids: AsidAllocator | null = null;
      const tf = new TlbFlush(ctx, cfg, gi, tlbi, (mm) => asids!.asid(mm), () => live);
      asids = new AsidAllocator(ctx, cfg, (cpu) => tf.localFlushTlbAll(cpu));
      const rt: Arm64Runtime = {
        internals: { key: ARM64_INTERNALS, value: { asids } },
        tlbFlush: (g) => tlbFlush(tf, cfg, g, shifts),
        flushTlbMm: (mm) => tf.flushTlbMm(mm),
        flushTlbRange(mm, start, end, vma) {
          // flush_hugetlb_tlb_range needs the hstate's size, which the caller's VMA carries
          if (vma.hugetlb) return tf.flushHugetlbTlbRange(mm, start, end, 2 ** vma.hugeShift);
          tf.flushTlbRange(mm, start, end);
        },
        flushTlbPage: (mm, addr) => tf.flushTlbPage(mm, addr),
        // flush_pmd_tlb_range: __flush_tlb_range at PMD stride, not leaf-only, level 2 (asm/tlbflush.h)
        flushPmdTlbRange: (mm, start, end) => tf.flushTlbRangeStride(mm, start, end, 2 ** ctx.geometry.levels[1].shift, 2, TLBF_NONE),
        flushTlbKernelRange: (start, end) => tf.flushTlbKernelRange(start, end),
        switchMm(cpu, prev, next) {
          // switch_mm: nothing to do when the CPU already runs (or lazily holds) this mm
          if (prev === next) return;
          live.add(next);
          asids!.switchTo(cpu, next);
        },
        flushTlbBatchedPending: (mm) => flushTlbBatchedPending(tf, cfg, mm),
        // set_pmd / set_pud: DSB ISHST; ISB after writing a valid entry; set_p4d / set_pgd after
        // every write, p4d_clear and pgd_clear included (asm/pgtable.h, 6.1 to mainline: 5fdd05efa1cd
        // defers them only inside lazy-MMU sections, where no user table entry is written)
        setTableEntry(_mm, level, present) {
          if (present || level >= 3) tlbi.pgtableBarriers();
        },
        destroyMm(mm) {
          // the ASID stays allocated until a rollover; the mm can no longer be run
          live.delete(mm);
        },
      };
      if (cfg.pteNeedsFlush) rt.pteNeedsFlush = arm64PteNeedsFlush;
      if (kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH) {
        rt.createTlbBatch = () => createTlbBatch(tf, cfg);
        rt.tlbbatchShouldDefer = () => shouldDefer(cfg);
      }
      return rt;
    },
  });
  return backend;
}

export default arm64;
export { ARM64_METRIC_DOCS } from './metric-docs.js';
