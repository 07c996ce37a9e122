/**
 * Options of the riscv backend: the hardware (satp mode, ASID width, Svinval, Svnapot, the SiFive
 * CIP-1200 erratum), how the kernel sends remote fences, and the tunable range threshold.
 * Core's option resolver checks each value; the rules between options are riscv's own.
 */
import { optionDefaults, optionError, resolveArchOptions, type ArchOptionsDef, type CostModel, type OptionSpec } from '@tlbsim/core';

export type SatpMode = 'sv39' | 'sv48' | 'sv57';
export type Rfence = 'sbi' | 'ipi';

export interface RiscvOptions {
  /** satp MODE chosen at boot (the kernel probes Sv57, then Sv48, then Sv39; `no4lvl`/`no5lvl` cap it) */
  satpMode?: SatpMode;
  /** the hart implements ASIDs (ASIDLEN > 0) */
  asid?: boolean;
  /** ASIDLEN: implemented ASID bits (RV64: at most 16); the allocator needs 2^bits > 2 x CPUs */
  asidBits?: number;
  /** remote fences through the SBI RFENCE extension or through Linux IPIs (riscv_sbi_for_rfence) */
  rfence?: Rfence;
  /** Svinval present: ranged local flushes use sinval.vma between sfence.w.inval / sfence.inval.ir */
  svinval?: boolean;
  /** Svnapot present: 64 KiB hugetlb pages; hugetlb flush strides are rounded to a level size */
  svnapot?: boolean;
  /** tlb_flush_all_threshold: above this many strides a local range flush becomes an ASID flush */
  tlbFlushAllThreshold?: number;
  /** SiFive CIP-1200 erratum: address/ASID sfence.vma patched to the global form, threshold 0 */
  sifiveCip1200?: boolean;
  /**
   * SBI firmware (OpenSBI) tlb_range_flush_limit in bytes: a remote fence larger than this is done
   * as a whole-ASID (or global) fence on each hart; up to it, one address fence per 4 KiB page.
   */
  sbiRangeFlushLimit?: number;
  /** CONFIG_PT_RECLAIM (riscv gets it only with the "PT_RECLAIM depends on RCU_TABLE_FREE" series) */
  ptReclaim?: boolean;
  /** cost model overrides (ns) */
  cost?: Partial<CostModel>;
}

export interface ResolvedOptions {
  satpMode: SatpMode;
  asid: boolean;
  asidBits: number;
  rfence: Rfence;
  svinval: boolean;
  svnapot: boolean;
  tlbFlushAllThreshold: number;
  sifiveCip1200: boolean;
  sbiRangeFlushLimit: number;
  ptReclaim: boolean;
}

/** tlb_flush_all_threshold's initial value in arch/riscv/mm/tlbflush.c */
export const TLB_FLUSH_ALL_THRESHOLD = 64;
/** OpenSBI SBI_PLATFORM_TLB_RANGE_FLUSH_LIMIT_DEFAULT (1 << 12) */
export const SBI_RANGE_FLUSH_LIMIT = 4096;

