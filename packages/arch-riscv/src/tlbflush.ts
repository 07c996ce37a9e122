/**
 * The per-machine riscv runtime: the arch tlb_flush (asm/tlb.h), the flush primitives and
 * __flush_tlb_range (mm/tlbflush.c), the local fence helpers (asm/tlbflush.h, errata_list.h),
 * SBI remote fences (kernel/sbi.c), switch_mm and the ASID allocator (mm/context.c), and reclaim
 * batching (arch_tlbbatch_*).
 *
 * TLB model: entries a hart caches carry the ASID that was in satp when they were created. A
 * fence for ASID a reaches only the mms whose entries on that hart are tagged a (all of them for
 * the global forms). Address-form fences remove leaf entries only (privileged spec), reported with
 * `walk: false`; whole-ASID and global fences also remove cached non-leaf entries.
 */
import { INVALIDATE_ALL, internalsKey, tlbGetUnmapShift, type ArchContext, type ArchRuntime, type GatherView, type Invalidation, type Mm, type TlbBatch, type VmaFlagsView } from '@tlbsim/core';
import { AsidAllocator, NO_ASID, cntxAsid, type MmContext } from './asid.js';
import { SBI_TARGET_COST_KEY } from './cost.js';
import type { ResolvedOptions } from './options.js';

/** riscv64 compile-time shifts used by the flush code (PGDIR depends on the satp mode) */
export const PAGE_SHIFT = 12;
export const PMD_SHIFT = 21;
export const PUD_SHIFT = 30;
export const P4D_SHIFT = 39;
export const PGDIR_SHIFT = { sv39: 30, sv48: 39, sv57: 48 } as const;
const PAGE_SIZE = 2 ** PAGE_SHIFT;
/** FLUSH_TLB_MAX_SIZE ((unsigned long)-1) */
const MAX_SIZE = Infinity;
/** SBI v0.2 RFENCE takes a hart mask of BITS_PER_LONG bits above a base hart id */
const HARTS_PER_ECALL = 64;

export const COUNTER_IPI = 'interrupts.IPI1';
export const COUNTER_SBI = 'sbi.rfence';

const hex = (n: number) => (n === Infinity ? 'all' : '0x' + n.toString(16));

/** What one riscv run exposes for inspection. */
export interface RiscvInternals {
  /** mm->context of `mm` on this machine, if the mm has one yet */
  mmContext(mm: Mm): MmContext | undefined;
}

/** The key of riscv's per-run internals (see core's archInternals). */
export const RISCV_INTERNALS = internalsKey<RiscvInternals>('riscv');

