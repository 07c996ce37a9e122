/**
 * The low-level invalidation helpers of arch/powerpc/mm/book3s64/radix_tlb.c (`_tlbiel_pid`,
 * `_tlbie_pid`, `_tlbie(l)_va`, `_tlbie(l)_va_range`, the POWER9 fixups and the `*_multicast`
 * variants), each reporting what it invalidates to the checker: a tlbie to every CPU (hardware
 * broadcast), a tlbiel to the CPU that executes it.
 */
import type { Invalidation, Mm } from '@tlbsim/core';
import {
  LEAF_ALL, PID_ALL, RIC_FLUSH_ALL, RIC_FLUSH_PWC, RIC_FLUSH_TLB, WALK_ALL, afterTlbielBarrier, barrier, eratInvalidateUser,
  ricInvalidation, tlbiPid, tlbiVa, tlbiVaLoop, tlbieTail, tlbielPidSets, type Ric,
} from './insn.js';
import { POWER9_TLB_SETS_RADIX } from './options.js';
import type { PpcRun } from './mmu-context.js';
import { radixAp } from './geometry.js';

/** the address fixup_tlbie_pid invalidates: (1 << 52) - 1, probably unused */
export const FIXUP_PID_VA = 2 ** 52 - 1;
const AP_64K = 5;

function local(r: PpcRun, cpu: number, mm: Mm | null, inv: Invalidation): void {
  if (mm) r.ctx.invalidate(cpu, mm, inv);
}
function global(r: PpcRun, mm: Mm | null, inv: Invalidation): void {
  if (mm) r.ctx.invalidateAllCpus(mm, inv);
}
function fixupCount(r: PpcRun, cpu: number): void {
  r.ctx.counter(cpu, 'tlbie_fixup');
}
const leafRange = (start: number, n: number, stride: number): Invalidation => ({ start, end: start + n * stride, stride, leaf: true, walk: false });

// ------------------------------------------------------------------ POWER9 errata fixups
/** One POWER9 errata fix-up: a ptesync, then one extra tlbie, counted */
function fixup(r: PpcRun, cpu: number, tlbie: () => void): void {
  barrier(r, cpu, 'ptesync');
  tlbie();
  fixupCount(r, cpu);
}

/** fixup_tlbie_pid: after a PID tlbie (not PWC-only) on POWER9 */
export function fixupTlbiePid(r: PpcRun, cpu: number, pid: number): void {
  if (r.eratBug) fixup(r, cpu, () => tlbiPid(r, cpu, false, 0, RIC_FLUSH_TLB));
  if (r.stqBug) fixup(r, cpu, () => tlbiVa(r, cpu, false, FIXUP_PID_VA, pid, AP_64K, RIC_FLUSH_TLB));
}

/** fixup_tlbie_va: after a single-page tlbie */
export function fixupTlbieVa(r: PpcRun, cpu: number, va: number, pid: number, ap: number): void {
  if (r.eratBug) fixup(r, cpu, () => tlbiVa(r, cpu, false, va, 0, ap, RIC_FLUSH_TLB));
  if (r.stqBug) fixup(r, cpu, () => tlbiVa(r, cpu, false, va, pid, ap, RIC_FLUSH_TLB));
}

/** fixup_tlbie_va_range: after the page loop, on the last page */
export function fixupTlbieVaRange(r: PpcRun, cpu: number, last: number, pid: number, ap: number): void {
  if (r.eratBug) fixup(r, cpu, () => tlbiPid(r, cpu, false, 0, RIC_FLUSH_TLB));
  if (r.stqBug) fixup(r, cpu, () => tlbiVa(r, cpu, false, last, pid, ap, RIC_FLUSH_TLB));
}

// ------------------------------------------------------------------ whole PID
/**
 * _tlbiel_pid: local whole-PID flush. POWER9 must walk all 128 TLB sets (set 0 with `ric`, the
 * rest RIC=0); POWER10 invalidates the PID with one tlbiel. PWC-only needs a single tlbiel.
 */
export function tlbielPid(r: PpcRun, cpu: number, mm: Mm | null, pid: number, ric: Ric): void {
  barrier(r, cpu, 'ptesync');
  tlbiPid(r, cpu, true, pid, ric, 0);
  if (ric === RIC_FLUSH_PWC) {
    afterTlbielBarrier(r, cpu);
    local(r, cpu, mm, WALK_ALL);
    return;
  }
  if (!r.arch31) tlbielPidSets(r, cpu, pid, 1, POWER9_TLB_SETS_RADIX, RIC_FLUSH_TLB);
  afterTlbielBarrier(r, cpu);
  eratInvalidateUser(r, cpu);
  local(r, cpu, mm, ricInvalidation(ric));
  r.ctx.countFlush(cpu, 'full');
}