const BOOL = [true, false] as const;
export const ASID_BITS = Array.from({ length: 16 }, (_, i) => i + 1);
/** an upper bound for the threshold, only to catch nonsense (the kernel takes any unsigned long) */
const MAX_THRESHOLD = 2 ** 20;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'satpMode', kind: 'enum', description: 'satp translation mode: sv39 (3 levels), sv48 (4), sv57 (5); absent levels are folded at run time', default: 'sv39', choices: ['sv39', 'sv48', 'sv57'] },
  { name: 'asid', kind: 'boolean', description: 'the harts implement ASIDs; false = ASIDLEN 0 (every mm switch flushes ASID 0)', default: true, choices: BOOL },
  { name: 'asidBits', kind: 'enum', unit: 'bits', description: 'implemented ASID bits; the kernel uses its allocator only if 2^asidBits > 2 x CPUs', default: 16, choices: ASID_BITS },
  { name: 'rfence', kind: 'enum', description: "remote TLB fences: 'sbi' (SBI RFENCE ecall, firmware fences the harts) or 'ipi' (Linux IPIs, native IPI controller)", default: 'sbi', choices: ['sbi', 'ipi'] },
  { name: 'svinval', kind: 'boolean', description: 'Svinval: ranged local flushes become sfence.w.inval + sinval.vma x n + sfence.inval.ir', default: false, choices: BOOL },
  { name: 'svnapot', kind: 'boolean', description: 'Svnapot: 64 KiB hugetlb pages; hugetlb flush strides rounded down to a page-table level size', default: false, choices: BOOL },
  { name: 'tlbFlushAllThreshold', kind: 'integer', min: 0, max: MAX_THRESHOLD, unit: 'strides', description: `tlb_flush_all_threshold: strides above which a local range flush becomes a whole-ASID flush (a non-negative integer up to ${MAX_THRESHOLD})`, default: TLB_FLUSH_ALL_THRESHOLD },
  { name: 'sifiveCip1200', kind: 'boolean', description: 'SiFive CIP-1200 erratum: every address/ASID sfence.vma is the global form and the threshold is 0', default: false, choices: BOOL },
  { name: 'sbiRangeFlushLimit', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes', description: 'SBI firmware tlb_range_flush_limit (bytes; OpenSBI default 4096, some platforms 0): larger remote fences become whole-ASID fences on each hart; Number.MAX_SAFE_INTEGER = never (the SBI-spec minimum: leaf-only page fences)', default: SBI_RANGE_FLUSH_LIMIT },
  { name: 'ptReclaim', kind: 'boolean', description: 'CONFIG_PT_RECLAIM (not selectable on riscv in v6.17; later kernels make it follow RCU table free)', default: false, choices: BOOL },
  { name: 'cost', kind: 'cost', description: 'partial CostModel overriding the estimated defaults (ns)', default: 'defaults' },
];

/** Every option's default (the specs' defaults). */
export const DEFAULTS: ResolvedOptions = optionDefaults(OPTION_SPECS);

/** The combinations that make no sense, and the CIP-1200 threshold. */
function deriveOptions(r: ResolvedOptions, given: ReadonlySet<string>): void {
  if (!r.asid && given.has('asidBits')) {
    throw optionError('riscv', 'asidBits', 'left out with asid false', 'asid: false means the harts implement no ASID bits');
  }
  if (r.sifiveCip1200) {
    if (given.has('tlbFlushAllThreshold') && r.tlbFlushAllThreshold !== 0) {
      throw optionError('riscv', 'tlbFlushAllThreshold', '0 with sifiveCip1200', `the errata code sets tlb_flush_all_threshold to 0; got ${r.tlbFlushAllThreshold}`);
    }
    r.tlbFlushAllThreshold = 0; // errata_cip_1200_check_func
  }
}

/** The riscv option declaration: specs, the rules between options, the label. */
export const RISCV_OPTIONS: ArchOptionsDef<ResolvedOptions> = {
  arch: 'riscv',
  specs: OPTION_SPECS,
  derive: deriveOptions,
  label: riscvLabel,
};

/** Fill in defaults and validate every option and the combinations that make no sense. */
export function resolveOptions(opts: RiscvOptions = {}): ResolvedOptions {
  return resolveArchOptions(RISCV_OPTIONS, opts).options;
}

/** The label for reports: the options that change what the kernel does. */
export function riscvLabel(o: ResolvedOptions): string {
  const parts = [
    o.asid ? `ASID ${o.asidBits}-bit` : 'no ASID',
    o.rfence === 'sbi' ? 'SBI rfence' : 'IPI rfence',
  ];
  if (o.svinval) parts.push('Svinval');
  if (o.svnapot) parts.push('Svnapot');
  if (o.sifiveCip1200) parts.push('SiFive CIP-1200');
  else if (o.tlbFlushAllThreshold !== TLB_FLUSH_ALL_THRESHOLD) parts.push(`threshold ${o.tlbFlushAllThreshold}`);
  if (o.rfence === 'sbi' && o.sbiRangeFlushLimit !== SBI_RANGE_FLUSH_LIMIT) parts.push(`SBI range limit ${o.sbiRangeFlushLimit}`);
  if (o.ptReclaim) parts.push('PT_RECLAIM');
  return `riscv64 ${o.satpMode.replace('sv', 'Sv')} (${parts.join(', ')})`;
}
