import type { GatherView } from '../arch/contract.js';
import { stampNow, type ClearStamp } from '../check/checker.js';
import type { FlushMmuSteps } from '../machine/bugs.js';
import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { FrameKind } from '../machine/frames.js';
import { TableState, type PageTable } from '../machine/page-table.js';
import {
  ENCODED_PAGE_BIT_DELAY_RMAP, ENCODED_PAGE_BIT_NR_PAGES_NEXT, MMU_GATHER_BUNDLE, PageBatch, SLOT_IS_COUNT,
  giveBatch, maxGatherBatch, maxGatherBatchCount, takeBatch,
} from './page-batch.js';
import { TableBatch, maxTableBatch } from './table-batch.js';
import { bitMask, bitNames, gatherBits } from '../arch/asm-generic-tlb.js';
import { PFNMAP_FLUSH_BEFORE_UNLINK } from '../mm/features.js';

/**
 * Scratch for tlb_batch_pages_flush: the slots of one batch whose pages go back to the
 * allocator (filled and read within one call, which nothing re-enters)
 */
let freedIdx = new Int32Array(512);

const hex = (n: number) => (n === Infinity ? '~0' : '0x' + n.toString(16));

/** What caused a flush, for traces and the forcedFlushes metric. */
export type FlushCause = 'end_vma' | 'finish' | 'force' | 'batch_full' | 'page_size' | 'table_batch' | 'table_alloc_fail' | 'free_vmas' | 'unshare' | 'explicit';

/**
 * `struct mmu_gather` and the functions of mm/mmu_gather.c and include/asm-generic/tlb.h.
 * Field names follow the kernel; see core SPEC.md §5.2-§7 for the life cycle.
 */
export class MmuGather implements GatherView {
  readonly mm: Mm;
  fullmm = false;
  needFlushAll = false;
  freedTables = false;
  clearedPtes = false;
  clearedPmds = false;
  clearedPuds = false;
  clearedP4ds = false;
  unsharedTables = false;
  fullyUnsharedTables = false;
  delayedRmap = false;
  /** not initialised by __tlb_gather_mmu in the kernel; we start them false */
  vmaExec = false;
  vmaHuge = false;
  vmaPfn = false;
  vmaHugeShift = 0;
  start = 0;
  end = 0;
  pageSize = 0;
  batchCount = 0;
  /** the embedded batch (MMU_GATHER_BUNDLE slots), from init until finish */
  local!: PageBatch;
  /** whether `local` is this gather's (taken at init, given back at finish) */
  private ownsLocal = false;
  active!: PageBatch;
  batch: TableBatch | null = null;
  /**
   * why the next tlb_flush without a caller-given cause happens: set when a page batch is full
   * ('batch_full', counted in forcedFlushes), a table batch is full ('table_batch') or a table
   * batch page cannot be allocated ('table_alloc_fail'); back to 'explicit' after each flush
   */
  private cause: FlushCause = 'explicit';
  private readonly maxBatch: number;
  private readonly maxBatchCount: number;
  private readonly maxTables: number;
  /** PAGE_SIZE, read per queued page */
  private readonly basePageSize: number;
  /** whether the arch defines __tlb_remove_tlb_entry (the generic one is empty: no per-page call) */
  readonly archRemovesEntries: boolean;
  /** MMU_GATHER_NO_GATHER, read per queued page */
  readonly noGather: boolean;
  /** tlb.epoch after this gather's latest TLB flush (-1: none yet): what the bug counters compare */
  private flushedEpoch = -1;
  finished = false;

  constructor(readonly m: Machine, mm: Mm, fullmm: boolean) {
    this.mm = mm;
    this.fullmm = fullmm;
    const ps = m.geometry.pageShift;
    this.maxBatch = maxGatherBatch(ps);
    this.maxBatchCount = maxGatherBatchCount(ps);
    this.maxTables = maxTableBatch(ps, m.kconfig.MMU_GATHER_RCU_TABLE_FREE);
    this.basePageSize = 2 ** ps;
    this.archRemovesEntries = m.runtime.removeTlbEntry !== undefined;
    this.noGather = m.kconfig.MMU_GATHER_NO_GATHER;
    this.init(fullmm);
  }

