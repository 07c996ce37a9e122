/**
 * The backend's named options: defaults model a bare-metal Intel machine on the newest kernel
 * the spec covers (x86 SPEC.md §0: post-v6.17 mainline), validated by core's option resolver; the
 * rules between options are x86's own.
 */
import { MODELLED_RELEASES, optionError, resolveArchOptions, showOptionValue, type ArchOptionsDef, type CostModel, type OptionSpec } from '@tlbsim/core';

/**
 * The `kernel` option's named values from before releases were one axis (x86 SPEC.md §15), each
 * standing for the kernel in features.ts's NAMED_KERNELS: `v6.15` (v6.15 and later), `v6.14`,
 * `v6.13` (v5.13 to v6.13). A named value sets x86's behaviour only; a release (`6.1`,
 * `6.18.44`) sets it and, on a machine given no kernel of its own, the machine's.
 */
export const KERNEL_VERSIONS = ['v6.15', 'v6.14', 'v6.13'] as const;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

/** pv_ops.mmu.flush_tlb_multi: native IPIs, or a hypervisor's replacement (x86 SPEC.md §8). */
export const PARAVIRT_MODES = ['none', 'kvm', 'hyperv', 'xen'] as const;
export type Paravirt = (typeof PARAVIRT_MODES)[number];

export interface X86Options {
  /** X86_FEATURE_PCID: 6 dynamic ASID slots per CPU; off: every mm switch flushes */
  pcid?: boolean;
  /** X86_FEATURE_PTI (page-table isolation active): a user PCID beside each kernel PCID */
  pti?: boolean;
  /** X86_FEATURE_INVPCID */
  invpcid?: boolean;
  /** X86_FEATURE_INVLPGB: AMD broadcast invalidation with global ASIDs (v6.15+) */
  invlpgb?: boolean;
  /** invlpgb_count_max: pages one INVLPGB may cover (CPUID 0x80000008 EDX[15:0] + 1) */
  invlpgbCountMax?: number;
  /** which flush_tlb_multi the kernel uses */
  paravirt?: Paravirt;
  /** tlb_single_page_flush_ceiling, in strides (debugfs x86/tlb_single_page_flush_ceiling) */
  ceiling?: number;
  /**
   * overrides the machine's kernel for this backend: a release (`6.1`, `6.18.44`) or a named value
   * (`v6.15`, `v6.14`, `v6.13`); default: the machine's kernel (mainline unless given)
   */
  kernel?: KernelVersion | string;
  /** X86_FEATURE_GBPAGES: 1 GiB hugetlb pages are offered */
  gbpages?: boolean;
  /** override any cost (ns) */
  cost?: Partial<CostModel>;
}

export interface ResolvedX86Options {
  pcid: boolean;
  pti: boolean;
  invpcid: boolean;
  invlpgb: boolean;
  invlpgbCountMax: number;
  paravirt: Paravirt;
  ceiling: number;
  /** as given, or the machine's kernel label (`6.1`); `mainline` when neither gave one */
  kernel: string;
  gbpages: boolean;
}

export const X86_OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'pcid', kind: 'boolean', description: 'PCID: 6 dynamic ASID slots per CPU (off: every mm switch flushes the TLB). Default off under Xen PV, which runs without PCID', default: true, choices: [true, false] },
  { name: 'pti', kind: 'boolean', description: 'page-table isolation active (Meltdown mitigation): user PCID flushed with INVPCID or deferred to return-to-user', default: false, choices: [true, false] },
  { name: 'invpcid', kind: 'boolean', description: 'INVPCID instruction present', default: true, choices: [true, false] },
  { name: 'invlpgb', kind: 'boolean', description: 'AMD INVLPGB broadcast flush with global ASIDs for mms active on 4+ CPUs (kernel v6.15+, bare metal, PCID)', default: false, choices: [true, false] },
  { name: 'invlpgbCountMax', kind: 'integer', min: 1, max: 65535, unit: 'pages', description: 'invlpgb_count_max: pages per INVLPGB (CPUID 0x80000008 EDX[15:0] + 1), 1..65535', default: 8 },
  { name: 'paravirt', kind: 'enum', description: 'flush_tlb_multi: native IPIs, KVM PV flush (preempted vCPUs flagged), Hyper-V or Xen PV hypercalls', default: 'none', choices: PARAVIRT_MODES },
  // tlb_single_page_flush_ceiling: `ceiling` on every backend that has the knob (powerpc too);
  // the camel-cased kernel name is accepted as well
  { name: 'ceiling', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'strides', aliases: ['tlbSinglePageFlushCeiling'], description: 'tlb_single_page_flush_ceiling in strides: more strides than this becomes a full flush (0: always full unless less than one stride)', default: 33 },
  { name: 'kernel', kind: 'release', description: "overrides the machine's kernel (--kernel) for x86: a release from 6.1 (e.g. 6.18.44), or the named behaviours v6.15 (v6.15 and later), v6.14, v6.13 (v5.13 to v6.13); default: the machine's kernel", default: 'mainline', choices: [...KERNEL_VERSIONS, ...MODELLED_RELEASES], named: KERNEL_VERSIONS },
  { name: 'gbpages', kind: 'boolean', description: '1 GiB hugetlb pages offered (GBPAGES)', default: true, choices: [true, false] },
];

/** The x86 option declaration: specs, the rules between options, the label. */
export const X86_OPTIONS: ArchOptionsDef<ResolvedX86Options> = {
  arch: 'x86',
  specs: X86_OPTION_SPECS,
  derive(r, given) {
    // a Xen PV guest has neither PCID nor PTI of its own (Xen isolates in the hypervisor)
    if (r.paravirt === 'xen') {
      if (!given.has('pcid')) r.pcid = false;
      else if (r.pcid) throw optionError('x86', 'pcid', "false with paravirt 'xen'", 'Xen PV guests run without PCID');
      if (r.pti) throw optionError('x86', 'pti', "false with paravirt 'xen'", 'Xen PV isolates in the hypervisor');
    }
    // whether the kernel has INVLPGB at all is checked where the kernel is known (x86())
    if (r.invlpgb) {
      if (!r.pcid) throw optionError('x86', 'invlpgb', 'false with pcid false', 'global ASIDs are PCIDs');
      if (r.paravirt !== 'none') throw optionError('x86', 'paravirt', "'none' with invlpgb", `INVLPGB is modelled on bare metal only; got ${showOptionValue(r.paravirt)}`);
    }
  },
  label: x86Label,
};

/** Check every option name and value; fill in defaults. Throws an OptionError naming the bad option. */
export function resolveX86Options(input: unknown): { resolved: ResolvedX86Options; cost?: Partial<CostModel>; label: string; given: ReadonlySet<string> } {
  const { options, cost, label, given } = resolveArchOptions(X86_OPTIONS, input);
  return { resolved: options, cost, label, given };
}

/** The label for reports: the options that change what the kernel does. */
export function x86Label(r: ResolvedX86Options): string {
  const parts = [r.pcid ? 'PCID' : 'no PCID', r.pti ? 'PTI' : 'no PTI'];
  if (!r.invpcid) parts.push('no INVPCID');
  if (r.invlpgb) parts.push(`INVLPGB x${r.invlpgbCountMax}`);
  if (r.paravirt === 'kvm') parts.push('KVM PV flush');
  else if (r.paravirt === 'hyperv') parts.push('Hyper-V PV flush');
  else if (r.paravirt === 'xen') parts.push('Xen PV');
  if (r.ceiling !== 33) parts.push(`ceiling ${r.ceiling}`);
  return `x86-64 ${r.kernel} (${parts.join(', ')})`;
}
