/**
 * Known kernel bugs the Machine can re-create, so the checker can be shown to find them. Every
 * bug acts through {@link BugInjection}: the code that models a kernel step asks it once, and the
 * buggy variant of the step lives here.
 */
import type { PageTable } from './page-table.js';

/** Which bugs to re-create (MachineOptions.bugs). */
export interface BugOptions {
  /** tlb_flush_mmu frees the batched pages before the TLB flush */
  freePagesBeforeFlush?: boolean;
  /** table batches are freed at once, with neither a TLB flush nor an RCU grace period */
  freeTablesWithoutFlush?: boolean;
  /** change_pte_range records no TLB flush for reduced permissions */
  skipMprotectFlush?: boolean;
}

/** The steps of tlb_flush_mmu, for a bug that reorders them. */
export interface FlushMmuSteps {
  /** tlb_flush_mmu_tlbonly */
  flush(): void;
  /** tlb_batch_pages_flush */
  freePages(): void;
  /** tlb_table_flush */
  freeTables(): void;
  /** pages the batches would free that no flush has covered yet (what the bug frees too early) */
  pagesUnflushed(): number;
}

/** Told each time a bug acts, with how many pages or tables it affected (the checker counts them). */
export type BugActed = (bug: keyof BugOptions, n?: number) => void;

/** The kernel steps a bug can change; the kernel's own behaviour when no bug is selected. */
export interface BugInjection {
  readonly options: Readonly<BugOptions>;
  /**
   * tlb_flush_mmu: true when a bug ran the steps in its own order (the caller then does nothing);
   * the steps are made only then (`steps` is called at most once)
   */
  flushMmu(steps: () => FlushMmuSteps): boolean;
  /** tlb_remove_table: true when a bug freed the table itself (no flush, no grace period) */
  removeTable(t: PageTable, free: (t: PageTable) => void): boolean;
  /**
   * change_pte_range / change_huge_pmd, for an entry change that needs a flush: does the change
   * record its TLB flush in the gather? (`reduced`: the change takes a permission away)
   */
  mprotectRecordsFlush(reduced: boolean): boolean;
}

export function bugInjection(o: BugOptions = {}, acted: BugActed = () => {}): BugInjection {
  return {
    options: o,
    flushMmu(make) {
      if (!o.freePagesBeforeFlush) return false;
      const steps = make();
      acted('freePagesBeforeFlush', steps.pagesUnflushed());
      steps.freePages();
      steps.flush();
      steps.freeTables();
      return true;
    },
    removeTable(t, free) {
      if (!o.freeTablesWithoutFlush) return false;
      acted('freeTablesWithoutFlush');
      free(t);
      return true;
    },
    mprotectRecordsFlush(reduced) {
      if (!o.skipMprotectFlush) return true;
      if (reduced) acted('skipMprotectFlush');
      return false;
    },
  };
}
