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

interface RangeRec {
  start: number;
  end: number;
  stride: number;
  leaf: boolean;
  walk: boolean;
  deferred: boolean;
  epoch: number;
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
  ranges: RangeRec[] = [];
}

/** index of the first record with epoch > t (records are appended in epoch order) */
function firstAfter(rs: readonly RangeRec[], t: number): number {
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid].epoch <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function covers(r: RangeRec, addr: number, size: number): boolean {
  if (addr + size <= r.start || addr >= r.end) return false;
  if (r.stride <= size) return true;
  // some operation address start + k*stride lands inside [addr, addr+size)?
  const first = addr <= r.start ? r.start : r.start + Math.ceil((addr - r.start) / r.stride) * r.stride;
  return first < addr + size && first < r.end;
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
  private readonly perCpu: Map<Mm, CpuMmTlb>[];
  /** `clock`: simulated time (ns), recorded with each `*Since` so a finding can say since when */
  constructor(readonly nCpus: number, private readonly clock: () => number = () => 0) {
    this.perCpu = Array.from({ length: nCpus }, () => new Map());
  }

  state(cpu: number, mm: Mm): CpuMmTlb | undefined {
    return this.perCpu[cpu].get(mm);
  }
  private ensure(cpu: number, mm: Mm): CpuMmTlb {
    let s = this.perCpu[cpu].get(mm);
    if (!s) {
      s = new CpuMmTlb();
      this.perCpu[cpu].set(mm, s);
    }
    return s;
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
    const s = this.perCpu[cpu].get(mm);
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
      if (inv.leaf && inv.walk) s.ranges = s.ranges.filter((r) => r.deferred);
      return;
    }
    s.ranges.push({ ...inv, deferred, epoch: e });
  }

  /**
   * The CPU starts running `mm` again. A full invalidation it was recorded as owing (deferred)
   * must have been executed by now; returns false when it was not (the promise was broken).
   * Either way the promise is used up.
   */
  settleDeferred(cpu: number, mm: Mm): boolean {
    const s = this.perCpu[cpu].get(mm);
    if (!s) return true;
    const owed = s.deferredLeaf > s.leafFlushed && s.leafSince <= s.deferredLeaf;
    s.deferredLeaf = -1;
    s.deferredWalk = -1;
    if (s.ranges.some((r) => r.deferred)) s.ranges = s.ranges.filter((r) => !r.deferred);
    return !owed;
  }

  /** The mm has nothing outstanding: forget range records (they can cover nothing newer). */
  prune(mm: Mm): void {
    for (const m of this.perCpu) {
      const s = m.get(mm);
      if (s && s.ranges.length) s.ranges = [];
    }
  }

  forget(mm: Mm): void {
    for (const m of this.perCpu) m.delete(mm);
  }

  /**
   * May `cpu` still hold a leaf translation of size `size` at `addr`, cleared at epoch `t`?
   * `usesNow`: the CPU runs the mm's user code (a deferred invalidation does not protect it).
   */
  leafMayBeCached(cpu: number, mm: Mm, addr: number, size: number, t: number, usesNow: boolean): boolean {
    const s = this.perCpu[cpu].get(mm);
    if (!s || s.leafSince > t) return false;
    if (!usesNow && s.deferredLeaf > t) return false;
    for (let i = firstAfter(s.ranges, t); i < s.ranges.length; i++) {
      const r = s.ranges[i];
      if (r.leaf && (!r.deferred || !usesNow) && covers(r, addr, size)) return false;
    }
    return true;
  }

  /**
   * Second fast path: does one leaf invalidation newer than `t` cover all of [lo, hi) at a stride
   * no larger than the smallest mapping in it (so every translation in the batch is removed)?
   */
  leafRangeCovers(cpu: number, mm: Mm, lo: number, hi: number, minSize: number, t: number, usesNow: boolean): boolean {
    const s = this.perCpu[cpu].get(mm);
    if (!s) return true;
    for (let i = firstAfter(s.ranges, t); i < s.ranges.length; i++) {
      const r = s.ranges[i];
      if (r.leaf && (!r.deferred || !usesNow) && r.stride <= minSize && r.start <= lo && r.end >= hi) return true;
    }
    return false;
  }

  /** Fast path: is this CPU safe for every leaf cleared at or before epoch `t`? */
  leafClearAfter(cpu: number, mm: Mm, t: number, usesNow: boolean): boolean {
    const s = this.perCpu[cpu].get(mm);
    return !s || s.leafSince > t || (!usesNow && s.deferredLeaf > t);
  }

  /**
   * For findings: how many range invalidations reached `cpu` for `mm` after epoch `t` (leaf ones
   * when `walk` is false, walk-cache ones otherwise), none of which covered the stale entry.
   */
  invalidationsAfter(cpu: number, mm: Mm, t: number, usesNow: boolean, walk = false): number {
    const s = this.perCpu[cpu].get(mm);
    if (!s) return 0;
    let n = 0;
    for (let i = firstAfter(s.ranges, t); i < s.ranges.length; i++) {
      const r = s.ranges[i];
      if ((walk ? r.walk : r.leaf) && (!r.deferred || !usesNow)) n++;
    }
    return n;
  }

  /** May `cpu` still hold walk-cache entries into a table mapping [base, base+span) unlinked at `t`? */
  walkMayBeCached(cpu: number, mm: Mm, base: number, span: number, t: number, loadedNow: boolean): boolean {
    const s = this.perCpu[cpu].get(mm);
    if (!s || s.walkSince > t) return false;
    if (!loadedNow && s.deferredWalk > t) return false;
    for (let i = firstAfter(s.ranges, t); i < s.ranges.length; i++) {
      const r = s.ranges[i];
      // any walk invalidation inside the region removes the entries that point at the table
      if (r.walk && (!r.deferred || !loadedNow) && covers(r, base, span)) return false;
    }
    return true;
  }
}
