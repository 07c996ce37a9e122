/**
 * Options of the powerpc (book3s64) backend: which MMU, which CPU and platform, the boot/debugfs
 * knobs that change flushing, and the kernel release. Core's option resolver checks each value;
 * the rules between options are powerpc's own.
 */
import { formatRelease, optionError, parseRelease, resolveArchOptions, showOptionValue, type ArchOptionsDef, type CostModel, type OptionSpec } from '@tlbsim/core';
import { CPU_MODELS, CPU_PVR, PVR_POWER10, PVR_POWER9, p9ErrataFor, pvrVersion, type CpuModel, type P9Errata, type Platform } from './cpu.js';

export type MmuMode = 'radix' | 'hash';
export type { CpuModel, P9Errata, Platform } from './cpu.js';
export type BasePageSize = 4096 | 65536;

export interface PpcOptions {
  /** radix (default; POWER9+) or the hashed page table MMU */
  mmu?: MmuMode;
  /** the CPU generation or POWER9 revision (`power9` = Nimbus DD2.3) */
  cpu?: CpuModel;
  /** the PVR, for a revision `cpu` does not name (a Cumulus POWER9); 0 = the cpu's */
  pvr?: number;
  /** powernv (bare metal, default) or pseries (a PAPR guest: QEMU/KVM, PowerVM) */
  platform?: Platform;
  /** the POWER9 tlbie errata; default: what the kernel sets for the PVR on the platform (cpu.ts) */
  p9Errata?: P9Errata;
  /**
   * tlbie_enabled: false models `disable_tlbie` (radix only): global flushes become tlbiel by
   * IPI. With coprocessors attached it models debugfs `tlbie_enabled=0` (tlbie stays capable).
   */
  tlbie?: boolean;
  /** MMU_FTR_GTSE (radix): false = a pseries guest without it, global flushes use H_RPT_INVALIDATE */
  gtse?: boolean;
  /** FW_FEATURE_BULK_REMOVE (hash, pseries: `hcall-bulk`): false = `bulk_remove=off`, one H_REMOVE per HPTE */
  bulkRemove?: boolean;
  /** nest-MMU coprocessors attached to every mm (context.copros) */
  coprocessors?: number;
  /** PAGE_SIZE: 65536 (distribution kernels, default) or 4096 */
  pageSize?: BasePageSize;
  /**
   * The kernel release this backend models (`6.1`, `6.6`, `6.18.44`, `mainline`). Given, it
   * overrides the machine's (`--kernel`, `new Machine({ kernel })`); absent, the backend follows
   * the machine's kernel.
   */
  kernel?: string;
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
  pvr: number;
  platform: Platform;
  p9Errata: P9Errata;
  tlbie: boolean;
  gtse: boolean;
  bulkRemove: boolean;
  coprocessors: number;
  pageSize: BasePageSize;
  kernel: string;
  ceiling: number;
  localCeiling: number;
}

/** POWER9_TLB_SETS_RADIX: sets walked by a local whole-PID tlbiel on POWER9 */
export const POWER9_TLB_SETS_RADIX = 128;

const BOOL = [true, false] as const;

export const PPC_OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'mmu', kind: 'enum', description: 'book3s64 MMU: radix or hash (hashed page table)', default: 'radix', choices: ['radix', 'hash'] },
  { name: 'cpu', kind: 'enum', description: "CPU generation or POWER9 revision (POWER10 = ISA 3.1: 1-tlbiel PID flush, cp_abort after tlbiel; 'power9' = Nimbus DD2.3)", default: 'power10', choices: CPU_MODELS },
  { name: 'pvr', kind: 'integer', min: 0, max: 0xffffffff, description: "the processor version register, for a revision 'cpu' does not name (e.g. 0x004e2102, Cumulus DD1.2); 0 = the cpu's", default: 0 },
  { name: 'platform', kind: 'enum', description: 'powernv (bare metal) or pseries (a PAPR guest: QEMU/KVM, PowerVM; hash invalidates by hcall)', default: 'powernv', choices: ['powernv', 'pseries'] },
  // the default follows cpu, pvr and platform (resolvePpcRules)
  { name: 'p9Errata', kind: 'enum', description: "POWER9 tlbie errata, by default what the kernel sets for the PVR: 'erat' (powernv, Nimbus DD2.3+, Cumulus DD1.3+) or 'erat+stq' (older revisions, and every POWER9 in a pseries guest); 'none' on POWER10", default: 'none', choices: ['none', 'erat', 'erat+stq'] },
  { name: 'tlbie', kind: 'boolean', description: 'tlbie_enabled: false = disable_tlbie (radix only), global flushes become tlbiel by IPI', default: true, choices: BOOL },
  { name: 'gtse', kind: 'boolean', description: 'MMU_FTR_GTSE (radix): false = a pseries guest without it, global flushes use the H_RPT_INVALIDATE hcall', default: true, choices: BOOL },
  { name: 'bulkRemove', kind: 'boolean', description: 'FW_FEATURE_BULK_REMOVE (hash, pseries): H_BULK_REMOVE of up to 4 HPTEs; false = bulk_remove=off, one H_REMOVE each', default: true, choices: BOOL },
  { name: 'coprocessors', kind: 'integer', min: 0, max: 0xffffffff, unit: 'coprocessors', description: 'nest-MMU coprocessors attached to every mm (context.copros)', default: 0 },
  { name: 'pageSize', kind: 'enum', unit: 'bytes', description: 'PAGE_SIZE in bytes (distribution ppc64le kernels use 64K)', default: 65536, choices: [65536, 4096] },
  { name: 'kernel', kind: 'release', description: "the kernel release modelled (6.1 to mainline); given, it overrides the machine's --kernel", default: 'mainline' },
  // the same knob has the same name on every backend (x86 `ceiling`); the old names stay accepted
  { name: 'ceiling', kind: 'integer', min: 0, max: 0xffffffff, unit: 'pages', aliases: ['tlbSinglePageFlushCeiling'], description: 'debugfs tlb_single_page_flush_ceiling: pages above which a global flush becomes a PID flush', default: 33 },
  { name: 'localCeiling', kind: 'integer', min: 0, max: 0xffffffff, unit: 'pages', aliases: ['tlbLocalSinglePageFlushCeiling'], description: 'debugfs tlb_local_single_page_flush_ceiling: pages above which a local flush becomes a PID flush', default: POWER9_TLB_SETS_RADIX * 2 },
  { name: 'cost', kind: 'cost', description: 'cost model overrides in ns (ipiSend, instructions[mnemonic], ...)', default: 'packages/arch-ppc/SPEC.md §9' },
];

