/** Per-CPU figures (core SPEC.md §3). Arch counters use the kernel's names (x86 `interrupts.TLB`...). */
export interface CpuMetrics {
  cpu: number;
  ipisReceived: number;
  /** remote interruptions firmware delivered to this CPU (riscv SBI remote fences) */
  firmwareIpisReceived: number;
  fullFlushes: number;
  rangedFlushes: number;
  instructions: Record<string, number>;
  counters: Record<string, number>;
}

export interface Violation {
  hazard: 'H1' | 'H2' | 'H3' | 'H4';
  cpu: number;
  address: number;
  what: string;
  op: string;
  /** the scenario op's index, when the finding arose in a scenario op */
  opIndex?: number;
  /** the flush that should have covered it, or that it came before any flush */
  flush?: string;
  /** the cached translation (H1, H3) or walk-cache entry (H2) that outlived the change */
  cached?: CachedEntry;
  /**
   * How many pages (H1, H3) or tables (H2) this finding stands for on its CPU: the checker
   * reports one per CPU per freed batch (or per mprotect/fork) and folds the rest into it.
   */
  affected?: number;
  /** the last trace events before the finding (when tracing) */
  events?: string[];
}

/** A translation a CPU may still cache: since `sinceNs` (its mm's last load or full flush there). */
export interface CachedEntry {
  cpu: number;
  address: number;
  sinceNs: number;
}

/** Stable metric names shared by every architecture (core SPEC.md §3). */
export interface RunMetrics {
  /** every TLB flush operation of every kernel path: the sum of `flushesBy` */
  flushes: number;
  /** `flushes` by the kernel function that issued it (tlb_flush, flush_tlb_range, arch_tlbbatch_flush...) */
  flushesBy: Record<string, number>;
  /** of those, the gather's tlb_flush calls (= flushesBy.tlb_flush) */
  archFlushes: number;
  ipis: number;
  /** interruptions of other CPUs that firmware delivered instead of a Linux IPI (riscv SBI fences) */
  firmwareIpis: number;
  ipiBroadcasts: number;
  tlbInstructions: Record<string, number>;
  fullFlushes: number;
  rangedFlushes: number;
  pagesFreed: number;
  tablesFreed: number;
  rcuCallbacks: number;
  batchPagesAllocated: number;
  forcedFlushes: number;
  estimatedNs: number;
  violations: number;
}

/** Mutable accumulator; plain numeric fields so hot paths only do `x.n++`. */
export class Metrics {
  archFlushes = 0;
  ipis = 0;
  firmwareIpis = 0;
  ipiBroadcasts = 0;
  fullFlushes = 0;
  rangedFlushes = 0;
  pagesFreed = 0;
  tablesFreed = 0;
  rcuCallbacks = 0;
  batchPagesAllocated = 0;
  forcedFlushes = 0;
  estimatedNs = 0;
  readonly tlbInstructions = new Map<string, number>();
  readonly flushesBy = new Map<string, number>();
  readonly cpus: CpuAccumulator[];
  readonly violations: Violation[] = [];
  /** what the machine's setup cost (threads present before the first operation switching onto their CPUs) */
  readonly setup: Metrics | null;

  constructor(nCpus: number, counterNames: readonly string[], withSetup = true) {
    this.setup = withSetup ? new Metrics(nCpus, counterNames, false) : null;
    this.cpus = Array.from({ length: nCpus }, () => ({
      ipisReceived: 0,
      firmwareIpisReceived: 0,
      fullFlushes: 0,
      rangedFlushes: 0,
      instructions: new Map<string, number>(),
      counters: new Map<string, number>(counterNames.map((n) => [n, 0])),
    }));
  }

  instr(cpu: number, mnemonic: string, n: number): void {
    this.tlbInstructions.set(mnemonic, (this.tlbInstructions.get(mnemonic) ?? 0) + n);
    if (cpu >= 0) {
      const m = this.cpus[cpu].instructions;
      m.set(mnemonic, (m.get(mnemonic) ?? 0) + n);
    }
  }
  counter(cpu: number, name: string, n: number): void {
    const m = this.cpus[cpu].counters;
    m.set(name, (m.get(name) ?? 0) + n);
  }
  /** one TLB flush operation issued by kernel function `fn` */
  flush(fn: string): void {
    this.flushesBy.set(fn, (this.flushesBy.get(fn) ?? 0) + 1);
  }
  /** firmware interrupted `cpu` on another CPU's behalf (riscv SBI remote fence) */
  firmwareIpi(cpu: number): void {
    this.firmwareIpis++;
    this.cpus[cpu].firmwareIpisReceived++;
  }

