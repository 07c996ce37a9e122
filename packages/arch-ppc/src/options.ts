/**
 * Options of the powerpc (book3s64) backend: which MMU, which CPU, the boot/debugfs knobs that
 * change flushing, and the kernel era. Unknown options and bad values throw, naming the option
 * and the valid choices.
 */
import type { CostModel, OptionSpec } from '@tlbsim/core';

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
  /** debugfs tlb_single_page_flush_ceiling (global flushes) */
  tlbSinglePageFlushCeiling?: number;
  /** debugfs tlb_local_single_page_flush_ceiling (local flushes) */
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
  tlbSinglePageFlushCeiling: number;
  tlbLocalSinglePageFlushCeiling: number;
}

/** POWER9_TLB_SETS_RADIX: sets walked by a local whole-PID tlbiel on POWER9 */
export const POWER9_TLB_SETS_RADIX = 128;

export const PPC_OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'mmu', description: 'book3s64 MMU: radix or hash (hashed page table)', default: 'radix', choices: ['radix', 'hash'] },
  { name: 'cpu', description: 'CPU generation (POWER10 = ISA 3.1: 1-tlbiel PID flush, cp_abort after tlbiel)', default: 'power10', choices: ['power9', 'power10'] },
  { name: 'p9Errata', description: "POWER9 tlbie errata: 'erat' (every P9, the POWER9 default; Nimbus DD2.3+) or 'erat+stq' (Nimbus < DD2.3, Cumulus < DD1.3); 'none' is the only value on POWER10", default: 'none', choices: ['none', 'erat', 'erat+stq'] },
  { name: 'tlbie', description: 'tlbie_enabled: false = disable_tlbie (radix only), global flushes become tlbiel by IPI', default: true, choices: [true, false] },
  { name: 'gtse', description: 'MMU_FTR_GTSE (radix): false = guest without it, global flushes use the H_RPT_INVALIDATE hcall', default: true, choices: [true, false] },
  { name: 'coprocessors', description: 'nest-MMU coprocessors attached to every mm (context.copros)', default: 0 },
  { name: 'pageSize', description: 'PAGE_SIZE in bytes (distribution ppc64le kernels use 64K)', default: 65536, choices: [65536, 4096] },
  { name: 'kernel', description: "kernel era: '6.6' (v6.4+), '6.1' (v5.17-v6.3), '5.12' (~v5.12-v5.16)", default: '6.6', choices: ['6.6', '6.1', '5.12'] },
  { name: 'tlbSinglePageFlushCeiling', description: 'debugfs tlb_single_page_flush_ceiling: pages above which a global flush becomes a PID flush', default: 33 },
  { name: 'tlbLocalSinglePageFlushCeiling', description: 'debugfs tlb_local_single_page_flush_ceiling: pages above which a local flush becomes a PID flush', default: POWER9_TLB_SETS_RADIX * 2 },
  { name: 'cost', description: 'cost model overrides in ns (ipiSend, instructions[mnemonic], ...)', default: 'packages/arch-ppc/SPEC.md §9' },
];

const KNOWN = PPC_OPTION_SPECS.map((s) => s.name);

function choiceError(name: string, value: unknown, choices: readonly unknown[]): Error {
  const list = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))).join(', ');
  return new Error(`ppc: option '${name}' must be one of ${list}; got ${JSON.stringify(value)}`);
}

function pick<T>(name: string, value: unknown, choices: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (!choices.includes(value as T)) throw choiceError(name, value, choices);
  return value as T;
}

function u32(name: string, value: unknown, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`ppc: option '${name}' must be an integer from 0 to 4294967295; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validate and fill in defaults. Throws an Error naming the offending option. */
export function resolvePpcOptions(opts: PpcOptions = {}): ResolvedPpcOptions {
  if (opts === null || typeof opts !== 'object') throw new Error('ppc: options must be an object');
  for (const k of Object.keys(opts)) {
    if (!KNOWN.includes(k)) throw new Error(`ppc: unknown option '${k}'; valid options are ${KNOWN.join(', ')}`);
  }
  const mmu = pick<MmuMode>('mmu', opts.mmu, ['radix', 'hash'], 'radix');
  const cpu = pick<CpuModel>('cpu', opts.cpu, ['power9', 'power10'], 'power10');
  const p9Errata = pick<P9Errata>('p9Errata', opts.p9Errata, ['none', 'erat', 'erat+stq'], cpu === 'power9' ? 'erat' : 'none');
  if (cpu === 'power10' && p9Errata !== 'none') {
    throw new Error(`ppc: option 'p9Errata' must be 'none' on cpu 'power10' (POWER10 has no tlbie errata); got ${JSON.stringify(p9Errata)}`);
  }
  if (cpu === 'power9' && p9Errata === 'none') {
    throw new Error("ppc: option 'p9Errata' cannot be 'none' on cpu 'power9': every POWER9 has the ERAT erratum; use 'erat' or 'erat+stq'");
  }
  const tlbie = pick('tlbie', opts.tlbie, [true, false], true);
  const gtse = pick('gtse', opts.gtse, [true, false], true);
  if (mmu === 'hash' && !tlbie) {
    throw new Error("ppc: option 'tlbie' false (disable_tlbie) is radix-only: the kernel rejects it on the hash MMU; use mmu 'radix'");
  }
  if (mmu === 'hash' && !gtse) {
    throw new Error("ppc: option 'gtse' applies only to mmu 'radix' (hash guests use hypervisor HPT calls, not modelled)");
  }
  const coprocessors = u32('coprocessors', opts.coprocessors, 0);
  const pageSize = pick<BasePageSize>('pageSize', opts.pageSize, [65536, 4096], 65536);
  const kernel = pick<KernelEra>('kernel', opts.kernel, ['6.6', '6.1', '5.12'], '6.6');
  const tlbSinglePageFlushCeiling = u32('tlbSinglePageFlushCeiling', opts.tlbSinglePageFlushCeiling, 33);
  const tlbLocalSinglePageFlushCeiling = u32('tlbLocalSinglePageFlushCeiling', opts.tlbLocalSinglePageFlushCeiling, POWER9_TLB_SETS_RADIX * 2);
  if (opts.cost !== undefined && (opts.cost === null || typeof opts.cost !== 'object')) {
    throw new Error("ppc: option 'cost' must be an object of cost overrides");
  }
  return { mmu, cpu, p9Errata, tlbie, gtse, coprocessors, pageSize, kernel, tlbSinglePageFlushCeiling, tlbLocalSinglePageFlushCeiling };
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
  if (o.tlbSinglePageFlushCeiling !== 33 || o.tlbLocalSinglePageFlushCeiling !== POWER9_TLB_SETS_RADIX * 2) {
    parts.push(`ceilings ${o.tlbSinglePageFlushCeiling}/${o.tlbLocalSinglePageFlushCeiling}`);
  }
  parts.push(`v${o.kernel}`);
  return `powerpc book3s64 ${o.mmu} (${parts.join(', ')})`;
}
