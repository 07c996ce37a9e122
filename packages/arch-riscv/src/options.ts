/**
 * Options of the riscv backend: the hardware (satp mode, ASID width, Svinval, Svnapot, the SiFive
 * CIP-1200 erratum), how the kernel sends remote fences, and the tunable range threshold.
 * Validation is strict: an unknown option or a bad value throws an Error naming it and listing
 * what is accepted.
 */
import type { CostModel, OptionSpec } from '@tlbsim/core';

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

export const DEFAULTS: ResolvedOptions = {
  satpMode: 'sv39',
  asid: true,
  asidBits: 16,
  rfence: 'sbi',
  svinval: false,
  svnapot: false,
  tlbFlushAllThreshold: TLB_FLUSH_ALL_THRESHOLD,
  sifiveCip1200: false,
  sbiRangeFlushLimit: SBI_RANGE_FLUSH_LIMIT,
  ptReclaim: false,
};

const BOOL = [true, false] as const;
export const ASID_BITS = Array.from({ length: 16 }, (_, i) => i + 1);
/** an upper bound for the threshold, only to catch nonsense (the kernel takes any unsigned long) */
const MAX_THRESHOLD = 2 ** 20;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'satpMode', description: 'satp translation mode: sv39 (3 levels), sv48 (4), sv57 (5); absent levels are folded at run time', default: 'sv39', choices: ['sv39', 'sv48', 'sv57'] },
  { name: 'asid', description: 'the harts implement ASIDs; false = ASIDLEN 0 (every mm switch flushes ASID 0)', default: true, choices: BOOL },
  { name: 'asidBits', description: 'implemented ASID bits; the kernel uses its allocator only if 2^asidBits > 2 x CPUs', default: 16, choices: ASID_BITS },
  { name: 'rfence', description: "remote TLB fences: 'sbi' (SBI RFENCE ecall, firmware fences the harts) or 'ipi' (Linux IPIs, native IPI controller)", default: 'sbi', choices: ['sbi', 'ipi'] },
  { name: 'svinval', description: 'Svinval: ranged local flushes become sfence.w.inval + sinval.vma x n + sfence.inval.ir', default: false, choices: BOOL },
  { name: 'svnapot', description: 'Svnapot: 64 KiB hugetlb pages; hugetlb flush strides rounded down to a page-table level size', default: false, choices: BOOL },
  { name: 'tlbFlushAllThreshold', description: `tlb_flush_all_threshold: strides above which a local range flush becomes a whole-ASID flush (a non-negative integer up to ${MAX_THRESHOLD})`, default: TLB_FLUSH_ALL_THRESHOLD },
  { name: 'sifiveCip1200', description: 'SiFive CIP-1200 erratum: every address/ASID sfence.vma is the global form and the threshold is 0', default: false, choices: BOOL },
  { name: 'sbiRangeFlushLimit', description: 'SBI firmware tlb_range_flush_limit (bytes; OpenSBI default 4096, some platforms 0): larger remote fences become whole-ASID fences on each hart; Number.MAX_SAFE_INTEGER = never (the SBI-spec minimum: leaf-only page fences)', default: SBI_RANGE_FLUSH_LIMIT },
  { name: 'ptReclaim', description: 'CONFIG_PT_RECLAIM (not selectable on riscv in v6.17; later kernels make it follow RCU table free)', default: false, choices: BOOL },
  { name: 'cost', description: 'partial CostModel overriding the estimated defaults (ns)', default: 'defaults' },
];

const show = (x: unknown) => (typeof x === 'string' ? `'${x}'` : String(x));

function bad(name: string, value: unknown, accepted: string): never {
  throw new Error(`riscv: invalid value ${show(value)} for option '${name}'; valid choices: ${accepted}`);
}

/** Fill in defaults and validate every option and the combinations that make no sense. */
export function resolveOptions(opts: RiscvOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new Error('riscv: options must be an object');
  const known = OPTION_SPECS.map((s) => s.name);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new Error(`riscv: unknown option '${k}'; valid options: ${known.join(', ')}`);
  }
  const o = opts as Record<string, unknown>;
  const r: ResolvedOptions = { ...DEFAULTS };
  for (const s of OPTION_SPECS) {
    const v = o[s.name];
    if (v === undefined || s.name === 'cost') continue;
    if (s.name === 'tlbFlushAllThreshold') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_THRESHOLD) bad(s.name, v, `a non-negative integer up to ${MAX_THRESHOLD}`);
    } else if (s.name === 'sbiRangeFlushLimit') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(s.name, v, 'a non-negative integer number of bytes');
    } else if (!s.choices!.includes(v as never)) {
      bad(s.name, v, s.name === 'asidBits' ? 'the integers 1 to 16' : s.choices!.map(show).join(', '));
    }
    (r as unknown as Record<string, unknown>)[s.name] = v;
  }
  if (o.cost !== undefined && (o.cost === null || typeof o.cost !== 'object')) {
    throw new Error("riscv: option 'cost' must be an object (a partial CostModel)");
  }
  if (!r.asid && o.asidBits !== undefined) {
    throw new Error("riscv: option 'asidBits' needs asid: true (asid: false means the harts implement no ASID bits)");
  }
  if (r.sifiveCip1200) {
    if (o.tlbFlushAllThreshold !== undefined && o.tlbFlushAllThreshold !== 0) {
      bad('tlbFlushAllThreshold', o.tlbFlushAllThreshold, "0 (with sifiveCip1200 the errata code sets tlb_flush_all_threshold to 0)");
    }
    r.tlbFlushAllThreshold = 0; // errata_cip_1200_check_func
  }
  return r;
}
