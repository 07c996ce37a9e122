/**
 * The riscv ASID allocator of arch/riscv/mm/context.c, as a per-machine object: a bitmap of ASIDs
 * in use, a version number in the bits above the ASID, per-CPU active and reserved contexts, and
 * the set of CPUs that must flush their whole TLB at their next slow-path switch.
 */
/** SATP_ASID_BITS on RV64: the version lives above bit 16 of mm->context.id */
export const SATP_ASID_BITS = 16;
const VERSION_UNIT = 2 ** SATP_ASID_BITS;

/** FLUSH_TLB_NO_ASID: flush every address space */
export const NO_ASID = -1;

/** mm->context.id (the only riscv per-mm state the TLB code uses) */
export interface MmContext {
  id: number;
}

/** cntx2asid */
export const cntxAsid = (cntx: number): number => cntx % VERSION_UNIT;
/** cntx2version, as a count of rollovers plus one (the kernel keeps it shifted left by 16) */
export const cntxVersion = (cntx: number): number => Math.floor(cntx / VERSION_UNIT);

export class AsidAllocator {
  /** num_asids */
  readonly numAsids: number;
  /** use_asid_allocator (asids_init: only when there are more than twice as many ASIDs as CPUs) */
  readonly enabled: boolean;
  private currentVersion = VERSION_UNIT;
  private readonly map: Uint8Array;
  private readonly active: number[];
  private readonly reserved: number[];
  /** context_tlb_flush_pending */
  private readonly flushPendingMask: boolean[];
  /** __new_context's static cur_idx */
  private curIdx = 1;
  rollovers = 0;

  constructor(nCpus: number, hasAsids: boolean, asidBits: number) {
    this.numAsids = hasAsids ? 2 ** asidBits : 0;
    this.enabled = hasAsids && this.numAsids > 2 * nCpus;
    this.map = new Uint8Array(Math.max(this.numAsids, 1));
    this.map[0] = 1; // ASID 0 is used at boot
    this.active = new Array(nCpus).fill(0);
    this.reserved = new Array(nCpus).fill(0);
    this.flushPendingMask = new Array(nCpus).fill(false);
  }

  /** the CPU is in context_tlb_flush_pending: it fences everything at its next slow-path switch */
  flushPending(cpu: number): boolean {
    return this.flushPendingMask[cpu];
  }

  /**
   * set_mm_asid: make `mm` current on `cpu`. Returns true when the CPU must then flush its whole
   * TLB (it was marked by a rollover).
   */
  switchTo(c: MmContext, cpu: number): boolean {
    // fast path: this CPU has a live active context and mm's context is of the current version
    if (this.active[cpu] !== 0 && c.id !== 0 && cntxVersion(c.id) * VERSION_UNIT === this.currentVersion) {
      this.active[cpu] = c.id;
      return false;
    }
    // slow path, under context_lock
    if (cntxVersion(c.id) * VERSION_UNIT !== this.currentVersion) c.id = this.newContext(c.id);
    let needFlush = false;
    if (this.flushPendingMask[cpu]) {
      this.flushPendingMask[cpu] = false;
      needFlush = true;
    }
    this.active[cpu] = c.id;
    return needFlush;
  }

  /** check_update_reserved_context: re-version every CPU's reserved copy of cntx */
  private checkUpdateReserved(cntx: number, newcntx: number): boolean {
    let hit = false;
    for (let i = 0; i < this.reserved.length; i++) {
      if (this.reserved[i] === cntx) {
        hit = true;
        this.reserved[i] = newcntx;
      }
    }
    return hit;
  }

  /** __flush_context: rebuild the bitmap from the live contexts, mark every CPU flush-pending */
  private flushContext(): void {
    this.map.fill(0);
    for (let i = 0; i < this.active.length; i++) {
      let cntx = this.active[i];
      this.active[i] = 0;
      // already through a rollover without running anything since: keep its reserved context
      if (cntx === 0) cntx = this.reserved[i];
      this.map[cntxAsid(cntx)] = 1;
      this.reserved[i] = cntx;
    }
    this.map[0] = 1;
    this.flushPendingMask.fill(true);
  }

  private findNextZero(from: number): number {
    for (let a = from; a < this.numAsids; a++) if (!this.map[a]) return a;
    return this.numAsids;
  }

  /** __new_context */
  private newContext(cntx: number): number {
    let ver = this.currentVersion;
    if (cntx !== 0) {
      const newcntx = ver + cntxAsid(cntx);
      // its ASID was live during a rollover: keep it
      if (this.checkUpdateReserved(cntx, newcntx)) return newcntx;
      // its old ASID is still free in this version: take it back
      if (!this.map[cntxAsid(cntx)]) {
        this.map[cntxAsid(cntx)] = 1;
        return newcntx;
      }
    }
    let asid = this.findNextZero(this.curIdx);
    if (asid === this.numAsids) {
      // out of ASIDs: new version, flush everything
      this.currentVersion += VERSION_UNIT;
      ver = this.currentVersion;
      this.rollovers++;
      this.flushContext();
      asid = this.findNextZero(1);
    }
    this.map[asid] = 1;
    this.curIdx = asid;
    return ver + asid;
  }
}
