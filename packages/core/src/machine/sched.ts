/**
 * The scheduler as the TLB sees it (kernel/sched/core.c context_switch): which thread runs where,
 * switch_mm on a change of mm, lazy TLB for kernel threads and idle CPUs.
 */
import type { Thread, ThreadState } from './cpu.js';
import type { Machine } from './machine.js';
import type { Mm } from './mm.js';

/** Add a thread of `mm` (null: kernel thread) on `cpu` in `state`. */
export function addThread(m: Machine, t: Thread, cpu: number, state: ThreadState): void {
  if (t.mm) t.mm.users++;
  if (state === 'running') contextSwitch(m, t, cpu);
  else if (state === 'sleeping') {
    const busy = m.cpus[cpu].curr;
    if (!busy || busy.state !== 'running') {
      // it ran here before blocking: the CPU idles, lazy on its mm (as Linux leaves it)
      contextSwitch(m, t, cpu);
      sleepThread(m, t);
    }
  }
}

/** context_switch: schedule thread t on cpu (switch_mm_irqs_off, or enter_lazy_tlb for a kernel thread). */
export function contextSwitch(m: Machine, t: Thread, cpu: number): void {
  const c = m.cpus[cpu];
  if (c.curr && c.curr !== t && c.curr.state === 'running') {
    throw new Error(`CPU${cpu} already runs thread ${c.curr.name}`);
  }
  t.cpu = cpu;
  t.state = 'running';
  c.curr = t;
  const prev = m.curCpu;
  m.curCpu = cpu;
  if (t.mm) {
    const next = t.mm;
    const prevMm = c.loadedMm;
    if (prevMm !== next) {
      c.loadedMm = next;
      next.cpumask.set(cpu);
      m.tlb.load(cpu, next);
    }
    c.lazy = false;
    m.hooks.switchMm(cpu, prevMm, next);
    // the flush the arch promised (tlb_gen catch-up, ASID rollover) must have happened now
    if (!m.tlb.settleDeferred(cpu, next)) m.checker.brokenDeferral(cpu, next);
  } else {
    // a kernel thread borrows whatever is loaded: lazy TLB
    if (!c.lazy && c.loadedMm) m.hooks.enterLazy(cpu, c.loadedMm);
    c.lazy = true;
  }
  m.curCpu = prev;
}

/** The thread blocks: its CPU goes idle, lazy on the mm it last ran. */
export function sleepThread(m: Machine, t: Thread): void {
  const c = m.cpus[t.cpu];
  t.state = 'sleeping';
  if (c.curr === t) {
    c.curr = null;
    if (c.loadedMm && !c.lazy) m.hooks.enterLazy(t.cpu, c.loadedMm);
    c.lazy = true;
  }
}

/** Load another mm into a CPU's MMU from arch code (null: init_mm). */
export function setLoadedMm(m: Machine, cpu: number, mm: Mm | null): void {
  const c = m.cpus[cpu];
  if (c.loadedMm === mm) return;
  c.loadedMm = mm;
  if (mm) {
    mm.cpumask.set(cpu);
    m.tlb.load(cpu, mm);
  }
}
