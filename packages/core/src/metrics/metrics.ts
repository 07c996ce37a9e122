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
  /** the one interval record, reused */
  private readonly mk: Mark = { live: false, id: 0, scalars: [], tlbInstructions: new Map(), flushesBy: new Map(), touched: [], at: [], vals: [] };
  /** per CPU, the id of the latest mark that saved its figures */
  private readonly savedIn: Int32Array;
  /** bumped whenever a per-CPU map gains a key (what {@link closeMark} must mirror as zeros) */
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
    this.mark();
    try {
      return fn();
    } finally {
      this.closeMark(this.setup, true);
    }
  }

  /**
   * Start measuring an interval (one operation, the setup): the scalars and the two machine-wide
   * maps are copied now, a CPU's figures only when something first counts on it (cpu()), so an
   * interval costs what it touched, not the number of CPUs. One interval at a time.
   */
  mark(): void {
    const mk = this.mk;
    if (mk.live) throw new Error('Metrics.mark: an interval is already being measured');
    mk.live = true;
    mk.id++;
    for (let i = 0; i < SCALARS.length; i++) mk.scalars[i] = this[SCALARS[i]];
    mk.tlbInstructions = new Map(this.tlbInstructions);
    mk.flushesBy = new Map(this.flushesBy);
    mk.touched.length = 0;
    mk.at.length = 0;
    mk.vals.length = 0;
    this.live = mk;
  }

  /** a CPU's figures before the interval touched it: its scalars, then its two maps' values in key order */
  private save(mk: Mark, c: number): void {
    this.savedIn[c] = mk.id;
    const a = this.cpus[c];
    const v = mk.vals;
    mk.touched.push(c);
    mk.at.push(v.length);
    for (const k of CPU_SCALARS) v.push(a[k]);
    v.push(a.instructions.size);
    for (const x of a.instructions.values()) v.push(x);
    v.push(a.counters.size);
    for (const x of a.counters.values()) v.push(x);
  }

  /**
   * End the interval: add what it counted to `into` as {@link addDelta} would with snapshots taken
   * at its two ends (CPUs it did not touch add nothing but their keys), and with `restore` take it
   * back out of these totals.
   */
  closeMark(into: Metrics, restore = false): void {
    const mk = this.mk;
    if (!mk.live) throw new Error('Metrics.closeMark: no interval is being measured');
    mk.live = false;
    this.live = null;
    SCALARS.forEach((k, i) => {
      const d = this[k] - mk.scalars[i];
      into[k] += d;
      if (restore) this[k] -= d;
    });
    addMapSince(into.tlbInstructions, this.tlbInstructions, mk.tlbInstructions, restore);
    addMapSince(into.flushesBy, this.flushesBy, mk.flushesBy, restore);
    const v = mk.vals;
    for (let t = 0; t < mk.touched.length; t++) {
      const cpu = mk.touched[t];
      const a = this.cpus[cpu];
      const c = into.cpus[cpu];
      let o = mk.at[t];
      for (const k of CPU_SCALARS) {
        const d = a[k] - v[o++];
        c[k] += d;
        if (restore) a[k] -= d;
      }
      o = addSavedSince(c.instructions, a.instructions, v, o, restore);
      addSavedSince(c.counters, a.counters, v, o, restore);
    }
    if (into.mirroredVersion !== this.keysVersion) {
      // what addDelta also does for every CPU: each key of the source's maps exists in `into`
      into.mirroredVersion = this.keysVersion;
      this.cpus.forEach((s, i) => {
        const c = into.cpus[i];
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
/** The interval being measured (Metrics.mark): what was copied at its start, and per CPU at first touch. */
interface Mark {
  live: boolean;
  id: number;
  readonly scalars: number[];
  tlbInstructions: Map<string, number>;
  flushesBy: Map<string, number>;
  /** the CPUs touched, and where each one's saved figures start in `vals` */
  readonly touched: number[];
  readonly at: number[];
  readonly vals: number[];
}

/** into += now - before per key of `now` (before: a copy from the mark); `restore`: now -= the same */
function addMapSince(into: Map<string, number>, now: Map<string, number>, before: Map<string, number>, restore: boolean): void {
  for (const [k, x] of now) {
    const d = x - (before.get(k) ?? 0);
    if (d !== 0 || !into.has(k)) into.set(k, (into.get(k) ?? 0) + d);
    if (restore && d !== 0) now.set(k, x - d);
  }
}

/**
 * The same against values saved at vals[o] (a count, then the values in key order: keys are never
 * removed, so the first ones line up); returns the offset after them.
 */
function addSavedSince(into: Map<string, number>, now: Map<string, number>, vals: readonly number[], o: number, restore: boolean): number {
  const n = vals[o++];
  let j = 0;
  for (const [k, x] of now) {
    const d = x - (j < n ? vals[o + j] : 0);
    j++;
    if (d !== 0 || !into.has(k)) into.set(k, (into.get(k) ?? 0) + d);
    if (restore && d !== 0) now.set(k, x - d);
  }
  return o + n;
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
