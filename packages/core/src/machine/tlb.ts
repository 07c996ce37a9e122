import type { Mm } from './mm.js';

/**
 * What one invalidation removed from one CPU's TLB, as far as the checker needs to know.
 * `leaf`: leaf translations; `walk`: paging-structure (page-walk) cache entries.
 * A range invalidation is a series of operations at `start + k*stride` below `end`; it removes a
 * translation of size P at address a only if one operation address falls inside [a, a+P).
 */
export interface Invalidation {
  start: number;
  end: number;
  stride: number;
  leaf: boolean;
  walk: boolean;
}
export const INVALIDATE_ALL: Invalidation = { start: 0, end: Infinity, stride: 1, leaf: true, walk: true };

const R_LEAF = 1;
const R_WALK = 2;
const R_DEFERRED = 4;

/** the fields of one record of a RangeLog, at `i * REC + field` */
const START = 0;
const END = 1;
const STRIDE = 2;
const EPOCH = 3;
const FLAGS = 4;
const REC = 5;

/**
 * The range invalidations a CPU executed for an mm since its latest full one, in epoch order, as
 * records of one Float64Array (no object per invalidation: a shootdown to hundreds of CPUs records
 * one per CPU, and one record's fields sit together).
 */
export class RangeLog {
  n = 0;
  private rec = new Float64Array(4 * REC);

  push(inv: Invalidation, deferred: boolean, epoch: number): void {
    if ((this.n + 1) * REC > this.rec.length) this.grow();
    const at = this.n++ * REC;
    const r = this.rec;
    r[at + START] = inv.start;
    r[at + END] = inv.end;
    r[at + STRIDE] = inv.stride;
    r[at + EPOCH] = epoch;
    r[at + FLAGS] = (inv.leaf ? R_LEAF : 0) | (inv.walk ? R_WALK : 0) | (deferred ? R_DEFERRED : 0);
  }
  private grow(): void {
    const b = new Float64Array(this.rec.length * 2);
    b.set(this.rec);
    this.rec = b;
  }
  start(i: number): number {
    return this.rec[i * REC + START];
  }
  end(i: number): number {
    return this.rec[i * REC + END];
  }
  stride(i: number): number {
    return this.rec[i * REC + STRIDE];
  }
  flags(i: number): number {
    return this.rec[i * REC + FLAGS];
  }
  /** keep only the records whose deferred bit is `deferred`, in order */
  keepDeferred(deferred: boolean): void {
    const r = this.rec;
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      if (((r[i * REC + FLAGS] & R_DEFERRED) !== 0) !== deferred) continue;
      if (i !== j) r.copyWithin(j * REC, i * REC, (i + 1) * REC);
      j++;
    }
    this.n = j;
  }
  anyDeferred(): boolean {
    for (let i = 0; i < this.n; i++) if (this.rec[i * REC + FLAGS] & R_DEFERRED) return true;
    return false;
  }
  /** index of the first record with epoch > t (records are appended in epoch order) */
  firstAfter(t: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rec[mid * REC + EPOCH] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** does record i apply: its kind bit set, and not deferred for a CPU that uses the mm now */
  applies(i: number, kind: number, usesNow: boolean): boolean {
    const f = this.rec[i * REC + FLAGS];
    return (f & kind) !== 0 && ((f & R_DEFERRED) === 0 || !usesNow);
  }
  /** does record i remove a translation of `size` at `addr` (one operation address inside it)? */
  covers(i: number, addr: number, size: number): boolean {
    const at = i * REC;
    const start = this.rec[at + START];
    const end = this.rec[at + END];
    if (addr + size <= start || addr >= end) return false;
    const stride = this.rec[at + STRIDE];
    if (stride <= size) return true;
    // some operation address start + k*stride lands inside [addr, addr+size)?
    const first = addr <= start ? start : start + Math.ceil((addr - start) / stride) * stride;
    return first < addr + size && first < end;
  }
}

/**
 * Per-CPU, per-mm TLB state. Translations are cached only while the CPU has the mm loaded;
 * `leafSince`/`walkSince` is the epoch from which the CPU may hold entries (Infinity: none).
 */
export class CpuMmTlb {
  leafSince = Infinity;
  walkSince = Infinity;
  /** simulated time (ns) at which leafSince / walkSince was set, for findings */
  leafSinceNs = 0;
  walkSinceNs = 0;
  /** epoch of the latest full leaf invalidation actually executed */
  leafFlushed = -1;
  /** epoch of the latest full invalidation the CPU will perform before it next uses the mm */
  deferredLeaf = -1;
  deferredWalk = -1;
  readonly ranges = new RangeLog();
  /** on its mm's list of states holding range records (what prune visits) */
  listed = false;
}

