/**
 * The powerpc TLB-maintenance instructions as the kernel emits them: counted per mnemonic on
 * the issuing CPU, traced one event per instruction when tracing (so a test can read back the
 * exact sequence), and carrying the operand encodings of the kernel's `powerpc:tlbie` tracepoint.
 *
 * Reporting to the checker is done by the composite flush helpers (radix-tlb.ts, hash-tlb.ts),
 * once per invalidation they complete, not here.
 */
import type { Invalidation } from '@tlbsim/core';
import type { PpcRun } from './mmu-context.js';

/** Radix Invalidation Control */
export const RIC_FLUSH_TLB = 0;
export const RIC_FLUSH_PWC = 1;
export const RIC_FLUSH_ALL = 2;
export type Ric = 0 | 1 | 2;

/** What a PID-wide flush with each RIC removes for the checker. */
export const LEAF_ALL: Invalidation = { start: 0, end: Infinity, stride: 1, leaf: true, walk: false };
export const WALK_ALL: Invalidation = { start: 0, end: Infinity, stride: 1, leaf: false, walk: true };
export const PID_ALL: Invalidation = { start: 0, end: Infinity, stride: 1, leaf: true, walk: true };
export function ricInvalidation(ric: Ric): Invalidation {
  return ric === RIC_FLUSH_TLB ? LEAF_ALL : ric === RIC_FLUSH_PWC ? WALK_ALL : PID_ALL;
}

export type Barrier = 'ptesync' | 'eieio' | 'tlbsync' | 'cp_abort' | 'isync' | 'slbia IH=3';

const hex = (n: number) => '0x' + n.toString(16);
/** RS of a process-scoped invalidation: the PID in the upper word (PPC_BITLSHIFT(31)) */
const rsOfPid = (pid: number) => pid * 2 ** 32;
/** RB of the VA form: the page address with the low 12 bits replaced by AP << PPC_BITLSHIFT(58) */
const rbOfVa = (va: number, ap: number) => va - (va % 4096) + ap * 32;

export function barrier(r: PpcRun, cpu: number, m: Barrier): void {
  r.ctx.instr(cpu, m);
  if (r.ctx.tracing) r.ctx.trace({ cpu, name: m, cat: 'tlb' });
}

/** `eieio; tlbsync; ptesync`: wait for a broadcast tlbie to complete everywhere */
export function tlbieTail(r: PpcRun, cpu: number): void {
  barrier(r, cpu, 'eieio');
  barrier(r, cpu, 'tlbsync');
  barrier(r, cpu, 'ptesync');
}

/** ppc_after_tlbiel_barrier: ptesync, then cp_abort on ISA 3.1 (POWER10) */
export function afterTlbielBarrier(r: PpcRun, cpu: number): void {
  barrier(r, cpu, 'ptesync');
  if (r.arch31) barrier(r, cpu, 'cp_abort');
}

/** PPC_RADIX_INVALIDATE_ERAT_USER; isync (end of a local whole-PID flush) */
export function eratInvalidateUser(r: PpcRun, cpu: number): void {
  barrier(r, cpu, 'slbia IH=3');
  barrier(r, cpu, 'isync');
}

function count(r: PpcRun, cpu: number, local: boolean, ric: number, n: number): void {
  const insn = local ? 'tlbiel' : 'tlbie';
  r.ctx.instr(cpu, `${insn} RIC=${ric}`, n);
  r.ctx.counter(cpu, insn, n);
}

function traceRadix(r: PpcRun, cpu: number, local: boolean, args: Record<string, unknown>): void {
  r.ctx.trace({ cpu, name: 'tlbie', cat: 'tlb', args: { insn: local ? 'tlbiel' : 'tlbie', lpid: 0, local: local ? 1 : 0, prs: 1, r: 1, ...args } });
}

