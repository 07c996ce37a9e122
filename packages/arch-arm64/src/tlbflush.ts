/**
 * arm64 asm/tlbflush.h: flush_tlb_mm, __flush_tlb_range / __do_flush_tlb_range, the range-op
 * encoding loop (__flush_tlb_range_op), the fall-back limit (__flush_tlb_range_limit_excess and
 * its predecessors), flush_tlb_page, flush_tlb_range, flush_hugetlb_tlb_range,
 * flush_tlb_kernel_range, flush_tlb_all and local_flush_tlb_all, per kernel version.
 *
 * TLBI ...IS is a hardware broadcast: every CPU's TLB is invalidated without an IPI, which is
 * reported with ctx.invalidateAllCpus. Only the non-IS forms stay on the issuing CPU.
 */
import { INVALIDATE_ALL, type ArchContext, type Invalidation, type Mm } from '@tlbsim/core';
import { MAX_TLBI_RANGE_PAGES, pmdSize, pudSize, type GranuleInfo } from './granule.js';
import type { Arm64Config } from './options.js';
import { TTL_UNKNOWN, type Tlbi, type TlbiOp } from './tlbi.js';

/** tlbf_t (v7.1): flush behaviour flags of __flush_tlb_range */
export const TLBF_NONE = 0;
/** leaf entries only: leave the walk cache alone (the old last_level = true) */
export const TLBF_NOWALKCACHE = 1;
/** omit the completing DSB (reclaim batching completes later) */
export const TLBF_NOSYNC = 2;
/** skip the secondary-TLB notifier */
export const TLBF_NONOTIFY = 4;
/** local CPU only (VALE1 with DSB NSHST/NSH) */
export const TLBF_NOBROADCAST = 8;

export class TlbFlush {
  readonly page: number;
  constructor(
    private readonly ctx: ArchContext,
    private readonly cfg: Arm64Config,
    private readonly gi: GranuleInfo,
    readonly tlbi: Tlbi,
    /** ASID(mm): the low 16 bits of mm->context.id */
    private readonly asidOf: (mm: Mm) => number,
    /** every mm that may have entries in some TLB (for the all-ASID invalidations) */
    private readonly liveMms: () => Iterable<Mm>,
  ) {
    this.page = 2 ** gi.pageShift;
  }

  /** flush_tlb_mm: DSB ISHST; TLBI ASIDE1IS; sync; notifier over the whole space. */
  flushTlbMm(mm: Mm): void {
    const t = this.tlbi;
    t.dsb('ISHST');
    t.asid(this.asidOf(mm));
    t.syncUser();
    t.notify(mm, 0, Infinity);
    this.ctx.invalidateAllCpus(mm, INVALIDATE_ALL);
    this.ctx.countFlush(this.ctx.currentCpu(), 'full');
  }

  /**
   * Whether a range of `pages` (PAGE_SIZE units) at `stride` is flushed as the whole ASID instead.
   * 6.1: (end - start) >= MAX_TLBI_OPS * stride without range ops, or pages >= MAX_TLBI_RANGE_PAGES
   * (tested even without them); 73301e464a72 (6.10): pages > MAX_TLBI_RANGE_PAGES for the second
   * test; c753d667d959 (__flush_tlb_range_limit_excess simplified): range ops only check the
   * architectural range limit, without them only MAX_DVM_OPS counts.
   */
  limitExcess(pages: number, stride: number): boolean {
    const { rangeOps, limitSimplified, rangeMaxPages } = this.cfg;
    const dvm = this.gi.ptrsPerPte * stride;
    if (limitSimplified) return rangeOps ? pages > MAX_TLBI_RANGE_PAGES : pages * this.page >= dvm;
    if (!rangeOps && pages * this.page >= dvm) return true;
    return rangeMaxPages ? pages > MAX_TLBI_RANGE_PAGES : pages >= MAX_TLBI_RANGE_PAGES;
  }

