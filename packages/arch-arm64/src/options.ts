/**
 * The options of the arm64 backend: what hardware (granule, FEAT_TLBIRANGE, FEAT_TTL, LPA2,
 * KPTI, errata, ASID width) and which kernel release is modelled. Core's option resolver checks
 * each value; the combinations the kernel cannot build are arm64's own rules.
 */
import { oneOfText, optionDefaults, optionError, resolveArchOptions, type ArchOptionsDef, type CostModel, type OptionSpec } from '@tlbsim/core';

export type Granule = '4k' | '16k' | '64k';

/**
 * Kernel releases whose arm64 TLB behaviour the backend reproduces (mainline x.y.0; stable
 * backports are not modelled). The boundaries that matter are listed in the README.
 * v4.19 and older are not offered: they issued a synchronous TLBI per freed page-table page from
 * `__p?d_free_tlb`, and core has no arch hook there.
 */
export const KERNEL_VERSIONS = [
  'v4.20', 'v5.4', 'v5.9', 'v5.10', 'v5.15', 'v6.1', 'v6.5', 'v6.6', 'v6.9', 'v6.12', 'v6.13', 'v6.15',
  'v6.16', 'v6.18', 'v6.19', 'v7.0', 'v7.1',
] as const;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

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
  /** FEAT_TLBIRANGE: range TLBIs (used by kernels from v5.10) */
  tlbiRange?: boolean;
  /** FEAT_TTL: level hints in non-range TLBI operands (used from v5.9) */
  ttl?: boolean;
  /** FEAT_LPA2 in use (52-bit VA with 4K/16K, v6.9+): range TLBIs need 64K-aligned starts */
  lpa2?: boolean;
  /** kernel unmapped at EL0 (KPTI): every user-ASID TLBI is issued twice */
  kpti?: boolean;
  /** ARM64_WORKAROUND_REPEAT_TLBI (Falkor E1009, Cortex-A76 #1286807, A55 #2441007, A510 #2441009) */
  repeatTlbi?: boolean;
  /** ID_AA64MMFR0_EL1.ASIDBits */
  asidBits?: 8 | 16;
  /** the kernel release */
  kernel?: KernelVersion;
  /** CONFIG_PT_RECLAIM (arm64 gets it only with the 2025/26 "depends on MMU_GATHER_RCU_TABLE_FREE" series) */
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
  kernel: KernelVersion;
  ptReclaim: boolean;
}


const BOOL = [true, false] as const;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'granule', kind: 'enum', description: 'translation granule (PAGE_SIZE)', default: '4k', choices: ['4k', '16k', '64k'] },
  // the sizes any granule allows; the granule's own list is checked in deriveOptions
  { name: 'vaBits', kind: 'enum', unit: 'bits', description: 'user VA bits: 4k 39/48/52, 16k 47/48/52, 64k 48/52 (52 on 4k/16k needs lpa2; the two-level 16k/36 and 64k/42 are not supported by core yet)', default: 48, choices: [39, 47, 48, 52] },
  { name: 'tlbiRange', kind: 'boolean', description: 'FEAT_TLBIRANGE: range TLBIs (kernel v5.10+ uses them)', default: false, choices: BOOL },
  { name: 'ttl', kind: 'boolean', description: 'FEAT_TTL: TTL level hints in non-range TLBIs (kernel v5.9+ writes them)', default: true, choices: BOOL },
  { name: 'lpa2', kind: 'boolean', description: 'FEAT_LPA2 in use (4k/16k, vaBits 52, kernel v6.9+)', default: false, choices: BOOL },
  { name: 'kpti', kind: 'boolean', description: 'kernel unmapped at EL0: user-ASID TLBIs are issued twice', default: false, choices: BOOL },
  { name: 'repeatTlbi', kind: 'boolean', description: 'ARM64_WORKAROUND_REPEAT_TLBI (per-TLBI repeat before v7.0, one trailing TLBI+DSB from v7.0)', default: false, choices: BOOL },
  { name: 'asidBits', kind: 'enum', unit: 'bits', description: 'ASID width (ID_AA64MMFR0_EL1.ASIDBits)', default: 16, choices: [8, 16] },
  { name: 'kernel', kind: 'enum', description: 'kernel release whose arm64 TLB code is modelled', default: 'v7.1', choices: KERNEL_VERSIONS },
  { name: 'ptReclaim', kind: 'boolean', description: 'CONFIG_PT_RECLAIM (arm64: kernel v6.19+ only)', default: false, choices: BOOL },
  { name: 'cost', kind: 'cost', description: 'partial CostModel overriding the cited defaults (ns)', default: 'defaults' },
];

/** Every option's default (the specs' defaults). */
export const DEFAULTS: ResolvedOptions = optionDefaults(OPTION_SPECS);

/** CONFIG_PGTABLE_LEVELS for a granule and VA size: each level resolves log2(PAGE_SIZE / 8) bits. */
export function arm64Levels(granule: Granule, vaBits: number): number {
  const pageShift = granule === '4k' ? 12 : granule === '16k' ? 14 : 16;
  return Math.ceil((vaBits - pageShift) / (pageShift - 3));
}

