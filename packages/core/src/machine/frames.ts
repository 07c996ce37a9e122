import { MAX_FRAMES, PTE_FLAG_BITS, PTE_PRESENT } from './pte.js';

/** What a physical frame currently holds. */
export const FrameKind = {
  Free: 0,
  Data: 1,
  Table: 2,
  /** a page used by the gather for page or table batches */
  Batch: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
/** Per-folio flag bits (Frames.flagsOf); four bits of the frame's word hold them */
export const FOLIO_ANON = 1;
export const FOLIO_DIRTY = 2;
export const FOLIO_LAZYFREE = 4;
export const FOLIO_REFERENCED = 8;
const FOLIO_FLAGS = 15;

/*
 * One Uint16 per frame (see core SPEC.md §1, "Memory layout"):
 *   bits 0-1 kind, bits 2-5 folio flags, bits 6-10 refcount, bits 11-15 mapcount.
 * A count field holds 0..30; 31 (ESC) means the exact value is in that count's overflow Map, for
 * the rare frame shared past 30 times (fork trees), or a count driven below zero by a bug.
 */
const KIND_MASK = 3;
const FLAG_SHIFT = 2;
const RC_SHIFT = 6;
const MC_SHIFT = 11;
const ESC = 31;
const RC_MASK = ESC << RC_SHIFT;
const MC_MASK = ESC << MC_SHIFT;

/** the frame words grow by 1/8 at a time: the slack is part of the per-page memory budget */
const GROWTH = 1.125;
/** below this many frames they double instead (a few copies, not dozens, for a small run) */
const DOUBLE_BELOW = 65536;

/**
 * The page allocator: one packed word per frame (no object per page) and a LIFO free list. Freed
 * frames are handed out again first, as a real allocator reuses hot pages, which is what turns a
 * missed TLB flush into a real use-after-free. Callers read and write the fields through the
 * accessors, never the layout. refcount behaves as an Int32 and mapcount as a Uint16 would
 * (mapcount wraps to 65535 below zero), exactly, whatever their size.
 */
export class Frames {
  private word = new Uint16Array(1024);
  private readonly bigRef = new Map<number, number>();
  private readonly bigMap = new Map<number, number>();
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
    let n = this.word.length;
    while (n <= min) n = n < DOUBLE_BELOW ? n * 2 : Math.ceil(n * GROWTH);
    if (n > MAX_FRAMES) n = MAX_FRAMES;
    if (min >= n) throw new RangeError(`out of simulated physical frames (max ${MAX_FRAMES})`);
    const b = new Uint16Array(n);
    b.set(this.word);
    this.word = b;
  }

  /** the frames the allocator has room for before it grows */
  get capacity(): number {
    return this.word.length;
  }

  kindOf(f: number): FrameKind {
    return (this.word[f] & KIND_MASK) as FrameKind;
  }

  flagsOf(f: number): number {
    return (this.word[f] >>> FLAG_SHIFT) & FOLIO_FLAGS;
  }

  setFlags(f: number, flags: number): void {
    if ((flags & ~FOLIO_FLAGS) !== 0) throw new RangeError(`folio flags 0x${flags.toString(16)} of frame ${f}: only the FOLIO_* bits exist`);
    this.word[f] = (this.word[f] & ~(FOLIO_FLAGS << FLAG_SHIFT)) | (flags << FLAG_SHIFT);
  }

  /** set `bits` in the frame's folio flags (folio_mark_dirty and the like) */
  addFlags(f: number, bits: number): void {
    this.setFlags(f, this.flagsOf(f) | bits);
  }

  refcountOf(f: number): number {
    const r = (this.word[f] >>> RC_SHIFT) & ESC;
    return r === ESC ? this.bigRef.get(f)! : r;
  }

  setRefcount(f: number, v: number): void {
    v |= 0;
    const w = this.word[f];
    if ((w & RC_MASK) === RC_MASK) this.bigRef.delete(f);
    if (v >= 0 && v < ESC) {
      this.word[f] = (w & ~RC_MASK) | (v << RC_SHIFT);
    } else {
      this.word[f] = w | RC_MASK;
      this.bigRef.set(f, v);
    }
  }

  /** add `d` (may be negative) to the refcount; returns the new value */
  addRefcount(f: number, d: number): number {
    const w = this.word[f];
    const r = (w >>> RC_SHIFT) & ESC;
    const n = r + d;
    if (r !== ESC && n >= 0 && n < ESC) {
      this.word[f] = w + (d << RC_SHIFT);
      return n;
    }
    const v = (this.refcountOf(f) + d) | 0;
    this.setRefcount(f, v);
    return v;
  }

  /**
   * put_page's common case in one read and one write of the frame's word: drop one reference of
   * an order-0 frame whose refcount is an exact 1..30; at the last one, a data frame's kind
   * becomes Free ({@link releaseKind}). Returns 1 when it released the frame, 0 when references
   * remain, and -1, changing nothing, for what {@link addRefcount} must do (a table frame at its
   * last reference, a count in the overflow Map, a count at 0).
   */
  dropRef(f: number): number {
    const w = this.word[f];
    const r = (w >>> RC_SHIFT) & ESC;
    if (r === ESC || r === 0) return -1;
    if (r > 1) {
      this.word[f] = w - (1 << RC_SHIFT);
      return 0;
    }
    if ((w & KIND_MASK) !== FrameKind.Data) return -1;
    this.word[f] = (w - (1 << RC_SHIFT)) & ~KIND_MASK;
    return 1;
  }

  mapcountOf(f: number): number {
    const c = this.word[f] >>> MC_SHIFT;
    return c === ESC ? this.bigMap.get(f)! : c;
  }

  setMapcount(f: number, v: number): void {
    v &= 0xffff;
    const w = this.word[f];
    if ((w & MC_MASK) === MC_MASK) this.bigMap.delete(f);
    if (v < ESC) {
      this.word[f] = (w & ~MC_MASK) | (v << MC_SHIFT);
    } else {
      this.word[f] = w | MC_MASK;
      this.bigMap.set(f, v);
    }
  }

  /** add `d` (may be negative) to the mapcount; returns the new value */
  addMapcount(f: number, d: number): number {
    const w = this.word[f];
    const c = w >>> MC_SHIFT;
    const n = c + d;
    if (c !== ESC && n >= 0 && n < ESC) {
      this.word[f] = w + (d << MC_SHIFT);
      return n;
    }
    const v = (this.mapcountOf(f) + d) & 0xffff;
    this.setMapcount(f, v);
    return v;
  }

  /**
   * zap_present_ptes' per-page check and rmap drop in one read of the frame's word: unless the
   * PTE was `dirty` on a file page (the caller's general path takes those: folio_mark_dirty,
   * the delayed rmap), drop one mapcount and return true; else change nothing and return false.
   */
  zapMapcount(f: number, dirty: boolean): boolean {
    const w = this.word[f];
    if (dirty && !((w >>> FLAG_SHIFT) & FOLIO_ANON)) return false;
    const c = w >>> MC_SHIFT;
    if (c !== ESC && c > 0) this.word[f] = w - (1 << MC_SHIFT);
    else this.addMapcount(f, -1);
    return true;
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
      if (this.next >= this.word.length) this.grow(this.next);
    }
    const n = 1 << order;
    const spilled = this.bigRef.size + this.bigMap.size > 0;
    for (let i = 0; i < n; i++) {
      if (spilled) {
        this.bigRef.delete(f + i);
        this.bigMap.delete(f + i);
      }
      // flags, refcount and mapcount 0
      this.word[f + i] = kind;
    }
    if (order > 0) this.orders.set(f, order);
    this.word[f] = kind | (1 << RC_SHIFT);
    this.allocated += n;
    return f;
  }

  /**
   * do_anonymous_page for a run of PTEs: each absent entry of ents[i, end) gets a new order-0
   * anonymous frame (refcount and mapcount 1), allocated as {@link alloc} would one by one, and
   * is mapped with `pteBits`; at most `room` frames are taken. Returns the index reached (end,
   * or the first absent entry left so once `room` frames are taken); the caller adds to its
   * counters what `allocated` grew by.
   */
  mapAnonPtes(ents: Int32Array, i: number, end: number, pteBits: number, room: number): number {
    const w = FrameKind.Data | (FOLIO_ANON << FLAG_SHIFT) | (1 << RC_SHIFT) | (1 << MC_SHIFT);
    const bits = pteBits | PTE_PRESENT;
    const spilled = this.bigRef.size + this.bigMap.size > 0;
    // the allocator's fields in locals for the loop, written back after it
    const list = this.freeList;
    let top = this.freeTop;
    let word = this.word;
    let next = this.next;
    let n = 0;
    for (; i < end; i++) {
      if (ents[i] !== 0) continue;
      if (n >= room) break;
      let f: number;
      if (top > 0) f = list[--top];
      else {
        f = next++;
        if (next >= word.length) {
          // the fields as they are before a grow that may throw (out of frames)
          this.next = next;
          this.freeTop = top;
          this.grow(next);
          word = this.word;
        }
      }
      if (spilled) {
        this.bigRef.delete(f);
        this.bigMap.delete(f);
      }
      word[f] = w;
      ents[i] = (f << PTE_FLAG_BITS) | bits;
      n++;
    }
    this.freeTop = top;
    this.next = next;
    this.allocated += n;
    return i;
  }

  /** Return a folio to the allocator (only its kind changes). Order-0 frames are reused LIFO. */
  free(f: number): void {
    if (this.orders.size === 0) {
      // no large folio anywhere: the order-0 path, taken for every page of a big zap
      this.word[f] &= ~KIND_MASK;
      this.allocated--;
      this.freedTotal++;
      this.pushFree(f);
      return;
    }
    const order = this.orderOf(f);
    if (order > 0) this.orders.delete(f);
    const n = 1 << order;
    for (let i = 0; i < n; i++) this.word[f + i] &= ~KIND_MASK;
    this.allocated -= n;
    this.freedTotal += n;
    if (order === 0) this.pushFree(f);
    // huge folios are not reused, to keep the allocator simple (no buddy merging)
  }

  /** no large folio anywhere: every frame is order 0 (what {@link releaseKind} needs) */
  get allOrder0(): boolean {
    return this.orders.size === 0;
  }

  /**
   * The first half of freeing an order-0 frame (all frames order 0): its kind becomes Free;
   * {@link listReleased} later puts it on the free list. Split so that a pass that already has
   * the frame's word at hand (the drop of its last reference) does not come back for it.
   */
  releaseKind(f: number): void {
    this.word[f] &= ~KIND_MASK;
  }

  /** The second half: frames[idx[k]] (k in [0, n), each released) go on the free list in that order. */
  listReleased(frames: Int32Array, idx: Int32Array, n: number): void {
    this.reserveFree(n);
    const list = this.freeList;
    let top = this.freeTop;
    for (let k = 0; k < n; k++) list[top++] = frames[idx[k]];
    this.freeTop = top;
    this.allocated -= n;
    this.freedTotal += n;
  }

  /** Room for n more frames on the free list: it doubles, as one push at a time would make it. */
  private reserveFree(n: number): void {
    if (this.freeTop + n > this.freeList.length) {
      let len = this.freeList.length * 2;
      while (this.freeTop + n > len) len *= 2;
      const b = new Int32Array(len);
      b.set(this.freeList);
      this.freeList = b;
    }
  }

  /** {@link free} of frames[idx[k]] for k in [0, n), in that order. */
  freeEach(frames: Int32Array, idx: Int32Array, n: number): void {
    if (this.orders.size !== 0) {
      for (let k = 0; k < n; k++) this.free(frames[idx[k]]);
      return;
    }
    // the order-0 path for the lot: kinds cleared, frames pushed on the free list in order
    this.reserveFree(n);
    const word = this.word;
    const list = this.freeList;
    let top = this.freeTop;
    for (let k = 0; k < n; k++) {
      const f = frames[idx[k]];
      word[f] &= ~KIND_MASK;
      list[top++] = f;
    }
    this.freeTop = top;
    this.allocated -= n;
    this.freedTotal += n;
  }

  private pushFree(f: number): void {
    if (this.freeTop === this.freeList.length) this.reserveFree(1);
    this.freeList[this.freeTop++] = f;
  }

  /** counts held in the overflow Maps (frames whose refcount or mapcount is outside 0..30) */
  get spilled(): number {
    return this.bigRef.size + this.bigMap.size;
  }

  /** Bytes of heap the allocator's arrays use. */
  heapBytes(): number {
    return this.word.byteLength + this.freeList.byteLength;
  }
}
