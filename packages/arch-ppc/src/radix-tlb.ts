/**
 * The radix MMU's flush entry points (arch/powerpc/mm/book3s64/radix_tlb.c): the mmu_gather hook
 * `radix__tlb_flush`, `radix__flush_tlb_mm`, `__flush_all_mm`, `radix__flush_tlb_page_psize`,
 * `__radix__flush_tlb_range_psize`, `__radix__flush_tlb_range` (flush_tlb_range),
 * `radix__flush_hugetlb_tlb_range` and `radix__flush_tlb_kernel_range`.
 */
import type { GatherView, Mm } from '@tlbsim/core';
import { FlushType, exitFlushLazyTlbs, flushTypeNeeded } from './flush-type.js';
import { RIC_FLUSH_ALL, RIC_FLUSH_PWC, RIC_FLUSH_TLB, WALK_ALL, afterTlbielBarrier, barrier, tlbiPid, tlbieTail } from './insn.js';
import type { PpcRun } from './mmu-context.js';
import {
  rptInvalidate, tlbiePid, tlbieVa, tlbieVaRange, tlbieVaRangeInner,
  tlbielPid, tlbielPidMulticast, tlbielVa, tlbielVaMulticast, tlbielVaRange, tlbielVaRangeInner, tlbielVaRangeMulticast,
} from './radix-tlbi.js';

/**
 * mm_needs_flush_escalation: the POWER9 nest MMU may cache PTEs in its page-walk cache, so RIC=0
 * PID flushes of an mm with copros become RIC=2. POWER10 is exempt.
 */
export function mmNeedsFlushEscalation(r: PpcRun, mm: Mm): boolean {
  if (r.arch31) return false;
  return r.mmContext(mm).copros > 0;
}

/** cputlb_use_tlbie */
function useTlbie(r: PpcRun): boolean {
  return r.tlbieEnabled;
}

/** radix_get_mmu_psize: the gather's page size as a psize shift, or -1 when unknown (incl. 0) */
export function radixGetMmuPsize(r: PpcRun, pageSize: number): number {
  if (pageSize === 2 ** r.pageShift) return r.pageShift;
  if (pageSize === 2 ** 21) return 21;
  if (pageSize === 2 ** 30) return 30;
  return -1;
}

/** radix__flush_tlb_mm */
export function radixFlushTlbMm(r: PpcRun, mm: Mm): void {
  const c = r.mmContext(mm);
  const cpu = r.ctx.currentCpu();
  const type = flushTypeNeeded(r, mm, false);
  if (type === FlushType.Local) tlbielPid(r, cpu, mm, c.id, RIC_FLUSH_TLB);
  else if (type === FlushType.Global) {
    if (!r.o.gtse) rptInvalidate(r, cpu, mm, c.id, { nmmu: c.copros > 0, pwc: false, prt: false, pgShifts: [], start: 0, end: Infinity });
    else if (useTlbie(r)) tlbiePid(r, cpu, mm, c.id, mmNeedsFlushEscalation(r, mm) ? RIC_FLUSH_ALL : RIC_FLUSH_TLB);
    else tlbielPidMulticast(r, mm, c.id, RIC_FLUSH_TLB);
  }
}

/** __flush_all_mm(mm, fullmm): RIC=2 (TLB + page-walk cache + process-table cache) */
export function radixFlushAllMm(r: PpcRun, mm: Mm, fullmm: boolean): void {
  const c = r.mmContext(mm);
  const cpu = r.ctx.currentCpu();
  const type = flushTypeNeeded(r, mm, fullmm);
  if (type === FlushType.Local) tlbielPid(r, cpu, mm, c.id, RIC_FLUSH_ALL);
  else if (type === FlushType.Global) {
    if (!r.o.gtse) rptInvalidate(r, cpu, mm, c.id, { nmmu: c.copros > 0, pwc: true, prt: true, pgShifts: [], start: 0, end: Infinity });
    else if (useTlbie(r)) tlbiePid(r, cpu, mm, c.id, RIC_FLUSH_ALL);
    else tlbielPidMulticast(r, mm, c.id, RIC_FLUSH_ALL);
  }
}

/** radix__flush_tlb_page_psize */
export function radixFlushTlbPagePsize(r: PpcRun, mm: Mm, va: number, shift: number): void {
  const c = r.mmContext(mm);
  const cpu = r.ctx.currentCpu();
  const type = flushTypeNeeded(r, mm, false);
  if (type === FlushType.Local) tlbielVa(r, cpu, mm, va, c.id, shift, RIC_FLUSH_TLB);
  else if (type === FlushType.Global) {
    if (!r.o.gtse) {
      const s = va - (va % 2 ** shift);
      rptInvalidate(r, cpu, mm, c.id, { nmmu: c.copros > 0, pwc: false, prt: false, pgShifts: [shift], start: s, end: s + 2 ** shift });
    } else if (useTlbie(r)) tlbieVa(r, cpu, mm, va, c.id, shift, RIC_FLUSH_TLB);
    else tlbielVaMulticast(r, mm, va, c.id, shift, RIC_FLUSH_TLB);
  }
}

