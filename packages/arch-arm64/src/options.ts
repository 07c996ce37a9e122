/**
 * The options of the arm64 backend: what hardware (granule, FEAT_TLBIRANGE, FEAT_TTL, LPA2,
 * KPTI, errata, ASID width) and which kernel release is modelled. Core's option resolver checks
 * each value; the combinations the kernel cannot build are arm64's own rules.
 */
import {
  MAINLINE, MAINLINE_RELEASE, MODELLED_RELEASES, formatRelease, oneOfText, optionDefaults, optionError, resolveArchOptions, resolveKernel, type ArchOptionsDef,
  type CostModel, type KernelSpec, type OptionSpec, type ResolvedArchOptions,
} from '@tlbsim/core';
import { arm64Feature, hasUnverified } from './features.js';

export type Granule = '4k' | '16k' | '64k';

/**
 * The `kernel` option: any release from 6.1 to mainline (`6.1`, `6.18.44`; the old `v6.15`
 * spellings too). Given explicitly, it overrides the machine's kernel (`new Machine({ kernel })`,
 * `--kernel`); left out, the backend models the machine's kernel. Listings show these releases.
 */
export const KERNEL_RELEASES: readonly string[] = MODELLED_RELEASES.map((r) => `v${r}`);
/** a kernel release as the option takes it: `6.1`, `v6.15`, `6.18.44`, `mainline` */
export type KernelVersion = string;

/** VA sizes each granule can be configured with (ARM64_VA_BITS_*); the two-level ones are rejected. */
export const VA_BITS: Readonly<Record<Granule, readonly number[]>> = {
  '4k': [39, 48, 52],
  '16k': [36, 47, 48, 52],
  '64k': [42, 48, 52],
};

export interface Arm64Options {
  /** translation granule (PAGE_SIZE) */
  granule?: Granule;
  /** user VA bits (CONFIG_ARM64_VA_BITS) */
  vaBits?: number;
  /** FEAT_TLBIRANGE: range TLBIs */
  tlbiRange?: boolean;
  /** FEAT_TTL: level hints in non-range TLBI operands */
  ttl?: boolean;
  /** FEAT_LPA2 in use (52-bit VA with 4K/16K, kernel 6.9+): range TLBIs need 64K-aligned starts */
  lpa2?: boolean;
  /** kernel unmapped at EL0 (KPTI): every user-ASID TLBI is issued twice */
  kpti?: boolean;
  /** ARM64_WORKAROUND_REPEAT_TLBI (Falkor E1009, Cortex-A76 #1286807, A55 #2441007, A510 #2441009) */
  repeatTlbi?: boolean;
  /** ID_AA64MMFR0_EL1.ASIDBits */
  asidBits?: 8 | 16;
  /** the kernel release; given, it overrides the machine's kernel */
  kernel?: KernelVersion;
  /** CONFIG_PT_RECLAIM (arm64 gets it only with the "depends on MMU_GATHER_RCU_TABLE_FREE" series) */
  ptReclaim?: boolean;
  /** cost model overrides (ns) */
  cost?: Partial<CostModel>;
}

export interface ResolvedOptions {
  granule: Granule;
  vaBits: number;
  tlbiRange: boolean;
  ttl: boolean;
  lpa2: boolean;
  kpti: boolean;
  repeatTlbi: boolean;
  asidBits: 8 | 16;
  /** the release modelled, `v6.18.44` */
  kernel: string;
  ptReclaim: boolean;
}


const BOOL = [true, false] as const;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'granule', kind: 'enum', description: 'translation granule (PAGE_SIZE)', default: '4k', choices: ['4k', '16k', '64k'] },
  // the sizes any granule allows; the granule's own list is checked in checkCombinations
  { name: 'vaBits', kind: 'enum', unit: 'bits', description: 'user VA bits: 4k 39/48/52, 16k 47/48/52, 64k 48/52 (52 on 4k/16k needs lpa2; the two-level 16k/36 and 64k/42 are not supported by core yet)', default: 48, choices: [39, 47, 48, 52] },
  { name: 'tlbiRange', kind: 'boolean', description: 'FEAT_TLBIRANGE: range TLBIs', default: false, choices: BOOL },
  { name: 'ttl', kind: 'boolean', description: 'FEAT_TTL: TTL level hints in non-range TLBIs', default: true, choices: BOOL },
  { name: 'lpa2', kind: 'boolean', description: 'FEAT_LPA2 in use (4k/16k, vaBits 52, kernel 6.9+)', default: false, choices: BOOL },
  { name: 'kpti', kind: 'boolean', description: 'kernel unmapped at EL0: user-ASID TLBIs are issued twice', default: false, choices: BOOL },
  { name: 'repeatTlbi', kind: 'boolean', description: 'ARM64_WORKAROUND_REPEAT_TLBI (per-TLBI repeat, or one trailing TLBI+DSB from 7.0, 6.12.94 and 6.1.176)', default: false, choices: BOOL },
  { name: 'asidBits', kind: 'enum', unit: 'bits', description: 'ASID width (ID_AA64MMFR0_EL1.ASIDBits)', default: 16, choices: [8, 16] },
  { name: 'kernel', kind: 'release', description: "kernel release whose arm64 TLB code is modelled (6.1 to mainline, e.g. 6.18.44); given, it overrides the machine's kernel", default: `v${MAINLINE_RELEASE}`, choices: KERNEL_RELEASES },
  { name: 'ptReclaim', kind: 'boolean', description: 'CONFIG_PT_RECLAIM (arm64: kernel 6.19+ only)', default: false, choices: BOOL },
  { name: 'cost', kind: 'cost', description: 'partial CostModel overriding the cited defaults (ns)', default: 'defaults' },
];

