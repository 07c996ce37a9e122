import type { Geometry } from '@tlbsim/core';

/** A range of simulated addresses [start, end). */
export interface SimRange {
  start: number;
  end: number;
}

/** x86-64's TASK_SIZE with 4-level paging: every address of such a trace fits below it */
const X86_64_TASK_SIZE = 0x7ffffffff000;
/** trace address space is remapped in slots of this size when it does not fit the target */
const SLOT_SHIFT = 30;
/** free slots kept on each side of a new island so neighbouring mappings can grow into them */
const MARGIN = 4;

/**
 * Maps the addresses of a trace onto the simulated address space of the target geometry.
 *
 * - Same page size and a user address space at least as large as x86-64's: identity.
 * - Otherwise each trace page becomes one target page (addresses and lengths are scaled by
 *   target page / trace page) and the trace's address space is cut into 1 GiB slots placed
 *   into the target's space on first use (contiguous slots stay contiguous when the trace maps
 *   across them, with a few free slots kept around each island). The relative layout inside a
 *   slot, page counts, and which mappings share a PTE table are kept.
 *
 * State: one entry per used slot (bounded by the target's address space, not the trace length).
 * One map serves one address space ({@link AddressMaps}).
 */
export class AddressMap {
  readonly identity: boolean;
  /** target pages per trace page */
  readonly scale: number;
  readonly tracePage: number;
  private readonly slotSize: number;
  private readonly simSlotSize: number;
  private readonly nSlots: number;
  private readonly toSimSlot = new Map<number, number>();
  /** the target slots in use: a set, not an array of every slot (2^18 of them for powerpc's 4 PB) */
  private readonly used = new Set<number>();

  constructor(private readonly geometry: Geometry, tracePageSize = 4096) {
    const page = 2 ** geometry.pageShift;
    if (page < tracePageSize || page % tracePageSize) {
      throw new RangeError(`replay: target page size ${page} is smaller than or not a multiple of the trace page size ${tracePageSize}`);
    }
    this.tracePage = tracePageSize;
    this.scale = page / tracePageSize;
    this.identity = this.scale === 1 && geometry.taskSize >= X86_64_TASK_SIZE;
    this.slotSize = 2 ** SLOT_SHIFT;
    this.simSlotSize = this.slotSize * this.scale;
    this.nSlots = this.identity ? 0 : Math.floor(geometry.taskSize / this.simSlotSize);
  }

  /** A map with the same slots placed: a forked child's, which starts with its parent's layout. */
  clone(): AddressMap {
    const c = new AddressMap(this.geometry, this.tracePage);
    for (const [k, v] of this.toSimSlot) c.toSimSlot.set(k, v);
    for (const s of this.used) c.used.add(s);
    return c;
  }

  /** trace page-aligned bounds of [addr, addr+len) (the kernel rounds lengths up to pages) */
  private bounds(addr: number, len: number): [number, number] {
    const p = this.tracePage;
    const s = addr - (addr % p);
    const e = addr + len;
    return [s, e % p ? e + p - (e % p) : e];
  }

  private simOf(slotSim: number, traceAddr: number, slot: number): number {
    return slotSim * this.simSlotSize + (traceAddr - slot * this.slotSize) * this.scale;
  }

  /**
   * Translate a range that creates a mapping, claiming slots as needed. Null when the target's
   * address space cannot hold it contiguously.
   */
  claim(addr: number, len: number): SimRange | null {
    const [s, e] = this.bounds(addr, len);
    if (this.identity) return { start: s, end: e };
    if (e <= s) return { start: this.point(s) ?? 0, end: this.point(s) ?? 0 };
    const s0 = Math.floor(s / this.slotSize);
    const s1 = Math.floor((e - 1) / this.slotSize);
    const n = s1 - s0 + 1;
    if (n > this.nSlots) return null; // larger than the target's whole address space
    // the sim slot of s0 such that s0..s1 land on consecutive sim slots
    let base: number | undefined;
    for (let k = s0; k <= s1; k++) {
      const got = this.toSimSlot.get(k);
      if (got === undefined) continue;
      if (base === undefined) base = got - (k - s0);
      else if (got - (k - s0) !== base) return null;
    }
    if (base === undefined) {
      const below = this.toSimSlot.get(s0 - 1);
      const above = this.toSimSlot.get(s1 + 1);
      if (below !== undefined && this.free(below + 1, n)) base = below + 1;
      else if (above !== undefined && this.free(above - n, n)) base = above - n;
      else base = this.island(n, s0);
      if (base === undefined) return null;
    }
    for (let k = 0; k < n; k++) {
      const sim = base + k;
      if (sim < 0 || sim >= this.nSlots) return null;
      const owner = this.toSimSlot.get(s0 + k);
      if (owner === undefined && this.used.has(sim)) return null;
    }
    for (let k = 0; k < n; k++) {
      if (!this.toSimSlot.has(s0 + k)) {
        this.toSimSlot.set(s0 + k, base + k);
        this.used.add(base + k);
      }
    }
    return { start: this.simOf(base, s, s0), end: this.simOf(base + n - 1, e, s1) };
  }