/**
 * The TLB model of core SPEC.md §2: what each CPU may still cache for each mm, precise enough to
 * decide hazards H1-H3 without walking CPUs per page. Bookkeeping is per invalidation (a range
 * on a CPU), and a free is checked against it with O(CPUs) work per batch plus O(1) per page on
 * the fast path.
 */
export class TlbModel {
  /** global event counter: bumped by every invalidation and every mm load */
  epoch = 1;
  /**
   * per mm, its state on each CPU (undefined: the CPU never loaded it). By mm first: a shootdown
   * or a free visits one mm on many CPUs, so the mm is looked up once (see {@link states}).
   */
  private readonly byMm = new Map<Mm, (CpuMmTlb | undefined)[]>();
  /** the mm last looked up and its states (undefined: none yet) */
  private lastMm: Mm | null = null;
  private lastStates: (CpuMmTlb | undefined)[] | undefined;
  /** per mm, the states that recorded a range since the last prune */
  private readonly withRanges = new Map<Mm, CpuMmTlb[]>();
  /** the mm whose withRanges list was last asked for, and that list */
  private lastRangesMm: Mm | null = null;
  private lastRanges: CpuMmTlb[] = [];
  /** `clock`: simulated time (ns), recorded with each `*Since` so a finding can say since when */
  constructor(readonly nCpus: number, private readonly clock: () => number = () => 0) {}

  state(cpu: number, mm: Mm): CpuMmTlb | undefined {
    return this.states(mm)?.[cpu];
  }
  private states(mm: Mm): (CpuMmTlb | undefined)[] | undefined {
    if (mm === this.lastMm) return this.lastStates;
    const a = this.byMm.get(mm);
    this.lastMm = mm;
    this.lastStates = a;
    return a;
  }
  private ensure(cpu: number, mm: Mm): CpuMmTlb {
    let a = this.states(mm);
    if (!a) {
      a = new Array<CpuMmTlb | undefined>(this.nCpus).fill(undefined);
      this.byMm.set(mm, a);
      this.lastStates = a;
    }
    let s = a[cpu];
    if (!s) {
      s = new CpuMmTlb();
      a[cpu] = s;
    }
    return s;
  }

  /** withRanges of `mm`, created empty on first use (a shootdown lists one state per CPU) */
  private rangesOf(mm: Mm): CpuMmTlb[] {
    if (mm === this.lastRangesMm) return this.lastRanges;
    let l = this.withRanges.get(mm);
    if (!l) this.withRanges.set(mm, (l = []));
    this.lastRangesMm = mm;
    this.lastRanges = l;
    return l;
  }

  /** The CPU loaded `mm` into its MMU: from now on it may cache translations and walk entries. */
  load(cpu: number, mm: Mm): void {
    const s = this.ensure(cpu, mm);
    const e = ++this.epoch;
    if (s.leafSince === Infinity) {
      s.leafSince = e;
      s.leafSinceNs = this.clock();
    }
    if (s.walkSince === Infinity) {
      s.walkSince = e;
      s.walkSinceNs = this.clock();
    }
  }

  /** An invalidation executed on `cpu` for `mm` (loaded tells whether mm is still in its MMU). */
  invalidate(cpu: number, mm: Mm, inv: Invalidation, loaded: boolean, deferred = false): void {
    const s = this.states(mm)?.[cpu];
    if (!s) return; // never cached anything of this mm
    const e = ++this.epoch;
    if (inv.end === Infinity) {
      if (deferred) {
        if (inv.leaf) s.deferredLeaf = e;
        if (inv.walk) s.deferredWalk = e;
        return;
      }
      if (inv.leaf) {
        s.leafSince = loaded ? e : Infinity;
        s.leafSinceNs = this.clock();
        s.leafFlushed = e;
      }
      if (inv.walk) {
        s.walkSince = loaded ? e : Infinity;
        s.walkSinceNs = this.clock();
      }
      if (inv.leaf && inv.walk) s.ranges.keepDeferred(true);
      return;
    }
    s.ranges.push(inv, deferred, e);
    if (!s.listed) {
      s.listed = true;
      this.rangesOf(mm).push(s);
    }
  }

  /**
   * The CPU starts running `mm` again. A full invalidation it was recorded as owing (deferred)
   * must have been executed by now; returns false when it was not (the promise was broken).
   * Either way the promise is used up.
   */
  settleDeferred(cpu: number, mm: Mm): boolean {
    const s = this.states(mm)?.[cpu];
    if (!s) return true;
    const owed = s.deferredLeaf > s.leafFlushed && s.leafSince <= s.deferredLeaf;
    s.deferredLeaf = -1;
    s.deferredWalk = -1;
    if (s.ranges.anyDeferred()) s.ranges.keepDeferred(false);
    return !owed;
  }

