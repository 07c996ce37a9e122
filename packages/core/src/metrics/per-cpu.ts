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
 * A set of per-CPU metrics: metric `id` on `cpu` is cell `cpu * width + id` of one array of
 * values and one of flags, so what one CPU counts sits together in memory (a shootdown counts a
 * few metrics on each of hundreds of CPUs in turn). `has`: whether the CPU's row has the metric at
 * all, even at 0 (an arch counter is listed on every CPU from the start; a metric counted only
 * during setup stays listed in the totals at 0). `used`: which metrics were ever used here.
 */
export class PerCpuTable {
  v = new Float64Array(0);
  has = new Uint8Array(0);
  /** metrics per CPU row: the ids below it have a cell */
  width = 0;
  private used = new Uint8Array(0);
  constructor(readonly nCpus: number) {}

  /** widen the rows to hold metric `id` (an id seen first: rare, the rows double) */
  private grow(id: number): void {
    const w = Math.max(id + 1, this.width * 2, 8);
    const v = new Float64Array(w * this.nCpus);
    const has = new Uint8Array(w * this.nCpus);
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      v.set(this.v.subarray(cpu * this.width, (cpu + 1) * this.width), cpu * w);
      has.set(this.has.subarray(cpu * this.width, (cpu + 1) * this.width), cpu * w);
    }
    const used = new Uint8Array(w);
    used.set(this.used);
    this.v = v;
    this.has = has;
    this.used = used;
    this.width = w;
  }
  /** metric `id` in use here (listed on no CPU yet) */
  use(id: number): void {
    if (id >= this.width) this.grow(id);
    this.used[id] = 1;
  }
  /** list metric `id` on every CPU */
  listEverywhere(id: number): void {
    this.use(id);
    for (let cpu = 0; cpu < this.nCpus; cpu++) this.has[cpu * this.width + id] = 1;
  }
  /** list metric `id` on `cpu`; whether it was not listed there yet */
  list(cpu: number, id: number): boolean {
    if (id >= this.width || this.used[id] === 0) this.use(id);
    const k = cpu * this.width + id;
    if (this.has[k] === 1) return false;
    this.has[k] = 1;
    return true;
  }
  /** metric `id` += n on `cpu` (listing it there) */
  add(cpu: number, id: number, n: number): void {
    if (id >= this.width || this.used[id] === 0) this.use(id);
    const k = cpu * this.width + id;
    this.v[k] += n;
    this.has[k] = 1;
  }
  /** is metric `id` listed on `cpu`, and its value (0 where not) */
  private listedAt(cpu: number, id: number): boolean {
    return id < this.width && this.has[cpu * this.width + id] === 1;
  }
  private valueAt(cpu: number, id: number): number {
    return id < this.width ? this.v[cpu * this.width + id] : 0;
  }
  /** the ids of the metrics in use */
  ids(): number[] {
    const r: number[] = [];
    for (let i = 0; i < this.used.length; i++) if (this.used[i]) r.push(i);
    return r;
  }
  clone(): PerCpuTable {
    const t = new PerCpuTable(this.nCpus);
    t.v = this.v.slice();
    t.has = this.has.slice();
    t.used = this.used.slice();
    t.width = this.width;
    return t;
  }

  /** list on each CPU every metric `src` lists there (at 0 where it is new here) */
  listAll(src: PerCpuTable): void {
    for (const id of src.ids()) {
      let used = false;
      for (let cpu = 0; cpu < this.nCpus; cpu++) {
        if (!src.listedAt(cpu, id)) continue;
        if (!used) {
          this.use(id);
          used = true;
        }
        this.has[cpu * this.width + id] = 1;
      }
    }
  }

  /**
   * this += a - b, CPU by CPU, over every metric a or b lists there: a metric is listed here
   * where the difference is not 0 or where it was not listed yet.
   */
  addDelta(a: PerCpuTable, b: PerCpuTable): void {
    const all = new Set([...a.ids(), ...b.ids()]);
    for (const id of all) {
      let used = false;
      for (let cpu = 0; cpu < this.nCpus; cpu++) {
        const hx = a.listedAt(cpu, id);
        const hy = b.listedAt(cpu, id);
        if (!hx && !hy) continue;
        const d = (hx ? a.valueAt(cpu, id) : 0) - (hy ? b.valueAt(cpu, id) : 0);
        if (!used) {
          this.use(id);
          used = true;
        }
        const k = cpu * this.width + id;
        if (d !== 0 || !this.has[k]) {
          this.v[k] += d;
          this.has[k] = 1;
        }
      }
    }
  }

  /**
   * The metrics as one record per CPU, keys sorted; `dropZeros`: leave out metrics at 0 (an
   * instruction counted only in setup is not a row of the workload).
   */
  records(dropZeros: boolean): Record<string, number>[] {
    const sorted = this.ids().sort((p, q) => (names[p] < names[q] ? -1 : names[p] > names[q] ? 1 : 0));
    const out: Record<string, number>[] = [];
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      const r: Record<string, number> = {};
      for (const id of sorted) {
        const k = cpu * this.width + id;
        if (!this.has[k]) continue;
        const v = this.v[k];
        if (dropZeros && v === 0) continue;
        r[names[id]] = v;
      }
      out.push(r);
    }
    return out;
  }
}

/**
 * Totals by metric name id (tlbInstructions, flushesBy), read like the Map by name they replaced:
 * a metric is present once counted (or listed: counted only during setup), at 0 or not; the
 * results show only those not at 0.
 */
export class Tally {
  private v = new Float64Array(0);
  private present = new Uint8Array(0);

  add(id: number, n: number): void {
    if (id >= this.v.length) this.grow(id);
    this.v[id] += n;
    this.present[id] = 1;
  }
  /** present from now on, at 0 if never counted here */
  list(id: number): void {
    if (id >= this.v.length) this.grow(id);
    this.present[id] = 1;
  }
  private grow(id: number): void {
    const n = Math.max(id + 1, this.v.length * 2, 8);
    const v = new Float64Array(n);
    v.set(this.v);
    const present = new Uint8Array(n);
    present.set(this.present);
    this.v = v;
    this.present = present;
  }
  private has(id: number): boolean {
    return id < this.present.length && this.present[id] === 1;
  }
  clone(): Tally {
    const t = new Tally();
    t.v = this.v.slice();
    t.present = this.present.slice();
    return t;
  }
  /** this += a - b over every metric a or b has: present here where the difference is not 0 or it was not yet */
  addDelta(a: Tally, b: Tally): void {
    const n = Math.max(a.v.length, b.v.length);
    for (let id = 0; id < n; id++) {
      if (!a.has(id) && !b.has(id)) continue;
      const d = (a.v[id] ?? 0) - (b.v[id] ?? 0);
      if (d !== 0 || !this.has(id)) this.add(id, d);
    }
  }
  /** the total of metric `name` (undefined: not present) */
  get(name: string): number | undefined {
    const id = ids.get(name);
    return id !== undefined && this.has(id) ? this.v[id] : undefined;
  }
  /** how many metrics are present */
  get size(): number {
    let n = 0;
    for (let id = 0; id < this.present.length; id++) n += this.present[id];
    return n;
  }
  /** [name, total] of every metric present, in id order */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let id = 0; id < this.present.length; id++) if (this.present[id]) yield [names[id], this.v[id]];
  }
  /** the sum of every metric's total (without building the list: the replay asks per line) */
  sum(): number {
    let n = 0;
    for (let id = 0; id < this.v.length; id++) n += this.v[id];
    return n;
  }
  /** the total of every metric present */
  values(): number[] {
    return [...this].map(([, x]) => x);
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