  /**
   * __flush_tlb_range_op: issue `op` over `pages` pages from start. Without range support one op
   * per stride. With it, since e2768b798a19, scale counts down from 3, an LPA2 start is first
   * aligned to 64 KiB with single ops, and an odd last page gets a single op; before (6.1) scale
   * counted up from 0 and an odd page was handled first, masking each 5-bit digit.
   */
  rangeOp(op: TlbiOp, rop: TlbiOp, start: number, pages: number, stride: number, asid: number, level: number): void {
    const t = this.tlbi;
    const page = this.page;
    if (!this.cfg.rangeOps) {
      t.va(op, start, (pages * page) / stride, stride, asid, level);
      return;
    }
    const end = start + pages * page;
    let addr = start;
    if (this.cfg.rangeScaleDown) {
      const lpa2 = this.cfg.opts.lpa2;
      let scale = 3;
      while (addr !== end) {
        const left = (end - addr) / page;
        if (left === 1 || (lpa2 && addr % 0x10000 !== 0)) {
          t.va(op, addr, 1, stride, asid, level);
          addr += stride;
          continue;
        }
        if (scale < 0) throw new Error(`arm64: range op loop did not converge at ${addr}`);
        const unit = 2 ** (5 * scale + 1);
        const num = Math.floor(left / unit) - 1;
        if (num >= 0) {
          t.range(rop, addr, asid, scale, num, level);
          addr += (num + 1) * unit * page;
        }
        scale--;
      }
      return;
    }
    let left = pages;
    let scale = 0;
    while (left > 0) {
      if (left % 2 === 1) {
        t.va(op, addr, 1, stride, asid, level);
        addr += stride;
        left -= stride / page;
        continue;
      }
      if (scale > 3) throw new Error(`arm64: range op loop did not converge at ${addr}`);
      const unit = 2 ** (5 * scale + 1);
      const num = (Math.floor(left / unit) % 32) - 1;
      if (num >= 0) {
        t.range(rop, addr, asid, scale, num, level);
        addr += (num + 1) * unit * page;
        left -= (num + 1) * unit;
      }
      scale++;
    }
  }

  /**
   * __do_flush_tlb_range (start and end already stride-aligned): fall back to flush_tlb_mm past
   * the limit; otherwise DSB ISHST, the ops, the notifier, then the completing DSB ISH unless
   * NOSYNC. Leaf-only ops (VALE1IS) leave walk-cache entries; VAE1IS removes them too.
   */
  doFlushTlbRange(mm: Mm, start: number, end: number, stride: number, level: number, flags: number): void {
    const ctx = this.ctx;
    const t = this.tlbi;
    const pages = (end - start) / this.page;
    if (this.limitExcess(pages, stride)) {
      this.flushTlbMm(mm);
      return;
    }
    const local = (flags & TLBF_NOBROADCAST) !== 0;
    const leafOnly = (flags & TLBF_NOWALKCACHE) !== 0;
    if (local && !leafOnly) throw new Error('arm64: TLBF_NOBROADCAST without TLBF_NOWALKCACHE is not a valid flush (BUG() in the kernel)');
    t.dsb(local ? 'NSHST' : 'ISHST');
    const [op, rop]: [TlbiOp, TlbiOp] = !leafOnly ? ['VAE1IS', 'RVAE1IS'] : local ? ['VALE1', 'RVALE1'] : ['VALE1IS', 'RVALE1IS'];
    this.rangeOp(op, rop, start, pages, stride, this.asidOf(mm), level);
    // range ops (and the single ops between them) cover every page of the range
    const inv: Invalidation = { start, end, stride: this.cfg.rangeOps ? this.page : stride, leaf: true, walk: !leafOnly };
    const cpu = ctx.currentCpu();
    if (local) ctx.invalidate(cpu, mm, inv);
    else ctx.invalidateAllCpus(mm, inv);
    if (!(flags & TLBF_NONOTIFY)) t.notify(mm, start, end);
    if (!(flags & TLBF_NOSYNC)) {
      if (local) t.dsb('NSH');
      else t.syncUser();
    }
    ctx.countFlush(cpu, 'ranged');
  }

  /** __flush_tlb_range: round start down and end up to the stride, then flush. */
  flushTlbRangeStride(mm: Mm, start: number, end: number, stride: number, level: number, flags: number): void {
    const s = start - (start % stride);
    const r = end % stride;
    const e = r === 0 ? end : end + stride - r;
    this.doFlushTlbRange(mm, s, e, stride, level, flags);
  }

  /**
   * flush_tlb_page: leaf-only, one page. 64212d689306 hints level 3; before, no hint (same
   * instructions).
   */
  flushTlbPage(mm: Mm, addr: number): void {
    const s = addr - (addr % this.page);
    this.doFlushTlbRange(mm, s, s + this.page, this.page, this.cfg.pageHint ? 3 : TTL_UNKNOWN, TLBF_NOWALKCACHE);
  }

  /**
   * flush_tlb_range: never leaf-only (callers such as THP collapse and page-table moves remove
   * table entries through it), PAGE_SIZE stride, no level hint.
   */
  flushTlbRange(mm: Mm, start: number, end: number): void {
    this.flushTlbRangeStride(mm, start, end, this.page, TTL_UNKNOWN, TLBF_NONE);
  }