/** _tlbie_pid: broadcast whole-PID flush, POWER9 fixups unless PWC-only */
export function tlbiePid(r: PpcRun, cpu: number, mm: Mm | null, pid: number, ric: Ric): void {
  barrier(r, cpu, 'ptesync');
  tlbiPid(r, cpu, false, pid, ric);
  global(r, mm, ricInvalidation(ric));
  if (ric !== RIC_FLUSH_PWC) fixupTlbiePid(r, cpu, pid);
  tlbieTail(r, cpu);
  if (ric !== RIC_FLUSH_PWC) r.ctx.countFlush(cpu, 'full');
}

// ------------------------------------------------------------------ single page
/** _tlbiel_va */
export function tlbielVa(r: PpcRun, cpu: number, mm: Mm, va: number, pid: number, shift: number, ric: Ric): void {
  const pgsz = 2 ** shift;
  barrier(r, cpu, 'ptesync');
  tlbiVa(r, cpu, true, va, pid, radixAp(shift), ric);
  afterTlbielBarrier(r, cpu);
  local(r, cpu, mm, ric === RIC_FLUSH_TLB ? leafRange(va - (va % pgsz), 1, pgsz) : ricInvalidation(ric));
  r.ctx.countFlush(cpu, 'ranged');
}

/** _tlbie_va */
export function tlbieVa(r: PpcRun, cpu: number, mm: Mm, va: number, pid: number, shift: number, ric: Ric): void {
  const pgsz = 2 ** shift;
  const ap = radixAp(shift);
  barrier(r, cpu, 'ptesync');
  tlbiVa(r, cpu, false, va, pid, ap, ric);
  global(r, mm, ric === RIC_FLUSH_TLB ? leafRange(va - (va % pgsz), 1, pgsz) : ricInvalidation(ric));
  fixupTlbieVa(r, cpu, va, pid, ap);
  tlbieTail(r, cpu);
  r.ctx.countFlush(cpu, 'ranged');
}

// ------------------------------------------------------------------ page ranges
/** __tlbiel_va_range: the page loop only (the caller brackets it) */
export function tlbielVaRangeInner(r: PpcRun, cpu: number, mm: Mm, start: number, end: number, pid: number, pgsz: number, shift: number): void {
  const n = tlbiVaLoop(r, cpu, true, start, end, pgsz, pid, radixAp(shift));
  if (n) local(r, cpu, mm, leafRange(start, n, pgsz));
}

/** __tlbie_va_range: the page loop and fixup_tlbie_va_range on its last page */
export function tlbieVaRangeInner(r: PpcRun, cpu: number, mm: Mm, start: number, end: number, pid: number, pgsz: number, shift: number): void {
  const ap = radixAp(shift);
  const n = tlbiVaLoop(r, cpu, false, start, end, pgsz, pid, ap);
  if (n) global(r, mm, leafRange(start, n, pgsz));
  fixupTlbieVaRange(r, cpu, start + (n - 1) * pgsz, pid, ap);
}

/** _tlbiel_va_range: ptesync, [PWC], pages, after-tlbiel barrier */
export function tlbielVaRange(r: PpcRun, cpu: number, mm: Mm, start: number, end: number, pid: number, pgsz: number, shift: number, alsoPwc: boolean): void {
  barrier(r, cpu, 'ptesync');
  if (alsoPwc) {
    tlbiPid(r, cpu, true, pid, RIC_FLUSH_PWC, 0);
    local(r, cpu, mm, WALK_ALL);
  }
  tlbielVaRangeInner(r, cpu, mm, start, end, pid, pgsz, shift);
  afterTlbielBarrier(r, cpu);
  r.ctx.countFlush(cpu, 'ranged');
}

/** _tlbie_va_range: ptesync, [PWC], pages + fixups, eieio; tlbsync; ptesync */
export function tlbieVaRange(r: PpcRun, cpu: number, mm: Mm, start: number, end: number, pid: number, pgsz: number, shift: number, alsoPwc: boolean): void {
  barrier(r, cpu, 'ptesync');
  if (alsoPwc) {
    tlbiPid(r, cpu, false, pid, RIC_FLUSH_PWC);
    global(r, mm, WALK_ALL);
  }
  tlbieVaRangeInner(r, cpu, mm, start, end, pid, pgsz, shift);
  tlbieTail(r, cpu);
  r.ctx.countFlush(cpu, 'ranged');
}

