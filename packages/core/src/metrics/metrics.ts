import { PerCpuTable, Tally, metricId } from './per-cpu.js';

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
  /** TLB instructions by mnemonic id (metricId) */
  readonly tlbInstructions = new Tally();
  /** flush operations by the id of the kernel function that issued them */
  readonly flushesBy = new Tally();
  /** per CPU (indexed by CPU): IPIs and firmware interruptions received, full and ranged flushes */
  readonly cpuCounts: CpuCounts;
  /** per CPU, the TLB instructions it executed, by mnemonic */
  readonly instructions: PerCpuTable;
  /** per CPU, the arch's counters (x86 `interrupts.TLB`...) */
  readonly counters: PerCpuTable;
  readonly violations: Violation[] = [];
  /** what the machine's setup cost (threads present before the first operation switching onto their CPUs) */
  readonly setup: Metrics | null;

  /**
   * Where per-CPU figures and the two tallies are counted: these totals, or the setup's while the
   * setup is measured (asSetup); `also`: a second accumulator that counts the same (a measured
   * operation's bucket, see {@link mark}).
   */
  private into: Metrics = this;
  private also: Metrics | null = null;
  /** the scalars when the measured interval began, and when it ended */
  private readonly marked: number[] = [];
  private readonly closing: number[] = [];
  /** bumped whenever a CPU's row gains a per-CPU metric (what {@link closeMark} mirrors as zeros) */
  private keysVersion = 0;
  /** the source's keysVersion this accumulator last mirrored every key of */
  private mirroredVersion = -1;

  constructor(nCpus: number, counterNames: readonly string[], withSetup = true) {
    this.setup = withSetup ? new Metrics(nCpus, counterNames, false) : null;
    this.cpuCounts = newCpuCounts(nCpus);
    this.instructions = new PerCpuTable(nCpus);
    this.counters = new PerCpuTable(nCpus);
    // an arch's counters are listed on every CPU, at 0 until counted
    for (const n of counterNames) this.counters.listEverywhere(metricId(n));
  }

  /** `cpu` received an IPI */
  ipiReceived(cpu: number): void {
    this.into.cpuCounts.ipisReceived[cpu]++;
    if (this.also) this.also.cpuCounts.ipisReceived[cpu]++;
  }
  /** `cpu` performed a full or ranged flush */
  cpuFlush(cpu: number, kind: 'full' | 'ranged'): void {
    if (kind === 'full') {
      this.into.cpuCounts.fullFlushes[cpu]++;
      if (this.also) this.also.cpuCounts.fullFlushes[cpu]++;
    } else {
      this.into.cpuCounts.rangedFlushes[cpu]++;
      if (this.also) this.also.cpuCounts.rangedFlushes[cpu]++;
    }
  }

  instr(cpu: number, mnemonic: string, n: number): void {
    this.instrById(cpu, metricId(mnemonic), n);
  }
  /** instr with the mnemonic's id (metricId) */
  instrById(cpu: number, id: number, n: number): void {
    const into = this.into;
    const also = this.also;
    into.tlbInstructions.add(id, n);
    // the totals keep the mnemonic (at 0) while the setup is what counts
    if (into !== this) this.tlbInstructions.list(id);
    if (also !== null) also.tlbInstructions.add(id, n);
    if (cpu >= 0) this.countPerCpu(this.instructions, into.instructions, also === null ? null : also.instructions, cpu, id, n);
  }
  counter(cpu: number, name: string, n: number): void {
    this.counterById(cpu, metricId(name), n);
  }
  /** counter with the name's id (metricId) */
  counterById(cpu: number, id: number, n: number): void {
    const also = this.also;
    this.countPerCpu(this.counters, this.into.counters, also === null ? null : also.counters, cpu, id, n);
  }

  /**
   * metric `id` += n on `cpu` in `into` (these totals' table `mine`, or the setup's) and `also`;
   * `mine` lists it there from now on, also when the setup counted it
   */
  private countPerCpu(mine: PerCpuTable, into: PerCpuTable, also: PerCpuTable | null, cpu: number, id: number, n: number): void {
    if (mine.list(cpu, id)) this.keysVersion++;
    into.add(cpu, id, n);
    if (also !== null) also.add(cpu, id, n);
  }

  /** one TLB flush operation issued by kernel function `fn` */
  flush(fn: string): void {
    const id = metricId(fn);
    this.into.flushesBy.add(id, 1);
    if (this.into !== this) this.flushesBy.list(id);
    if (this.also) this.also.flushesBy.add(id, 1);
  }
  /** firmware interrupted `cpu` on another CPU's behalf (riscv SBI remote fence) */
  firmwareIpi(cpu: number): void {
    this.firmwareIpis++;
    this.into.cpuCounts.firmwareIpisReceived[cpu]++;
    if (this.also) this.also.cpuCounts.firmwareIpisReceived[cpu]++;
  }

  /**
   * Run `fn` and move what it counted into {@link setup}: the machine's setup is not the
   * workload, so the totals leave it out (a result reports it on its own). What it counts per
   * CPU goes to the setup directly; the scalars are moved at the end.
   */
  asSetup<T>(fn: () => T): T {
    const setup = this.setup;
    if (!setup) return fn();
    if (this.into !== this || this.also) throw new Error('Metrics.asSetup: an interval is already being measured');
    const before = SCALARS.map((k) => this[k]);
    this.into = setup;
    try {
      return fn();
    } finally {
      this.into = this;
      SCALARS.forEach((k, i) => {
        const after = this[k];
        setup[k] += after - before[i];
        this[k] += before[i] - after;
      });
      this.mirrorKeys(setup);
    }
  }

  /**
   * Start measuring an interval (one top-level operation) into `bucket`: from now on every count
   * also goes there, and the scalars are compared at {@link closeMark}. Costs what the interval
   * counts, not the number of CPUs. One interval at a time.
   */
  mark(bucket: Metrics): void {
    if (this.also || this.into !== this) throw new Error('Metrics.mark: an interval is already being measured');
    this.also = bucket;
    readScalars(this, this.marked);
  }

  /** End the interval: the bucket gets the scalars' growth, and (as zeros) every per-CPU key. */
  closeMark(): void {
    const into = this.also;
    if (!into) throw new Error('Metrics.closeMark: no interval is being measured');
    this.also = null;
    readScalars(this, this.closing);
    addScalars(into, this.closing, this.marked);
    this.mirrorKeys(into);
  }

  /** what addDelta leaves behind: every per-CPU metric listed here listed in `into` too */
  private mirrorKeys(into: Metrics): void {
    if (into.mirroredVersion === this.keysVersion) return;
    into.mirroredVersion = this.keysVersion;
    into.instructions.listAll(this.instructions);
    into.counters.listAll(this.counters);
  }

  /** the counts now, for {@link addDelta} */
  snapshot(): Snapshot {
    const scalars = SCALARS.map((k) => this[k]);
    const c = this.cpuCounts;
    const cpuCounts: CpuCounts = { ipisReceived: c.ipisReceived.slice(), firmwareIpisReceived: c.firmwareIpisReceived.slice(), fullFlushes: c.fullFlushes.slice(), rangedFlushes: c.rangedFlushes.slice() };
    return { scalars, tlbInstructions: this.tlbInstructions.clone(), flushesBy: this.flushesBy.clone(), cpuCounts, instructions: this.instructions.clone(), counters: this.counters.clone() };
  }

  /** this += a - b */
  addDelta(a: Snapshot, b: Snapshot): void {
    SCALARS.forEach((k, i) => (this[k] += a.scalars[i] - b.scalars[i]));
    this.tlbInstructions.addDelta(a.tlbInstructions, b.tlbInstructions);
    this.flushesBy.addDelta(a.flushesBy, b.flushesBy);
    for (const k of CPU_SCALARS) {
      const c = this.cpuCounts[k];
      for (let i = 0; i < c.length; i++) c[i] += a.cpuCounts[k][i] - b.cpuCounts[k][i];
    }
    this.instructions.addDelta(a.instructions, b.instructions);
    this.counters.addDelta(a.counters, b.counters);
  }

  summary(): RunMetrics {
    const flushesBy = this.flushesBy.record();
    return {
      flushes: Object.values(flushesBy).reduce((a, b) => a + b, 0),
      flushesBy,
      archFlushes: this.archFlushes,
      ipis: this.ipis,
      firmwareIpis: this.firmwareIpis,
      ipiBroadcasts: this.ipiBroadcasts,
      tlbInstructions: this.tlbInstructions.record(),
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
    const instructions = this.instructions.records(true);
    const counters = this.counters.records(false);
    const c = this.cpuCounts;
    return Array.from(c.ipisReceived, (_, cpu) => ({
      cpu,
      ipisReceived: c.ipisReceived[cpu],
      firmwareIpisReceived: c.firmwareIpisReceived[cpu],
      fullFlushes: c.fullFlushes[cpu],
      rangedFlushes: c.rangedFlushes[cpu],
      instructions: instructions[cpu],
      counters: counters[cpu],
    }));
  }
}

