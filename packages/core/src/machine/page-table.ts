import type { Mm } from './mm.js';

export const TableState = {
  Linked: 0,
  /** the parent entry was cleared; the table may still be cached in walk caches */
  Unlinked: 1,
  /** handed to the gather's table batch or to RCU */
  Queued: 2,
  Freed: 3,
} as const;
export type TableState = (typeof TableState)[keyof typeof TableState];

/**
 * A page-table page: a real simulated frame with its entries in an Int32Array (see pte.ts).
 * `share` is hugetlb's pt_share_count: the number of *other* mms sharing this PMD table.
 */
export class PageTable {
  readonly entries: Int32Array;
  /** number of non-zero entries */
  present = 0;
  share = 0;
  state: TableState = TableState.Linked;
  /** epoch at which the table was unlinked (for the walk-cache check) */
  unlinkEpoch = -1;
  /**
   * Above the PTE level: the table each entry was last found to point at (see childTable), a
   * hint checked on use, so that a walk reads a slot instead of looking the frame up.
   */
  kids: (PageTable | undefined)[] | null = null;
  /** the lowest and highest slot of `kids` ever set: what releaseKids empties */
  kidsLo = 0;
  kidsHi = 0;
  /** epoch at which the table was last repurposed (hugetlb: became exclusive again) */
  constructor(
    readonly frame: number,
    /** 0 = pte table, 1 = pmd table, ... */
    readonly level: number,
    /** lowest VA this table maps */
    public base: number,
    /** the mm whose tree first linked it */
    public owner: Mm,
    nEntries: number,
    /** an array of nEntries zeroes to use (a freed table's, zeroed again) instead of a new one */
    entries?: Int32Array,
  ) {
    this.entries = entries ?? new Int32Array(nEntries);
  }
}
