/**
 * Scope of a radix flush (radix_tlb.c `flush_type_needed`) and the IPI-based trimming of
 * mm_cpumask that goes with it (`exit_lazy_flush_tlb`, `exit_flush_lazy_tlbs`, the per-CPU
 * trim clock).
 */
import type { Mm } from '@tlbsim/core';
import { RIC_FLUSH_ALL } from './insn.js';
import { tlbielPid } from './radix-tlbi.js';
import { leaveCpumask, type PpcRun } from './mmu-context.js';

export const enum FlushType {
  None = 0,
  Local = 1,
  Global = 2,
}

/** tlb_mm_cpumask_trim_timer */
export const TLB_MM_CPUMASK_TRIM_TIMER = 1073;

/** tick_and_test_trim_clock: true once every 1073 calls on this CPU */
export function tickAndTestTrimClock(r: PpcRun, cpu: number): boolean {
  if (++r.trimClock[cpu] === TLB_MM_CPUMASK_TRIM_TIMER) {
    r.trimClock[cpu] = 0;
    r.ctx.counter(cpu, 'trim_clock_fired');
    return true;
  }
  return false;
}

/**
 * exit_lazy_flush_tlb(mm, always_flush) on `cpu`: unless the task running there uses mm,
 * switch a lazy kernel thread off it, leave mm_cpumask (active_cpus - 1), and flush the whole
 * PID locally (RIC=2) so the CPU holds nothing of mm.
 */
export function exitLazyFlushTlb(r: PpcRun, cpu: number, mm: Mm, alwaysFlush: boolean): void {
  const ctx = r.ctx;
  if (!r.currentUses(cpu, mm)) {
    const c = ctx.cpus[cpu];
    // current->active_mm == mm: a kernel thread or idle borrowing mm lazily -> init_mm
    if (c.loadedMm === mm && c.lazy) ctx.setLoadedMm(cpu, null);
    if (ctx.mmCpumask(mm).has(cpu)) {
      leaveCpumask(r, cpu, mm);
      ctx.counter(cpu, 'mm_cpumask_trim');
      alwaysFlush = true;
    }
  }
  if (alwaysFlush) tlbielPid(r, cpu, mm, r.mmContext(mm).id, RIC_FLUSH_ALL);
}

/**
 * exit_flush_lazy_tlbs: smp_call_function_many(mm_cpumask, ..., wait=1) - every other CPU of
 * the mask runs exit_lazy_flush_tlb(mm, true). The calling CPU is not included.
 */
export function exitFlushLazyTlbs(r: PpcRun, mm: Mm): void {
  const self = r.ctx.currentCpu();
  const targets = r.ctx.mmCpumask(mm).list().filter((c) => c !== self);
  r.ctx.sendIpi(targets, (cpu) => exitLazyFlushTlb(r, cpu, mm, true), { kind: 'do_exit_flush_lazy_tlb', wait: true });
}

/**
 * flush_type_needed(mm, fullmm), in the order the kernel tests its rules:
 * 1 no active CPU -> none; 2 only this CPU -> local (an async flusher occasionally trims
 * itself instead); 3 coprocessors -> global; 4 fullmm -> global; 5 the only thread flushing its
 * own mm -> IPI the others out, local; 6 trim clock fired -> IPI the others out, local/none;
 * 7 global.
 */
export function flushTypeNeeded(r: PpcRun, mm: Mm, fullmm: boolean): FlushType {
  const ctx = r.ctx;
  const c = r.mmContext(mm);
  const cpu = ctx.currentCpu();
  const mask = ctx.mmCpumask(mm);
  if (c.activeCpus === 0) return FlushType.None;
  if (c.activeCpus === 1 && mask.has(cpu)) {
    if (!r.currentUses(cpu, mm) && tickAndTestTrimClock(r, cpu)) {
      exitLazyFlushTlb(r, cpu, mm, true);
      return FlushType.None;
    }
    return FlushType.Local;
  }
  if (c.copros > 0) return FlushType.Global;
  if (fullmm) return FlushType.Global;
  if (mm.users <= 1 && r.currentUses(cpu, mm)) {
    exitFlushLazyTlbs(r, mm);
    return FlushType.Local;
  }
  if (tickAndTestTrimClock(r, cpu)) {
    exitFlushLazyTlbs(r, mm);
    if (r.currentUses(cpu, mm)) return FlushType.Local;
    if (mask.has(cpu)) exitLazyFlushTlb(r, cpu, mm, true);
    return FlushType.None;
  }
  return FlushType.Global;
}

/**
 * mm_is_thread_local (book3s64 asm/tlb.h): no more than one active CPU and it is this one.
 * The hash MMU uses it to choose tlbiel over tlbie.
 */
export function mmIsThreadLocal(r: PpcRun, mm: Mm, cpu: number): boolean {
  if (r.mmContext(mm).activeCpus > 1) return false;
  return r.ctx.mmCpumask(mm).has(cpu);
}