  /** __tlb_gather_mmu (also used to re-initialise the same on-stack gather) */
  init(fullmm: boolean): void {
    const m = this.m;
    this.fullmm = fullmm;
    this.needFlushAll = false;
    if (!this.ownsLocal) this.local = takeBatch(MMU_GATHER_BUNDLE, -1);
    this.ownsLocal = true;
    this.local.clear();
    this.local.next = null;
    this.active = this.local;
    this.batchCount = 0;
    this.delayedRmap = false;
    this.batch = null;
    this.pageSize = 0;
    this.vmaPfn = false;
    this.fullyUnsharedTables = false;
    this.finished = false;
    this.resetRange();
    this.mm.tlbFlushPending++; // inc_tlb_flush_pending
    const name = this.mm.name;
    m.note(() => `tlb_gather_mmu(${name})${fullmm ? ' fullmm' : ''}`);
    if (m.tracing) m.trace({ cpu: m.curCpu, name: 'tlb_gather_mmu', cat: 'gather', args: { mm: this.mm.name, fullmm } });
  }

  // ------------------------------------------------------------ range bookkeeping (core SPEC.md §6.1)
  /** __tlb_reset_range */
  resetRange(): void {
    if (this.fullmm) {
      this.start = this.end = Infinity; // ~0UL
    } else {
      this.start = this.m.geometry.taskSize;
      this.end = 0;
    }
    this.freedTables = false;
    this.clearedPtes = this.clearedPmds = this.clearedPuds = this.clearedP4ds = false;
    this.unsharedTables = false;
  }
  /** __tlb_adjust_range */
  adjustRange(addr: number, size: number): void {
    if (addr < this.start) this.start = addr;
    if (addr + size > this.end) this.end = addr + size;
  }
  flushPteRange(addr: number, size: number): void {
    this.adjustRange(addr, size);
    this.clearedPtes = true;
  }
  flushPmdRange(addr: number, size: number): void {
    this.adjustRange(addr, size);
    this.clearedPmds = true;
  }
  flushPudRange(addr: number, size: number): void {
    this.adjustRange(addr, size);
    this.clearedPuds = true;
  }
  flushP4dRange(addr: number, size: number): void {
    this.adjustRange(addr, size);
    this.clearedP4ds = true;
  }

  // ------------------------------------------------------------ leaf entries (core SPEC.md §6.2)
  /** tlb_remove_tlb_entries(tlb, ptep, nr, addr) */
  removeTlbEntries(addr: number, nr: number): void {
    const ps = this.basePageSize;
    this.flushPteRange(addr, nr * ps);
    if (!this.archRemovesEntries) return;
    for (let i = 0; i < nr; i++) this.m.hooks.removeTlbEntry(this, addr + i * ps);
  }
  /** tlb_remove_huge_tlb_entry(h, tlb, ptep, addr): the cleared level follows the size */
  removeHugeTlbEntry(size: number, addr: number): void {
    const lv = this.m.geometry.levels;
    if (size >= 2 ** lv[3].shift && lv[3].folding === 'none') this.flushP4dRange(addr, size);
    else if (size >= 2 ** lv[2].shift) this.flushPudRange(addr, size);
    else if (size >= 2 ** lv[1].shift) this.flushPmdRange(addr, size);
    else this.flushPteRange(addr, size);
    this.m.hooks.removeTlbEntry(this, addr);
  }

  // ------------------------------------------------------------ freeing tables (core SPEC.md §6.3)
  /**
   * p?d_free_tlb for a table of logical level `level` (0 = pte table) mapping from `addr`.
   * `table` is null for a level folded at run time: the range and freed_tables still change.
   */
  freeTableTlb(level: number, table: PageTable | null, addr: number): void {
    const folding = this.m.geometry.levels[level].folding;
    if (folding === 'compile') return; // asm-generic/pgtable-nop?d.h: empty macro
    this.adjustRange(addr, this.m.pageSize);
    // a freed table counts as a cleared entry at its parent level
    if (level === 0) this.clearedPmds = true;
    else if (level === 1) this.clearedPuds = true;
    else if (level === 2) this.clearedP4ds = true;
    this.freedTables = true;
    if (table) this.removeTable(table);
  }

