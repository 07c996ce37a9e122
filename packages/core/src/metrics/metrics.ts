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

  /** the interval being measured (see {@link mark}), or null */
  private live: Mark | null = null;
  /** per CPU, the id of the latest mark that saved its figures */
  private readonly savedIn: Int32Array;
  private marks = 0;
  /** bumped whenever a per-CPU map gains a key (what {@link addDeltaOf} must mirror as zeros) */
  private keysVersion = 0;
  /** the source's keysVersion this accumulator last mirrored every key of */
  private mirroredVersion = -1;

  constructor(nCpus: number, counterNames: readonly string[], withSetup = true) {
    this.setup = withSetup ? new Metrics(nCpus, counterNames, false) : null;
    this.savedIn = new Int32Array(nCpus);
    this.cpus = Array.from({ length: nCpus }, () => ({
      ipisReceived: 0,
      firmwareIpisReceived: 0,
      fullFlushes: 0,
      rangedFlushes: 0,
      instructions: new Map<string, number>(),
      counters: new Map<string, number>(counterNames.map((n) => [n, 0])),
    }));
  }

  /** CPU `c`'s figures, to count into: every per-CPU count goes through here (see {@link mark}) */
  cpu(c: number): CpuAccumulator {
    const mk = this.live;
    if (mk !== null && this.savedIn[c] !== mk.id) this.save(mk, c);
    return this.cpus[c];
  }

  instr(cpu: number, mnemonic: string, n: number): void {
    this.tlbInstructions.set(mnemonic, (this.tlbInstructions.get(mnemonic) ?? 0) + n);
    if (cpu >= 0) {
      const m = this.cpu(cpu).instructions;
      const v = m.get(mnemonic);
      if (v === undefined) this.keysVersion++;
      m.set(mnemonic, (v ?? 0) + n);
    }
  }
  counter(cpu: number, name: string, n: number): void {
    const m = this.cpu(cpu).counters;
    const v = m.get(name);
    if (v === undefined) this.keysVersion++;
    m.set(name, (v ?? 0) + n);
  }
  /** one TLB flush operation issued by kernel function `fn` */
  flush(fn: string): void {
    this.flushesBy.set(fn, (this.flushesBy.get(fn) ?? 0) + 1);
  }
  /** firmware interrupted `cpu` on another CPU's behalf (riscv SBI remote fence) */
  firmwareIpi(cpu: number): void {
    this.firmwareIpis++;
    this.cpu(cpu).firmwareIpisReceived++;
  }

  /**
   * Run `fn` and move what it counted into {@link setup}: the machine's setup is not the
   * workload, so the totals leave it out (a result reports it on its own).
   */
  asSetup<T>(fn: () => T): T {
    if (!this.setup) return fn();
    const mk = this.mark();
    try {
      return fn();
    } finally {
      const d = this.deltaSince(mk);
      this.setup.addDeltaOf(d, 1);
      this.addDeltaOf(d, -1);
    }
  }

  /**
   * Start measuring an interval (one operation, the setup): the scalars and the two machine-wide
   * maps are copied now; a CPU's figures only when something first counts on it (cpu()), so an
   * interval costs what it touched, not the number of CPUs. One interval at a time.
   */
  mark(): Mark {
    if (this.live) throw new Error('Metrics.mark: an interval is already being measured');
    const mk: Mark = { id: ++this.marks, scalars: SCALARS.map((k) => this[k]), tlbInstructions: new Map(this.tlbInstructions), flushesBy: new Map(this.flushesBy), touched: [], saved: [] };
    this.live = mk;
    return mk;
  }

  private save(mk: Mark, c: number): void {
    this.savedIn[c] = mk.id;
    const a = this.cpus[c];
    mk.touched.push(c);
    mk.saved.push({ scalars: CPU_SCALARS.map((k) => a[k]), instructions: [...a.instructions.values()], counters: [...a.counters.values()] });
  }

  /** What changed since `mk` (which ends): for {@link addDeltaOf}. */
  deltaSince(mk: Mark): Delta {
    if (this.live !== mk) throw new Error('Metrics.deltaSince: not the interval being measured');
    this.live = null;
    // a map's keys are never removed, so its values in insertion order line up with the saved ones
    const mapDelta = (now: Map<string, number>, before: readonly number[]): [string, number][] => {
      const r: [string, number][] = [];
      let j = 0;
      for (const [k, v] of now) r.push([k, v - (j < before.length ? before[j++] : 0)]);
      return r;
    };
    const globalDelta = (now: Map<string, number>, before: Map<string, number>): [string, number][] => [...now].map(([k, v]) => [k, v - (before.get(k) ?? 0)]);
    return {
      source: this,
      keysVersion: this.keysVersion,
      scalars: SCALARS.map((k, i) => this[k] - mk.scalars[i]),
      tlbInstructions: globalDelta(this.tlbInstructions, mk.tlbInstructions),
      flushesBy: globalDelta(this.flushesBy, mk.flushesBy),
      cpus: mk.touched.map((c, i) => {
        const a = this.cpus[c];
        const b = mk.saved[i];
        return { cpu: c, scalars: CPU_SCALARS.map((k, n) => a[k] - b.scalars[n]), instructions: mapDelta(a.instructions, b.instructions), counters: mapDelta(a.counters, b.counters) };
      }),
    };
  }

  /**
   * this += sign * d: what {@link addDelta} does with the two snapshots of the interval, for the
   * CPUs it touched only; every key of the source's per-CPU maps is present here afterwards (as
   * addDelta leaves it), mirrored again only when the source gained one.
   */
  addDeltaOf(d: Delta, sign: 1 | -1): void {
    SCALARS.forEach((k, i) => (this[k] += sign * d.scalars[i]));
    const add = (into: Map<string, number>, ds: readonly [string, number][]) => {
      for (const [k, v] of ds) if (v !== 0 || !into.has(k)) into.set(k, (into.get(k) ?? 0) + sign * v);
    };
    add(this.tlbInstructions, d.tlbInstructions);
    add(this.flushesBy, d.flushesBy);
    for (const x of d.cpus) {
      const c = this.cpus[x.cpu];
      CPU_SCALARS.forEach((k, n) => (c[k] += sign * x.scalars[n]));
      add(c.instructions, x.instructions);
      add(c.counters, x.counters);
    }
    if (d.source !== this && this.mirroredVersion !== d.keysVersion) {
      this.mirroredVersion = d.keysVersion;
      d.source.cpus.forEach((s, i) => {
        const c = this.cpus[i];
        for (const k of s.instructions.keys()) if (!c.instructions.has(k)) c.instructions.set(k, 0);
        for (const k of s.counters.keys()) if (!c.counters.has(k)) c.counters.set(k, 0);
      });
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
/** An interval being measured (Metrics.mark): what was copied at its start, and per CPU at first touch. */
export interface Mark {
  readonly id: number;
  readonly scalars: number[];
  readonly tlbInstructions: Map<string, number>;
  readonly flushesBy: Map<string, number>;
  readonly touched: number[];
  readonly saved: { scalars: number[]; instructions: number[]; counters: number[] }[];
}
/** What an interval counted (Metrics.deltaSince), per key in the source's key order. */
export interface Delta {
  readonly source: Metrics;
  readonly keysVersion: number;
  readonly scalars: number[];
  readonly tlbInstructions: [string, number][];
  readonly flushesBy: [string, number][];
  readonly cpus: { cpu: number; scalars: number[]; instructions: [string, number][]; counters: [string, number][] }[];
}
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
