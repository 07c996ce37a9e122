/** Small harness for the golden scenarios: a machine, process A, and per-operation deltas. */
import { expect } from 'vitest';
import { Machine, mmap, touch, type MachineOptions, type Mm } from '@tlbsim/core';
import { diffCounts } from '@tlbsim/core/testing';
import { riscv, type RiscvOptions } from '../src/index.js';

export const S = 0x40000000;
export const P = 0x1000;
export const PMD = 0x200000;

/** A machine on riscv(opts); process A with t0 running on CPU0 and (unless noT1) t1 on CPU1. */
export function world(opts: RiscvOptions = {}, cpus = 4, noT1 = false, mopts: Partial<MachineOptions> = {}) {
  const m = new Machine({ arch: riscv(opts), cpus, ...mopts });
  const A = m.createMm('A');
  const t0 = m.addThread(A, 't0', 0, 'running');
  const t1 = noT1 ? undefined : m.addThread(A, 't1', 1, 'running');
  return { m, A, t0, t1 };
}

/** mmap `pages` pages at `base` and touch each from every CPU in `cpus` (threads of mm run there). */
export function populate(m: Machine, mm: Mm, base: number, pages: number, cpus: number[] = [0]): void {
  m.op('mmap', cpus[0], () => expect(mmap(m, mm, { addr: base, length: pages * P }).ok).toBe(true));
  for (const c of cpus) {
    m.op('touch', c, () => {
      for (let i = 0; i < pages; i++) expect(touch(m, mm, base + i * P).ok).toBe(true);
    });
  }
}

export interface CpuDelta {
  instr: Record<string, number>;
  counters: Record<string, number>;
  ipis: number;
  full: number;
  ranged: number;
}
export interface Delta {
  archFlushes: number;
  ipis: number;
  ipiBroadcasts: number;
  fullFlushes: number;
  rangedFlushes: number;
  rcuCallbacks: number;
  tablesFreed: number;
  pagesFreed: number;
  instr: Record<string, number>;
  cpu: CpuDelta[];
}

/** Run fn and return what it changed (only non-zero instruction/counter entries are kept). */
export function measure(m: Machine, fn: () => void): Delta {
  const s0 = m.metrics.summary();
  const c0 = m.metrics.perCpu();
  fn();
  const s1 = m.metrics.summary();
  const c1 = m.metrics.perCpu();
  return {
    archFlushes: s1.archFlushes - s0.archFlushes,
    ipis: s1.ipis - s0.ipis,
    ipiBroadcasts: s1.ipiBroadcasts - s0.ipiBroadcasts,
    fullFlushes: s1.fullFlushes - s0.fullFlushes,
    rangedFlushes: s1.rangedFlushes - s0.rangedFlushes,
    rcuCallbacks: s1.rcuCallbacks - s0.rcuCallbacks,
    tablesFreed: s1.tablesFreed - s0.tablesFreed,
    pagesFreed: s1.pagesFreed - s0.pagesFreed,
    instr: diffCounts(s1.tlbInstructions, s0.tlbInstructions),
    cpu: c1.map((c, i) => ({
      instr: diffCounts(c.instructions, c0[i].instructions),
      counters: diffCounts(c.counters, c0[i].counters),
      ipis: c.ipisReceived - c0[i].ipisReceived,
      full: c.fullFlushes - c0[i].fullFlushes,
      ranged: c.rangedFlushes - c0[i].rangedFlushes,
    })),
  };
}

export function clean(m: Machine): void {
  expect(m.metrics.violations, JSON.stringify(m.metrics.violations[0] ?? null)).toEqual([]);
}