  /** tlb_remove_table (mm/mmu_gather.c; core SPEC.md §7.5) */
  removeTable(t: PageTable): void {
    const m = this.m;
    t.state = TableState.Queued;
    if (!m.kconfig.MMU_GATHER_TABLE_FREE) {
      // the table page goes through the page batch like any page
      this.removePageSize(t.frame, m.pageSize, t.base, true, stampNow(m));
      return;
    }
    if (m.bugs.removeTable(t, (x) => m.freeTable(x))) return;
    if (!this.batch) {
      const page = m.allocBatchPage('table');
      if (page < 0) {
        // tlb_table_invalidate + tlb_remove_table_one
        this.cause = 'table_alloc_fail';
        this.tableInvalidate();
        if (m.kconfig.PT_RECLAIM) {
          m.callRcu(() => m.freeTable(t));
        } else {
          this.tlbRemoveTableSyncOne();
          m.freeTable(t);
        }
        return;
      }
      this.batch = new TableBatch(page);
    }
    this.batch.tables.push(t);
    if (this.batch.nr === this.maxTables) {
      this.cause = 'table_batch';
      this.tableFlush();
    }
  }

  /** tlb_remove_table_sync_one() (the hook layer holds its Kconfig rule) */
  tlbRemoveTableSyncOne(): void {
    this.m.hooks.tlbRemoveTableSyncOne();
  }

  /** tlb_table_invalidate */
  private tableInvalidate(): void {
    if (this.m.hooks.needsTableInvalidate()) this.flushMmuTlbonly();
  }

  /** tlb_table_flush */
  private tableFlush(): void {
    if (!this.batch) return;
    this.tableInvalidate();
    const b = this.batch;
    this.batch = null;
    const m = this.m;
    const free = () => {
      for (const t of b.tables) m.freeTable(t);
      m.frames.free(b.page);
    };
    if (m.kconfig.MMU_GATHER_RCU_TABLE_FREE) m.callRcu(free);
    else free();
  }

  // ------------------------------------------------------------ page batches (core SPEC.md §7.2)
  /** tlb_next_batch */
  private nextBatch(): boolean {
    if (this.delayedRmap && this.active !== this.local) return false;
    if (this.active.next) {
      this.active = this.active.next;
      return true;
    }
    if (this.batchCount === this.maxBatchCount) return false;
    const page = this.m.allocBatchPage('page');
    if (page < 0) return false;
    this.batchCount++;
    this.m.metrics.batchPagesAllocated++;
    const b = takeBatch(this.maxBatch, page);
    this.active.next = b;
    this.active = b;
    return true;
  }

  /**
   * __tlb_remove_folio_pages_size: queue nr pages of one folio. Returns true when the gather is
   * full (the caller must flush before adding more). `cleared` is when the PTEs were cleared.
   */
  removeFolioPages(frame: number, nr: number, delayRmap: boolean, addr: number, sizeShift: number, cleared: ClearStamp): boolean {
    const epoch: number = cleared;
    this.m.checker.warnIf(this.end === 0, this.m.curCpu, addr, 'page queued in an mmu_gather with no range (end == 0)');
    if (this.noGather) {
      // s390: the arch frees at once, relying on its PTE clear having purged the TLB already
      this.putPagesNow(frame, nr, addr, sizeShift, epoch);
      return false;
    }
    const b = this.active;
    let i = b.nr;
    const flags = delayRmap ? ENCODED_PAGE_BIT_DELAY_RMAP : 0;
    b.frame[i] = frame;
    b.addr[i] = addr;
    b.sizeShift[i] = sizeShift;
    b.epoch[i] = epoch;
    b.cover(addr, addr + 2 ** sizeShift, epoch, sizeShift);
    if (nr === 1) {
      b.flags[i] = flags;
      b.nr = i + 1;
    } else {
      b.flags[i] = flags | ENCODED_PAGE_BIT_NR_PAGES_NEXT;
      i++;
      b.frame[i] = nr;
      b.flags[i] = SLOT_IS_COUNT;
      b.nr = i + 1;
    }
    if (b.nr >= b.max - 1) {
      if (!this.nextBatch()) {
        this.cause = 'batch_full';
        return true;
      }
    }
    return false;
  }

  /**
   * What __tlb_remove_folio_pages_size does for each of a run of order-0 pages that a zap wrote
   * into the active batch itself (slots from `active.nr` up to `nr`), their PTEs cleared over
   * [first, last + PAGE_SIZE): the range they add (tlb_remove_tlb_entry; the arch's per-page
   * hook is the caller's), each page's check that the gather has a range, then tlb_next_batch
   * if the last one filled the batch. Returns true when the gather is full (flush before more).
   */
  queuedPages(nr: number, first: number, last: number): boolean {
    const b = this.active;
    const n = nr - b.nr;
    b.nr = nr;
    this.flushPteRange(first, last + this.basePageSize - first);
    const c = this.m.checker;
    c.warnIf(this.end === 0, this.m.curCpu, first, 'page queued in an mmu_gather with no range (end == 0)');
    // the same check for the other pages of the run: the range only grew in between
    if (c.enabled) c.checks.H4 += n - 1;
    if (nr >= b.max - 1 && !this.nextBatch()) {
      this.cause = 'batch_full';
      return true;
    }
    return false;
  }

