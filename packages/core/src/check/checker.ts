import type { BugOptions, Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import type { MmuGather } from '../gather/mmu-gather.js';
import type { SlotBounds } from '../gather/page-batch.js';
import type { Violation } from '../metrics/metrics.js';

const hex = (n: number) => (n === Infinity ? '~0' : '0x' + n.toString(16));

export type Hazard = Violation['hazard'];
export const HAZARDS: readonly Hazard[] = ['H1', 'H2', 'H3', 'H4'];
/** A re-created bug, by its BugOptions key. */
export type BugKey = keyof BugOptions;

/** What one check of each hazard class is (singular, plural), what a run without any lacked, and the unit of what a finding affects. */
export const HAZARD_CHECKS: Record<Hazard, { checked: readonly [string, string]; none: string; unit: readonly [string, string] }> = {
  H1: { checked: ['page free', 'page frees'], none: 'no page freed', unit: ['page', 'pages'] },
  H2: { checked: ['page-table free or reuse', 'page-table frees or reuses'], none: 'no page table freed', unit: ['page table', 'page tables'] },
  H3: { checked: ['permission reduction', 'permission reductions'], none: 'no permission of a present entry reduced', unit: ['page', 'pages'] },
  H4: { checked: ['kernel warning condition', 'kernel warning conditions'], none: 'no kernel warning condition evaluated', unit: ['warning', 'warnings'] },
};

/** What one action of each re-created bug is, in words. */
export const BUG_ACTS: Record<BugKey, string> = {
  freePagesBeforeFlush: 'pages freed before the TLB flush that covers them',
  freeTablesWithoutFlush: 'page tables freed with neither a TLB flush nor a grace period',
  skipMprotectFlush: 'flushes of a reduced permission skipped',
};

/** How often one hazard class was checked, found and how many items its findings stand for. */
export interface HazardExercise {
  checks: number;
  findings: number;
  /** distinct pages (H1, H3), tables (H2) or warnings (H4) the findings stand for */
  affected: number;
}

/** What a run exercised: every hazard class, and every bug it re-created (how often it acted). */
export interface Exercise {
  hazards: Record<Hazard, HazardExercise>;
  bugs: Partial<Record<BugKey, number>>;
}

/**
 * When an entry stopped granting what it mapped (cleared, write-protected, invalidated): the TLB
 * epoch the checker compares invalidations with. Made by the entry-changing helpers of
 * mm/pgtable.ts (and the PTE-lock stamp of a zap pass), so an mm operation cannot forget it.
 */
export type ClearStamp = number & { readonly __clearStamp: true };

/** The stamp of an entry change happening now (for the entry-changing helpers). */
export function stampNow(m: { readonly tlb: { readonly epoch: number } }): ClearStamp {
  return m.tlb.epoch as ClearStamp;
}

/**
 * The hazard checker of core SPEC.md §2. It is called at the moments that matter (a page or table
 * returned to the allocator, a table repurposed, an mprotect returning) and asks the TLB model
 * whether any CPU may still hold what was removed. It also counts what it checked and how often
 * each re-created bug acted, so a run that exercised nothing can say so.
 */
export class Checker {
  /** checks run per hazard class (plain counters: the hot paths only do `x.H1 += n`) */
  readonly checks = { H1: 0, H2: 0, H3: 0, H4: 0 };
  /** distinct items the findings of each class stand for */
  private readonly affected = { H1: 0, H2: 0, H3: 0, H4: 0 };
  /** how many times each re-created bug acted */
  readonly bugHits: Record<BugKey, number> = { freePagesBeforeFlush: 0, freeTablesWithoutFlush: 0, skipMprotectFlush: 0 };
  /** index of the scenario op in progress (-1: none), set by the scenario runner */
  opIndex = -1;

  constructor(private readonly m: Machine, public enabled: boolean) {}

  /** A re-created bug acted `n` times (called where the bug is injected). */
  bugActed(bug: BugKey, n = 1): void {
    this.bugHits[bug] += n;
  }

  /** What this run exercised (hazards always; bugs only those the machine re-creates). */
  exercised(): Exercise {
    const found = { H1: 0, H2: 0, H3: 0, H4: 0 };
    for (const v of this.m.metrics.violations) found[v.hazard]++;
    const hazards = {} as Record<Hazard, HazardExercise>;
    for (const h of HAZARDS) hazards[h] = { checks: this.checks[h], findings: found[h], affected: this.affected[h] };
    const bugs: Partial<Record<BugKey, number>> = {};
    for (const b of Object.keys(this.bugHits) as BugKey[]) if (this.m.bugs.options[b]) bugs[b] = this.bugHits[b];
    return { hazards, bugs };
  }

  /** Why a re-created bug never acted in this run, in words. */
  notExercisedWhy(bug: BugKey): string {
    const mt = this.m.metrics;
    if (bug === 'freePagesBeforeFlush') return mt.pagesFreed ? 'every page the gather freed was already covered by an earlier TLB flush of the gather, at tlb_end_vma or when a batch filled' : 'no page was freed';
    if (bug === 'freeTablesWithoutFlush') return mt.tablesFreed ? 'no page table was freed through tlb_remove_table' : 'no page table was freed';
    return 'no permission of a present entry was reduced';
  }

  /**
   * Record a finding (with the op in progress and the recent events). Also for hazard checks that
   * live with their model (hugetlb's check of a reused PMD table); `affected` > 0 adds to the
   * class's count of distinct items affected.
   */
  report(v: Omit<Violation, 'op' | 'events' | 'opIndex'>, affected = 0): void {
    const m = this.m;
    this.affected[v.hazard] += affected;
    m.metrics.violations.push({ ...v, op: m.opName, ...(this.opIndex >= 0 ? { opIndex: this.opIndex } : {}), events: m.recentEvents() });
    if (m.tracing) m.trace({ cpu: v.cpu, name: 'violation', cat: 'check', args: { hazard: v.hazard, address: hex(v.address), what: v.what } });
  }

  /** The cached leaf translation of `addr` on `cpu`, for a finding. */
  private cachedLeaf(cpu: number, mm: Mm, addr: number) {
    return { cpu, address: addr, sinceNs: this.m.tlb.state(cpu, mm)?.leafSinceNs ?? 0 };
  }

  /** The flush that should have removed a leaf cleared at epoch `t`, for a finding. */
  private leafFlush(cpu: number, mm: Mm, addr: number, t: number, usesNow: boolean, what: string, g?: MmuGather): string {
    if (g && g.anyBits()) {
      const range = g.fullmm ? 'the whole mm' : `[${hex(g.start)}, ${hex(g.end)})`;
      return `freed before the gather's TLB flush: tlb_flush of ${range} had not run yet`;
    }
    const n = this.m.tlb.invalidationsAfter(cpu, mm, t, usesNow);
    if (!n) return `no TLB invalidation of ${mm.name} reached CPU${cpu} since ${what}`;
    return `${n} range invalidation${n > 1 ? 's' : ''} of ${mm.name} reached CPU${cpu} since ${what}, none covering ${hex(addr)}`;
  }

  /** exact bounds of the slots being freed (scratch of {@link pagesFreed}, no object per batch) */
  private readonly exact: SlotBounds = { lo: Infinity, hi: -Infinity, maxEpoch: -1, minShift: 64 };

  /** the exact bounds of addr/sizeShift/epoch over the slots idx[0, count), into `exact` */
  private boundsOf(idx: ArrayLike<number>, count: number, addr: Float64Array, sizeShift: Uint8Array, epoch: Float64Array): SlotBounds {
    let maxEpoch = -1;
    let lo = Infinity;
    let hi = -Infinity;
    let minShift = 64;
    // a batch holds pages of one or two sizes: 2^shift is recomputed only when the shift changes
    let shift = -1;
    let size = 0;
    for (let k = 0; k < count; k++) {
      const i = idx[k];
      const t = epoch[i];
      if (t > maxEpoch) maxEpoch = t;
      const a = addr[i];
      if (a < lo) lo = a;
      const sh = sizeShift[i];
      if (sh !== shift) {
        shift = sh;
        size = 2 ** sh;
        if (sh < minShift) minShift = sh;
      }
      if (a + size > hi) hi = a + size;
    }
    const e = this.exact;
    e.lo = lo;
    e.hi = hi;
    e.maxEpoch = maxEpoch;
    e.minShift = minShift;
    return e;
  }

  /**
   * H1 for a batch of freed pages: addr[i], sizeShift[i], epoch[i] for i in idx. `g`: the gather
   * freeing them, if any (a finding then names its pending flush). `kept`: bounds the batch kept
   * as its slots were queued, a superset of the freed slots' own: when the TLB model clears that
   * wider batch, it clears these pages; when it does not, the exact bounds are asked next, then
   * each page, so the answer is the same either way.
   */
  pagesFreed(mm: Mm, idx: ArrayLike<number>, count: number, addr: Float64Array, sizeShift: Uint8Array, epoch: Float64Array, g?: MmuGather, kept?: SlotBounds): void {
    if (!this.enabled || count === 0) return;
    this.checks.H1 += count;
    let exact = kept === undefined;
    let bd = kept ?? this.boundsOf(idx, count, addr, sizeShift, epoch);
    let lo = bd.lo;
    let hi = bd.hi;
    let maxEpoch = bd.maxEpoch;
    let minSize = 2 ** bd.minShift;
    const tlb = this.m.tlb;
    let stale: Uint8Array | null = null;
    for (const cpu of this.m.cpus) {
      const usesNow = cpu.loadedMm === mm && !cpu.lazy;
      if (!usesNow && mm.users === 0) continue; // nobody can run this mm's user code again
      if (tlb.batchCleared(cpu.id, mm, lo, hi, minSize, maxEpoch, usesNow)) continue;
      if (!exact) {
        exact = true;
        bd = this.boundsOf(idx, count, addr, sizeShift, epoch);
        lo = bd.lo;
        hi = bd.hi;
        maxEpoch = bd.maxEpoch;
        minSize = 2 ** bd.minShift;
        if (tlb.batchCleared(cpu.id, mm, lo, hi, minSize, maxEpoch, usesNow)) continue;
      }
      let first = -1;
      let n = 0;
      for (let k = 0; k < count; k++) {
        const i = idx[k];
        if (!tlb.leafMayBeCached(cpu.id, mm, addr[i], 2 ** sizeShift[i], epoch[i], usesNow)) continue;
        if (first < 0) first = i;
        n++;
        (stale ??= new Uint8Array(count))[k] = 1;
      }
      if (first < 0) continue;
      // one finding per CPU per batch explains it; the others of the batch are folded into it
      const a = addr[first];
      this.report({
        hazard: 'H1', cpu: cpu.id, address: a, affected: n,
        what: `page at ${hex(a)} freed while CPU${cpu.id} may still hold its translation (no invalidation since its PTE was cleared)`,
        flush: this.leafFlush(cpu.id, mm, a, epoch[first], usesNow, 'its PTE was cleared', g),
        cached: this.cachedLeaf(cpu.id, mm, a),
      });
    }
    if (stale) for (let k = 0; k < count; k++) this.affected.H1 += stale[k];
  }

  /** H1 for one page freed outside a gather (COW break, reclaim) or by a no-gather arch. */
  pageFreed(mm: Mm, addr: number, sizeShift: number, epoch: number, g?: MmuGather): void {
    if (!this.enabled) return;
    this.pagesFreed(mm, [0], 1, Float64Array.of(addr), Uint8Array.of(sizeShift), Float64Array.of(epoch), g);
  }

  /** H2 at the free (or reuse) of a page-table page. */
  tableFreedOrReused(t: PageTable, how: 'freed' | 'reused'): void {
    if (!this.enabled) return;
    this.checks.H2++;
    const mm = t.owner;
    const span = this.m.tableSpans[t.level];
    const level = this.m.geometry.levels[t.level].name;
    if (how === 'freed' && t.unlinkEpoch < 0 && t.level !== 4) {
      // freed while its parent entry still points at it: any walker can step into the freed page
      this.affected.H2++;
      this.report({ hazard: 'H2', cpu: this.m.curCpu, address: t.base, affected: 1, what: `page table (level ${level}) for ${hex(t.base)} freed while still linked into the page tables`, flush: 'freed before it was unlinked: no flush can cover it' });
      return;
    }
    let found = false;
    for (const cpu of this.m.cpus) {
      // (b) a software walker (GUP-fast, IRQs off) still inside this table
      if (cpu.walker && cpu.walker.tables.includes(t.frame)) {
        found = true;
        this.report({
          hazard: 'H2', cpu: cpu.id, address: t.base, affected: 1,
          what: `page table (level ${level}) at ${hex(t.base)} ${how} while a GUP-fast walker on CPU${cpu.id} is inside it`,
          flush: `no IPI or RCU grace period waited for the walker on CPU${cpu.id} (IRQs off) before the table was ${how}`,
        });
        continue;
      }
      // (a) paging-structure caches, on MMUs that walk the Linux page tables
      if (t.unlinkEpoch < 0 || this.m.arch.walksPageTables === false) continue;
      const loadedNow = cpu.loadedMm === mm;
      if (!loadedNow && mm.users === 0 && how === 'freed') continue;
      if (this.m.tlb.walkMayBeCached(cpu.id, mm, t.base, span, t.unlinkEpoch, loadedNow)) {
        found = true;
        const n = this.m.tlb.invalidationsAfter(cpu.id, mm, t.unlinkEpoch, loadedNow, true);
        this.report({
          hazard: 'H2', cpu: cpu.id, address: t.base, affected: 1,
          what: `page table (level ${level}) for ${hex(t.base)} ${how} while CPU${cpu.id} may still cache walk entries pointing into it`,
          flush: n
            ? `${n} walk-cache invalidation${n > 1 ? 's' : ''} of ${mm.name} reached CPU${cpu.id} since the table was unlinked, none covering ${hex(t.base)}`
            : `no walk-cache invalidation of ${mm.name} reached CPU${cpu.id} since the table was unlinked`,
          cached: { cpu: cpu.id, address: t.base, sinceNs: this.m.tlb.state(cpu.id, mm)?.walkSinceNs ?? 0 },
        });
      }
    }
    if (found) this.affected.H2++;
  }

  /** H3: when an mprotect/fork write-protect returns, no CPU may hold the old permission. */
  permissionReduced(mm: Mm, ranges: readonly { start: number; end: number; epoch: number; shift?: number }[]): void {
    if (!this.enabled) return;
    const ps = 2 ** this.m.geometry.pageShift;
    let maxEpoch = -1;
    for (const r of ranges) {
      if (r.epoch > maxEpoch) maxEpoch = r.epoch;
      this.checks.H3 += (r.end - r.start) / (r.shift ? 2 ** r.shift : ps);
    }
    let stale: Set<number> | null = null;
    for (const cpu of this.m.cpus) {
      const usesNow = cpu.loadedMm === mm && !cpu.lazy;
      if (!usesNow && mm.users === 0) continue;
      if (this.m.tlb.leafClearAfter(cpu.id, mm, maxEpoch, usesNow)) continue;
      let first = -1;
      let firstEpoch = 0;
      let n = 0;
      for (const r of ranges) {
        const size = r.shift ? 2 ** r.shift : ps;
        for (let a = r.start; a < r.end; a += size) {
          if (!this.m.tlb.leafMayBeCached(cpu.id, mm, a, size, r.epoch, usesNow)) continue;
          if (first < 0) {
            first = a;
            firstEpoch = r.epoch;
          }
          n++;
          (stale ??= new Set()).add(a);
        }
      }
      if (first < 0) continue;
      // one finding per CPU per mprotect/fork; the other stale entries are folded into it
      this.report({
        hazard: 'H3', cpu: cpu.id, address: first, affected: n,
        what: `CPU${cpu.id} may still hold a translation of ${hex(first)} with more permission than its PTE grants`,
        flush: this.leafFlush(cpu.id, mm, first, firstEpoch, usesNow, 'the permission was reduced'),
        cached: this.cachedLeaf(cpu.id, mm, first),
      });
    }
    if (stale) this.affected.H3 += stale.size;
  }

  /**
   * H1: a CPU returned to an mm without the full flush the arch had deferred for it (the
   * invalidation that let earlier frees pass); it may use stale translations now.
   */
  brokenDeferral(cpu: number, mm: Mm): void {
    if (!this.enabled) return;
    this.report({
      hazard: 'H1', cpu, address: 0,
      what: `CPU${cpu} runs ${mm.name} again without the TLB flush that was deferred until its return (stale translations of freed pages may be used)`,
      flush: `the full flush of ${mm.name} deferred until CPU${cpu} returned to it was not performed`,
      cached: this.cachedLeaf(cpu, mm, 0),
    });
  }

  /** H4: what the kernel would VM_WARN_ON (a condition found true). */
  warn(cpu: number, address: number, what: string): void {
    this.warnIf(true, cpu, address, what);
  }

  /** H4: a VM_WARN_ON evaluated; `what` is built only when `cond` holds. */
  warnIf(cond: boolean, cpu: number, address: number, what: string | (() => string)): void {
    if (!this.enabled) return;
    this.checks.H4++;
    if (!cond) return;
    this.affected.H4++;
    this.report({ hazard: 'H4', cpu, address, what: typeof what === 'string' ? what : what(), affected: 1 });
  }
}