/** Kernel version as a comparable number: v6.13 -> 613. */
export function kver(v: KernelVersion | string): number {
  const m = /^v(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`arm64: not a kernel version: ${v}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

/**
 * What the resolved options mean for the modelled kernel: each flag is a feature the kernel
 * actually uses (hardware support alone is not enough: v5.9 ignores FEAT_TLBIRANGE).
 */
export interface Arm64Config {
  readonly opts: ResolvedOptions;
  /** kernel version number (v6.13 -> 613) */
  readonly k: number;
  /** range TLBIs in use: FEAT_TLBIRANGE and kernel v5.10+ */
  readonly rangeOps: boolean;
  /** TTL hints written into non-range operands: FEAT_TTL and kernel v5.9+ */
  readonly hints: boolean;
  /** REPEAT_TLBI before v7.0: every TLBI becomes TLBI; DSB ISH; TLBI */
  readonly repeatEach: boolean;
  /** REPEAT_TLBI from v7.0: one TLBI VALE1IS, XZR; DSB ISH after each completing DSB ISH */
  readonly repeatSync: boolean;
  /** mmu_notifier_arch_invalidate_secondary_tlbs is called from the arch flush (v6.6+) */
  readonly notifier: boolean;
}

export function deriveConfig(opts: ResolvedOptions): Arm64Config {
  const k = kver(opts.kernel);
  return {
    opts,
    k,
    rangeOps: opts.tlbiRange && k >= 510,
    hints: opts.ttl && k >= 509,
    repeatEach: opts.repeatTlbi && k < 700,
    repeatSync: opts.repeatTlbi && k >= 700,
    notifier: k >= 606,
  };
}

/** The combinations the kernel cannot build, and the VA sizes of the chosen granule. */
function deriveOptions(r: ResolvedOptions, given: ReadonlySet<string>): void {
  const usable = (bits: readonly number[]) => bits.filter((b) => arm64Levels(r.granule, b) >= 3);
  const fail = (name: string, allowed: string, why: string): never => {
    throw optionError('arm64', name, allowed, why);
  };
  const vaChoices = usable(VA_BITS[r.granule]);
  if (given.has('vaBits') && !vaChoices.includes(r.vaBits)) {
    fail('vaBits', `${oneOfText(vaChoices)} with granule '${r.granule}'`, `got ${r.vaBits}`);
  }
  const k = kver(r.kernel);
  if (r.lpa2) {
    if (r.granule === '64k') fail('lpa2', "false with granule '64k'", 'FEAT_LPA2 is used only with the 4k and 16k granules; 64k reaches 52 bits with FEAT_LPA');
    if (r.vaBits !== 52) fail('lpa2', `false with vaBits ${r.vaBits}`, 'LPA2 is in use only with vaBits 52');
    if (k < 609) fail('lpa2', `false with kernel '${r.kernel}'`, 'LPA2 support came with v6.9');
  }
  if (r.vaBits === 52) {
    const others = oneOfText(vaChoices.filter((b) => b !== 52));
    if (r.granule !== '64k' && !r.lpa2) fail('vaBits', `${others} without lpa2`, `52-bit VA with the ${r.granule} granule needs lpa2: true; without FEAT_LPA2 the kernel runs with a 48/47-bit VA`);
    if (r.granule === '64k' && k < 504) fail('vaBits', `${others} with kernel '${r.kernel}'`, '52-bit user VA came with v5.4');
  }
  if (r.ptReclaim && k < 619) fail('ptReclaim', `false with kernel '${r.kernel}'`, 'arm64 cannot enable PT_RECLAIM before v6.19; ARCH_SUPPORTS_PT_RECLAIM was x86-only');
}

/** The arm64 option declaration: specs, the rules between options, the label. */
export const ARM64_OPTIONS: ArchOptionsDef<ResolvedOptions> = {
  arch: 'arm64',
  specs: OPTION_SPECS,
  derive: deriveOptions,
  label: arm64Label,
};

/** Fill in defaults and validate every option and the combinations the kernel cannot build. */
export function resolveOptions(opts: Arm64Options = {}): ResolvedOptions {
  return resolveArchOptions(ARM64_OPTIONS, opts).options;
}

/** The label for reports: the options that change what the kernel does. */
export function arm64Label(o: ResolvedOptions): string {
  const parts = [o.granule.toUpperCase(), `${o.vaBits}-bit VA`];
  if (o.tlbiRange) parts.push('TLBIRANGE');
  if (!o.ttl) parts.push('no FEAT_TTL');
  if (o.lpa2) parts.push('LPA2');
  if (o.kpti) parts.push('KPTI');
  if (o.repeatTlbi) parts.push('REPEAT_TLBI');
  if (o.asidBits !== DEFAULTS.asidBits) parts.push(`${o.asidBits}-bit ASID`);
  if (o.ptReclaim) parts.push('PT_RECLAIM');
  parts.push(o.kernel);
  return `arm64 (${parts.join(', ')})`;
}