  /** MMU_GATHER_NO_GATHER's __tlb_remove_folio_pages: drop the references immediately. */
  private putPagesNow(frame: number, nr: number, addr: number, sizeShift: number, epoch: number): void {
    const m = this.m;
    const fr = m.frames;
    if (fr.addRefcount(frame, -nr) > 0) return;
    if (fr.kindOf(frame) === FrameKind.Table) {
      const t = m.tables.get(frame);
      if (t) m.freeTable(t);
      return;
    }
    m.checker.pageFreed(this.mm, addr, sizeShift, epoch);
    fr.free(frame);
    m.metrics.pagesFreed++;
    m.cost(m.arch.cost.pageFree);
  }

  /**
   * tlb_remove_page_size: queue one page of `size` bytes; flush at once if full. `cleared` is the
   * stamp of its entry's clear. Omitting it (the form @tlbsim/hugetlb still uses) means the entry
   * was cleared just now, with no TLB event since.
   */
  removePageSize(frame: number, size: number, addr: number, isTable = false, cleared: ClearStamp = stampNow(this.m)): void {
    const m = this.m;
    if (m.kconfig.MMU_GATHER_PAGE_SIZE && !isTable) {
      m.checker.warnIf(this.pageSize !== size, m.curCpu, addr, () => `page of size ${size} queued while the gather's page_size is ${this.pageSize}`);
    }
    const shift = Math.log2(size);
    if (this.removeFolioPages(frame, 1, false, addr, shift, cleared)) this.flushMmu();
  }

  /** tlb_delay_rmap */
  delayRmap(): boolean {
    if (!this.m.kconfig.SMP || this.m.kconfig.MMU_GATHER_NO_GATHER) return false;
    this.delayedRmap = true;
    return true;
  }

  /** tlb_flush_rmaps: remove the delayed rmaps of `local` and `active` (after the TLB flush) */
  flushRmaps(): void {
    if (!this.delayedRmap) return;
    const fr = this.m.frames;
    const walk = (b: PageBatch) => {
      for (let i = 0; i < b.nr; i++) {
        const f = b.flags[i];
        if (f & SLOT_IS_COUNT) continue;
        if (f & ENCODED_PAGE_BIT_DELAY_RMAP) {
          const nr = f & ENCODED_PAGE_BIT_NR_PAGES_NEXT ? b.frame[i + 1] : 1;
          fr.addMapcount(b.frame[i], -nr);
        }
      }
    };
    walk(this.local);
    if (this.active !== this.local) walk(this.active);
    this.delayedRmap = false;
  }

  /** tlb_batch_pages_flush: free every queued page (each batch's slots, in order) */
  private batchPagesFlush(): void {
    const m = this.m;
    const fr = m.frames;
    // every frame order 0 (no large folio): a freed page's kind goes at its last reference
    const early = fr.allOrder0;
    for (let b: PageBatch | null = this.local; b && b.nr > 0; b = b.next) {
      const nr = b.nr;
      if (freedIdx.length < nr) freedIdx = new Int32Array(b.max);
      const idx = freedIdx;
      const slotFlags = b.flags;
      const slotFrame = b.frame;
      let nf = 0;
      for (let i = 0; i < nr; i++) {
        const f = slotFlags[i];
        if (f & SLOT_IS_COUNT) continue;
        const frame = slotFrame[i];
        if (early && f === 0) {
          // one reference of an order-0 page: the fused drop, unless the frame needs more
          const d = fr.dropRef(frame);
          if (d === 1) idx[nf++] = i;
          if (d >= 0) continue;
        }
        const refs = f & ENCODED_PAGE_BIT_NR_PAGES_NEXT ? slotFrame[i + 1] : 1;
        if (fr.addRefcount(frame, -refs) <= 0) {
          if (fr.kindOf(frame) === FrameKind.Table) {
            const t = m.tables.get(frame);
            if (t) m.freeTable(t);
            continue;
          }
          if (early) fr.releaseKind(frame);
          idx[nf++] = i;
        }
      }
      // check before the frames go back (on the free list, where the allocator finds them): the
      // free is the moment a stale TLB entry becomes a hazard
      m.checker.pagesFreed(this.mm, idx, nf, b.addr, b.sizeShift, b.epoch, this, b);
      if (early) fr.listReleased(slotFrame, idx, nf);
      else fr.freeEach(slotFrame, idx, nf);
      m.metrics.pagesFreed += nf;
      if (nf) m.cost(nf * m.arch.cost.pageFree);
      b.clear();
    }
    this.active = this.local;
  }

