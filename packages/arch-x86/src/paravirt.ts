/**
 * Hypervisor replacements for flush_tlb_multi (pv_ops.mmu.flush_tlb_multi, x86 SPEC.md §8):
 * kvm_flush_tlb_multi (arch/x86/kernel/kvm.c), hyperv_flush_tlb_multi (arch/x86/hyperv/mmu.c),
 * xen_flush_tlb_multi (arch/x86/xen/mmu_pv.c). A hypervisor flush completes without the target
 * taking an interrupt, which is why these guests free page tables through RCU.
 */
import { INVALIDATE_ALL, type Invalidation, type Mm } from '@tlbsim/core';
import { HYPERCALL } from './counters.js';
import { nativeFlushTlbMulti } from './flush.js';
import { PAGE_SIZE, TLB_FLUSH_ALL, type FlushTlbInfo, type X86Kernel } from './state.js';

/** Each Hyper-V GVA list entry covers up to 4096 pages */
const HV_TLB_FLUSH_UNIT = 4096 * PAGE_SIZE;
/** GVA entries that fit in the hypercall input page after the 24-byte header */
const HV_MAX_GVAS = Math.floor((PAGE_SIZE - 24) / 8);

/**
 * The host flushes a flagged vCPU's whole guest TLB before it runs again. The vCPU cannot run
 * until then, so for the checker the flush is done now; the guest's tlb_gen does not move.
 */
function kvmFlagFlush(k: X86Kernel, cpu: number): void {
  k.flushOnEnter[cpu] = 1;
  for (const mm of k.cachedMms(cpu)) k.invalidate(cpu, mm, INVALIDATE_ALL);
  k.ctx.countFlush(cpu, 'full');
  if (k.ctx.tracing) k.ctx.trace({ cpu, name: 'kvm_flush_on_enter', cat: 'pv', args: { flagged: true } });
}

/** kvm_flush_tlb_multi: preempted vCPUs get a flag instead of an IPI; the rest go native */
export function kvmFlushTlbMulti(k: X86Kernel, mask: readonly number[], info: FlushTlbInfo): void {
  const self = k.ctx.currentCpu();
  const rest: number[] = [];
  for (const cpu of mask) {
    // the local vCPU is running, so never preempted
    if (cpu !== self && k.preempted[cpu]) kvmFlagFlush(k, cpu);
    else rest.push(cpu);
  }
  nativeFlushTlbMulti(k, rest, info);
}

/** What a hypervisor flush removes on one vCPU: the mm's address space, or all of them. */
function hvFlushCpu(k: X86Kernel, cpu: number, info: FlushTlbInfo, inv: Invalidation): void {
  const mms: Iterable<Mm> = info.mm ? [info.mm] : k.mms;
  for (const mm of mms) k.invalidate(cpu, mm, inv);
  k.ctx.countFlush(cpu, inv.end === Infinity ? 'full' : 'ranged');
}

/**
 * hyperv_flush_tlb_multi: one hypercall flushes the listed vCPUs, the caller included. Lazy
 * vCPUs are left out unless tables were freed, except when the mask is every present CPU
 * (HV_FLUSH_ALL_PROCESSORS). No flush_tlb_func runs anywhere: no counters, no generations.
 */
export function hypervFlushTlbMulti(k: X86Kernel, mask: readonly number[], info: FlushTlbInfo): void {
  const self = k.ctx.currentCpu();
  const doLazy = !info.freedTables;
  const targets = mask.length === k.ctx.nrCpus ? [...mask] : mask.filter((c) => !(doLazy && k.cpus[c].isLazy));
  if (targets.length === 0) return;
  k.instr(self, HYPERCALL);
  const full = info.end === TLB_FLUSH_ALL || Math.floor((info.end - info.start) / HV_TLB_FLUSH_UNIT) > HV_MAX_GVAS;
  const inv: Invalidation = full ? INVALIDATE_ALL : { start: info.start, end: info.end, stride: PAGE_SIZE, leaf: true, walk: true };
  for (const cpu of targets) hvFlushCpu(k, cpu, info, inv);
}

/**
 * xen_flush_tlb_multi: one MMUEXT multicall over the mask (online CPUs, caller and lazy ones
 * included): INVLPG_MULTI when the range is at most one page, else TLB_FLUSH_MULTI.
 */
export function xenFlushTlbMulti(k: X86Kernel, mask: readonly number[], info: FlushTlbInfo): void {
  if (mask.length === 0) return;
  const self = k.ctx.currentCpu();
  k.instr(self, HYPERCALL);
  const one = info.end !== TLB_FLUSH_ALL && info.end - info.start <= PAGE_SIZE;
  const inv: Invalidation = one ? { start: info.start, end: info.start + PAGE_SIZE, stride: PAGE_SIZE, leaf: true, walk: true } : INVALIDATE_ALL;
  for (const cpu of mask) hvFlushCpu(k, cpu, info, inv);
}

/** The vCPU was scheduled out (true) or back in (false) by the host. */
export function setVcpuPreempted(k: X86Kernel, cpu: number, preempted: boolean): void {
  if (cpu < 0 || cpu >= k.cpus.length) throw new RangeError(`x86: no CPU ${cpu}`);
  k.preempted[cpu] = preempted ? 1 : 0;
  if (!preempted && k.flushOnEnter[cpu]) {
    // VM entry: the host performs the requested flush (already reported) and clears the flag
    k.flushOnEnter[cpu] = 0;
    if (k.ctx.tracing) k.ctx.trace({ cpu, name: 'kvm_flush_on_enter', cat: 'pv', args: { flagged: false } });
  }
}