/** __tlbie_pid / __tlbiel_pid: IS=1, one PID (tlbiel: one TLB congruence class `set`) */
export function tlbiPid(r: PpcRun, cpu: number, local: boolean, pid: number, ric: Ric, set = 0): void {
  count(r, cpu, local, ric, 1);
  if (r.ctx.tracing) {
    const rb = 2 ** 10 + (local ? set * 2 ** 12 : 0);
    traceRadix(r, cpu, local, { form: 'pid', is: 1, pid, ric, ...(local ? { set } : {}), rb: hex(rb), rs: hex(rsOfPid(pid)) });
  }
}

/** The POWER9 set loop of _tlbiel_pid: sets [from, to) with `ric`, counted at once. */
export function tlbielPidSets(r: PpcRun, cpu: number, pid: number, from: number, to: number, ric: Ric): void {
  const n = to - from;
  if (n <= 0) return;
  count(r, cpu, true, ric, n);
  if (r.ctx.tracing) {
    for (let set = from; set < to; set++) {
      traceRadix(r, cpu, true, { form: 'pid', is: 1, pid, ric, set, rb: hex(2 ** 10 + set * 2 ** 12), rs: hex(rsOfPid(pid)) });
    }
  }
}

/** __tlbie_va / __tlbiel_va: IS=0, one page of size AP */
export function tlbiVa(r: PpcRun, cpu: number, local: boolean, va: number, pid: number, ap: number, ric: Ric): void {
  count(r, cpu, local, ric, 1);
  if (r.ctx.tracing) {
    traceRadix(r, cpu, local, { form: 'va', is: 0, pid, ric, va: hex(va - (va % 4096)), ap, rb: hex(rbOfVa(va, ap)), rs: hex(rsOfPid(pid)) });
  }
}

/**
 * The page loop of __tlbie_va_range / __tlbiel_va_range: one RIC=0 VA invalidation per page,
 * `for (a = start; a < end; a += pgsz)`. Returns the number issued.
 */
export function tlbiVaLoop(r: PpcRun, cpu: number, local: boolean, start: number, end: number, pgsz: number, pid: number, ap: number): number {
  const n = end > start ? Math.ceil((end - start) / pgsz) : 0;
  if (n === 0) return 0;
  count(r, cpu, local, RIC_FLUSH_TLB, n);
  if (r.ctx.tracing) {
    for (let i = 0; i < n; i++) {
      const va = start + i * pgsz;
      traceRadix(r, cpu, local, { form: 'va', is: 0, pid, ric: 0, va: hex(va - (va % 4096)), ap, rb: hex(rbOfVa(va, ap)), rs: hex(rsOfPid(pid)) });
    }
  }
  return n;
}

/** IS=2 (LPID) partition-scoped radix-format tlbie: the POWER9 ERAT fixup of the hash MMU */
export function tlbieLpid(r: PpcRun, cpu: number, lpid: number, ric: Ric): void {
  count(r, cpu, false, ric, 1);
  if (r.ctx.tracing) {
    r.ctx.trace({ cpu, name: 'tlbie', cat: 'tlb', args: { insn: 'tlbie', form: 'lpid', is: 2, lpid, local: 0, ric, prs: 0, r: 1, rb: hex(2 ** 11), rs: hex(lpid) } });
  }
}

/**
 * Hash-MMU (ISA 2.06 form) tlbie/tlbiel of one virtual page: no RIC/PRS/R operands, so the
 * mnemonic is the bare `tlbie` / `tlbiel`. `n` identical-shape instructions over `vas`.
 */
export function hashTlbi(r: PpcRun, cpu: number, local: boolean, vas: ArrayLike<number>, from: number, n: number, psizeShift: number, apShift: number): void {
  if (n <= 0) return;
  const insn = local ? 'tlbiel' : 'tlbie';
  r.ctx.instr(cpu, insn, n);
  r.ctx.counter(cpu, insn, n);
  if (r.ctx.tracing) {
    for (let i = from; i < from + n; i++) {
      const va = vas[i];
      r.ctx.trace({ cpu, name: 'tlbie', cat: 'tlb', args: { insn, form: 'hash', local: local ? 1 : 0, va: hex(va), psize: psizeShift, apsize: apShift } });
    }
  }
}
