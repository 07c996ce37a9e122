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
 * A set of per-CPU metrics: metric `id` on `cpu` is cell `id * nCpus + cpu` of one array of
 * values and one of flags. `has`: whether the CPU's row has the metric at all, even at 0 (an arch
 * counter is listed on every CPU from the start; a metric counted only during setup stays listed
 * in the totals at 0). `used`: which metrics were ever used here.
 */
export class PerCpuTable {
  v = new Float64Array(0);
  has = new Uint8Array(0);
  private used = new Uint8Array(0);
  constructor(readonly nCpus: number) {}

  /** make room for metric `id` (an id seen first: rare, the arrays grow by doubling) */
  private grow(id: number): void {
    const slots = Math.max(id + 1, this.used.length * 2, 8);
    const v = new Float64Array(slots * this.nCpus);
    v.set(this.v);
    const has = new Uint8Array(slots * this.nCpus);
    has.set(this.has);
    const used = new Uint8Array(slots);
    used.set(this.used);
    this.v = v;
    this.has = has;
    this.used = used;
  }
  /** metric `id` in use here (listed on no CPU yet); its first cell */
  use(id: number): number {
    if (id >= this.used.length) this.grow(id);
    this.used[id] = 1;
    return id * this.nCpus;
  }
  /** list metric `id` on every CPU */
  listEverywhere(id: number): void {
    const at = this.use(id);
    this.has.fill(1, at, at + this.nCpus);
  }
  /** list metric `id` on `cpu`; whether it was not listed there yet */
  list(cpu: number, id: number): boolean {
    if (id >= this.used.length || this.used[id] === 0) this.use(id);
    const k = id * this.nCpus + cpu;
    if (this.has[k] === 1) return false;
    this.has[k] = 1;
    return true;
  }
  /** metric `id` += n on `cpu` (listing it there) */
  add(cpu: number, id: number, n: number): void {
    if (id >= this.used.length || this.used[id] === 0) this.use(id);
    const k = id * this.nCpus + cpu;
    this.v[k] += n;
    this.has[k] = 1;
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
    return t;
  }

  /** list on each CPU every metric `src` lists there (at 0 where it is new here) */
  listAll(src: PerCpuTable): void {
    const n = this.nCpus;
    for (const id of src.ids()) {
      const at = id * n;
      let mine = -1;
      for (let cpu = 0; cpu < n; cpu++) {
        if (!src.has[at + cpu]) continue;
        if (mine < 0) mine = this.use(id);
        this.has[mine + cpu] = 1;
      }
    }
  }

  /**
   * this += a - b, CPU by CPU, over every metric a or b lists there: a metric is listed here
   * where the difference is not 0 or where it was not listed yet.
   */
  addDelta(a: PerCpuTable, b: PerCpuTable): void {
    const n = this.nCpus;
    const all = new Set([...a.ids(), ...b.ids()]);
    for (const id of all) {
      const ua = id < a.used.length && a.used[id] === 1;
      const ub = id < b.used.length && b.used[id] === 1;
      const at = id * n;
      let mine = -1;
      for (let cpu = 0; cpu < n; cpu++) {
        const hx = ua && a.has[at + cpu] === 1;
        const hy = ub && b.has[at + cpu] === 1;
        if (!hx && !hy) continue;
        const d = (hx ? a.v[at + cpu] : 0) - (hy ? b.v[at + cpu] : 0);
        if (mine < 0) mine = this.use(id);
        const k = mine + cpu;
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
    const n = this.nCpus;
    const sorted = this.ids().map((id) => ({ name: names[id], at: id * n })).sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0));
    const out: Record<string, number>[] = [];
    for (let cpu = 0; cpu < n; cpu++) {
      const r: Record<string, number> = {};
      for (const { name, at } of sorted) {
        if (!this.has[at + cpu]) continue;
        const v = this.v[at + cpu];
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
  private v = new Float64Array(0);

  add(id: number, n: number): void {
    if (id >= this.v.length) this.grow(id);
    this.v[id] += n;
  }
  private grow(id: number): void {
    const v = new Float64Array(Math.max(id + 1, this.v.length * 2, 8));
    v.set(this.v);
    this.v = v;
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
    return Array.from(this.v).filter((x) => x !== 0);
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
