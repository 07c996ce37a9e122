import { Machine, tlbGatherMmu, type Mm, type TraceEvent } from '@tlbsim/core';
import { insnSequence, ppc, ppcRuntime, type PpcOptions, type PpcRuntime } from '../src/index.js';

/** ppc SPEC.md §7 baseline: S is 2M-aligned (and 16M-aligned, for the hash MMU), PID 0x42 */
export const S = 0x7fffa0000000;
export const K64 = 0x10000;
export const M2 = 0x200000;
export const M16 = 0x1000000;
export const G1 = 0x40000000;
export const PID = 0x42;

const hex = (n: number) => '0x' + n.toString(16);

// the notation of ppc SPEC.md §7, as insnSequence renders it
export const L = (va: number, ap = 5, pid = PID) => `tlbiel va=${hex(va)} ap=${ap} ric=0 pid=${hex(pid)}`;
export const G = (va: number, ap = 5, pid = PID) => `tlbie va=${hex(va)} ap=${ap} ric=0 pid=${hex(pid)}`;
export const LP = (ric: number, set: number, pid = PID) => `tlbiel pid=${hex(pid)} ric=${ric} set=${set}`;
export const GP = (ric: number, pid = PID) => `tlbie pid=${hex(pid)} ric=${ric}`;
export const SYNC = ['ptesync'];
export const TAIL = ['eieio', 'tlbsync', 'ptesync'];
export const BAR10 = ['ptesync', 'cp_abort'];
export const BAR9 = ['ptesync'];
export const ERATU = ['slbia IH=3', 'isync'];
/** fixup_tlbie_pid's STQ tlbie: VA (1<<52)-1 masked to 0x000FFFFFFFFFF000, 64K AP, the mm's PID */
export const STQ_PID_FIXUP = G(2 ** 52 - 4096);

export const pages = (start: number, n: number, step = K64) => Array.from({ length: n }, (_, i) => start + i * step);
export const Ls = (start: number, n: number, step = K64, ap = 5) => pages(start, n, step).map((a) => L(a, ap));
export const Gs = (start: number, n: number, step = K64, ap = 5) => pages(start, n, step).map((a) => G(a, ap));
/** POWER9 local whole-PID flush: set 0 with `ric`, sets 1..127 with RIC=0 */
export const P9_SETS = (ric: number, pid = PID) => [LP(ric, 0, pid), ...Array.from({ length: 127 }, (_, i) => LP(0, i + 1, pid))];
/** "P10 PID-local" of ppc SPEC.md §7 */
export const P10_PID_LOCAL = (ric: number, pid = PID) => [...SYNC, LP(ric, 0, pid), ...BAR10, ...ERATU];
export const P9_PID_LOCAL = (ric: number, pid = PID) => [...SYNC, ...P9_SETS(ric, pid), ...BAR9, ...ERATU];

export interface Rig {
  m: Machine;
  rt: PpcRuntime;
  mm: Mm;
}

/** A traced machine on ppc(opts) with process A (PID 0x42) and no threads yet. */
export function rig(opts: PpcOptions = {}, cpus = 4): Rig {
  // the mm's creation (init_new_context's ptesync; isync) is setup, outside the totals tests count
  const m = new Machine({ arch: ppc(opts), cpus, trace: true, setupMetrics: 'separate' });
  const rt = ppcRuntime(m);
  const mm = m.createMm('A');
  rt.mmContext(mm).id = PID;
  return { m, rt, mm };
}

/** Threads of mm running on each of `cpus` (the first is t0). */
export function running(r: Rig, cpus: number[]) {
  return cpus.map((c) => r.m.addThread(r.mm, `t${c}`, c, 'running'));
}

export interface GatherSpec {
  start?: number;
  end?: number;
  pageSize: number;
  freedTables?: boolean;
  fullmm?: boolean;
  needFlushAll?: boolean;
}

export interface FlushResult {
  /** the instruction stream of every CPU in order */
  seq: string[];
  events: TraceEvent[];
  /** one CPU's instructions */
  on(cpu: number): string[];
}

/**
 * One mmu_gather with the given fields, flushed with tlb_flush_mmu_tlbonly on `cpu` (ppc SPEC.md §7
 * rows are stated as gather inputs), then finished.
 */
export function flushGather(r: Rig, cpu: number, f: GatherSpec, mm: Mm = r.mm): FlushResult {
  const { m } = r;
  let events: TraceEvent[] = [];
  m.op('gather', cpu, () => {
    const g = tlbGatherMmu(m, mm, f.fullmm ?? false);
    if (!f.fullmm) {
      g.start = f.start ?? S;
      g.end = f.end ?? S;
    }
    g.pageSize = f.pageSize;
    g.freedTables = f.freedTables ?? false;
    g.needFlushAll = f.needFlushAll ?? false;
    g.clearedPtes = true;
    const before = m.events.length;
    g.flushMmuTlbonly();
    events = m.events.slice(before);
    g.finish();
  });
  return { seq: insnSequence(events), events, on: (cpu: number) => insnSequence(events, cpu) };
}

/** Events recorded while `fn` runs. */
export function capture(m: Machine, fn: () => void): FlushResult {
  const before = m.events.length;
  fn();
  const events = m.events.slice(before);
  return { seq: insnSequence(events), events, on: (cpu: number) => insnSequence(events, cpu) };
}

export function ipiSends(events: readonly TraceEvent[]): { kind: string; targets: number[] }[] {
  return events.filter((e) => e.name === 'ipi_send').map((e) => ({ kind: String(e.args!.kind), targets: e.args!.targets as number[] }));
}

/** the per-mnemonic instruction counts of the run */
export function instr(m: Machine): Record<string, number> {
  return m.metrics.summary().tlbInstructions;
}

export function count(seq: readonly string[], prefix: string): number {
  return seq.filter((s) => s.startsWith(prefix)).length;
}