  /** The mm has nothing outstanding: forget range records (they can cover nothing newer). */
  prune(mm: Mm): void {
    const l = this.withRanges.get(mm);
    if (!l || l.length === 0) return;
    for (const s of l) {
      s.ranges.n = 0;
      s.listed = false;
    }
    l.length = 0;
  }

  forget(mm: Mm): void {
    this.byMm.delete(mm);
    if (this.lastMm === mm) this.lastStates = undefined;
    this.withRanges.delete(mm);
    if (this.lastRangesMm === mm) this.lastRangesMm = null;
  }

  /**
   * May `cpu` still hold a leaf translation of size `size` at `addr`, cleared at epoch `t`?
   * `usesNow`: the CPU runs the mm's user code (a deferred invalidation does not protect it).
   */
  leafMayBeCached(cpu: number, mm: Mm, addr: number, size: number, t: number, usesNow: boolean): boolean {
    const s = this.states(mm)?.[cpu];
    if (!s || s.leafSince > t) return false;
    if (!usesNow && s.deferredLeaf > t) return false;
    const r = s.ranges;
    for (let i = r.firstAfter(t); i < r.n; i++) if (r.applies(i, R_LEAF, usesNow) && r.covers(i, addr, size)) return false;
    return true;
  }

  /**
   * Second fast path: does one leaf invalidation newer than `t` cover all of [lo, hi) at a stride
   * no larger than the smallest mapping in it (so every translation in the batch is removed)?
   */
  leafRangeCovers(cpu: number, mm: Mm, lo: number, hi: number, minSize: number, t: number, usesNow: boolean): boolean {
    const s = this.states(mm)?.[cpu];
    if (!s) return true;
    const r = s.ranges;
    for (let i = r.firstAfter(t); i < r.n; i++) {
      if (r.applies(i, R_LEAF, usesNow) && r.stride(i) <= minSize && r.start(i) <= lo && r.end(i) >= hi) return true;
    }
    return false;
  }

  /**
   * Both fast paths for a freed batch at once (leafClearAfter, else leafRangeCovers), with the
   * CPU's state looked up once: the checker asks every CPU this for every batch freed.
   */
  batchCleared(cpu: number, mm: Mm, lo: number, hi: number, minSize: number, t: number, usesNow: boolean): boolean {
    const s = this.states(mm)?.[cpu];
    if (!s || s.leafSince > t || (!usesNow && s.deferredLeaf > t)) return true;
    const r = s.ranges;
    for (let i = r.firstAfter(t); i < r.n; i++) {
      const f = r.flags(i);
      if ((f & R_LEAF) !== 0 && ((f & R_DEFERRED) === 0 || !usesNow) && r.stride(i) <= minSize && r.start(i) <= lo && r.end(i) >= hi) return true;
    }
    return false;
  }

  /** Fast path: is this CPU safe for every leaf cleared at or before epoch `t`? */
  leafClearAfter(cpu: number, mm: Mm, t: number, usesNow: boolean): boolean {
    const s = this.states(mm)?.[cpu];
    return !s || s.leafSince > t || (!usesNow && s.deferredLeaf > t);
  }

  /**
   * For findings: how many range invalidations reached `cpu` for `mm` after epoch `t` (leaf ones
   * when `walk` is false, walk-cache ones otherwise), none of which covered the stale entry.
   */
  invalidationsAfter(cpu: number, mm: Mm, t: number, usesNow: boolean, walk = false): number {
    const s = this.states(mm)?.[cpu];
    if (!s) return 0;
    let n = 0;
    const r = s.ranges;
    for (let i = r.firstAfter(t); i < r.n; i++) if (r.applies(i, walk ? R_WALK : R_LEAF, usesNow)) n++;
    return n;
  }

  /** May `cpu` still hold walk-cache entries into a table mapping [base, base+span) unlinked at `t`? */
  walkMayBeCached(cpu: number, mm: Mm, base: number, span: number, t: number, loadedNow: boolean): boolean {
    const s = this.states(mm)?.[cpu];
    if (!s || s.walkSince > t) return false;
    if (!loadedNow && s.deferredWalk > t) return false;
    const r = s.ranges;
    // any walk invalidation inside the region removes the entries that point at the table
    for (let i = r.firstAfter(t); i < r.n; i++) if (r.applies(i, R_WALK, loadedNow) && r.covers(i, base, span)) return false;
    return true;
  }
}