  /**
   * For the freePagesBeforeFlush counter: the queued pages the coming free returns to the
   * allocator whose PTEs were cleared after this gather's latest flush (the ones the bug exposes;
   * a flush at tlb_end_vma or for a full table batch already covered the others).
   */
  private pagesFreedUnflushed(): number {
    const fr = this.m.frames;
    let n = 0;
    for (let b: PageBatch | null = this.local; b && b.nr > 0; b = b.next) {
      for (let i = 0; i < b.nr; i++) {
        const f = b.flags[i];
        if (f & SLOT_IS_COUNT || fr.kindOf(b.frame[i]) === FrameKind.Table) continue;
        const refs = f & ENCODED_PAGE_BIT_NR_PAGES_NEXT ? b.frame[i + 1] : 1;
        if (fr.refcountOf(b.frame[i]) - refs <= 0 && b.epoch[i] >= this.flushedEpoch) n++;
      }
    }
    return n;
  }

  /** tlb_batch_list_free */
  private batchListFree(): void {
    for (let b = this.local.next; b; ) {
      const next = b.next;
      this.m.frames.free(b.page);
      giveBatch(b);
      b = next;
    }
    this.local.next = null;
  }

  // ------------------------------------------------------------ flushing (core SPEC.md §6.4, §7.3)
  anyBits(): boolean {
    return this.freedTables || this.clearedPtes || this.clearedPmds || this.clearedPuds || this.clearedP4ds || this.unsharedTables;
  }

  /** tlb_flush_mmu_tlbonly: the arch tlb_flush if anything was recorded, then reset the range */
  flushMmuTlbonly(cause?: FlushCause): void {
    if (!this.anyBits()) return;
    const m = this.m;
    const why = cause ?? this.cause;
    this.cause = 'explicit';
    m.metrics.archFlushes++;
    if (why === 'batch_full') m.metrics.forcedFlushes++;
    // the note keeps the flags as a mask, its text built only when read: no list per flush
    const mask = bitMask(this);
    const start = this.start;
    const end = this.end;
    const name = this.mm.name;
    m.note(() => `tlb_flush(${name}) [${hex(start)}, ${hex(end)}) ${bitNames(mask)} cause=${why}`);
    if (m.tracing) {
      m.trace({ cpu: m.curCpu, name: 'tlb_flush_hook', cat: 'gather', args: {
        mm: this.mm.name, cause: why, start: hex(this.start), end: hex(this.end), bits: gatherBits(this).join(','), vmaExec: this.vmaExec,
        vmaHuge: this.vmaHuge, pageSize: this.pageSize,
      } });
    }
    m.hooks.tlbFlush(this);
    this.flushedEpoch = m.tlb.epoch;
    this.resetRange();
  }

  /** tlb_flush_mmu_free */
  private flushMmuFree(): void {
    this.tableFlush();
    if (!this.m.kconfig.MMU_GATHER_NO_GATHER) this.batchPagesFlush();
  }

  /** tlb_flush_mmu: TLB flush, then free tables (RCU) and pages */
  flushMmu(cause?: FlushCause): void {
    if (this.m.bugs.flushMmu(() => this.flushMmuSteps(cause))) return;
    this.flushMmuTlbonly(cause);
    if (this.m.explore) this.m.explore.at('tlb_flush_mmu:before-free', { mm: this.mm });
    this.flushMmuFree();
  }

  /** the steps of tlb_flush_mmu, for a bug that reorders them */
  private flushMmuSteps(cause: FlushCause | undefined): FlushMmuSteps {
    return { flush: () => this.flushMmuTlbonly(cause), freePages: () => this.batchPagesFlush(), freeTables: () => this.tableFlush(), pagesUnflushed: () => this.pagesFreedUnflushed() };
  }

