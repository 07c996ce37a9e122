/**
 * The ArchContext a backend receives: the machine's services in the contract's terms, each one
 * a thin call into the module that models it.
 */
import type { ArchContext, CpuView } from '../arch/contract.js';
import type { CostModel } from '../arch/cost-model.js';
import type { Machine } from './machine.js';
import { metricId } from '../metrics/per-cpu.js';
import type { Cpumask, Mm } from './mm.js';
import { setLoadedMm } from './sched.js';
import { onEachCpuMask, sendIpi, syncAllCpus } from './smp.js';
import type { Invalidation } from './tlb.js';

export function makeArchContext(m: Machine): ArchContext {
  const cpuViews: readonly CpuView[] = m.cpus;
  const instrById = (cpu: number, id: number, n = 1) => {
    m.metrics.instrById(cpu, id, n);
    m.cost(m.instrCostById(id) * n);
  };
  return {
    get geometry() { return m.geometry; },
    get kconfig() { return m.kconfig; },
    get nrCpus() { return m.cpus.length; },
    cpus: cpuViews,
    currentCpu: () => m.curCpu,
    now: () => m.now,
    jiffies: () => Math.floor(m.now / 1_000_000),
    invalidate(cpu: number, mm: Mm, inv: Invalidation) {
      m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm);
    },
    invalidateAllCpus(mm: Mm, inv: Invalidation) {
      for (const c of m.cpus) m.tlb.invalidate(c.id, mm, inv, c.loadedMm === mm);
    },
    invalidateDeferred(cpu: number, mm: Mm, inv: Invalidation) {
      m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm, true);
    },
    instr(cpu: number, mnemonic: string, n = 1) {
      // the name is looked up once for the count and the cost
      instrById(cpu, metricId(mnemonic), n);
    },
    counter(cpu: number, name: string, n = 1) {
      m.metrics.counterById(cpu, metricId(name), n);
    },
    instrById,
    counterById(cpu: number, id: number, n = 1) {
      m.metrics.counterById(cpu, id, n);
    },
    countFlush(cpu: number, kind: 'full' | 'ranged') {
      if (kind === 'full') m.metrics.fullFlushes++;
      else m.metrics.rangedFlushes++;
      if (cpu >= 0) {
        m.metrics.cpuFlush(cpu, kind);
      }
    },
    firmwareIpi(cpu: number) {
      m.metrics.firmwareIpi(cpu);
    },
    sendIpi: (targets, handler, opts) => sendIpi(m, targets, handler, opts),
    onEachCpuMask: (mask, fn, opts) => onEachCpuMask(m, mask, fn, opts),
    syncAllCpus: (kind?: string) => syncAllCpus(m, kind),
    setLoadedMm: (cpu, mm) => setLoadedMm(m, cpu, mm),
    setLazy(cpu: number, lazy: boolean) {
      m.cpus[cpu].lazy = lazy;
    },
    mmCpumask: (mm: Mm): Cpumask => mm.cpumask,
    mmState<T>(mm: Mm, init: () => T): T {
      const key = m.arch.name;
      let s = mm.arch.get(key) as T | undefined;
      if (s === undefined) {
        s = init();
        mm.arch.set(key, s);
      }
      return s;
    },
    get tracing() { return m.tracing; },
    trace: (ev) => m.trace(ev),
    cost: (ns: number) => m.cost(ns),
    get costModel(): CostModel { return m.arch.cost; },
  };
}
