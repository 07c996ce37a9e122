import { MAX_FRAMES } from './pte.js';

/** What a physical frame currently holds. */
export const FrameKind = {
  Free: 0,
  Data: 1,
  Table: 2,
  /** a page used by the gather for page or table batches */
  Batch: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
/** Per-folio flag bits (frames.flags) */
export const FOLIO_ANON = 1;
export const FOLIO_DIRTY = 2;
export const FOLIO_LAZYFREE = 4;
export const FOLIO_REFERENCED = 8;

/**
 * The page allocator: frames and their refcount/mapcount/flags in typed arrays (no object per
 * page). Freed frames go on a LIFO free list and are handed out again first, as a real allocator
 * reuses hot pages, which is what turns a missed TLB flush into a real use-after-free.
 */
export class Frames {
  refcount = new Int32Array(1024);
  mapcount = new Uint16Array(1024);
  kind = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  /** log2 of the folio size in pages, for head frames of large folios only (rare: a Map) */
  private orders = new Map<number, number>();
  private freeList = new Int32Array(256);
  private freeTop = 0;
  /** next never-used frame; frame 0 is reserved so that a zero PTE means "none" */
  private next = 1;
  allocated = 0;
  /** frames returned to the allocator over the run */
  freedTotal = 0;

  private grow(min: number): void {
    // grow by 1/4 at a time: the arrays are the per-page memory budget (<= 16 bytes/page)
    let n = this.kind.length;
    while (n <= min) n = Math.ceil(n * 1.25);
    if (n > MAX_FRAMES) n = MAX_FRAMES;
    if (min >= n) throw new RangeError(`out of simulated physical frames (max ${MAX_FRAMES})`);
    const g = <T extends Int32Array | Uint16Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(n);
      b.set(a);
      return b;
    };
    this.refcount = g(this.refcount, Int32Array);
    this.mapcount = g(this.mapcount, Uint16Array);
    this.kind = g(this.kind, Uint8Array);
    this.flags = g(this.flags, Uint8Array);
  }

  orderOf(f: number): number {
    return this.orders.size === 0 ? 0 : this.orders.get(f) ?? 0;
  }

  /** Allocate a folio of 2^order contiguous frames; returns the head frame. */
  alloc(kind: FrameKind, order = 0): number {
    let f: number;
    if (order === 0 && this.freeTop > 0) {
      f = this.freeList[--this.freeTop];
    } else {
      f = this.next;
      this.next += 1 << order;
      if (this.next >= this.kind.length) this.grow(this.next);
    }
    const n = 1 << order;
    for (let i = 0; i < n; i++) {
      this.kind[f + i] = kind;
      this.refcount[f + i] = 0;
      this.mapcount[f + i] = 0;
      this.flags[f + i] = 0;
    }
    if (order > 0) this.orders.set(f, order);
    this.refcount[f] = 1;
    this.allocated += n;
    return f;
  }

  /** Return a folio to the allocator. Order-0 frames are reused LIFO. */
  free(f: number): void {
    if (this.orders.size === 0) {
      // no large folio anywhere: the order-0 path, taken for every page of a big zap
      this.kind[f] = FrameKind.Free;
      this.allocated--;
      this.freedTotal++;
      this.pushFree(f);
      return;
    }
    const order = this.orderOf(f);
    if (order > 0) this.orders.delete(f);
    const n = 1 << order;
    for (let i = 0; i < n; i++) this.kind[f + i] = FrameKind.Free;
    this.allocated -= n;
    this.freedTotal += n;
    if (order === 0) this.pushFree(f);
    // huge folios are not reused, to keep the allocator simple (no buddy merging)
  }

  private pushFree(f: number): void {
    if (this.freeTop === this.freeList.length) {
      const b = new Int32Array(this.freeList.length * 2);
      b.set(this.freeList);
      this.freeList = b;
    }
    this.freeList[this.freeTop++] = f;
  }

  /** Bytes of heap the allocator's arrays use. */
  heapBytes(): number {
    return this.refcount.byteLength + this.mapcount.byteLength + this.kind.byteLength +
      this.flags.byteLength + this.freeList.byteLength;
  }
}