/**
 * __radix__flush_tlb_range_psize: per-page flush of [start, end) in pages of 2^shift, or a whole
 * PID flush above the ceiling (33 global / 256 local, strictly greater, counted in that page
 * size). also_pwc adds a page-walk-cache flush (page tables were freed).
 */
export function radixFlushTlbRangePsize(r: PpcRun, mm: Mm, start: number, end: number, shift: number, alsoPwc: boolean): void {
  const c = r.mmContext(mm);
  const cpu = r.ctx.currentCpu();
  const pgsz = 2 ** shift;
  const nrPages = Math.floor((end - start) / pgsz);
  const type = flushTypeNeeded(r, mm, false);
  if (type === FlushType.None) return;
  const flushPid = nrPages > (type === FlushType.Global ? r.singleCeiling : r.localCeiling);
  if (!r.o.gtse && type === FlushType.Global) {
    rptInvalidate(r, cpu, mm, c.id, { nmmu: c.copros > 0, pwc: alsoPwc, prt: false, pgShifts: [shift], start, end });
  } else if (flushPid) {
    if (type === FlushType.Local) tlbielPid(r, cpu, mm, c.id, alsoPwc ? RIC_FLUSH_ALL : RIC_FLUSH_TLB);
    else if (useTlbie(r)) {
      const pwc = alsoPwc || mmNeedsFlushEscalation(r, mm);
      tlbiePid(r, cpu, mm, c.id, pwc ? RIC_FLUSH_ALL : RIC_FLUSH_TLB);
    } else tlbielPidMulticast(r, mm, c.id, alsoPwc ? RIC_FLUSH_ALL : RIC_FLUSH_TLB);
  } else if (type === FlushType.Local) tlbielVaRange(r, cpu, mm, start, end, c.id, pgsz, shift, alsoPwc);
  else if (useTlbie(r)) tlbieVaRange(r, cpu, mm, start, end, c.id, pgsz, shift, alsoPwc);
  else tlbielVaRangeMulticast(r, mm, start, end, c.id, pgsz, shift, alsoPwc);
}

/**
 * __radix__flush_tlb_range (flush_tlb_range for non-hugetlb VMAs): base-page stride plus a
 * second pass at 2M over whole PMD blocks (THP). A range of a PMD or more also flushes the
 * page-walk cache (mremap moves whole tables) and a PID flush is always RIC=2. (v6.1 and v6.2
 * also treat end == TLB_FLUSH_ALL as fullmm, which no caller passes; dcfecb989afd, v6.3, dropped it.)
 */
export function radixFlushTlbRange(r: PpcRun, mm: Mm, start: number, end: number): void {
  const c = r.mmContext(mm);
  const cpu = r.ctx.currentCpu();
  const shift = r.pageShift;
  const pgsz = 2 ** shift;
  const pmdSize = 2 ** r.pmdShift;
  const nrPages = Math.floor((end - start) / pgsz);
  const type = flushTypeNeeded(r, mm, false);
  if (type === FlushType.None) return;
  const flushPid = nrPages > (type === FlushType.Global ? r.singleCeiling : r.localCeiling);
  const flushPwc = !flushPid && end - start >= pmdSize;
  if (!r.o.gtse && type === FlushType.Global) {
    // pg_sizes: the base size and 2M (THP)
    rptInvalidate(r, cpu, mm, c.id, { nmmu: c.copros > 0, pwc: flushPwc, prt: false, pgShifts: [shift, r.pmdShift], start, end });
    return;
  }
  if (flushPid) {
    if (type === FlushType.Local) tlbielPid(r, cpu, mm, c.id, RIC_FLUSH_ALL);
    else if (useTlbie(r)) tlbiePid(r, cpu, mm, c.id, RIC_FLUSH_ALL);
    else tlbielPidMulticast(r, mm, c.id, RIC_FLUSH_ALL);
    return;
  }
  const hstart = Math.ceil(start / pmdSize) * pmdSize;
  const hend = Math.floor(end / pmdSize) * pmdSize;
  const hflush = hstart < hend;
  if (type === FlushType.Local) {
    barrier(r, cpu, 'ptesync');
    if (flushPwc) {
      tlbiPid(r, cpu, true, c.id, RIC_FLUSH_PWC, 0);
      r.ctx.invalidate(cpu, mm, WALK_ALL);
    }
    tlbielVaRangeInner(r, cpu, mm, start, end, c.id, pgsz, shift);
    if (hflush) tlbielVaRangeInner(r, cpu, mm, hstart, hend, c.id, pmdSize, r.pmdShift);
    afterTlbielBarrier(r, cpu);
    r.ctx.countFlush(cpu, 'ranged');
  } else if (useTlbie(r)) {
    barrier(r, cpu, 'ptesync');
    if (flushPwc) {
      tlbiPid(r, cpu, false, c.id, RIC_FLUSH_PWC);
      r.ctx.invalidateAllCpus(mm, WALK_ALL);
    }
    tlbieVaRangeInner(r, cpu, mm, start, end, c.id, pgsz, shift);
    if (hflush) tlbieVaRangeInner(r, cpu, mm, hstart, hend, c.id, pmdSize, r.pmdShift);
    tlbieTail(r, cpu);
    r.ctx.countFlush(cpu, 'ranged');
  } else {
    tlbielVaRangeMulticast(r, mm, start, end, c.id, pgsz, shift, flushPwc);
    if (hflush) tlbielVaRangeMulticast(r, mm, hstart, hend, c.id, pmdSize, r.pmdShift, flushPwc);
  }
}