  /**
   * Run `fn` and move what it counted into {@link setup}: the machine's setup is not the
   * workload, so the totals leave it out (a result reports it on its own).
   */
  asSetup<T>(fn: () => T): T {
    if (!this.setup) return fn();
    const before = this.snapshot();
    try {
      return fn();
    } finally {
      this.setup.addDelta(this.snapshot(), before);
      this.addDelta(before, this.snapshot());
    }
  }

  /** the counts now, for {@link addDelta} */
  snapshot(): Snapshot {
    const scalars = SCALARS.map((k) => this[k]);
    const cpus = this.cpus.map((c) => ({ ...c, instructions: new Map(c.instructions), counters: new Map(c.counters) }));
    return { scalars, tlbInstructions: new Map(this.tlbInstructions), flushesBy: new Map(this.flushesBy), cpus };
  }

  /** this += a - b */
  addDelta(a: Snapshot, b: Snapshot): void {
    SCALARS.forEach((k, i) => (this[k] += a.scalars[i] - b.scalars[i]));
    const addMap = (into: Map<string, number>, x: Map<string, number>, y: Map<string, number>) => {
      for (const k of new Set([...x.keys(), ...y.keys()])) {
        const d = (x.get(k) ?? 0) - (y.get(k) ?? 0);
        if (d !== 0 || !into.has(k)) into.set(k, (into.get(k) ?? 0) + d);
      }
    };
    addMap(this.tlbInstructions, a.tlbInstructions, b.tlbInstructions);
    addMap(this.flushesBy, a.flushesBy, b.flushesBy);
    this.cpus.forEach((c, i) => {
      for (const k of CPU_SCALARS) c[k] += a.cpus[i][k] - b.cpus[i][k];
      addMap(c.instructions, a.cpus[i].instructions, b.cpus[i].instructions);
      addMap(c.counters, a.cpus[i].counters, b.cpus[i].counters);
    });
  }

  summary(): RunMetrics {
    const flushesBy = sortedRecord(dropZeros(this.flushesBy));
    return {
      flushes: Object.values(flushesBy).reduce((a, b) => a + b, 0),
      flushesBy,
      archFlushes: this.archFlushes,
      ipis: this.ipis,
      firmwareIpis: this.firmwareIpis,
      ipiBroadcasts: this.ipiBroadcasts,
      tlbInstructions: sortedRecord(dropZeros(this.tlbInstructions)),
      fullFlushes: this.fullFlushes,
      rangedFlushes: this.rangedFlushes,
      pagesFreed: this.pagesFreed,
      tablesFreed: this.tablesFreed,
      rcuCallbacks: this.rcuCallbacks,
      batchPagesAllocated: this.batchPagesAllocated,
      forcedFlushes: this.forcedFlushes,
      estimatedNs: roundSignificant(this.estimatedNs, 3),
      violations: this.violations.length,
    };
  }

  perCpu(): CpuMetrics[] {
    return this.cpus.map((c, cpu) => ({
      cpu,
      ipisReceived: c.ipisReceived,
      firmwareIpisReceived: c.firmwareIpisReceived,
      fullFlushes: c.fullFlushes,
      rangedFlushes: c.rangedFlushes,
      instructions: sortedRecord(dropZeros(c.instructions)),
      counters: sortedRecord(c.counters),
    }));
  }
}

interface CpuAccumulator {
  ipisReceived: number;
  firmwareIpisReceived: number;
  fullFlushes: number;
  rangedFlushes: number;
  instructions: Map<string, number>;
  counters: Map<string, number>;
}
const SCALARS = ['archFlushes', 'ipis', 'firmwareIpis', 'ipiBroadcasts', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks', 'batchPagesAllocated', 'forcedFlushes', 'estimatedNs'] as const;
const CPU_SCALARS = ['ipisReceived', 'firmwareIpisReceived', 'fullFlushes', 'rangedFlushes'] as const;
export interface Snapshot {
  scalars: number[];
  tlbInstructions: Map<string, number>;
  flushesBy: Map<string, number>;
  cpus: CpuAccumulator[];
}

/** A mnemonic counted only in setup has 0 left in the totals: not a row of the workload. */
function dropZeros(m: Map<string, number>): Map<string, number> {
  return new Map([...m].filter(([, v]) => v !== 0));
}

export function sortedRecord(m: Map<string, number>): Record<string, number> {
  const r: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) r[k] = m.get(k)!;
  return r;
}

/**
 * `x` rounded to `digits` significant figures: estimatedNs rests on cited and assumed costs, so
 * printing 12357 would claim a precision the model does not have.
 */
export function roundSignificant(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return Math.round(x);
  const step = 10 ** Math.max(0, Math.floor(Math.log10(Math.abs(x))) - digits + 1);
  return Math.round(x / step) * step;
}
