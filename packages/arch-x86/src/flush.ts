/**
 * User-address flushes: flush_tlb_mm_range, get_flush_tlb_info, flush_tlb_multi and its native
 * fan-out, should_flush_tlb, and flush_tlb_func, the handler every CPU runs
 * (arch/x86/mm/tlb.c). Generations: mm->context.tlb_gen is what the mm needs, each CPU's
 * ctxs[asid].tlb_gen what its TLB is known to be current to.
 */
import { INVALIDATE_ALL, type Mm } from '@tlbsim/core';
import {
  NR_TLB_LOCAL_FLUSH_ALL, NR_TLB_LOCAL_FLUSH_ONE, NR_TLB_REMOTE_FLUSH,
  PAGES_FLUSH_ALL, TLB_LOCAL_MM_SHOOTDOWN, TLB_LOCAL_SHOOTDOWN, TLB_REMOTE_SEND_IPI, TLB_REMOTE_SHOOTDOWN,
  TLB_REMOTE_WRONG_CPU,
} from './counters.js';
import { broadcastTlbFlush, considerGlobalAsid, mmGlobalAsid, mmInAsidTransition, mmNeedsGlobalAsid } from './invlpgb.js';
import { switchMmIrqsOff } from './lazy.js';
import { flushTlbLocal, flushTlbOneUser } from './native.js';
import { hypervFlushTlbMulti, kvmFlushTlbMulti, xenFlushTlbMulti } from './paravirt.js';
import { HZ, ID_IRQ_TLB, ID_NR_TLB_REMOTE_FLUSH_RECEIVED, PAGE_SHIFT, TLB_FLUSH_ALL, isGlobalAsid, type FlushTlbInfo, type UserRange, type X86Kernel } from './state.js';

/** (end - start) >> shift, on numbers that may exceed 32 bits or be TLB_FLUSH_ALL */
export function strides(start: number, end: number, shift: number): number {
  return Math.floor((end - start) / pow2(shift));
}

/** 2^shift for the stride shifts of x86 (4 KiB, 2 MiB, 1 GiB pages), without a Math.pow per call */
const POW2 = Array.from({ length: 64 }, (_, i) => 2 ** i);
function pow2(shift: number): number {
  return POW2[shift] ?? 2 ** shift;
}

/** get_flush_tlb_info: more strides than the ceiling becomes a full flush (strictly greater) */
export function getFlushTlbInfo(
  k: X86Kernel, mm: Mm | null, start: number, end: number, strideShift: number, freedTables: boolean, newTlbGen: number,
): FlushTlbInfo {
  if (strides(start, end, strideShift) > k.ceiling) {
    start = 0;
    end = TLB_FLUSH_ALL;
  }
  return { mm, start, end, newTlbGen, initiatingCpu: k.ctx.currentCpu(), strideShift, freedTables, trimCpumask: false };
}

/** should_trim_cpumask: at most one cpumask-trimming flush per mm per second */
function shouldTrimCpumask(k: X86Kernel, mm: Mm): boolean {
  if (!k.feat.lazyCpumask) return false;
  const c = k.mmCtx(mm);
  const j = k.ctx.jiffies();
  if (j > c.nextTrimCpumask) {
    c.nextTrimCpumask = j + HZ;
    return true;
  }
  return false;
}

/** flush_tlb_mm_range(mm, start, end, stride_shift, freed_tables) from the current CPU */
export function flushTlbMmRange(k: X86Kernel, mm: Mm, start: number, end: number, strideShift: number, freedTables: boolean): void {
  const cpu = k.ctx.currentCpu();
  const c = k.mmCtx(mm);
  // inc_mm_tlb_gen: every CPU behind this generation must flush before it uses the mm again
  const newGen = ++c.tlbGen;
  const info = getFlushTlbInfo(k, mm, start, end, strideShift, freedTables, newGen);
  k.covered([mm], () => {
    const mask = k.ctx.mmCpumask(mm).list();
    if (mmGlobalAsid(k, mm)) {
      broadcastTlbFlush(k, info);
    } else if (mask.length > 1 || (mask.length === 1 && mask[0] !== cpu)) {
      // cpumask_any_but(mm_cpumask(mm), cpu) < nr_cpu_ids: the list holds each CPU once
      info.trimCpumask = shouldTrimCpumask(k, mm);
      flushTlbMulti(k, mask, info);
      considerGlobalAsid(k, mm, cpu);
    } else if (k.loaded(cpu) === mm) {
      flushTlbFunc(k, cpu, info);
    }
    // else: nobody has it loaded; the generation bump alone makes CPUs catch up on switch
  });
}

/** flush_tlb_multi: pv_ops.mmu.flush_tlb_multi (native unless a hypervisor replaced it) */
export function flushTlbMulti(k: X86Kernel, mask: readonly number[], info: FlushTlbInfo): void {
  switch (k.opts.paravirt) {
    case 'kvm': return kvmFlushTlbMulti(k, mask, info);
    case 'hyperv': return hypervFlushTlbMulti(k, mask, info);
    case 'xen': return xenFlushTlbMulti(k, mask, info);
    default: return nativeFlushTlbMulti(k, mask, info);
  }
}

/** native_flush_tlb_multi: account, trace, then IPI the mask (all of it, or the CPUs that need it) */
export function nativeFlushTlbMulti(k: X86Kernel, mask: readonly number[], info: FlushTlbInfo): void {
  const self = k.ctx.currentCpu();
  // counted and traced once per call, even when in the end no CPU qualifies
  k.counter(self, NR_TLB_REMOTE_FLUSH);
  k.trace(self, TLB_REMOTE_SEND_IPI, info.end === TLB_FLUSH_ALL ? PAGES_FLUSH_ALL : strides(info.start, info.end, PAGE_SHIFT));
  // freed page tables must not be walked speculatively, even by lazy CPUs
  const all = info.freedTables || mmInAsidTransition(k, info.mm);
  let targets: number[];
  if (all) targets = [...mask];
  else {
    targets = [];
    for (const cpu of mask) if (shouldFlushTlb(k, cpu, info)) targets.push(cpu);
  }
  onEachCpuMask(k, targets, info);
}

