/**
 * The ArchContext a backend receives: the machine's services in the contract's terms, each one
 * a thin call into the module that models it.
 */
import type { ArchContext, CpuView, SendIpiOptions } from '../arch/contract.js';
import type { CostModel } from '../arch/cost-model.js';
import type { Machine } from './machine.js';
import { metricId } from '../metrics/per-cpu.js';
import type { Cpumask, Mm } from './mm.js';
import { setLoadedMm } from './sched.js';
import { onEachCpuMask, sendIpi, syncAllCpus } from './smp.js';
import type { Invalidation } from './tlb.js';
import type { TraceEvent } from '../trace/events.js';

export function makeArchContext(m: Machine): ArchContext {
  return new MachineContext(m);
}

/**
 * A class, not an object literal: V8 keeps a literal with getters in dictionary mode, which made
 * every call a backend makes through it (several per shootdown target) a hash lookup. The
 * services are arrow-function fields, so a backend may still pass one around on its own.
 */
class MachineContext implements ArchContext {
  readonly cpus: readonly CpuView[];
  constructor(private readonly m: Machine) {
    this.cpus = m.cpus;
  }
  get geometry() { return this.m.geometry; }
  get kconfig() { return this.m.kconfig; }
  get nrCpus() { return this.m.cpus.length; }
  get tracing() { return this.m.tracing; }
  get costModel(): CostModel { return this.m.arch.cost; }

  readonly currentCpu = (): number => this.m.curCpu;
  readonly now = (): number => this.m.now;
  readonly jiffies = (): number => Math.floor(this.m.now / 1_000_000);
  readonly invalidate = (cpu: number, mm: Mm, inv: Invalidation): void => {
    const m = this.m;
    m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm);
  };
  readonly invalidateAllCpus = (mm: Mm, inv: Invalidation): void => {
    const m = this.m;
    for (const c of m.cpus) m.tlb.invalidate(c.id, mm, inv, c.loadedMm === mm);
  };
  readonly invalidateDeferred = (cpu: number, mm: Mm, inv: Invalidation): void => {
    const m = this.m;
    m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm, true);
  };
  // the name is looked up once for the count and the cost
  readonly instr = (cpu: number, mnemonic: string, n = 1): void => this.instrById(cpu, metricId(mnemonic), n);
  readonly counter = (cpu: number, name: string, n = 1): void => this.m.metrics.counterById(cpu, metricId(name), n);
  readonly instrById = (cpu: number, id: number, n = 1): void => {
    const m = this.m;
    m.metrics.instrById(cpu, id, n);
    m.cost(m.instrCostById(id) * n);
  };
  readonly counterById = (cpu: number, id: number, n = 1): void => this.m.metrics.counterById(cpu, id, n);
  readonly countFlush = (cpu: number, kind: 'full' | 'ranged'): void => {
    const met = this.m.metrics;
    if (kind === 'full') met.fullFlushes++;
    else met.rangedFlushes++;
    if (cpu >= 0) met.cpuFlush(cpu, kind);
  };
  readonly firmwareIpi = (cpu: number): void => this.m.metrics.firmwareIpi(cpu);
  readonly sendIpi = (targets: readonly number[], handler: (cpu: number) => void, opts: SendIpiOptions): void => sendIpi(this.m, targets, handler, opts);
  readonly onEachCpuMask = (mask: readonly number[], fn: (cpu: number) => void, opts: SendIpiOptions): void => onEachCpuMask(this.m, mask, fn, opts);
  readonly syncAllCpus = (kind?: string): void => syncAllCpus(this.m, kind);
  readonly setLoadedMm = (cpu: number, mm: Mm | null): void => setLoadedMm(this.m, cpu, mm);
  readonly setLazy = (cpu: number, lazy: boolean): void => {
    this.m.cpus[cpu].lazy = lazy;
  };
  readonly mmCpumask = (mm: Mm): Cpumask => mm.cpumask;
  readonly mmState = <T>(mm: Mm, init: () => T): T => {
    const key = this.m.arch.name;
    let s = mm.arch.get(key) as T | undefined;
    if (s === undefined) {
      s = init();
      mm.arch.set(key, s);
    }
    return s;
  };
  readonly trace = (ev: Omit<TraceEvent, 'ts'>): void => this.m.trace(ev);
  readonly cost = (ns: number): void => this.m.cost(ns);
}
