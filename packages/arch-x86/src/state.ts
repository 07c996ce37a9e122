/**
 * Per-run x86 state: cpu_tlbstate / cpu_tlbstate_shared per CPU, mm->context per mm, the global
 * ASID space, and the glue that reports every invalidation to core's checker.
 */
import { Cpu, INVALIDATE_ALL, metricId, type ArchContext, type Invalidation, type Mm } from '@tlbsim/core';
import { CR3_WRITE, CR4_WRITE, HYPERCALL, INVLPG, INVPCID, IRQ_CAL, IRQ_TLB, NR_TLB_REMOTE_FLUSH_RECEIVED } from './counters.js';
import type { X86Features } from './features.js';
import type { ResolvedX86Options } from './options.js';

/** TLB_NR_DYN_ASIDS: dynamic ASID slots per CPU */
export const TLB_NR_DYN_ASIDS = 6;
/** init_mm's context.ctx_id; user mms get 2, 3, ... (last_mm_ctx_id starts at 1) */
export const INIT_MM_CTX_ID = 1;
/** TLB_FLUSH_ALL as an end address */
export const TLB_FLUSH_ALL = Infinity;
/** new_tlb_gen of flushes that carry no mm (kernel ranges, reclaim batches) */
export const TLB_GENERATION_INVALID = 0;
export const HZ = 1000;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PMD_SHIFT = 21;

/** the metric ids (ArchContext.counterById) of what every target of a shootdown counts */
export const ID_IRQ_TLB = metricId(IRQ_TLB);
export const ID_IRQ_CAL = metricId(IRQ_CAL);
export const ID_NR_TLB_REMOTE_FLUSH_RECEIVED = metricId(NR_TLB_REMOTE_FLUSH_RECEIVED);
export const ID_INVLPG = metricId(INVLPG);
const ID_CR3_WRITE = metricId(CR3_WRITE);
const ID_INVPCID = metricId(INVPCID);
const ID_CR4_WRITE = metricId(CR4_WRITE);
const ID_HYPERCALL = metricId(HYPERCALL);

/** cpu_tlbstate.ctxs[i]: which mm an ASID slot caches and how current it is */
export interface TlbContext {
  ctxId: number;
  tlbGen: number;
  /**
   * Not a kernel field: the mm whose entries this PCID still holds (null: init_mm or unknown),
   * so that reusing the slot can tell the checker those entries are gone.
   */
  owner: Mm | null;
}

/** cpu_tlbstate + cpu_tlbstate_shared of one CPU (loaded_mm is core's Cpu.loadedMm) */
export interface TlbState {
  loadedMmAsid: number;
  nextAsid: number;
  /** PTI: a kernel mapping changed; other slots must be flushed before reuse */
  invalidateOther: boolean;
  /** PTI: bit kPCID set = that user PCID is flushed on the next return to user */
  userPcidFlushMask: number;
  ctxs: TlbContext[];
  isLazy: boolean;
}

/** mm->context */
export interface MmContext {
  ctxId: number;
  tlbGen: number;
  /** jiffies after which the next multi-CPU flush trims stale mm_cpumask bits */
  nextTrimCpumask: number;
  globalAsid: number;
  asidTransition: boolean;
  /** not a kernel field: CPUs that have loaded this mm on its global ASID (for the checker) */
  onGlobal: Uint8Array;
}

/** struct flush_tlb_info */
export interface FlushTlbInfo {
  mm: Mm | null;
  start: number;
  end: number;
  newTlbGen: number;
  initiatingCpu: number;
  strideShift: number;
  freedTables: boolean;
  trimCpumask: boolean;
}

/** Not a kernel structure: the partial flush_tlb_func of one flush_tlb_info, the same on every CPU */
export interface UserRange {
  info: FlushTlbInfo;
  /** the strides of [start, end): what the tracepoint and nr_tlb_local_flush_one report */
  pages: number;
  /** INVLPGs executed: one per stride started */
  invlpgs: number;
  inv: Invalidation;
}

/** The global ASID allocator of tlb.c (INVLPGB) */
export interface GlobalAsidSpace {
  last: number;
  used: Uint8Array;
  freed: Uint8Array;
  available: number;
}

/**
 * MAX_ASID_AVAILABLE with CONFIG_MITIGATION_PAGE_TABLE_ISOLATION compiled in (as distributions
 * build), whether or not PTI is active at run time: 2^11 - 2.
 */
export const MAX_ASID_AVAILABLE = (1 << 11) - 2;

