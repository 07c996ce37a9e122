/**
 * What the simulated page tables do not hold about large folios: the head of every tail page of
 * an mTHP or split THP (folio_page -> folio), and each PMD-mapped THP's deposited PTE table
 * (pgtable_trans_huge_deposit), taken back when the THP is split or zapped.
 */
import type { PageTable } from './page-table.js';

export class LargeFolios {
  /** tail frame -> head frame */
  readonly tailHead = new Map<number, number>();
  /** THP head frame -> its deposited PTE table */
  readonly deposits = new Map<number, PageTable>();
}
