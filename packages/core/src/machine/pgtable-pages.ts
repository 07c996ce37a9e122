/**
 * The page-table pages of every mm (pagetable_alloc / pagetable_free and the index of an address
 * in a table), keyed by the frame each table lives in.
 */
import type { Geometry } from '../arch/geometry.js';
import { FrameKind } from './frames.js';
import type { Machine } from './machine.js';
import type { Mm } from './mm.js';
import { PageTable, TableState } from './page-table.js';

/** The index of `addr` in a table of each level, with 2^shift and entries precomputed per level. */
export class TableIndex {
  private readonly div: number[] = [];
  private readonly entries: number[] = [];
  constructor(geometry: Geometry) {
    for (const l of geometry.levels) {
      this.div.push(2 ** l.shift);
      this.entries.push(l.entries);
    }
  }
  index(t: PageTable, addr: number): number {
    return Math.floor(addr / this.div[t.level]) % this.entries[t.level];
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

/** Free a page-table page now (after whatever flush / grace period protects it). */
export function freeTable(m: Machine, t: PageTable): void {
  m.checker.tableFreedOrReused(t, 'freed');
  t.state = TableState.Freed;
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
