/**
 * `struct mmu_gather_batch`: encoded page slots (mm/mmu_gather.c). Slot flags follow the kernel's
 * encoded-page bits; a large folio takes two slots (page | NR_PAGES_NEXT, then the count).
 * Alongside each slot we keep the VA, mapping size and the TLB epoch at which its PTE was
 * cleared, for the checker.
 */
export const ENCODED_PAGE_BIT_DELAY_RMAP = 1;
export const ENCODED_PAGE_BIT_NR_PAGES_NEXT = 2;
/** not a kernel bit: marks the count slot that follows NR_PAGES_NEXT */
export const SLOT_IS_COUNT = 4;

/** MMU_GATHER_BUNDLE: page pointers embedded in the on-stack gather */
export const MMU_GATHER_BUNDLE = 8;
/** Header of a batch page: next pointer + nr (u32) + max (u32) */
const BATCH_HEADER_BYTES = 16;
/** MAX_GATHER_BATCH = (PAGE_SIZE - header) / sizeof(void *) */
export function maxGatherBatch(pageShift: number): number {
  return (2 ** pageShift - BATCH_HEADER_BYTES) / 8;
}
/** MAX_GATHER_BATCH_COUNT = 10000 / MAX_GATHER_BATCH */
export function maxGatherBatchCount(pageShift: number): number {
  return Math.floor(10000 / maxGatherBatch(pageShift));
}

/**
 * Bounds over a batch's queued slots (what the checker's fast path asks the TLB model about):
 * the lowest address, the highest end (addr + 2^sizeShift), the latest clear stamp and the
 * smallest size shift. Kept as slots are queued, so they may cover more than the slots that are
 * finally freed (a page still referenced elsewhere): a superset, never less.
 */
export interface SlotBounds {
  lo: number;
  hi: number;
  maxEpoch: number;
  minShift: number;
}

export class PageBatch implements SlotBounds {
  nr = 0;
  next: PageBatch | null = null;
  lo = Infinity;
  hi = -Infinity;
  maxEpoch = -1;
  minShift = 64;
  readonly frame: Int32Array;
  readonly flags: Uint8Array;
  readonly addr: Float64Array;
  readonly sizeShift: Uint8Array;
  readonly epoch: Float64Array;
  constructor(
    readonly max: number,
    /** the batch page's frame; -1 for the embedded `local` batch */
    public page: number,
  ) {
    this.frame = new Int32Array(max);
    this.flags = new Uint8Array(max);
    this.addr = new Float64Array(max);
    this.sizeShift = new Uint8Array(max);
    this.epoch = new Float64Array(max);
  }

  /** no slot queued: the bounds cover nothing */
  clear(): void {
    this.nr = 0;
    this.lo = Infinity;
    this.hi = -Infinity;
    this.maxEpoch = -1;
    this.minShift = 64;
  }

  /** widen the bounds over a run of slots of 2^shift bytes from lo to hi, cleared at `epoch` */
  cover(lo: number, hi: number, epoch: number, shift: number): void {
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
    if (epoch > this.maxEpoch) this.maxEpoch = epoch;
    if (shift < this.minShift) this.minShift = shift;
  }
}

/**
 * Batches of finished gathers, by size, for the next gathers (of any machine: a batch holds
 * nothing past its `nr`, and one in this list belongs to no gather): the kernel's batch pages
 * come and go (their frames are allocated and freed as before), the arrays that model their
 * slots need not be made again for every gather, nor for every machine of a run of many.
 * At most SPARE_MAX of each size are kept.
 */
const spare = new Map<number, PageBatch[]>();
const SPARE_MAX = 64;

/** A batch of `max` slots for `page`, empty (a spare one when there is one). */
export function takeBatch(max: number, page: number): PageBatch {
  const b = spare.get(max)?.pop();
  if (!b) return new PageBatch(max, page);
  b.clear();
  b.next = null;
  b.page = page;
  return b;
}

/** `b` is no longer used by any gather. */
export function giveBatch(b: PageBatch): void {
  let l = spare.get(b.max);
  if (!l) spare.set(b.max, (l = []));
  b.next = null;
  if (l.length < SPARE_MAX) l.push(b);
}
