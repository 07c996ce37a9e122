/**
 * Options of the powerpc (book3s64) backend: which MMU, which CPU, the boot/debugfs knobs that
 * change flushing, and the kernel era. Core's option resolver checks each value; the rules
 * between options are powerpc's own.
 */
import { optionError, resolveArchOptions, showOptionValue, type ArchOptionsDef, type CostModel, type OptionSpec } from '@tlbsim/core';

export type MmuMode = 'radix' | 'hash';
export type CpuModel = 'power9' | 'power10';
/**
 * POWER9 tlbie errata (update_tlbie_feature_flag): every POWER9 has the ERAT bug; Nimbus below
 * DD2.3 and Cumulus below DD1.3 also have the store-queue (STQ) bug. POWER10 has neither.
 */
export type P9Errata = 'erat' | 'erat+stq' | 'none';
/**
 * Kernel era, by the radix_tlb.c snapshot it follows:
 * - '6.6': v6.4 and later (MMU_LAZY_TLB_SHOOTDOWN fullmm branch, pte_needs_flush, P9-only
 *   flush escalation, flush_tlb_range PWC rule);
 * - '6.1': v5.17..v6.3 (fullmm -> __flush_all_mm(fullmm=true), P9-only escalation, PWC rule);
 * - '5.12': ~v5.12..v5.16 (flush escalation with any copro, flush_tlb_range without the PWC
 *   rule and with RIC=0 PID flushes; mremap without page-table moves: both the PWC rule and
 *   HAVE_MOVE_PMD came with v5.14).
 */
export type KernelEra = '6.6' | '6.1' | '5.12';
export type BasePageSize = 4096 | 65536;

export interface PpcOptions {
  /** radix (default; POWER9+) or the hashed page table MMU */
  mmu?: MmuMode;
  cpu?: CpuModel;
  /** which POWER9 tlbie errata the PVR selects: default 'erat' (Nimbus DD2.3) on POWER9, 'none' on POWER10 */
  p9Errata?: P9Errata;
  /**
   * tlbie_enabled: false models `disable_tlbie` (radix only): global flushes become tlbiel by
   * IPI. With coprocessors attached it models debugfs `tlbie_enabled=0` (tlbie stays capable).
   */
  tlbie?: boolean;
  /** MMU_FTR_GTSE (radix): false = a guest without it, global flushes use H_RPT_INVALIDATE */
  gtse?: boolean;
  /** nest-MMU coprocessors attached to every mm (context.copros) */
  coprocessors?: number;
  /** PAGE_SIZE: 65536 (distribution kernels, default) or 4096 */
  pageSize?: BasePageSize;
  kernel?: KernelEra;
  /** debugfs tlb_single_page_flush_ceiling (global flushes); x86's option of the same knob has this name */
  ceiling?: number;
  /** debugfs tlb_local_single_page_flush_ceiling (local flushes) */
  localCeiling?: number;
  /** @deprecated the old name of `ceiling` (still accepted) */
  tlbSinglePageFlushCeiling?: number;
  /** @deprecated the old name of `localCeiling` (still accepted) */
  tlbLocalSinglePageFlushCeiling?: number;
  /** cost model overrides (ns) */
  cost?: Partial<CostModel>;
}

export interface ResolvedPpcOptions {
  mmu: MmuMode;
  cpu: CpuModel;
  p9Errata: P9Errata;
  tlbie: boolean;
  gtse: boolean;
  coprocessors: number;
  pageSize: BasePageSize;
  kernel: KernelEra;
  ceiling: number;
  localCeiling: number;
}

/** POWER9_TLB_SETS_RADIX: sets walked by a local whole-PID tlbiel on POWER9 */
export const POWER9_TLB_SETS_RADIX = 128;

const BOOL = [true, false] as const;