  /**
   * Translate a range an operation acts on (munmap, mprotect...): the pieces that fall in slots
   * the trace has used, merged where they are contiguous in the target. Unused slots hold nothing.
   */
  pieces(addr: number, len: number): SimRange[] {
    const [s, e] = this.bounds(addr, len);
    if (this.identity) return e > s ? [{ start: s, end: e }] : [];
    const out: SimRange[] = [];
    const first = Math.floor(s / this.slotSize);
    const last = Math.floor((e - 1) / this.slotSize);
    // the slots in order (a loop, not an array of them: this runs for every unmap); a range
    // wider than the slots in use (a length of 2^64) visits the used slots only
    if (last - first + 1 <= this.toSimSlot.size) {
      for (let slot = first; slot <= last; slot++) this.piece(out, slot, s, e);
    } else {
      for (const slot of [...this.toSimSlot.keys()].filter((k) => k >= first && k <= last).sort((x, y) => x - y)) this.piece(out, slot, s, e);
    }
    return out;
  }

  /** The part of [s, e) in trace slot `slot`, if used, appended to out (merged with the one before when contiguous). */
  private piece(out: SimRange[], slot: number, s: number, e: number): void {
    const sim = this.toSimSlot.get(slot);
    if (sim === undefined) return;
    const a = Math.max(s, slot * this.slotSize);
    const b = Math.min(e, (slot + 1) * this.slotSize);
    const start = this.simOf(sim, a, slot);
    const end = this.simOf(sim, b, slot);
    const prev = out.length > 0 ? out[out.length - 1] : undefined;
    if (prev !== undefined && prev.end === start) prev.end = end;
    else out.push({ start, end });
  }

  /** A single address (in a slot already used), or undefined. */
  point(addr: number): number | undefined {
    if (this.identity) return addr;
    const slot = Math.floor(addr / this.slotSize);
    const sim = this.toSimSlot.get(slot);
    return sim === undefined ? undefined : this.simOf(sim, addr, slot);
  }

  private free(from: number, n: number): boolean {
    if (from < 0 || from + n > this.nSlots) return false;
    for (let i = from; i < from + n; i++) if (this.used.has(i)) return false;
    return true;
  }

  /**
   * A run of n free slots for a new island: near where the trace slot lies in the x86-64 user
   * space (so the layout keeps its order and islands spread out), with MARGIN free slots on both
   * sides if possible (then 1, then none).
   */
  private island(n: number, traceSlot: number): number | undefined {
    const traceSlots = Math.ceil(X86_64_TASK_SIZE / this.slotSize);
    const want = Math.min(this.nSlots - n, Math.max(0, Math.floor((traceSlot / traceSlots) * this.nSlots)));
    for (const margin of [MARGIN, 1, 0]) {
      for (let d = 0; d <= this.nSlots; d++) {
        for (const i of d === 0 ? [want] : [want - d, want + d]) {
          if (i - margin < 0 || i + n + margin > this.nSlots) continue;
          if (this.free(i - margin, n + 2 * margin)) return i;
        }
      }
    }
    return undefined;
  }
}

/**
 * The address maps of the trace's address spaces, one per simulated mm. Every process lays out
 * its own mappings (ASLR gives each its own mmap base), so a process's slots must neither stay
 * claimed once it is gone nor crowd out another's: with one map for the whole trace, a long
 * trace of many processes filled a small target (riscv Sv39's 256 slots) and then refused
 * mappings the kernel made. A forked child starts with a copy of its parent's map (dup_mmap
 * keeps the layout); the mm of an execve starts empty; a map goes when its mm is dropped. The
 * identity mapping has no state: one map serves every mm.
 */
export class AddressMaps<K extends object = object> {
  private readonly maps = new Map<K, AddressMap>();
  private readonly first: AddressMap;

  constructor(private readonly geometry: Geometry, readonly tracePage = 4096) {
    this.first = new AddressMap(geometry, tracePage);
  }

  get identity(): boolean {
    return this.first.identity;
  }

  /** target pages per trace page */
  get scale(): number {
    return this.first.scale;
  }

  /** the map of address space `mm` (made on first use) */
  of(mm: K): AddressMap {
    if (this.first.identity) return this.first;
    let a = this.maps.get(mm);
    if (a === undefined) {
      a = new AddressMap(this.geometry, this.tracePage);
      this.maps.set(mm, a);
    }
    return a;
  }

  /** `child` was forked from `parent`: it maps the trace's addresses where its parent does */
  forked(parent: K, child: K): void {
    const p = this.maps.get(parent);
    if (p !== undefined) this.maps.set(child, p.clone());
  }

  /** address space `mm` is gone */
  dropped(mm: K): void {
    this.maps.delete(mm);
  }
}
