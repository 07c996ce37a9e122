/** Small harness for the golden scenarios: a machine, process A, and per-operation deltas. */
import { expect } from 'vitest';
import { Machine, mmap, touch, type MachineOptions, type Mm } from '@tlbsim/core';
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
      const failed: number[] = [];
      for (let i = 0; i < pages; i++) if (!touch(m, mm, base + i * P).ok) failed.push(i);
      expect(failed, 'pages not faulted in').toEqual([]);
    });
  }
}

// per-operation deltas: core's testing helper (the same fields every backend's tests read)
export { measure, type MetricsDelta as Delta } from '@tlbsim/core/testing';

export function clean(m: Machine): void {
  expect(m.metrics.violations, JSON.stringify(m.metrics.violations[0] ?? null)).toEqual([]);
}
