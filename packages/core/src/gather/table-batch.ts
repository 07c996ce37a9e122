import type { PageTable } from '../machine/page-table.js';

/**
 * `struct mmu_table_batch` (MMU_GATHER_TABLE_FREE): one page of table pointers, with an rcu_head
 * in front under RCU_TABLE_FREE.
 *   RCU:     header = rcu_head (16) + nr (4) + pad (4) = 24 bytes -> 509 entries at 4 KiB
 *   non-RCU: header = nr (4) + pad (4) = 8 bytes              -> 511 entries at 4 KiB
 */
export function maxTableBatch(pageShift: number, rcu: boolean): number {
  return (2 ** pageShift - (rcu ? 24 : 8)) / 8;
}

export class TableBatch {
  readonly tables: PageTable[] = [];
  constructor(readonly page: number) {}
  get nr(): number {
    return this.tables.length;
  }
}