/** on_each_cpu_mask(targets, flush_tlb_func, info, wait): IPIs to the others, in place here */
function onEachCpuMask(k: X86Kernel, targets: readonly number[], info: FlushTlbInfo): void {
  k.ctx.onEachCpuMask(targets, (cpu) => flushTlbFunc(k, cpu, info), { kind: 'flush_tlb_func', wait: true });
}

/** should_flush_tlb(cpu, info), evaluated on the initiator */
export function shouldFlushTlb(k: X86Kernel, cpu: number, info: FlushTlbInfo): boolean {
  // a lazy CPU catches up at its next switch_mm_irqs_off
  if (k.cpus[cpu].isLazy) return false;
  // before v6.14 (tlb_is_not_lazy) that was the only test
  if (!k.feat.lazyCpumask) return true;
  if (!info.mm) return true; // kernel memory or a reclaim batch
  if (k.loaded(cpu) === info.mm) return true;
  // in the cpumask but running something else: one IPI now and then removes the stale bit
  return info.trimCpumask;
}

/**
 * What the partial flush of flush_tlb_func does with `info` on any CPU: the strides it reports
 * (trace, nr_tlb_local_flush_one), the INVLPGs (one per stride started) and what they invalidate.
 * The same on every target, so computed once per flush (the last info's is kept).
 */
function userRange(k: X86Kernel, info: FlushTlbInfo): UserRange {
  const c = k.lastUserRange;
  if (c && c.info === info) return c;
  const step = pow2(info.strideShift);
  const invlpgs = Math.ceil((info.end - info.start) / step);
  const r: UserRange = {
    info,
    pages: strides(info.start, info.end, info.strideShift),
    invlpgs,
    inv: { start: info.start, end: info.start + invlpgs * step, stride: step, leaf: true, walk: true },
  };
  k.lastUserRange = r;
  return r;
}

/** flush_tlb_func(info) on `cpu` (the initiator runs it in place, others from the IPI) */
export function flushTlbFunc(k: X86Kernel, cpu: number, info: FlushTlbInfo): void {
  const local = cpu === info.initiatingCpu;
  const st = k.cpus[cpu];
  if (!local) {
    // before any other check: every remote run counts, including the no-op outcomes
    k.ctx.counterById(cpu, ID_IRQ_TLB);
    k.ctx.counterById(cpu, ID_NR_TLB_REMOTE_FLUSH_RECEIVED);
  }
  const loaded = k.loaded(cpu);
  if (k.feat.lazyCpumask && info.mm && info.mm !== loaded) {
    // a stale mm_cpumask bit: drop it, flush nothing
    k.ctx.mmCpumask(info.mm).clear(cpu);
    k.trace(cpu, TLB_REMOTE_WRONG_CPU, 0);
    return;
  }
  if (loaded === null) return; // init_mm: no user entries
  if (mmNeedsGlobalAsid(k, loaded, st.loadedMmAsid)) switchMmIrqsOff(k, cpu, loaded, loaded);
  const asid = st.loadedMmAsid;
  if (isGlobalAsid(asid)) return; // INVLPGB keeps global ASIDs current
  if (st.isLazy) {
    // cheaper to drop the user mm than to flush; the generation is repaid on return
    switchMmIrqsOff(k, cpu, loaded, null);
    return;
  }
  const lg = st.ctxs[asid].tlbGen;
  if (info.newTlbGen !== 0 && info.newTlbGen <= lg) return; // already covered, no trace
  const mg = k.gen(loaded);
  const reason = !local ? TLB_REMOTE_SHOOTDOWN : info.mm === null ? TLB_LOCAL_SHOOTDOWN : TLB_LOCAL_MM_SHOOTDOWN;
  if (lg === mg) {
    // a concurrent flush already caught this CPU up
    k.trace(cpu, reason, 0);
    return;
  }
  let nr: number;
  // partial only if this flush alone brings the CPU exactly up to date
  if (info.end !== TLB_FLUSH_ALL && info.newTlbGen === lg + 1 && info.newTlbGen === mg) {
    const r = userRange(k, info);
    nr = r.pages;
    flushTlbOneUser(k, cpu, r.invlpgs);
    if (local) k.counter(cpu, NR_TLB_LOCAL_FLUSH_ONE, nr);
    // INVLPG also drops the paging-structure caches of the current PCID
    k.invalidate(cpu, loaded, r.inv);
    k.ctx.countFlush(cpu, 'ranged');
  } else {
    nr = PAGES_FLUSH_ALL;
    flushTlbLocal(k, cpu);
    if (local) k.counter(cpu, NR_TLB_LOCAL_FLUSH_ALL);
    k.invalidate(cpu, loaded, INVALIDATE_ALL);
    k.ctx.countFlush(cpu, 'full');
  }
  st.ctxs[asid].tlbGen = mg;
  k.trace(cpu, reason, nr);
}

/** flush_tlb_mm(mm) */
export function flushTlbMm(k: X86Kernel, mm: Mm): void {
  flushTlbMmRange(k, mm, 0, TLB_FLUSH_ALL, 0, true);
}

/** flush_tlb_page(vma, addr) */
export function flushTlbPage(k: X86Kernel, mm: Mm, addr: number): void {
  flushTlbMmRange(k, mm, addr, addr + 4096, PAGE_SHIFT, false);
}