/** Every option's default (the specs' defaults). */
export const DEFAULTS: ResolvedOptions = optionDefaults(OPTION_SPECS);

/** CONFIG_PGTABLE_LEVELS for a granule and VA size: each level resolves log2(PAGE_SIZE / 8) bits. */
export function arm64Levels(granule: Granule, vaBits: number): number {
  const pageShift = granule === '4k' ? 12 : granule === '16k' ? 14 : 16;
  return Math.ceil((vaBits - pageShift) / (pageShift - 3));
}

/**
 * What the resolved options mean for the modelled kernel: each flag is a kernel change the model
 * reads (features.ts) or a hardware feature the kernel uses; the model asks these, never the
 * release number.
 */
export interface Arm64Config {
  readonly opts: ResolvedOptions;
  /** the kernel modelled (release and feature changes) */
  readonly kernel: KernelSpec;
  /** range TLBIs in use: FEAT_TLBIRANGE */
  readonly rangeOps: boolean;
  /** TTL hints written into non-range operands: FEAT_TTL */
  readonly hints: boolean;
  /** e2768b798a19: the range-op loop counts the scale down and issues an odd last page last */
  readonly rangeScaleDown: boolean;
  /** c910f2b65518: TLBI_TTL_UNKNOWN, so level 0 is a real hint (p4d level in tlb_get_level) */
  readonly ttlUnknown: boolean;
  /** 73301e464a72: exactly MAX_TLBI_RANGE_PAGES pages still use range ops (`>` instead of `>=`) */
  readonly rangeMaxPages: boolean;
  /** c753d667d959: __flush_tlb_range_limit_excess checks only the limit of the ops in use */
  readonly limitSimplified: boolean;
  /** a923705c69f7: flush_tlb_kernel_range uses range ops */
  readonly kernelRangeOps: boolean;
  /** flush_hugetlb_tlb_range with the hstate's stride (v6.6; commit id not verified) */
  readonly hugetlbStride: boolean;
  /** eed6bfa8b282: flush_hugetlb_tlb_range hints CONT sizes, unknown level otherwise */
  readonly hugetlbLevel: boolean;
  /** 43b3dfdd0455: ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH */
  readonly batchedUnmap: boolean;
  /** 2f4ab3ac10e1: reclaim adds a whole folio as one leaf range */
  readonly batchRange: boolean;
  /** 4b634918384c: arch_flush_tlb_batched_pending is flush_tlb_mm */
  readonly batchedPendingFlushMm: boolean;
  /** c320dbb7c80d: pte_needs_flush / huge_pmd_needs_flush */
  readonly pteNeedsFlush: boolean;
  /** REPEAT_TLBI without a8f78680ee6b: every TLBI becomes TLBI; DSB ISH; TLBI */
  readonly repeatEach: boolean;
  /** REPEAT_TLBI with a8f78680ee6b: one TLBI VALE1IS, XZR; DSB ISH after each completing DSB ISH */
  readonly repeatSync: boolean;
  /** 6bbd42e2df8f: mmu_notifier_arch_invalidate_secondary_tlbs is called from the arch flush */
  readonly notifier: boolean;
  /** 64212d689306: flush_tlb_page hints level 3 */
  readonly pageHint: boolean;
  /** c2ff4764e03e: an unshared PMD table makes tlb_flush invalidate the walk cache */
  readonly unshareWalkCache: boolean;
}

export function deriveConfig(opts: ResolvedOptions, kernel: KernelSpec = kernelOf(opts)): Arm64Config {
  const has = (name: Parameters<typeof arm64Feature>[0]) => kernel.has(arm64Feature(name));
  const repeatSync = has('arm64-repeat-tlbi-sync');
  return {
    opts,
    kernel,
    rangeOps: opts.tlbiRange,
    hints: opts.ttl,
    rangeScaleDown: has('arm64-tlbi-range-scale-down'),
    ttlUnknown: has('arm64-lpa2-tlbi'),
    rangeMaxPages: has('arm64-tlbi-range-max-pages'),
    limitSimplified: has('arm64-range-limit-simplified'),
    kernelRangeOps: has('arm64-kernel-range-tlbi'),
    hugetlbStride: hasUnverified(kernel, 'hugetlbStride'),
    hugetlbLevel: has('arm64-hugetlb-flush-level'),
    batchedUnmap: has('arm64-batched-unmap'),
    batchRange: has('tlbbatch-range'),
    batchedPendingFlushMm: has('arm64-batched-pending-flush-mm'),
    pteNeedsFlush: has('arm64-pte-needs-flush'),
    repeatEach: opts.repeatTlbi && !repeatSync,
    repeatSync: opts.repeatTlbi && repeatSync,
    notifier: has('arm64-secondary-tlb-notifier'),
    pageHint: has('arm64-flush-tlb-page-hint'),
    unshareWalkCache: has('arm64-unshare-walk-cache'),
  };
}