export const PPC_OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'mmu', kind: 'enum', description: 'book3s64 MMU: radix or hash (hashed page table)', default: 'radix', choices: ['radix', 'hash'] },
  { name: 'cpu', kind: 'enum', description: 'CPU generation (POWER10 = ISA 3.1: 1-tlbiel PID flush, cp_abort after tlbiel)', default: 'power10', choices: ['power9', 'power10'] },
  // the default follows cpu (resolvePpcRules): 'erat' on POWER9
  { name: 'p9Errata', kind: 'enum', description: "POWER9 tlbie errata: 'erat' (every P9, the POWER9 default; Nimbus DD2.3+) or 'erat+stq' (Nimbus < DD2.3, Cumulus < DD1.3); 'none' is the only value on POWER10", default: 'none', choices: ['none', 'erat', 'erat+stq'] },
  { name: 'tlbie', kind: 'boolean', description: 'tlbie_enabled: false = disable_tlbie (radix only), global flushes become tlbiel by IPI', default: true, choices: BOOL },
  { name: 'gtse', kind: 'boolean', description: 'MMU_FTR_GTSE (radix): false = guest without it, global flushes use the H_RPT_INVALIDATE hcall', default: true, choices: BOOL },
  { name: 'coprocessors', kind: 'integer', min: 0, max: 0xffffffff, unit: 'coprocessors', description: 'nest-MMU coprocessors attached to every mm (context.copros)', default: 0 },
  { name: 'pageSize', kind: 'enum', unit: 'bytes', description: 'PAGE_SIZE in bytes (distribution ppc64le kernels use 64K)', default: 65536, choices: [65536, 4096] },
  { name: 'kernel', kind: 'enum', description: "kernel era: '6.6' (v6.4+), '6.1' (v5.17-v6.3), '5.12' (~v5.12-v5.16)", default: '6.6', choices: ['6.6', '6.1', '5.12'] },
  // the same knob has the same name on every backend (x86 `ceiling`); the old names stay accepted
  { name: 'ceiling', kind: 'integer', min: 0, max: 0xffffffff, unit: 'pages', aliases: ['tlbSinglePageFlushCeiling'], description: 'debugfs tlb_single_page_flush_ceiling: pages above which a global flush becomes a PID flush', default: 33 },
  { name: 'localCeiling', kind: 'integer', min: 0, max: 0xffffffff, unit: 'pages', aliases: ['tlbLocalSinglePageFlushCeiling'], description: 'debugfs tlb_local_single_page_flush_ceiling: pages above which a local flush becomes a PID flush', default: POWER9_TLB_SETS_RADIX * 2 },
  { name: 'cost', kind: 'cost', description: 'cost model overrides in ns (ipiSend, instructions[mnemonic], ...)', default: 'packages/arch-ppc/SPEC.md §9' },
];

/** The rules between options, and p9Errata's default (update_tlbie_feature_flag's POWER9 check). */
function resolvePpcRules(r: ResolvedPpcOptions, given: ReadonlySet<string>): void {
  if (!given.has('p9Errata') && r.cpu === 'power9') r.p9Errata = 'erat';
  if (r.cpu === 'power10' && r.p9Errata !== 'none') {
    throw optionError('ppc', 'p9Errata', "'none' on cpu 'power10'", `POWER10 has no tlbie errata; got ${showOptionValue(r.p9Errata)}`);
  }
  if (r.cpu === 'power9' && r.p9Errata === 'none') {
    throw optionError('ppc', 'p9Errata', "one of 'erat', 'erat+stq' on cpu 'power9'", "every POWER9 has the ERAT erratum; got 'none'");
  }
  if (r.mmu === 'hash' && !r.tlbie) {
    throw optionError('ppc', 'tlbie', "true with mmu 'hash'", "disable_tlbie is radix-only: the kernel rejects it on the hash MMU");
  }
  if (r.mmu === 'hash' && !r.gtse) {
    throw optionError('ppc', 'gtse', "true with mmu 'hash'", 'GTSE applies only to radix; hash guests use hypervisor HPT calls, not modelled');
  }
}

/** The powerpc option declaration: specs, the rules between options, the label. */
export const PPC_OPTIONS: ArchOptionsDef<ResolvedPpcOptions> = {
  arch: 'ppc',
  specs: PPC_OPTION_SPECS,
  derive: resolvePpcRules,
  label: ppcLabel,
};

/** Validate and fill in defaults. Throws an OptionError naming the offending option. */
export function resolvePpcOptions(opts: PpcOptions = {}): ResolvedPpcOptions {
  return resolveArchOptions(PPC_OPTIONS, opts).options;
}

/** A label naming the options that matter, e.g. `powerpc book3s64 radix (POWER10, 64K pages, tlbie, v6.6)`. */
export function ppcLabel(o: ResolvedPpcOptions): string {
  const parts: string[] = [];
  if (o.cpu === 'power10') parts.push('POWER10');
  else parts.push(o.p9Errata === 'erat+stq' ? 'POWER9 (ERAT+STQ errata)' : 'POWER9 (ERAT erratum)');
  parts.push(o.pageSize === 65536 ? '64K pages' : '4K pages');
  if (o.mmu === 'radix') {
    if (!o.gtse) parts.push('no GTSE: H_RPT_INVALIDATE');
    else parts.push(o.tlbie ? 'tlbie' : 'tlbie disabled: tlbiel by IPI');
  } else parts.push('native HPT');
  if (o.coprocessors > 0) parts.push(`${o.coprocessors} nMMU copro${o.coprocessors > 1 ? 's' : ''}`);
  if (o.ceiling !== 33 || o.localCeiling !== POWER9_TLB_SETS_RADIX * 2) {
    parts.push(`ceilings ${o.ceiling}/${o.localCeiling}`);
  }
  parts.push(`v${o.kernel}`);
  return `powerpc book3s64 ${o.mmu} (${parts.join(', ')})`;
}