  /**
   * flush_hugetlb_tlb_range (arm64 asm/hugetlb.h, from 6.6): stride and level from the hstate
   * size: PMD_SIZE -> (PMD, 2), PUD_SIZE -> (PUD, 1), else (PAGE, 0). With eed6bfa8b282 (6.14,
   * the "invalidation level" fix): PUD -> (PUD, 1) unless the PMD is folded, CONT_PMD/PMD ->
   * (PMD, 2), CONT_PTE -> (PAGE, 3), else (PAGE, unknown). 6.1: the generic flush_tlb_range.
   */
  flushHugetlbTlbRange(mm: Mm, start: number, end: number, hugeSize: number): void {
    const geo = this.ctx.geometry;
    const page = this.page;
    const pmd = pmdSize(geo);
    const pud = pudSize(geo);
    const { hugetlbStride, hugetlbLevel } = this.cfg;
    if (!hugetlbStride) return this.flushTlbRange(mm, start, end);
    let stride = page;
    let level = hugetlbLevel ? TTL_UNKNOWN : 0;
    if (!hugetlbLevel) {
      if (hugeSize === pmd) [stride, level] = [pmd, 2];
      else if (hugeSize === pud) [stride, level] = [pud, 1];
    } else {
      const pmdFolded = geo.levels[1].folding !== 'none';
      if (!pmdFolded && hugeSize === pud) [stride, level] = [pud, 1];
      else if (hugeSize === pmd || hugeSize === pmd * 2 ** this.gi.contPmdShift) [stride, level] = [pmd, 2];
      else if (hugeSize === page * 2 ** this.gi.contPteShift) [stride, level] = [page, 3];
    }
    this.flushTlbRangeStride(mm, start, end, stride, level, TLBF_NONE);
  }

  /**
   * flush_tlb_kernel_range. With a923705c69f7 (6.13): rounded to pages, range ops of VAALE1IS (all
   * ASIDs, leaf) with the user limit, flush_tlb_all past it. Before: one VAALE1IS per page, flush_tlb_all when
   * (end - start) > MAX_TLBI_OPS * PAGE_SIZE. Kernel mappings are not in the TLB model, so only
   * the instructions are recorded.
   */
  flushTlbKernelRange(start: number, end: number): void {
    const t = this.tlbi;
    const page = this.page;
    if (this.cfg.kernelRangeOps) {
      const s = start - (start % page);
      const e = end % page === 0 ? end : end + page - (end % page);
      const pages = (e - s) / page;
      if (this.limitExcess(pages, page)) return this.flushTlbAll();
      t.dsb('ISHST');
      this.rangeOp('VAALE1IS', 'RVAALE1IS', s, pages, page, 0, TTL_UNKNOWN);
      t.syncKernel();
      t.isb();
      this.ctx.countFlush(this.ctx.currentCpu(), 'ranged');
      return;
    }
    if (end - start > this.gi.ptrsPerPte * page) return this.flushTlbAll();
    // the loop steps the 4K-unit operand by PAGE_SIZE >> 12 from start >> 12 while below end >> 12
    const step = page / 4096;
    const n = Math.max(0, Math.ceil((Math.floor(end / 4096) - Math.floor(start / 4096)) / step));
    t.dsb('ISHST');
    t.va('VAALE1IS', Math.floor(start / 4096) * 4096, n, page, 0, TTL_UNKNOWN);
    t.syncKernel();
    t.isb();
    this.ctx.countFlush(this.ctx.currentCpu(), 'ranged');
  }

  /** flush_tlb_all: every ASID (and the kernel) on every CPU. */
  flushTlbAll(): void {
    const t = this.tlbi;
    t.dsb('ISHST');
    t.all('VMALLE1IS');
    t.syncKernel();
    t.isb();
    for (const mm of this.liveMms()) this.ctx.invalidateAllCpus(mm, INVALIDATE_ALL);
    this.ctx.countFlush(this.ctx.currentCpu(), 'full');
  }

  /** local_flush_tlb_all: every ASID on this CPU only (the ASID allocator's rollover flush). */
  localFlushTlbAll(cpu: number): void {
    const t = this.tlbi;
    t.dsb('NSHST');
    t.all('VMALLE1');
    t.dsb('NSH');
    t.isb();
    for (const mm of this.liveMms()) this.ctx.invalidate(cpu, mm, INVALIDATE_ALL);
    this.ctx.countFlush(cpu, 'full');
  }
}
