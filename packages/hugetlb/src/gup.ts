/**
 * GUP-fast as a software page-table walker with interrupts disabled (mm/gup.c gup_fast()).
 *
 * The walk reads the PUD entry once, keeps the PMD-table pointer it found, and later reads and
 * re-checks only the PMD entry: there is no PUD re-check (hugetlb SPEC.md §5.1). While the walker is
 * stalled its CPU has IRQs off, so only an IPI that the sender waits for (the
 * tlb_remove_table_sync_one broadcast, or an arch flush done by IPIs) forces it to finish first.
 */
import { PTE_LEAF, pteFrame, type Machine, type Mm, type PageTable } from '@tlbsim/core';

/** What the walk returned. */
export interface GupFastResult {
  /** a page was found and a reference taken */
  ok: boolean;
  /** the frame it grabbed (a huge folio head, or a base page) */
  frame: number;
  /**
   * the walk went through a PMD entry that pointed to a PTE table, i.e. it read a table that had
   * been repurposed after it loaded the PUD entry (the forbidden outcome of hugetlb SPEC.md §5.3)
   */
  throughReusedTable: boolean;
  /** the walk was forced to complete early by a waiting IPI */
  completedByIpi: boolean;
}

export interface GupFastWalk {
  readonly cpu: number;
  readonly mm: Mm;
  readonly addr: number;
  /** the deepest table the walk entered (for a 2 MiB hugetlb page: the PMD table) */
  readonly table: PageTable | null;
  /** re-enable IRQs: finish the walk and report what it got */
  end(): GupFastResult;
}

/**
 * Start a GUP-fast walk of `addr` in `mm` on `cpu` (IRQs off until {@link GupFastWalk.end}).
 * The entry the walk will read is captured now; if a waiting IPI ends the walk before `end()` is
 * called, the walk completed at that moment with what it had read.
 */
export function gupFastStart(m: Machine, cpu: number, mm: Mm, addr: number): GupFastWalk {
  const walker = m.gupFastBegin(cpu, mm, addr);
  const frames = walker.tables;
  const table = m.tables.get(frames[frames.length - 1]) ?? null;
  const index = table ? m.index(table, addr) : 0;
  const snapshot = table ? table.entries[index] : 0;
  const read = (e: number, t: PageTable | null): GupFastResult => {
    const r: GupFastResult = { ok: false, frame: 0, throughReusedTable: false, completedByIpi: false };
    if (!t || e === 0) return r;
    if (t.level === 0 || e & PTE_LEAF) {
      r.ok = true;
      r.frame = pteFrame(e);
      return r;
    }
    // a table pointer where the walk expected a huge leaf: it follows it (the PMD re-check passes)
    const child = m.tables.get(pteFrame(e));
    r.throughReusedTable = true;
    if (!child) return r;
    const ce = child.entries[m.index(child, addr)];
    if (ce !== 0) {
      r.ok = true;
      r.frame = pteFrame(ce);
    }
    return r;
  };
  return {
    cpu, mm, addr, table,
    end(): GupFastResult {
      const c = m.cpus[cpu];
      if (c.walker === walker) {
        // still stalled inside the tables: read the entry now through the saved pointer
        const r = read(table ? table.entries[index] : 0, table);
        m.gupFastEnd(cpu);
        return r;
      }
      const r = read(snapshot, table);
      r.completedByIpi = true;
      return r;
    },
  };
}
