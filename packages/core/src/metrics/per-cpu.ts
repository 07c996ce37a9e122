/**
 * Per-CPU named metrics (an arch's TLB instructions, its /proc/interrupts and vmstat counters) as
 * columns: one Float64Array per metric, indexed by CPU. A shootdown to hundreds of CPUs counts
 * into the same few columns on every target, so a count is an array increment, not a string-keyed
 * map update per CPU.
 */

/** Every per-CPU metric name seen, numbered once: accumulators index their columns by it. */
const ids = new Map<string, number>();
const names: string[] = [];

/**
 * The id of a per-CPU metric's name (a TLB instruction mnemonic, an arch counter, a flushing
 * kernel function), the same for the whole process.
 */
export function metricId(name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    id = names.length;
    ids.set(name, id);
    names.push(name);
  }
  return id;
}

export function metricName(id: number): string {
  return names[id];
}

/**
 * One metric on each CPU. `has`: whether the CPU's row has the metric at all, even at 0 (an arch
 * counter is listed on every CPU from the start; a metric counted only during setup stays listed
 * in the totals at 0).
 */
export class Column {
  readonly v: Float64Array;
  readonly has: Uint8Array;
  constructor(nCpus: number) {
    this.v = new Float64Array(nCpus);
    this.has = new Uint8Array(nCpus);
  }
  clone(): Column {
    const c = new Column(this.v.length);
    c.v.set(this.v);
    c.has.set(this.has);
    return c;
  }
}

/** A set of per-CPU metrics, column by metric id. */
export class PerCpuTable {
  private readonly cols: (Column | undefined)[] = [];
  constructor(readonly nCpus: number) {}

  /** the column of metric `id`, created (listed on no CPU) on first use */
  col(id: number): Column {
    return this.cols[id] ?? (this.cols[id] = new Column(this.nCpus));
  }
  /** metric `id` += n on `cpu` (listing it there) */
  add(cpu: number, id: number, n: number): void {
    const c = this.cols[id] ?? this.col(id);
    c.v[cpu] += n;
    c.has[cpu] = 1;
  }
  /** the column of metric `id` if it was ever used */
  peek(id: number): Column | undefined {
    return this.cols[id];
  }
  /** the ids of the columns in use */
  ids(): number[] {
    const r: number[] = [];
    for (let i = 0; i < this.cols.length; i++) if (this.cols[i]) r.push(i);
    return r;
  }
  clone(): PerCpuTable {
    const t = new PerCpuTable(this.nCpus);
    for (const id of this.ids()) t.cols[id] = this.cols[id]!.clone();
    return t;
  }

  /** list on each CPU every metric `src` lists there (at 0 where it is new here) */
  listAll(src: PerCpuTable): void {
    for (const id of src.ids()) {
      const s = src.cols[id]!;
      let c: Column | undefined;
      for (let cpu = 0; cpu < this.nCpus; cpu++) if (s.has[cpu]) (c ??= this.col(id)).has[cpu] = 1;
    }
  }

  /**
   * this += a - b, CPU by CPU, over every metric a or b lists there: a metric is listed here
   * where the difference is not 0 or where it was not listed yet.
   */
  addDelta(a: PerCpuTable, b: PerCpuTable): void {
    const all = new Set([...a.ids(), ...b.ids()]);
    for (const id of all) {
      const x = a.cols[id];
      const y = b.cols[id];
      let c: Column | undefined;
      for (let cpu = 0; cpu < this.nCpus; cpu++) {
        const hx = x !== undefined && x.has[cpu] === 1;
        const hy = y !== undefined && y.has[cpu] === 1;
        if (!hx && !hy) continue;
        const d = (hx ? x.v[cpu] : 0) - (hy ? y.v[cpu] : 0);
        c ??= this.col(id);
        if (d !== 0 || !c.has[cpu]) {
          c.v[cpu] += d;
          c.has[cpu] = 1;
        }
      }
    }
  }

  /**
   * The metrics as one record per CPU, keys sorted; `dropZeros`: leave out metrics at 0 (an
   * instruction counted only in setup is not a row of the workload).
   */
  records(dropZeros: boolean): Record<string, number>[] {
    const sorted = this.ids().map((id) => ({ name: names[id], col: this.cols[id]! })).sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0));
    const out: Record<string, number>[] = [];
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      const r: Record<string, number> = {};
      for (const { name, col } of sorted) {
        if (!col.has[cpu]) continue;
        const v = col.v[cpu];
        if (dropZeros && v === 0) continue;
        r[name] = v;
      }
      out.push(r);
    }
    return out;
  }
}

/**
 * Totals by metric name id (tlbInstructions, flushesBy): 0 where never counted, which is how
 * the results show them too (a metric at 0 is not a row).
 */
export class Tally {
  private v: number[] = [];

  add(id: number, n: number): void {
    const v = this.v;
    while (v.length <= id) v.push(0);
    v[id] += n;
  }
  clone(): Tally {
    const t = new Tally();
    t.v = this.v.slice();
    return t;
  }
  /** this += a - b */
  addDelta(a: Tally, b: Tally): void {
    const n = Math.max(a.v.length, b.v.length);
    for (let id = 0; id < n; id++) {
      const d = (a.v[id] ?? 0) - (b.v[id] ?? 0);
      if (d !== 0) this.add(id, d);
    }
  }
  /** the total of metric `name` (undefined: never counted), as the Map it replaced answered */
  get(name: string): number | undefined {
    const id = ids.get(name);
    const x = id === undefined ? undefined : this.v[id];
    return x === 0 ? undefined : x;
  }
  /** every total not at 0 */
  values(): number[] {
    return this.v.filter((x) => x !== 0);
  }
  /** the metrics not at 0, keys sorted */
  record(): Record<string, number> {
    const ids: number[] = [];
    for (let id = 0; id < this.v.length; id++) if (this.v[id] !== 0) ids.push(id);
    ids.sort((p, q) => (names[p] < names[q] ? -1 : names[p] > names[q] ? 1 : 0));
    const r: Record<string, number> = {};
    for (const id of ids) r[names[id]] = this.v[id];
    return r;
  }
}
