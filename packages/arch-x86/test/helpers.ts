import { Machine, tlbGatherMmu, type Mm, type Thread, type TraceEvent } from '@tlbsim/core';
import { diffCounts } from '@tlbsim/core/testing';
import { x86, x86Internals, type X86Internals, type X86Options } from '../src/index.js';

/** x86 SPEC.md §14 addresses */
export const S = 0x7f0000000000;
export const PAGE = 0x1000;
export const MB2 = 2 ** 21;
export const GB1 = 2 ** 30;

export const COUNTERS = [
  'interrupts.TLB', 'interrupts.CAL', 'nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all',
  'nr_tlb_local_flush_one',
] as const;
type CounterName = (typeof COUNTERS)[number];

export interface CpuDelta {
  TLB: number;
  CAL: number;
  remote: number;
  received: number;
  localAll: number;
  localOne: number;
  /** instructions executed on this CPU during the measured step */
  instr: Record<string, number>;
  full: number;
  ranged: number;
}

export interface Delta {
  ipis: number;
  ipiBroadcasts: number;
  /** instructions summed over CPUs (including those not attributable to one CPU) */
  instr: Record<string, number>;
  cpu: CpuDelta[];
  /** tlb:tlb_flush events, in order */
  flushes: { cpu: number; reason: number; pages: number }[];
  events: TraceEvent[];
}

const SHORT: Record<CounterName, keyof CpuDelta> = {
  'interrupts.TLB': 'TLB', 'interrupts.CAL': 'CAL', nr_tlb_remote_flush: 'remote', nr_tlb_remote_flush_received: 'received',
  nr_tlb_local_flush_all: 'localAll', nr_tlb_local_flush_one: 'localOne',
};

function snap(m: Machine) {
  return {
    s: m.metrics.summary(),
    per: m.metrics.perCpu(),
    ev: m.events.length,
  };
}

/** Run `fn` and return what changed. */
export function measure(m: Machine, fn: () => void): Delta {
  const before = snap(m);
  fn();
  const after = snap(m);
  const events = m.events.slice(before.ev);
  return {
    ipis: after.s.ipis - before.s.ipis,
    ipiBroadcasts: after.s.ipiBroadcasts - before.s.ipiBroadcasts,
    instr: diffCounts(after.s.tlbInstructions, before.s.tlbInstructions),
    cpu: after.per.map((c, i) => {
      const b = before.per[i];
      const d = { instr: diffCounts(c.instructions, b.instructions), full: c.fullFlushes - b.fullFlushes, ranged: c.rangedFlushes - b.rangedFlushes } as CpuDelta;
      for (const n of COUNTERS) (d as unknown as Record<string, number>)[SHORT[n]] = c.counters[n] - b.counters[n];
      return d;
    }),
    flushes: events.filter((e) => e.name === 'tlb_flush').map((e) => ({ cpu: e.cpu, reason: e.args!.reason as number, pages: e.args!.pages as number })),
    events,
  };
}

/** The CPU counters of a delta without the instruction map, for compact assertions. */
export function counters(d: CpuDelta): Omit<CpuDelta, 'instr' | 'full' | 'ranged'> {
  const { instr: _i, full: _f, ranged: _r, ...rest } = d;
  return rest;
}

export interface Rig {
  m: Machine;
  x: X86Internals;
  A: Mm;
  threads: Thread[];
}

/**
 * A 4-CPU machine with process A. `place` lists, per CPU, how A's thread sits there
 * ('run', 'lazy' for a thread that ran and sleeps, or null for none). CPU0 is the initiator.
 * A's tlb_gen and every slot of A are set to `gen` (x86 SPEC.md §14 uses 100). `kernel`: the
 * machine's kernel and feature changes (default: mainline).
 */
export function rig(opts: X86Options, place: ('run' | 'lazy' | null)[], gen = 100, cpus = 4, kernel?: { kernel?: string; features?: string[] }): Rig {
  const m = new Machine({ arch: x86(opts), cpus, trace: true, ...kernel });
  const x = x86Internals(m);
  const A = m.createMm('A');
  const threads: Thread[] = [];
  place.forEach((p, cpu) => {
    if (p) threads.push(m.addThread(A, `A${cpu}`, cpu, p === 'run' ? 'running' : 'sleeping'));
  });
  x.setTlbGen(A, gen);
  return { m, x, A, threads };
}

/** A gather with its public fields set, flushed with tlb_flush_mmu_tlbonly on `cpu`. */
export function gatherFlush(
  m: Machine, mm: Mm, cpu: number,
  f: { start?: number; end?: number; ptes?: boolean; pmds?: boolean; puds?: boolean; freed?: boolean; fullmm?: boolean },
): void {
  m.op('gather', cpu, () => {
    const g = tlbGatherMmu(m, mm, f.fullmm ?? false);
    if (f.start !== undefined) g.start = f.start;
    if (f.end !== undefined) g.end = f.end;
    g.clearedPtes = !!f.ptes;
    g.clearedPmds = !!f.pmds;
    g.clearedPuds = !!f.puds;
    g.freedTables = !!f.freed;
    g.flushMmuTlbonly();
    g.finish();
  });
}

export function slotGen(x: X86Internals, cpu: number, mm: Mm): number | undefined {
  const id = x.mmContext(mm).ctxId;
  return x.tlbState(cpu).ctxs.find((s) => s.ctxId === id)?.tlbGen;
}