// ------------------------------------------------------------------ multicast (tlbie disabled)
/** on_each_cpu_mask(mm_cpumask(mm), fn, wait=1) */
export function onEachCpuMask(r: PpcRun, mm: Mm, kind: string, fn: (cpu: number) => void): void {
  r.ctx.onEachCpuMask(r.ctx.mmCpumask(mm).list(), fn, { kind, wait: true });
}

/** _tlbiel_pid_multicast: every mask CPU flushes the PID locally; a copro still needs tlbie RIC=2 */
export function tlbielPidMulticast(r: PpcRun, mm: Mm, pid: number, ric: Ric): void {
  onEachCpuMask(r, mm, 'do_tlbiel_pid', (cpu) => tlbielPid(r, cpu, mm, pid, ric));
  if (r.mmContext(mm).copros > 0) tlbiePid(r, r.ctx.currentCpu(), mm, pid, RIC_FLUSH_ALL);
}

/** _tlbiel_va_multicast */
export function tlbielVaMulticast(r: PpcRun, mm: Mm, va: number, pid: number, shift: number, ric: Ric): void {
  onEachCpuMask(r, mm, 'do_tlbiel_va', (cpu) => tlbielVa(r, cpu, mm, va, pid, shift, ric));
  if (r.mmContext(mm).copros > 0) tlbieVa(r, r.ctx.currentCpu(), mm, va, pid, shift, RIC_FLUSH_TLB);
}

/** _tlbiel_va_range_multicast */
export function tlbielVaRangeMulticast(r: PpcRun, mm: Mm, start: number, end: number, pid: number, pgsz: number, shift: number, alsoPwc: boolean): void {
  onEachCpuMask(r, mm, 'do_tlbiel_va_range', (cpu) => tlbielVaRange(r, cpu, mm, start, end, pid, pgsz, shift, alsoPwc));
  if (r.mmContext(mm).copros > 0) tlbieVaRange(r, r.ctx.currentCpu(), mm, start, end, pid, pgsz, shift, alsoPwc);
}

// ------------------------------------------------------------------ H_RPT_INVALIDATE (no GTSE)
export interface RptRequest {
  nmmu: boolean;
  pwc: boolean;
  prt: boolean;
  /** page sizes (shifts) in the request; empty = H_RPTI_PAGE_ALL */
  pgShifts: number[];
  start: number;
  /** Infinity for the whole address space (-1UL) */
  end: number;
}

/**
 * pseries_rpt_invalidate: one hcall; the hypervisor invalidates the PID on every CPU of the
 * partition (and the nest MMU with target NMMU). The guest issues no tlbie/tlbiel.
 */
export function rptInvalidate(r: PpcRun, cpu: number, mm: Mm, pid: number, q: RptRequest): void {
  r.ctx.instr(cpu, 'hcall H_RPT_INVALIDATE');
  r.ctx.counter(cpu, 'hcall.H_RPT_INVALIDATE');
  if (r.ctx.tracing) {
    const type = ['TLB', q.pwc && 'PWC', q.prt && 'PRT'].filter(Boolean).join('|');
    r.ctx.trace({ cpu, name: 'hcall', cat: 'tlb', args: {
      hcall: 'H_RPT_INVALIDATE', pid, target: q.nmmu ? 'CMMU|NMMU' : 'CMMU', type,
      pgSizes: q.pgShifts.length ? q.pgShifts.map((s) => 2 ** s) : 'ALL', start: '0x' + q.start.toString(16), end: q.end === Infinity ? '-1' : '0x' + q.end.toString(16),
    } });
  }
  if (q.end === Infinity) {
    global(r, mm, q.pwc ? PID_ALL : LEAF_ALL);
    r.ctx.countFlush(cpu, 'full');
    return;
  }
  const stride = 2 ** Math.min(...q.pgShifts);
  const s = q.start - (q.start % stride);
  global(r, mm, leafRange(s, Math.ceil((q.end - s) / stride), stride));
  if (q.pwc) global(r, mm, WALK_ALL);
  r.ctx.countFlush(cpu, 'ranged');
}

