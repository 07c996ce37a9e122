/**
 * Deterministic failure injection for the gather's GFP_NOWAIT batch-page allocations
 * (tlb_next_batch's __get_free_page, tlb_remove_table's batch page).
 */

/** Which batch-page allocations fail: none, all, or the listed attempts (counted from 0). */
export interface AllocFailures {
  /** fail every page-batch allocation (tlb_next_batch) */
  pageBatch?: 'never' | 'always' | number[];
  /** fail every table-batch allocation (tlb_remove_table) */
  tableBatch?: 'never' | 'always' | number[];
}

/** Counts the attempts of each kind and says which one fails. */
export class BatchAllocFaults {
  private page = 0;
  private table = 0;
  constructor(readonly rules: AllocFailures) {}

  /** Does this allocation attempt of `kind` fail? */
  fails(kind: 'page' | 'table'): boolean {
    const n = kind === 'page' ? this.page++ : this.table++;
    const rule = kind === 'page' ? this.rules.pageBatch : this.rules.tableBatch;
    return rule === 'always' || (Array.isArray(rule) && rule.includes(n));
  }
}