/**
 * radix__flush_hugetlb_tlb_range: the hstate's page size; a range of 1G or more also flushes
 * the PWC. `shift` is the hugetlb page shift.
 */
export function radixFlushHugetlbTlbRange(r: PpcRun, mm: Mm, start: number, end: number, shift: number): void {
  radixFlushTlbRangePsize(r, mm, start, end, shift, end - start >= 2 ** r.pudShift);
}

/** radix__flush_tlb_kernel_range: PID 0, always the whole PID with RIC=2 */
export function radixFlushTlbKernelRange(r: PpcRun, start: number, end: number): void {
  const cpu = r.ctx.currentCpu();
  if (!r.o.gtse) {
    r.ctx.instr(cpu, 'hcall H_RPT_INVALIDATE');
    r.ctx.counter(cpu, 'hcall.H_RPT_INVALIDATE');
    if (r.ctx.tracing) r.ctx.trace({ cpu, name: 'hcall', cat: 'tlb', args: { hcall: 'H_RPT_INVALIDATE', pid: 0, target: 'CMMU|NMMU', type: 'TLB|PWC|PRT', start: '0x' + start.toString(16), end: '0x' + end.toString(16) } });
  } else if (useTlbie(r)) tlbiePid(r, cpu, null, 0, RIC_FLUSH_ALL);
  else {
    // _tlbiel_kernel_broadcast: on_each_cpu, then a tlbie for accelerators if capable
    r.ctx.onEachCpuMask(r.ctx.cpus.map((c) => c.id), (c) => tlbielPid(r, c, null, 0, RIC_FLUSH_ALL), { kind: 'do_tlbiel_kernel', wait: true, broadcast: true });
    if (r.tlbieCapable) tlbiePid(r, cpu, null, 0, RIC_FLUSH_ALL);
  }
}

/**
 * radix__tlb_flush, the mmu_gather hook. fullmm: from v6.6 (e43c0a0c3c28, with
 * MMU_LAZY_TLB_SHOOTDOWN) it IPIs every other CPU of the mask out of the mm first, so the
 * __flush_all_mm(fullmm) that follows is local unless a copro is still attached; before, that
 * __flush_all_mm is GLOBAL for any mm that ran on another CPU. Before v6.3 need_flush_all also
 * meant a full flush. Otherwise the gather's page size picks the stride, and freed_tables adds
 * the page-walk-cache flush.
 */
export function radixTlbFlush(r: PpcRun, g: GatherView): void {
  const mm = g.mm;
  if (g.fullmm || (g.needFlushAll && r.k.readsNeedFlushAll)) {
    if (g.fullmm && r.k.radixExitShootdown) exitFlushLazyTlbs(r, mm);
    radixFlushAllMm(r, mm, true);
    return;
  }
  const psize = radixGetMmuPsize(r, g.pageSize);
  if (psize === -1) {
    if (!g.freedTables) radixFlushTlbMm(r, mm);
    else radixFlushAllMm(r, mm, false);
  } else radixFlushTlbRangePsize(r, mm, g.start, g.end, psize, g.freedTables);
}

/**
 * radix__init_new_context (every release from v6.1 to mainline): the new mm's process-table entry
 * is written, then `ptesync; isync` orders it before the PID register can take the new PID.
 */
export function radixInitNewContext(r: PpcRun, _mm: Mm): void {
  const cpu = r.ctx.currentCpu();
  barrier(r, cpu, 'ptesync');
  barrier(r, cpu, 'isync');
}