/** The PVR the options name: `pvr` when given, else the cpu's. */
export function ppcPvr(r: Pick<ResolvedPpcOptions, 'cpu' | 'pvr'>): number {
  return r.pvr || CPU_PVR[r.cpu];
}

/**
 * The rules between options, and the defaults that follow others: p9Errata from the PVR and the
 * platform (cpu.ts), a guest without GTSE is a pseries guest.
 */
function resolvePpcRules(r: ResolvedPpcOptions, given: ReadonlySet<string>): void {
  if (r.pvr) {
    const want = r.cpu === 'power10' ? PVR_POWER10 : PVR_POWER9;
    if (pvrVersion(r.pvr) !== want) {
      throw optionError('ppc', 'pvr', `a ${r.cpu === 'power10' ? 'POWER10 (0x0080xxxx)' : 'POWER9 (0x004exxxx)'} PVR on cpu '${r.cpu}'`, `got 0x${r.pvr.toString(16)}`);
    }
  }
  if (!r.gtse) {
    if (given.has('platform') && r.platform !== 'pseries') {
      throw optionError('ppc', 'gtse', "true on platform 'powernv'", 'only a pseries guest runs without GTSE');
    }
    r.platform = 'pseries';
  }
  if (!given.has('p9Errata')) r.p9Errata = p9ErrataFor(ppcPvr(r), r.platform);
  if (r.cpu === 'power10' && r.p9Errata !== 'none') {
    throw optionError('ppc', 'p9Errata', "'none' on cpu 'power10'", `POWER10 has no tlbie errata; got ${showOptionValue(r.p9Errata)}`);
  }
  if (r.cpu !== 'power10' && r.p9Errata === 'none') {
    throw optionError('ppc', 'p9Errata', `one of 'erat', 'erat+stq' on cpu '${r.cpu}'`, "every POWER9 has the ERAT erratum; got 'none'");
  }
  if (r.mmu === 'hash' && !r.tlbie) {
    throw optionError('ppc', 'tlbie', "true with mmu 'hash'", "disable_tlbie is radix-only: the kernel rejects it on the hash MMU");
  }
  if (r.mmu === 'hash' && !r.gtse) {
    throw optionError('ppc', 'gtse', "true with mmu 'hash'", "GTSE applies only to radix; a hash guest invalidates through H_REMOVE / H_BULK_REMOVE (platform 'pseries')");
  }
  if (!r.bulkRemove && (r.mmu !== 'hash' || r.platform !== 'pseries')) {
    throw optionError('ppc', 'bulkRemove', "true unless mmu 'hash' on platform 'pseries'", 'H_BULK_REMOVE is the hash MMU\'s pseries hcall');
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

const REVISION: Partial<Record<CpuModel, string>> = { 'power9-dd2.0': 'DD2.0', 'power9-dd2.1': 'DD2.1', 'power9-dd2.2': 'DD2.2', 'power9-dd2.3': 'DD2.3' };

/**
 * A label naming the options that matter, e.g. `powerpc book3s64 radix (POWER10, 64K pages,
 * tlbie, v7.1)`; `kernel` is the label of the kernel modelled (default: the option).
 */
export function ppcLabel(o: ResolvedPpcOptions, kernel = formatRelease(parseRelease(o.kernel))): string {
  const parts: string[] = [];
  if (o.cpu === 'power10') parts.push('POWER10');
  else {
    const rev = o.pvr ? `PVR 0x${o.pvr.toString(16).padStart(8, '0')}` : REVISION[o.cpu];
    parts.push(`POWER9${rev ? ' ' + rev : ''} (${o.p9Errata === 'erat+stq' ? 'ERAT+STQ errata' : 'ERAT erratum'})`);
  }
  parts.push(o.pageSize === 65536 ? '64K pages' : '4K pages');
  if (o.mmu === 'radix') {
    if (!o.gtse) parts.push('no GTSE: H_RPT_INVALIDATE');
    else {
      if (o.platform === 'pseries') parts.push('pseries guest');
      parts.push(o.tlbie ? 'tlbie' : 'tlbie disabled: tlbiel by IPI');
    }
  } else if (o.platform === 'pseries') parts.push(o.bulkRemove ? 'pseries HPT: H_BULK_REMOVE' : 'pseries HPT: H_REMOVE');
  else parts.push('native HPT');
  if (o.coprocessors > 0) parts.push(`${o.coprocessors} nMMU copro${o.coprocessors > 1 ? 's' : ''}`);
  if (o.ceiling !== 33 || o.localCeiling !== POWER9_TLB_SETS_RADIX * 2) {
    parts.push(`ceilings ${o.ceiling}/${o.localCeiling}`);
  }
  parts.push(`v${kernel}`);
  return `powerpc book3s64 ${o.mmu} (${parts.join(', ')})`;
}