export function createRuntime(ctx: ArchContext, o: ResolvedOptions): ArchRuntime {
  /** this run's mm contexts, for inspection (weak: a long replay drops thousands of mms) */
  const contexts = new WeakMap<Mm, MmContext>();
  const nCpus = ctx.nrCpus;
  const asids = new AsidAllocator(nCpus, o.asid, o.asidBits);
  const erratum = o.sifiveCip1200;
  const threshold = o.tlbFlushAllThreshold;
  /** per hart: every mm it may hold entries of, with the ASID those entries are tagged with */
  const held: Map<Mm, number>[] = Array.from({ length: nCpus }, () => new Map());
  const mmCtx = (mm: Mm): MmContext =>
    ctx.mmState<MmContext>(mm, () => {
      const c = { id: 0 }; // init_new_context
      contexts.set(mm, c);
      return c;
    });
  /** get_mm_asid */
  const asidOf = (mm: Mm | null): number => (mm ? cntxAsid(mmCtx(mm).id) : NO_ASID);

  // ------------------------------------------------------------------ effects on one hart
  /** the mm whose flush is being carried out (null: context switch, batch, kernel range) */
  let target: Mm | null = null;
  /**
   * The mms a fence for `asid` reaches on `cpu` (every one for NO_ASID). A fence meant for `target`
   * misses the target's entries on a hart that still tags them with the ASID the mm had before a
   * rollover renumbered it; that hart is flush-pending (it fences everything at its next switch,
   * before it can run any mm again), which is reported as a deferred invalidation.
   */
  const reach = (cpu: number, asid: number, inv: Invalidation) => {
    for (const [mm, tag] of held[cpu]) {
      if (asid === NO_ASID || tag === asid) ctx.invalidate(cpu, mm, inv);
      else if (mm === target && asids.flushPending(cpu)) ctx.invalidateDeferred(cpu, mm, inv);
    }
  };
  /** local_flush_tlb_all: sfence.vma x0, x0 */
  const fenceGlobal = (cpu: number) => {
    ctx.instr(cpu, 'sfence.vma');
    reach(cpu, NO_ASID, INVALIDATE_ALL);
  };
  /** local_flush_tlb_all_asid (ALT_SFENCE_VMA_ASID): sfence.vma x0, asid */
  const fenceAsid = (cpu: number, asid: number) => {
    if (asid === NO_ASID || erratum) return fenceGlobal(cpu);
    ctx.instr(cpu, 'sfence.vma asid');
    reach(cpu, asid, INVALIDATE_ALL);
  };
  /** n x local_flush_tlb_page_asid (ALT_SFENCE_VMA_ADDR[_ASID]) stepping `stride` from start */
  const fencePages = (cpu: number, start: number, n: number, stride: number, asid: number) => {
    if (erratum) {
      for (let i = 0; i < n; i++) fenceGlobal(cpu);
      return;
    }
    ctx.instr(cpu, asid === NO_ASID ? 'sfence.vma addr' : 'sfence.vma addr,asid', n);
    reach(cpu, asid, { start, end: start + n * stride, stride, leaf: true, walk: false });
  };
  /** Svinval: sfence.w.inval; n x local_sinval_vma; sfence.inval.ir */
  const sinvalPages = (cpu: number, start: number, n: number, stride: number, asid: number) => {
    ctx.instr(cpu, 'sfence.w.inval');
    ctx.instr(cpu, asid === NO_ASID ? 'sinval.vma addr' : 'sinval.vma addr,asid', n);
    ctx.instr(cpu, 'sfence.inval.ir');
    reach(cpu, asid, { start, end: start + n * stride, stride, leaf: true, walk: false });
  };

  /** local_flush_tlb_range_asid (+ local_flush_tlb_range_threshold_asid) on `cpu` */
  const localFlushRange = (cpu: number, start: number, size: number, stride: number, asid: number) => {
    if (size <= stride) {
      fencePages(cpu, start, 1, stride, asid);
      ctx.countFlush(cpu, erratum ? 'full' : 'ranged');
      return;
    }
    if (size === MAX_SIZE) {
      fenceAsid(cpu, asid);
      ctx.countFlush(cpu, 'full');
      return;
    }
    const n = Math.ceil(size / stride);
    if (n > threshold) {
      fenceAsid(cpu, asid);
      ctx.countFlush(cpu, 'full');
      return;
    }
    if (o.svinval) sinvalPages(cpu, start, n, stride, asid);
    else fencePages(cpu, start, n, stride, asid);
    ctx.countFlush(cpu, erratum ? 'full' : 'ranged');
  };

  // ------------------------------------------------------------------ remote fences
  /**
   * sbi_remote_sfence_vma_asid -> __sbi_rfence_v02: one ecall per 64-hart window. The firmware
   * (OpenSBI sbi_tlb.c: tlb_update, sbi_tlb_local_sfence_vma[_asid]) fences every hart in the mask,
   * the caller included: a request larger than its tlb_range_flush_limit becomes a whole-ASID
   * (or, without ASID, global) fence; otherwise one address fence per 4 KiB page from start.
   */
  const sbiRemote = (self: number, cpus: readonly number[], start: number, size: number, asid: number) => {
    let ecalls = 0;
    let hbase = -Infinity;
    for (const h of cpus) {
      // hart id = CPU id; the mask is walked in ascending order, so only the upper bound can break a window
      if (h >= hbase + HARTS_PER_ECALL) {
        ecalls++;
        hbase = h;
      }
    }
    ctx.instr(self, asid === NO_ASID ? 'SBI remote_sfence_vma' : 'SBI remote_sfence_vma_asid', ecalls);
    const global = start === 0 && size === 0;
    const full = global || size === MAX_SIZE || size > o.sbiRangeFlushLimit;
    const pages = full ? 0 : Math.ceil(size / PAGE_SIZE);
    const targetCost = ctx.costModel.instructions[SBI_TARGET_COST_KEY] ?? ctx.costModel.defaultInstruction;
    for (const h of cpus) {
      ctx.counter(h, COUNTER_SBI);
      // the firmware's IPI to a remote hart (sbi_tlb.c); the caller fences itself
      if (h !== self) ctx.firmwareIpi(h);
      if (global || (full && asid === NO_ASID)) {
        ctx.instr(h, 'M-mode sfence.vma');
        reach(h, NO_ASID, INVALIDATE_ALL);
      } else if (full) {
        ctx.instr(h, 'M-mode sfence.vma asid');
        reach(h, asid, INVALIDATE_ALL);
      } else {
        ctx.instr(h, asid === NO_ASID ? 'M-mode sfence.vma addr' : 'M-mode sfence.vma addr,asid', pages);
        reach(h, asid, { start, end: start + pages * PAGE_SIZE, stride: PAGE_SIZE, leaf: true, walk: false });
      }
      ctx.countFlush(h, full ? 'full' : 'ranged');
      if (h !== self) ctx.cost(targetCost);
    }
  };

  /** __flush_tlb_range(mm, cmask, start, size, stride) */
  const flushRange = (mm: Mm | null, cpus: readonly number[], start: number, size: number, stride: number) => {
    const asid = asidOf(mm);
    if (cpus.length === 0) return; // cpumask_empty: not even the local hart
    const self = ctx.currentCpu();
    const outer = target;
    target = mm;
    const localOnly = cpus.length === 1 && cpus[0] === self;
    const how = localOnly ? 'local' : o.rfence;
    if (ctx.tracing) {
      ctx.trace({
        cpu: self, name: 'riscv_flush_tlb_range', cat: 'tlb',
        args: { how, mm: mm?.name ?? null, asid: asid === NO_ASID ? 'none' : asid, start: hex(start), size: size === MAX_SIZE ? 'all' : size, stride, cpus: [...cpus] },
      });
    }
    if (localOnly) {
      localFlushRange(self, start, size, stride, asid);
    } else if (o.rfence === 'sbi') {
      sbiRemote(self, cpus, start, size, asid);
    } else {
      // on_each_cpu_mask(cmask, __ipi_flush_tlb_range_asid, wait=1)
      ctx.onEachCpuMask(cpus, (cpu) => localFlushRange(cpu, start, size, stride, asid), { kind: '__ipi_flush_tlb_range_asid', wait: true });
    }
    target = outer;
  };
  const maskOf = (mm: Mm) => ctx.mmCpumask(mm).list();

  // ------------------------------------------------------------------ the primitives
  /** flush_tlb_mm */
  const flushTlbMm = (mm: Mm) => flushRange(mm, maskOf(mm), 0, MAX_SIZE, PAGE_SIZE);
  /** flush_tlb_mm_range */
  const flushTlbMmRange = (mm: Mm, start: number, end: number, pageSize: number) => flushRange(mm, maskOf(mm), start, end - start, pageSize);

  /** the stride flush_tlb_range uses for a hugetlb VMA (huge_page_size, Svnapot rounding) */
  const hugetlbStride = (hugeShift: number): number => {
    let stride = 2 ** hugeShift;
    if (o.svnapot) {
      const levels = [PGDIR_SHIFT[o.satpMode], P4D_SHIFT, PUD_SHIFT, PMD_SHIFT];
      const hit = levels.find((s) => stride >= 2 ** s);
      stride = hit === undefined ? PAGE_SIZE : 2 ** hit;
    }
    return stride;
  };

  return {
    internals: { key: RISCV_INTERNALS, value: { mmContext: (mm: Mm) => contexts.get(mm) } },
    /** tlb_flush (asm/tlb.h) */
    tlbFlush(g: GatherView) {
      if (g.fullmm || g.needFlushAll || g.freedTables) flushTlbMm(g.mm);
      else flushTlbMmRange(g.mm, g.start, g.end, 2 ** tlbGetUnmapShift(g, { page: PAGE_SHIFT, pmd: PMD_SHIFT, pud: PUD_SHIFT, p4d: P4D_SHIFT }));
    },
    flushTlbMm,
    /** flush_tlb_range */
    flushTlbRange(mm: Mm, start: number, end: number, vma: VmaFlagsView) {
      flushRange(mm, maskOf(mm), start, end - start, vma.hugetlb ? hugetlbStride(vma.hugeShift) : PAGE_SIZE);
    },
    /** flush_pmd_tlb_range (tlbflush.c, __HAVE_ARCH_FLUSH_PMD_TLB_RANGE): the range at PMD stride */
    flushPmdTlbRange(mm: Mm, start: number, end: number) {
      flushTlbMmRange(mm, start, end, 2 ** PMD_SHIFT);
    },
    /** flush_tlb_page */
    flushTlbPage(mm: Mm, addr: number) {
      flushRange(mm, maskOf(mm), addr, PAGE_SIZE, PAGE_SIZE);
    },
    /** flush_tlb_kernel_range: every online hart, no ASID (kernel mappings are not in the TLB model) */
    flushTlbKernelRange(start: number, end: number) {
      flushRange(null, Array.from({ length: nCpus }, (_, i) => i), start, end - start, PAGE_SIZE);
    },
    /** switch_mm -> set_mm */
    switchMm(cpu: number, prev: Mm | null, next: Mm) {
      if (prev === next) return;
      const c = mmCtx(next);
      // core has already put cpu in mm_cpumask(next) and loaded next
      if (asids.enabled) {
        // set_mm_asid; the hart keeps its bit in prev's mask (its entries there stay tagged)
        const flushAll = asids.switchTo(c, cpu);
        held[cpu].set(next, cntxAsid(c.id));
        if (flushAll) {
          fenceGlobal(cpu);
          ctx.countFlush(cpu, 'full');
        }
      } else {
        // set_mm_noasid: leave prev's mask, new satp, local_flush_tlb_all_asid(0)
        if (prev) ctx.mmCpumask(prev).clear(cpu);
        held[cpu].set(next, 0);
        fenceAsid(cpu, 0);
        ctx.countFlush(cpu, 'full');
      }
    },
    /** every IPI riscv sends is an smp_call_function: IPI_CALL_FUNC ("IPI1: Function call interrupts") */
    onIpi(cpu: number) {
      ctx.counter(cpu, COUNTER_IPI);
    },
    /** arch_tlbbatch_add_pending / arch_tlbbatch_flush */
    createTlbBatch(): TlbBatch {
      const mask = new Set<number>();
      return {
        addPending(mm: Mm) {
          for (const c of maskOf(mm)) mask.add(c);
        },
        flush() {
          flushRange(null, [...mask].sort((a, b) => a - b), 0, MAX_SIZE, PAGE_SIZE);
          mask.clear();
        },
      };
    },
    /** flush_tlb_batched_pending -> flush_tlb_mm */
    flushTlbBatchedPending: flushTlbMm,
    /** the kernel frees no ASID when an mm dies (its bit stays set until a rollover); forget its entries */
    destroyMm(mm: Mm) {
      for (const h of held) h.delete(mm);
    },
  };
}
