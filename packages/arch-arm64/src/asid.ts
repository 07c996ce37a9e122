/**
 * The ASID allocator of arm64 mm/context.c: check_and_switch_context, new_context,
 * flush_context. ASIDs are tagged with a generation; when the bitmap runs out the generation
 * advances, every CPU keeps its active ASID reserved, and every CPU is marked to do one local
 * full TLB invalidation at its next slow-path switch. An ASID is therefore never reused without
 * a flush, and an exiting mm never frees its ASID (it is recycled only by a rollover).
 */
import type { ArchContext, Mm } from '@tlbsim/core';
import type { Arm64Config } from './options.js';
import { hex } from './tlbi.js';

/** ASID_FIRST_VERSION: the generation step (fixed at 1 << 16 since the 2025 fix). */
const GENERATION_STEP = 2 ** 16;

/** An ASID map of `n` ASIDs with every odd one taken (KPTI's), made once per size and copied. */
const kptiMaps = new Map<number, Uint8Array>();
function kptiMap(n: number): Uint8Array {
  let m = kptiMaps.get(n);
  if (!m) {
    m = new Uint8Array(n);
    for (let i = 1; i < n; i += 2) m[i] = 1;
    kptiMaps.set(n, m);
  }
  return m;
}

/** mm->context as far as the allocator is concerned */
export interface Arm64MmContext {
  /** generation | asid (0: never allocated) */
  id: number;
}

export class AsidAllocator {
  readonly bits: number;
  readonly numAsids: number;
  /** asid_map: 1 = in use or reserved */
  private readonly map: Uint8Array;
  generation = GENERATION_STEP;
  private curIdx = 1;
  /** per-CPU active_asids / reserved_asids (context ids) */
  private readonly active: number[];
  private readonly reserved: number[];
  /** tlb_flush_pending cpumask */
  private readonly flushPending: Uint8Array;
  rollovers = 0;

  constructor(
    private readonly ctx: ArchContext,
    private readonly cfg: Arm64Config,
    /** local_flush_tlb_all on a CPU */
    private readonly localFlushAll: (cpu: number) => void,
  ) {
    this.bits = cfg.opts.asidBits;
    this.numAsids = 2 ** this.bits;
    this.map = new Uint8Array(this.numAsids);
    this.active = new Array(ctx.nrCpus).fill(0);
    this.reserved = new Array(ctx.nrCpus).fill(0);
    this.flushPending = new Uint8Array(ctx.nrCpus);
    const available = cfg.opts.kpti ? this.numAsids / 2 : this.numAsids;
    // asids_update_limit only warns; a simulation with as many CPUs as ASIDs would mis-allocate
    if (available - 1 <= ctx.nrCpus) {
      throw new Error(`arm64: ${this.bits}-bit ASIDs${cfg.opts.kpti ? ' with KPTI' : ''} leave ${available - 1} usable ASIDs, not more than the ${ctx.nrCpus} CPUs; use asidBits 16`);
    }
    // asids_init: with CONFIG_UNMAP_KERNEL_AT_EL0 the map starts KPTI-style (odd ASIDs taken)
    // until the first rollover, because CPU capabilities are not final yet
    this.setKptiBits();
  }

  state(mm: Mm): Arm64MmContext {
    return this.ctx.mmState(mm, () => ({ id: 0 }));
  }
  /** ASID(mm) */
  asid(mm: Mm): number {
    return this.state(mm).id % GENERATION_STEP;
  }

  private ctxid2asid(id: number): number {
    return id % this.numAsids;
  }
  /** asid_gen_match: the id's generation is the current one */
  private genMatch(id: number): boolean {
    return Math.floor(id / this.numAsids) === Math.floor(this.generation / this.numAsids);
  }
  /**
   * set_kpti_asid_bits: under KPTI ASIDs come in pairs whose odd member maps only user space, so
   * the odd ASIDs are marked taken and only even ones are handed out.
   */
  private setKptiBits(): void {
    this.map.set(kptiMap(this.numAsids));
  }
  /** set_reserved_asid_bits (no pinned ASIDs: no SVA users are modelled) */
  private setReservedBits(): void {
    this.map.fill(0);
    if (this.cfg.opts.kpti) this.setKptiBits();
  }
  private findNextZero(from: number): number {
    for (let i = from; i < this.numAsids; i++) if (!this.map[i]) return i;
    return this.numAsids;
  }

  /** flush_context: rollover bookkeeping, all CPUs owe a local flush */
  private flushContext(): void {
    this.setReservedBits();
    for (let i = 0; i < this.active.length; i++) {
      let a = this.active[i];
      this.active[i] = 0;
      // a CPU that has not switched since the last rollover still runs its reserved ASID
      if (a === 0) a = this.reserved[i];
      this.map[this.ctxid2asid(a)] = 1;
      this.reserved[i] = a;
    }
    this.flushPending.fill(1);
  }

  /** check_update_reserved_asid */
  private checkUpdateReserved(id: number, newId: number): boolean {
    let hit = false;
    for (let i = 0; i < this.reserved.length; i++) {
      if (this.reserved[i] === id) {
        hit = true;
        this.reserved[i] = newId;
      }
    }
    return hit;
  }

  /** new_context */
  private newContext(mm: Mm): number {
    const old = this.state(mm).id;
    let gen = this.generation;
    if (old !== 0) {
      const a = this.ctxid2asid(old);
      const newId = gen + a;
      if (this.checkUpdateReserved(old, newId)) return newId;
      if (!this.map[a]) {
        this.map[a] = 1;
        return newId;
      }
    }
    let a = this.findNextZero(this.curIdx);
    if (a === this.numAsids) {
      gen = this.generation += GENERATION_STEP;
      this.rollovers++;
      const cpu = this.ctx.currentCpu();
      if (this.ctx.tracing) this.ctx.trace({ cpu, name: 'asid_rollover', cat: 'tlb', args: { generation: hex(gen), mm: mm.name } });
      this.flushContext();
      a = this.findNextZero(1);
    }
    this.map[a] = 1;
    this.curIdx = a;
    return gen + a;
  }

  /** check_and_switch_context(mm) on `cpu` */
  switchTo(cpu: number, mm: Mm): void {
    const st = this.state(mm);
    // fast path: this CPU holds a live ASID and the mm's generation is current
    if (this.active[cpu] !== 0 && this.genMatch(st.id)) {
      this.active[cpu] = st.id;
      return;
    }
    if (!this.genMatch(st.id)) st.id = this.newContext(mm);
    if (this.flushPending[cpu]) {
      this.flushPending[cpu] = 0;
      this.localFlushAll(cpu);
    }
    this.active[cpu] = st.id;
  }
}
