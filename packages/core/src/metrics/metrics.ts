/** Per-CPU figures (core SPEC.md §3). Arch counters use the kernel's names (x86 `interrupts.TLB`...). */
export interface CpuMetrics {
  cpu: number;
  ipisReceived: number;
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
  archFlushes: number;
  ipis: number;
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
  readonly cpus: { ipisReceived: number; fullFlushes: number; rangedFlushes: number; instructions: Map<string, number>; counters: Map<string, number> }[];
  readonly violations: Violation[] = [];

  constructor(nCpus: number, counterNames: readonly string[]) {
    this.cpus = Array.from({ length: nCpus }, () => ({
      ipisReceived: 0,
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

  summary(): RunMetrics {
    return {
      archFlushes: this.archFlushes,
      ipis: this.ipis,
      ipiBroadcasts: this.ipiBroadcasts,
      tlbInstructions: sortedRecord(this.tlbInstructions),
      fullFlushes: this.fullFlushes,
      rangedFlushes: this.rangedFlushes,
      pagesFreed: this.pagesFreed,
      tablesFreed: this.tablesFreed,
      rcuCallbacks: this.rcuCallbacks,
      batchPagesAllocated: this.batchPagesAllocated,
      forcedFlushes: this.forcedFlushes,
      estimatedNs: Math.round(this.estimatedNs),
      violations: this.violations.length,
    };
  }

  perCpu(): CpuMetrics[] {
    return this.cpus.map((c, cpu) => ({
      cpu,
      ipisReceived: c.ipisReceived,
      fullFlushes: c.fullFlushes,
      rangedFlushes: c.rangedFlushes,
      instructions: sortedRecord(c.instructions),
      counters: sortedRecord(c.counters),
    }));
  }
}

export function sortedRecord(m: Map<string, number>): Record<string, number> {
  const r: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) r[k] = m.get(k)!;
  return r;
}
