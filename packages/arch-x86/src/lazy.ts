/**
 * Context switches and lazy TLB mode: switch_mm_irqs_off, enter_lazy_tlb, leave_mm
 * (arch/x86/mm/tlb.c, asm/tlbflush.h).
 */
import { INVALIDATE_ALL, type Mm } from '@tlbsim/core';
import { chooseNewAsid, type NewAsid } from './asid.js';
import { CR3_WRITE, PAGES_FLUSH_ALL, TLB_FLUSH_ON_TASK_SWITCH } from './counters.js';
import { mmNeedsGlobalAsid } from './invlpgb.js';
import { invalidateUserAsid } from './native.js';
import { isGlobalAsid, type X86Kernel } from './state.js';

/**
 * switch_mm_irqs_off on `cpu` from `prev` to `next` (null: init_mm). Called for core's context
 * switches (core has already set loadedMm and the cpumask bit) and from flush_tlb_func.
 */
export function switchMmIrqsOff(k: X86Kernel, cpu: number, prev: Mm | null, next: Mm | null): void {
  const st = k.cpus[cpu];
  const prevAsid = st.loadedMmAsid;
  const wasLazy = st.isLazy;
  if (wasLazy) {
    st.isLazy = false;
    // leaving lazy mode on the same user mm: the CPU counts as using it again
    if (next) k.ctx.setLazy(cpu, false);
  }
  let ns: NewAsid;
  let nextGen: number;
  if (prev === next) {
    if (next && mmNeedsGlobalAsid(k, next, prevAsid)) {
      // moving onto the mm's new global ASID
      nextGen = k.gen(next);
      ns = chooseNewAsid(k, cpu, next, nextGen);
    } else {
      if (isGlobalAsid(prevAsid)) return; // INVLPGB keeps it current
      if (!wasLazy) return; // another thread of the same process: nothing to do
      nextGen = k.gen(next);
      if (st.ctxs[prevAsid].tlbGen === nextGen) return;
      // flushes happened while lazy: catch up with a flushing CR3 write on the same ASID
      ns = { asid: prevAsid, needFlush: true };
    }
  } else {
    // before v6.14 a CPU left the old mm's cpumask here; since then flushes trim it lazily
    if (!k.feat.lazyCpumask && prev) k.ctx.mmCpumask(prev).clear(cpu);
    if (next) k.ctx.mmCpumask(next).set(cpu);
    nextGen = k.gen(next);
    ns = chooseNewAsid(k, cpu, next, nextGen);
  }
  reloadTlb(k, cpu, next, ns, nextGen);
}

/** The reload_tlb tail of switch_mm_irqs_off (load_new_mm_cr3 and the trace). */
function reloadTlb(k: X86Kernel, cpu: number, next: Mm | null, ns: NewAsid, nextGen: number): void {
  const st = k.cpus[cpu];
  if (k.loaded(cpu) !== next) k.ctx.setLoadedMm(cpu, next);
  if (ns.needFlush) {
    const slot = st.ctxs[ns.asid];
    // a CR3 load without NOFLUSH drops everything tagged with this PCID, whoever owned it
    const evicted = slot.owner !== next ? slot.owner : null;
    slot.ctxId = k.ctxIdOf(next);
    slot.tlbGen = nextGen;
    slot.owner = next;
    invalidateUserAsid(k, cpu, ns.asid);
    k.instr(cpu, CR3_WRITE);
    k.ctx.countFlush(cpu, 'full');
    if (evicted) k.invalidate(cpu, evicted, INVALIDATE_ALL);
    if (next) k.invalidate(cpu, next, INVALIDATE_ALL);
    k.trace(cpu, TLB_FLUSH_ON_TASK_SWITCH, PAGES_FLUSH_ALL);
  } else {
    k.instr(cpu, CR3_WRITE); // with CR3_NOFLUSH
    if (next && isGlobalAsid(ns.asid)) {
      const c = k.mmCtx(next);
      if (!c.onGlobal[cpu]) {
        // first use of the global PCID here: it holds nothing of this mm (fresh or reset by
        // the allocator's flush), and the dynamic PCID's entries can never be used again
        c.onGlobal[cpu] = 1;
        k.invalidate(cpu, next, INVALIDATE_ALL);
      }
    }
    k.trace(cpu, TLB_FLUSH_ON_TASK_SWITCH, 0);
  }
  st.loadedMmAsid = ns.asid;
}

/** enter_lazy_tlb: idle or a kernel thread keeps the user mm loaded, marked lazy */
export function enterLazyTlb(k: X86Kernel, cpu: number): void {
  if (k.loaded(cpu) === null) return;
  k.cpus[cpu].isLazy = true;
}

/** leave_mm (cpuidle before a TLB-flushing C-state): switch to init_mm */
export function leaveMm(k: X86Kernel, cpu: number): void {
  const loaded = k.loaded(cpu);
  if (loaded === null) return;
  switchMmIrqsOff(k, cpu, loaded, null);
}