/** Metrics.cpuCounts: one array per figure, indexed by CPU */
export interface CpuCounts {
  ipisReceived: Float64Array;
  firmwareIpisReceived: Float64Array;
  fullFlushes: Float64Array;
  rangedFlushes: Float64Array;
}
function newCpuCounts(n: number): CpuCounts {
  return { ipisReceived: new Float64Array(n), firmwareIpisReceived: new Float64Array(n), fullFlushes: new Float64Array(n), rangedFlushes: new Float64Array(n) };
}
const SCALARS = ['archFlushes', 'ipis', 'firmwareIpis', 'ipiBroadcasts', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks', 'batchPagesAllocated', 'forcedFlushes', 'estimatedNs'] as const;
type Scalars = Record<(typeof SCALARS)[number], number>;
/**
 * out[i] = m[SCALARS[i]], and m[SCALARS[i]] += a[i] - b[i]: written out field by field because
 * every operation's interval does both (a loop over the names is a keyed access per field).
 */
function readScalars(m: Scalars, out: number[]): void {
  out[0] = m.archFlushes; out[1] = m.ipis; out[2] = m.firmwareIpis; out[3] = m.ipiBroadcasts;
  out[4] = m.fullFlushes; out[5] = m.rangedFlushes; out[6] = m.pagesFreed; out[7] = m.tablesFreed;
  out[8] = m.rcuCallbacks; out[9] = m.batchPagesAllocated; out[10] = m.forcedFlushes; out[11] = m.estimatedNs;
}
function addScalars(m: Scalars, a: readonly number[], b: readonly number[]): void {
  m.archFlushes += a[0] - b[0]; m.ipis += a[1] - b[1]; m.firmwareIpis += a[2] - b[2]; m.ipiBroadcasts += a[3] - b[3];
  m.fullFlushes += a[4] - b[4]; m.rangedFlushes += a[5] - b[5]; m.pagesFreed += a[6] - b[6]; m.tablesFreed += a[7] - b[7];
  m.rcuCallbacks += a[8] - b[8]; m.batchPagesAllocated += a[9] - b[9]; m.forcedFlushes += a[10] - b[10]; m.estimatedNs += a[11] - b[11];
}
// both follow SCALARS, checked once at load
{
  const probe = Object.fromEntries(SCALARS.map((k, i) => [k, i])) as Scalars;
  const out: number[] = [];
  readScalars(probe, out);
  addScalars(probe, out, SCALARS.map(() => 0));
  if (out.length !== SCALARS.length || SCALARS.some((k, i) => out[i] !== i || probe[k] !== 2 * i)) throw new Error('metrics: readScalars/addScalars do not follow SCALARS');
}
const CPU_SCALARS = ['ipisReceived', 'firmwareIpisReceived', 'fullFlushes', 'rangedFlushes'] as const;

export interface Snapshot {
  scalars: number[];
  tlbInstructions: Tally;
  flushesBy: Tally;
  cpuCounts: CpuCounts;
  instructions: PerCpuTable;
  counters: PerCpuTable;
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
