/**
 * The backend's named options: defaults model a bare-metal Intel machine on the newest kernel
 * the spec covers (x86 SPEC.md §0: post-v6.17 mainline), validated with messages that name the option
 * and list what it accepts.
 */
import type { CostModel, OptionSpec } from '@tlbsim/core';

/**
 * Kernel versions whose TLB behaviour differs (x86 SPEC.md §15). Each value names the oldest release
 * it stands for:
 * - `v6.15`: v6.15 and later (read in post-v6.17 mainline). Page tables are always freed after
 *   an RCU grace period (a37259732a7d), AMD INVLPGB broadcast with global ASIDs exists,
 *   mm_cpumask is trimmed lazily (once a second per mm, or by a freed-tables flush).
 * - `v6.14`: as v6.15 without INVLPGB. PT_RECLAIM (x86-64, default y) already makes table
 *   freeing RCU-deferred; lazy mm_cpumask, the 1 s trim and the REMOTE_WRONG_CPU exit are new.
 * - `v6.13`: v5.13 to v6.13 (flush_tlb_multi flushes local and remote CPUs concurrently). A CPU
 *   leaves an mm's cpumask when it switches away from it, so no trim; no PT_RECLAIM; on bare
 *   metal page tables are freed right after the flush through the page batch (RCU only when a
 *   hypervisor flush hook is installed). flush_tlb_range() passes freed_tables=true as v6.13
 *   does (v5.13 to v6.12 passed false).
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
  kernel?: KernelVersion;
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
  kernel: KernelVersion;
  gbpages: boolean;
}

export const X86_OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'pcid', description: 'PCID: 6 dynamic ASID slots per CPU (off: every mm switch flushes the TLB). Default off under Xen PV, which runs without PCID', default: true, choices: [true, false] },
  { name: 'pti', description: 'page-table isolation active (Meltdown mitigation): user PCID flushed with INVPCID or deferred to return-to-user', default: false, choices: [true, false] },
  { name: 'invpcid', description: 'INVPCID instruction present', default: true, choices: [true, false] },
  { name: 'invlpgb', description: 'AMD INVLPGB broadcast flush with global ASIDs for mms active on 4+ CPUs (kernel v6.15+, bare metal, PCID)', default: false, choices: [true, false] },
  { name: 'invlpgbCountMax', description: 'invlpgb_count_max: pages per INVLPGB (CPUID 0x80000008 EDX[15:0] + 1), 1..65535', default: 8 },
  { name: 'paravirt', description: 'flush_tlb_multi: native IPIs, KVM PV flush (preempted vCPUs flagged), Hyper-V or Xen PV hypercalls', default: 'none', choices: PARAVIRT_MODES },
  { name: 'ceiling', description: 'tlb_single_page_flush_ceiling in strides: more strides than this becomes a full flush (0: always full unless less than one stride)', default: 33 },
  { name: 'kernel', description: 'kernel behaviour: v6.15 (v6.15 and later), v6.14, v6.13 (v5.13 to v6.13)', default: 'v6.15', choices: KERNEL_VERSIONS },
  { name: 'gbpages', description: '1 GiB hugetlb pages offered (GBPAGES)', default: true, choices: [true, false] },
];

const COST_KEYS = ['ipiSend', 'ipiPerTarget', 'instructions', 'defaultInstruction', 'pageFree', 'tableFree', 'rcuCallback', 'sources'] as const;

function fmt(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function choiceList(xs: readonly unknown[]): string {
  return xs.map(fmt).join(', ');
}

function bool(o: Record<string, unknown>, name: string): boolean | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new Error(`x86: option '${name}' must be one of true, false (got ${fmt(v)})`);
  return v;
}

function oneOf<T extends string>(o: Record<string, unknown>, name: string, choices: readonly T[]): T | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw new Error(`x86: option '${name}' must be one of ${choiceList(choices)} (got ${fmt(v)})`);
  return v as T;
}

function int(o: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new Error(`x86: option '${name}' must be ${range} (got ${fmt(v)})`);
  }
  return v;
}

/** Check every option name and value; fill in defaults. Throws an Error naming the bad option. */
export function resolveX86Options(input: unknown): { resolved: ResolvedX86Options; cost?: Partial<CostModel> } {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error(`x86: options must be an object (got ${fmt(input)})`);
  }
  const o = input as Record<string, unknown>;
  const known = [...X86_OPTION_SPECS.map((s) => s.name), 'cost'];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new Error(`x86: unknown option '${k}' (valid options: ${known.join(', ')})`);
  }
  const paravirt = oneOf(o, 'paravirt', PARAVIRT_MODES) ?? 'none';
  const kernel = oneOf(o, 'kernel', KERNEL_VERSIONS) ?? 'v6.15';
  const pcidIn = bool(o, 'pcid');
  const ptiIn = bool(o, 'pti');
  const invlpgbIn = bool(o, 'invlpgb');
  const r: ResolvedX86Options = {
    // a Xen PV guest has neither PCID nor PTI of its own (Xen isolates in the hypervisor)
    pcid: pcidIn ?? paravirt !== 'xen',
    pti: ptiIn ?? false,
    invpcid: bool(o, 'invpcid') ?? true,
    invlpgb: invlpgbIn ?? false,
    invlpgbCountMax: int(o, 'invlpgbCountMax', 1, 65535) ?? 8,
    paravirt,
    ceiling: int(o, 'ceiling', 0, Number.MAX_SAFE_INTEGER) ?? 33,
    kernel,
    gbpages: bool(o, 'gbpages') ?? true,
  };
  if (paravirt === 'xen' && pcidIn === true) {
    throw new Error(`x86: option 'pcid' must be false with paravirt 'xen' (Xen PV guests run without PCID); valid choices: false`);
  }
  if (paravirt === 'xen' && ptiIn === true) {
    throw new Error(`x86: option 'pti' must be false with paravirt 'xen' (Xen PV isolates in the hypervisor); valid choices: false`);
  }
  if (r.invlpgb) {
    if (kernel !== 'v6.15') throw new Error(`x86: option 'invlpgb' needs option 'kernel' 'v6.15' (INVLPGB support was merged in v6.15); got kernel ${fmt(kernel)}, valid choices with invlpgb: 'v6.15'`);
    if (!r.pcid) throw new Error(`x86: option 'invlpgb' needs option 'pcid' true (global ASIDs are PCIDs); valid choices: pcid true`);
    if (paravirt !== 'none') throw new Error(`x86: option 'invlpgb' is modelled on bare metal only; option 'paravirt' must be 'none' with it (got ${fmt(paravirt)})`);
  }
  let cost: Partial<CostModel> | undefined;
  if (o.cost !== undefined) {
    if (typeof o.cost !== 'object' || o.cost === null || Array.isArray(o.cost)) {
      throw new Error(`x86: option 'cost' must be an object with any of ${COST_KEYS.join(', ')} (got ${fmt(o.cost)})`);
    }
    for (const [k, v] of Object.entries(o.cost)) {
      if (!(COST_KEYS as readonly string[]).includes(k)) throw new Error(`x86: option 'cost' has unknown key '${k}' (valid keys: ${COST_KEYS.join(', ')})`);
      if (k === 'instructions' || k === 'sources') {
        if (typeof v !== 'object' || v === null) throw new Error(`x86: option 'cost.${k}' must be an object`);
      } else if (typeof v !== 'number' || !(v >= 0)) {
        throw new Error(`x86: option 'cost.${k}' must be a number >= 0 (got ${fmt(v)})`);
      }
    }
    cost = o.cost as Partial<CostModel>;
  }
  return { resolved: r, cost };
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

/** Behaviour switches derived from the kernel version. */
export function hasLazyCpumask(r: ResolvedX86Options): boolean {
  // v6.14: mm_cpumask bits stay set on switch-away; flushes trim them (should_flush_tlb)
  return r.kernel !== 'v6.13';
}