/** The kernel a resolved `kernel` option names (no feature changes). */
export function kernelOf(opts: Pick<ResolvedOptions, 'kernel'>): KernelSpec {
  return resolveKernel(opts.kernel);
}

/** The combinations the kernel cannot build, and the VA sizes of the chosen granule. */
function checkCombinations(r: ResolvedOptions, given: ReadonlySet<string>, kernel: KernelSpec): void {
  const usable = (bits: readonly number[]) => bits.filter((b) => arm64Levels(r.granule, b) >= 3);
  const fail = (name: string, allowed: string, why: string): never => {
    throw optionError('arm64', name, allowed, why);
  };
  const vaChoices = usable(VA_BITS[r.granule]);
  if (given.has('vaBits') && !vaChoices.includes(r.vaBits)) {
    fail('vaBits', `${oneOfText(vaChoices)} with granule '${r.granule}'`, `got ${r.vaBits}`);
  }
  if (r.lpa2) {
    if (r.granule === '64k') fail('lpa2', "false with granule '64k'", 'FEAT_LPA2 is used only with the 4k and 16k granules; 64k reaches 52 bits with FEAT_LPA');
    if (r.vaBits !== 52) fail('lpa2', `false with vaBits ${r.vaBits}`, 'LPA2 is in use only with vaBits 52');
    if (!kernel.has(arm64Feature('arm64-lpa2-tlbi'))) fail('lpa2', `false with kernel '${r.kernel}'`, 'LPA2 support came with 6.9 (c910f2b65518)');
  }
  if (r.vaBits === 52) {
    const others = oneOfText(vaChoices.filter((b) => b !== 52));
    if (r.granule !== '64k' && !r.lpa2) fail('vaBits', `${others} without lpa2`, `52-bit VA with the ${r.granule} granule needs lpa2: true; without FEAT_LPA2 the kernel runs with a 48/47-bit VA`);
  }
  if (r.ptReclaim && !hasUnverified(kernel, 'ptReclaim')) fail('ptReclaim', `false with kernel '${r.kernel}'`, 'arm64 cannot enable PT_RECLAIM before 6.19; ARCH_SUPPORTS_PT_RECLAIM was x86-only');
}

/** What {@link resolveArm64Options} gives: core's resolved options plus the kernel modelled. */
export interface ResolvedArm64 extends ResolvedArchOptions<ResolvedOptions> {
  readonly kernel: KernelSpec;
}

/**
 * The arm64 option declaration for a machine whose kernel is `machine` (default mainline): a
 * `kernel` option given explicitly overrides it. `derive` normalises the option to the release
 * modelled (`v6.18.44`) and checks the combinations against that kernel.
 */
function optionsDef(machine: KernelSpec, out: { kernel: KernelSpec }): ArchOptionsDef<ResolvedOptions> {
  return {
    arch: 'arm64',
    specs: OPTION_SPECS,
    derive(r, given) {
      const k = given.has('kernel') ? resolveKernel(r.kernel) : machine;
      out.kernel = k;
      r.kernel = `v${formatRelease(k.release)}`;
      checkCombinations(r, given, k);
    },
    label: (r) => arm64Label(r, out.kernel.changes),
  };
}

/** The arm64 option declaration (mainline unless the options name a kernel). */
export const ARM64_OPTIONS: ArchOptionsDef<ResolvedOptions> = optionsDef(MAINLINE, { kernel: MAINLINE });

/** Fill in defaults, validate every option and the combinations the kernel cannot build. */
export function resolveArm64Options(input: unknown, machine: KernelSpec = MAINLINE): ResolvedArm64 {
  const out = { kernel: machine };
  const r = resolveArchOptions(optionsDef(machine, out), input);
  return { ...r, kernel: out.kernel };
}

/** Fill in defaults and validate every option and the combinations the kernel cannot build. */
export function resolveOptions(opts: Arm64Options = {}): ResolvedOptions {
  return resolveArm64Options(opts).options;
}

/** The label for reports: the options that change what the kernel does, the kernel last. */
export function arm64Label(o: ResolvedOptions, changes: readonly string[] = []): string {
  const parts = [o.granule.toUpperCase(), `${o.vaBits}-bit VA`];
  if (o.tlbiRange) parts.push('TLBIRANGE');
  if (!o.ttl) parts.push('no FEAT_TTL');
  if (o.lpa2) parts.push('LPA2');
  if (o.kpti) parts.push('KPTI');
  if (o.repeatTlbi) parts.push('REPEAT_TLBI');
  if (o.asidBits !== DEFAULTS.asidBits) parts.push(`${o.asidBits}-bit ASID`);
  if (o.ptReclaim) parts.push('PT_RECLAIM');
  parts.push([o.kernel, ...changes].join(' '));
  return `arm64 (${parts.join(', ')})`;
}