export function newTlbState(): TlbState {
  const ctxs: TlbContext[] = [];
  for (let i = 0; i < TLB_NR_DYN_ASIDS; i++) ctxs.push({ ctxId: 0, tlbGen: 0, owner: null });
  // boot: init_mm on ASID 0 (initialize_tlbstate_and_flush)
  ctxs[0].ctxId = INIT_MM_CTX_ID;
  return { loadedMmAsid: 0, nextAsid: 1, invalidateOther: false, userPcidFlushMask: 0, ctxs, isLazy: false };
}

/** What one flush must eventually cover, per CPU, for the checker: done[i] for mms[i]. */
interface Coverage {
  mms: Mm[];
  done: Done[];
}
/** the CPUs that invalidated one mm during a flush, and how many they are */
interface Done {
  cpus: Uint8Array;
  n: number;
}

/** The per-run kernel state one backend instance works on. */
export class X86Kernel {
  readonly cpus: TlbState[];
  /** tlb_single_page_flush_ceiling (writable through debugfs) */
  ceiling: number;
  lastCtxId = INIT_MM_CTX_ID;
  /** every live mm this backend has seen, for flushes that hit all address spaces */
  readonly mms = new Set<Mm>();
  /** KVM steal-time records: vCPU preempted, and the FLUSH_TLB request flag */
  readonly preempted: Uint8Array;
  readonly flushOnEnter: Uint8Array;
  readonly asids: GlobalAsidSpace;
  private cover: Coverage | null = null;
  /** the partial flush of the last flush_tlb_info flush_tlb_func ran (see flush.ts userRange) */
  lastUserRange: UserRange | null = null;

  constructor(readonly ctx: ArchContext, readonly opts: ResolvedX86Options, readonly feat: X86Features) {
    const n = ctx.nrCpus;
    this.cpus = Array.from({ length: n }, newTlbState);
    this.ceiling = opts.ceiling;
    this.preempted = new Uint8Array(n);
    this.flushOnEnter = new Uint8Array(n);
    this.asids = {
      last: MAX_ASID_AVAILABLE,
      used: new Uint8Array(MAX_ASID_AVAILABLE),
      freed: new Uint8Array(MAX_ASID_AVAILABLE),
      available: MAX_ASID_AVAILABLE - TLB_NR_DYN_ASIDS - 1,
    };
  }

  /** mm->context, created like init_new_context on first sight */
  mmCtx(mm: Mm): MmContext {
    // a flush reads it for every CPU it reaches: the last one asked for is kept at hand
    if (mm === this.lastMm) return this.lastMmCtx!;
    const c = this.mmState(mm);
    this.lastMm = mm;
    this.lastMmCtx = c;
    return c;
  }
  private lastMm: Mm | null = null;
  private lastMmCtx: MmContext | null = null;
  private mmState(mm: Mm): MmContext {
    return this.ctx.mmState(mm, () => {
      this.mms.add(mm);
      return {
        ctxId: ++this.lastCtxId,
        tlbGen: 0,
        nextTrimCpumask: this.ctx.jiffies() + HZ,
        globalAsid: 0,
        asidTransition: false,
        onGlobal: new Uint8Array(this.cpus.length),
      };
    });
  }

  /** context.tlb_gen of an mm (init_mm's never moves: kernel flushes carry no generation) */
  gen(mm: Mm | null): number {
    return mm ? this.mmCtx(mm).tlbGen : 0;
  }

  ctxIdOf(mm: Mm | null): number {
    return mm ? this.mmCtx(mm).ctxId : INIT_MM_CTX_ID;
  }

  /** cpu_tlbstate.loaded_mm (null: init_mm) */
  loaded(cpu: number): Mm | null {
    return this.ctx.cpus[cpu].loadedMm;
  }

  /** current->pid on `cpu` (the thread id; 0 for idle) */
  pid(cpu: number): number {
    return this.ctx.cpus[cpu].currentTid ?? 0;
  }

  /** Count an instruction. */
  instr(cpu: number, mnemonic: string, n = 1): void {
    if (n > 0) this.instrById(cpu, metricId(mnemonic), n);
  }
  /** instr by the mnemonic's metricId; a Xen PV guest issues its TLB primitives as hypercalls */
  instrById(cpu: number, id: number, n = 1): void {
    if (n <= 0) return;
    if (this.opts.paravirt === 'xen' && (id === ID_INVLPG || id === ID_CR3_WRITE || id === ID_INVPCID || id === ID_CR4_WRITE)) {
      id = ID_HYPERCALL;
    }
    this.ctx.instrById(cpu, id, n);
  }

  counter(cpu: number, name: string, n = 1): void {
    if (n > 0) this.ctx.counter(cpu, name, n);
  }

