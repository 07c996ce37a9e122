import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { tableSpan } from '../arch/geometry.js';
import type { Violation } from '../metrics/metrics.js';

const hex = (n: number) => '0x' + n.toString(16);

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
 * whether any CPU may still hold what was removed.
 */
export class Checker {
  constructor(private readonly m: Machine, public enabled: boolean) {}

  private report(v: Omit<Violation, 'op' | 'events'>): void {
    this.m.metrics.violations.push({ ...v, op: this.m.opName, events: this.m.recentEvents() });
    if (this.m.tracing) this.m.trace({ cpu: v.cpu, name: 'violation', cat: 'check', args: { hazard: v.hazard, address: hex(v.address), what: v.what } });
  }

  /** H1 for a batch of freed pages: addr[i], sizeShift[i], epoch[i] for i in idx. */
  pagesFreed(mm: Mm, idx: ArrayLike<number>, count: number, addr: Float64Array, sizeShift: Uint8Array, epoch: Float64Array): void {
    if (!this.enabled || count === 0) return;
    let maxEpoch = -1;
    let lo = Infinity;
    let hi = -Infinity;
    let minShift = 64;
    for (let k = 0; k < count; k++) {
      const i = idx[k];
      if (epoch[i] > maxEpoch) maxEpoch = epoch[i];
      if (addr[i] < lo) lo = addr[i];
      const e = addr[i] + 2 ** sizeShift[i];
      if (e > hi) hi = e;
      if (sizeShift[i] < minShift) minShift = sizeShift[i];
    }
    const tlb = this.m.tlb;
    for (const cpu of this.m.cpus) {
      const usesNow = cpu.loadedMm === mm && !cpu.lazy;
      if (!usesNow && mm.users === 0) continue; // nobody can run this mm's user code again
      if (tlb.leafClearAfter(cpu.id, mm, maxEpoch, usesNow)) continue;
      if (tlb.leafRangeCovers(cpu.id, mm, lo, hi, 2 ** minShift, maxEpoch, usesNow)) continue;
      for (let k = 0; k < count; k++) {
        const i = idx[k];
        const size = 2 ** sizeShift[i];
        if (tlb.leafMayBeCached(cpu.id, mm, addr[i], size, epoch[i], usesNow)) {
          this.report({ hazard: 'H1', cpu: cpu.id, address: addr[i], what: `page at ${hex(addr[i])} freed while CPU${cpu.id} may still hold its translation (no invalidation since its PTE was cleared)` });
          break; // one finding per CPU per batch is enough to explain it
        }
      }
    }
  }

  /** H1 for one page freed outside a gather (COW break, reclaim). */
  pageFreed(mm: Mm, addr: number, sizeShift: number, epoch: number): void {
    if (!this.enabled) return;
    this.pagesFreed(mm, [0], 1, Float64Array.of(addr), Uint8Array.of(sizeShift), Float64Array.of(epoch));
  }

  /** H2 at the free (or reuse) of a page-table page. */
  tableFreedOrReused(t: PageTable, how: 'freed' | 'reused'): void {
    if (!this.enabled) return;
    const mm = t.owner;
    const span = tableSpan(this.m.geometry, t.level);
    if (how === 'freed' && t.unlinkEpoch < 0 && t.level !== 4) {
      // freed while its parent entry still points at it: any walker can step into the freed page
      this.report({ hazard: 'H2', cpu: this.m.curCpu, address: t.base, what: `page table (level ${this.m.geometry.levels[t.level].name}) for ${hex(t.base)} freed while still linked into the page tables` });
      return;
    }
    for (const cpu of this.m.cpus) {
      // (b) a software walker (GUP-fast, IRQs off) still inside this table
      if (cpu.walker && cpu.walker.tables.includes(t.frame)) {
        this.report({ hazard: 'H2', cpu: cpu.id, address: t.base, what: `page table (level ${this.m.geometry.levels[t.level].name}) at ${hex(t.base)} ${how} while a GUP-fast walker on CPU${cpu.id} is inside it` });
        continue;
      }
      // (a) paging-structure caches, on MMUs that walk the Linux page tables
      if (t.unlinkEpoch < 0 || this.m.arch.walksPageTables === false) continue;
      const loadedNow = cpu.loadedMm === mm;
      if (!loadedNow && mm.users === 0 && how === 'freed') continue;
      if (this.m.tlb.walkMayBeCached(cpu.id, mm, t.base, span, t.unlinkEpoch, loadedNow)) {
        this.report({ hazard: 'H2', cpu: cpu.id, address: t.base, what: `page table (level ${this.m.geometry.levels[t.level].name}) for ${hex(t.base)} ${how} while CPU${cpu.id} may still cache walk entries pointing into it` });
      }
    }
  }

  /** H3: when an mprotect/fork write-protect returns, no CPU may hold the old permission. */
  permissionReduced(mm: Mm, ranges: readonly { start: number; end: number; epoch: number; shift?: number }[]): void {
    if (!this.enabled) return;
    const ps = 2 ** this.m.geometry.pageShift;
    let maxEpoch = -1;
    for (const r of ranges) if (r.epoch > maxEpoch) maxEpoch = r.epoch;
    for (const cpu of this.m.cpus) {
      const usesNow = cpu.loadedMm === mm && !cpu.lazy;
      if (!usesNow && mm.users === 0) continue;
      if (this.m.tlb.leafClearAfter(cpu.id, mm, maxEpoch, usesNow)) continue;
      outer: for (const r of ranges) {
        const size = r.shift ? 2 ** r.shift : ps;
        for (let a = r.start; a < r.end; a += size) {
          if (this.m.tlb.leafMayBeCached(cpu.id, mm, a, size, r.epoch, usesNow)) {
            this.report({ hazard: 'H3', cpu: cpu.id, address: a, what: `CPU${cpu.id} may still hold a translation of ${hex(a)} with more permission than its PTE grants` });
            break outer;
          }
        }
      }
    }
  }

  /**
   * H1: a CPU returned to an mm without the full flush the arch had deferred for it (the
   * invalidation that let earlier frees pass); it may use stale translations now.
   */
  brokenDeferral(cpu: number, mm: Mm): void {
    if (!this.enabled) return;
    this.report({ hazard: 'H1', cpu, address: 0, what: `CPU${cpu} runs ${mm.name} again without the TLB flush that was deferred until its return (stale translations of freed pages may be used)` });
  }

  /** H4: what the kernel would VM_WARN_ON. */
  warn(cpu: number, address: number, what: string): void {
    if (!this.enabled) return;
    this.report({ hazard: 'H4', cpu, address, what });
  }
}
