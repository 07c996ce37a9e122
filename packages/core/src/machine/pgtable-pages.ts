/**
 * The page-table pages of every mm (pagetable_alloc / pagetable_free and the index of an address
 * in a table), keyed by the frame each table lives in.
 */
import type { Geometry } from '../arch/geometry.js';
import { FrameKind } from './frames.js';
import type { Machine } from './machine.js';
import type { Mm } from './mm.js';
import { PageTable, TableState } from './page-table.js';
import { PTE_FLAG_BITS } from './pte.js';

/**
 * The index of `addr` in a table of each level. Addresses exceed 32 bits, so this is float
 * arithmetic; with every size a power of two, multiplying by the reciprocal is exact, and it
 * avoids the float modulo (a call out of compiled code) on every step of every walk.
 */
export class TableIndex {
  private readonly inv: number[] = [];
  private readonly entries: number[] = [];
  private readonly invEntries: number[] = [];
  constructor(geometry: Geometry) {
    for (const l of geometry.levels) {
      if (!Number.isInteger(Math.log2(l.entries))) throw new RangeError(`level ${l.name}: ${l.entries} entries is not a power of two`);
      this.inv.push(2 ** -l.shift);
      this.entries.push(l.entries);
      this.invEntries.push(1 / l.entries);
    }
  }
  index(t: PageTable, addr: number): number {
    const l = t.level;
    const q = Math.floor(addr * this.inv[l]);
    return q - Math.floor(q * this.invEntries[l]) * this.entries[l];
  }
}

/**
 * The entry arrays of freed tables below the pgd, by length, for the next tables of any machine:
 * a table page's contents are garbage once it is freed, and making a typed array costs more than
 * zeroing one. Only a table nothing can read any more goes here (properly unlinked, shared by no
 * other mm, no GUP-fast walk holding a pointer into the tables); at most SPARE_TABLES of each
 * length are kept.
 */
const spareEntries = new Map<number, Int32Array[]>();
const SPARE_TABLES = 256;

/** Allocate a table of `level` mapping from `base` for `owner`. */
export function allocTable(m: Machine, level: number, base: number, owner: Mm): PageTable {
  const frame = m.frames.alloc(FrameKind.Table);
  const n = m.geometry.levels[level].entries;
  const spare = level < 4 ? spareEntries.get(n)?.pop() : undefined;
  if (spare) spare.fill(0);
  const t = new PageTable(frame, level, base, owner, n, spare);
  m.tables.set(frame, t);
  return t;
}

/**
 * The table that entry `i` of `t` (a table entry, `e`) points at: the hint kept in t.kids when
 * it is still that live table (its frame, not freed: live tables have distinct frames), else
 * the lookup by frame, which becomes the hint. Entries change in many places (clears, moves,
 * hugetlb sharing); a hint that no longer matches is simply not used.
 */
/**
 * The hint arrays of freed tables, by length, emptied, for the next tables (of any machine): a
 * long trace frees and makes upper tables all the time, and a new array of 512 slots for each
 * was a third of what a replay allocated. At most SPARE_KIDS of each length are kept.
 */
const spareKids = new Map<number, (PageTable | undefined)[][]>();
const SPARE_KIDS = 64;

function newKids(n: number): (PageTable | undefined)[] {
  return spareKids.get(n)?.pop() ?? new Array<PageTable | undefined>(n);
}

export function childTable(m: Machine, t: PageTable, i: number, e: number): PageTable {
  const f = e >>> PTE_FLAG_BITS;
  const kids = t.kids;
  if (kids !== null) {
    const c = kids[i];
    if (c !== undefined && c.frame === f && c.state !== TableState.Freed) return c;
  }
  const c = m.tables.get(f)!;
  if (kids === null) {
    t.kids = newKids(t.entries.length);
    t.kidsLo = t.kidsHi = i;
  } else if (i < t.kidsLo) t.kidsLo = i;
  else if (i > t.kidsHi) t.kidsHi = i;
  t.kids![i] = c;
  return c;
}

/**
 * A freed table's hint array goes back emptied (nothing else holds it): only the slots between
 * the lowest and highest ever set can hold a table (a pmd table usually points at a few PTE
 * tables of its 512 slots; powerpc's pgd has 8192).
 */
export function releaseKids(t: PageTable): void {
  const kids = t.kids;
  if (kids === null) return;
  t.kids = null;
  let l = spareKids.get(kids.length);
  if (!l) spareKids.set(kids.length, (l = []));
  if (l.length < SPARE_KIDS) l.push(kids.fill(undefined, t.kidsLo, t.kidsHi + 1));
}

/**
 * Clear entry `i` of upper table `t` (pmd_clear, pud_clear, a move's clear of the old slot) and
 * its hint: a hint left behind would keep the freed table and its entries alive.
 */
export function clearTableEntry(t: PageTable, i: number): void {
  t.entries[i] = 0;
  if (t.kids !== null) t.kids[i] = undefined;
}

/** Free a page-table page now (after whatever flush / grace period protects it). */
export function freeTable(m: Machine, t: PageTable): void {
  m.checker.tableFreedOrReused(t, 'freed');
  t.state = TableState.Freed;
  releaseKids(t);
  m.tables.delete(t.frame);
  m.frames.free(t.frame);
  if (t.unlinkEpoch >= 0) t.owner.outstanding--;
  m.metrics.tablesFreed++;
  m.cost(m.arch.cost.tableFree);
  if (t.level < 4 && t.unlinkEpoch >= 0 && t.share === 0 && m.gupWalkers === 0) {
    let l = spareEntries.get(t.entries.length);
    if (!l) spareEntries.set(t.entries.length, (l = []));
    if (l.length < SPARE_TABLES) l.push(t.entries);
  }
}

/** Mark a table unlinked from its parent (its walk-cache entries may linger). */
export function unlinkTable(m: Machine, t: PageTable): void {
  t.state = TableState.Unlinked;
  t.unlinkEpoch = m.tlb.epoch;
  t.owner.outstanding++;
}