  /** trace_tlb_flush(reason, pages) */
  trace(cpu: number, reason: number, pages: number): void {
    if (this.ctx.tracing) this.ctx.trace({ cpu, name: 'tlb_flush', cat: 'tlb', args: { pages, reason } });
  }

  // ------------------------------------------------------------------ checker reporting
  /** An invalidation `cpu` executed (or a hypervisor executed for it) for `mm`. */
  invalidate(cpu: number, mm: Mm, inv: Invalidation): void {
    this.ctx.invalidate(cpu, mm, inv);
    this.mark(cpu, mm);
  }

  /** A hardware broadcast reaching every CPU (INVLPGB). */
  invalidateAllCpus(mm: Mm, inv: Invalidation): void {
    this.ctx.invalidateAllCpus(mm, inv);
    if (!this.cover) return;
    for (let c = 0; c < this.cpus.length; c++) this.mark(c, mm);
  }

  private mark(cpu: number, mm: Mm): void {
    const c = this.cover;
    if (!c) return;
    // one mm in all but a flush of every address space
    const i = c.mms[0] === mm ? 0 : c.mms.indexOf(mm);
    if (i < 0) return;
    const d = c.done[i];
    if (d.cpus[cpu] === 0) {
      d.cpus[cpu] = 1;
      d.n++;
    }
  }

  /**
   * Run one flush of `mms`. Every CPU that did not itself invalidate an mm is one the kernel
   * skipped because its tlb_gen catch-up (switch_mm_irqs_off / choose_new_asid) will flush that
   * mm before the CPU next uses it: report that as a deferred invalidation.
   */
  covered(mms: Mm[], fn: () => void): void {
    if (this.cover) {
      // nested (finish_asid_transition re-entering flush_tlb_multi): the outer flush reports
      for (const mm of mms) if (!this.cover.mms.includes(mm)) { this.cover.mms.push(mm); this.cover.done.push(this.noneDone()); }
      fn();
      return;
    }
    // an mm listed twice is reported twice, on one record of what was done
    const cover: Coverage = { mms: [...mms], done: [] };
    for (let i = 0; i < mms.length; i++) {
      const first = mms.indexOf(mms[i]);
      cover.done.push(first < i ? cover.done[first] : this.noneDone());
    }
    this.cover = cover;
    try {
      fn();
    } finally {
      this.cover = null;
    }
    for (let i = 0; i < cover.mms.length; i++) {
      const mm = cover.mms[i];
      const d = cover.done[i];
      if (d.n === d.cpus.length) continue; // every CPU invalidated it (a shootdown to all)
      for (let c = 0; c < d.cpus.length; c++) if (!d.cpus[c] && !this.caughtUp(c, mm)) this.ctx.invalidateDeferred(c, mm, INVALIDATE_ALL);
    }
    // the records go back to be reused by the next flush (one per flush otherwise)
    for (const d of cover.done) if (!this.spareDone.includes(d)) this.spareDone.push(d);
  }
  /** a record of no CPU done, reused from an earlier flush when there is one */
  private noneDone(): Done {
    const d = this.spareDone.pop();
    if (!d) return { cpus: new Uint8Array(this.cpus.length), n: 0 };
    d.cpus.fill(0);
    d.n = 0;
    return d;
  }
  private readonly spareDone: Done[] = [];

  /**
   * `cpu` already runs `mm` on an ASID slot at the mm's current generation: a switch_mm_irqs_off
   * brought it there with a full flush after the generation bump of this flush (choose_new_asid),
   * so it owes nothing and will not flush on its next switch.
   */
  private caughtUp(cpu: number, mm: Mm): boolean {
    const g = this.gen(mm);
    return this.cpus[cpu].ctxs.some((s) => s.owner === mm && s.tlbGen >= g);
  }

  /** The mms whose entries `cpu` may hold in any PCID (loaded + slot owners). */
  cachedMms(cpu: number): Mm[] {
    const r = new Set<Mm>();
    const l = this.loaded(cpu);
    if (l) r.add(l);
    for (const s of this.cpus[cpu].ctxs) if (s.owner) r.add(s.owner);
    return [...r];
  }
}

/** Is `asid` one of the per-CPU dynamic slots (is_dyn_asid)? */
export function isDynAsid(asid: number): boolean {
  return asid < TLB_NR_DYN_ASIDS;
}
export function isGlobalAsid(asid: number): boolean {
  return !isDynAsid(asid);
}

/** kern_pcid(): PCID 0 stays reserved for PCID-unaware code */
export function kernPcid(asid: number): number {
  return asid + 1;
}
/** user_pcid(): the PTI user half, bit 11 set */
export function userPcid(asid: number): number {
  return kernPcid(asid) | (1 << 11);
}