  /** tlb_change_page_size (MMU_GATHER_PAGE_SIZE) */
  changePageSize(size: number): void {
    if (!this.m.kconfig.MMU_GATHER_PAGE_SIZE) return;
    if (this.pageSize && this.pageSize !== size) {
      if (!this.fullmm && !this.needFlushAll) this.flushMmu('page_size');
    }
    this.pageSize = size;
  }

  // ------------------------------------------------------------ VMA hooks (core SPEC.md §6.5)
  /** tlb_update_vma_flags */
  updateVmaFlags(vma: Vma): void {
    this.vmaHuge = vma.flags.hugetlb;
    this.vmaExec = vma.flags.exec;
    this.vmaHugeShift = vma.flags.hugetlb ? vma.hugeShift : 0;
    this.vmaPfn = this.vmaPfn || vma.flags.pfnmap || vma.flags.mixedmap;
  }
  /** tlb_start_vma: vma flags, then flush_cache_range over the whole VMA unless NO_FLUSH_CACHE */
  startVma(vma: Vma): void {
    if (this.fullmm) return;
    this.updateVmaFlags(vma);
    if (!this.m.kconfig.MMU_GATHER_NO_FLUSH_CACHE) this.m.hooks.flushCacheRange(this.mm, vma.start, vma.end);
  }
  /** tlb_end_vma */
  endVma(): void {
    if (this.fullmm || this.m.kconfig.MMU_GATHER_MERGE_VMAS) return;
    this.flushMmuTlbonly('end_vma');
  }
  /** tlb_free_vmas: flush before PFNMAP/MIXEDMAP VMAs are unlinked */
  freeVmas(): void {
    if (this.fullmm) return;
    // b67fbebd4cf9 (v6.0): before it, the pending flush of a PFNMAP VMA waited for tlb_finish_mmu
    if (this.vmaPfn && this.m.kernel.has(PFNMAP_FLUSH_BEFORE_UNLINK)) this.flushMmuTlbonly('free_vmas');
  }

  // ------------------------------------------------------------ hugetlb unsharing (core SPEC.md §6.9)
  /** tlb_unshare_pmd_ptdesc: the caller cleared the PUD entry pointing at shared table `t` */
  unsharePmdPtdesc(t: PageTable, addr: number): void {
    this.m.checker.warnIf(t.share <= 0, this.m.curCpu, addr, 'unsharing a PMD table that is not shared');
    t.share--;
    const pudSize = 2 ** this.m.geometry.levels[2].shift;
    this.flushPmdRange(addr - (addr % pudSize), pudSize);
    if (t.share === 0) this.fullyUnsharedTables = true;
    this.unsharedTables = true;
  }
  /** tlb_flush_unshared_tables */
  flushUnsharedTables(): void {
    if (this.unsharedTables) this.flushMmuTlbonly('unshare');
    if (this.fullyUnsharedTables) {
      this.tlbRemoveTableSyncOne();
      this.fullyUnsharedTables = false;
    }
  }

  // ------------------------------------------------------------ finish (core SPEC.md §7.4)
  /** tlb_finish_mmu */
  finish(): void {
    const m = this.m;
    m.checker.warnIf(this.fullyUnsharedTables, m.curCpu, this.start, 'tlb_finish_mmu with fully_unshared_tables still set');
    if (this.mm.tlbFlushPending > 1) {
      // mm_tlb_flush_nested: another flusher is live; a stale TLB for its PTEs must not survive
      this.fullmm = true;
      this.resetRange();
      this.freedTables = true;
    }
    this.flushMmu('finish');
    this.batchListFree();
    if (this.ownsLocal) giveBatch(this.local);
    this.ownsLocal = false;
    this.mm.tlbFlushPending--;
    this.finished = true;
    if (m.tracing) m.trace({ cpu: m.curCpu, name: 'tlb_finish_mmu', cat: 'gather', args: { mm: this.mm.name } });
  }
}

/** tlb_gather_mmu / tlb_gather_mmu_fullmm */
export function tlbGatherMmu(m: Machine, mm: Mm, fullmm = false): MmuGather {
  return new MmuGather(m, mm, fullmm);
}
/** tlb_gather_mmu_vma: gather + vma flags + hugetlb page size, without flush_cache_range */
export function tlbGatherMmuVma(m: Machine, vma: Vma, mm: Mm): MmuGather {
  const g = new MmuGather(m, mm, false);
  g.updateVmaFlags(vma);
  if (vma.flags.hugetlb) g.changePageSize(2 ** vma.hugeShift);
  return g;
}
