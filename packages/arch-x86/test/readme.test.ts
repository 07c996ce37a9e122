import { Machine, mmap, munmap, touch } from '@tlbsim/core';
import { expect, it } from 'vitest';
import { x86, x86Internals } from '../src/index.js';

it('the README example gives the numbers it claims', () => {
  const m = new Machine({ arch: x86({ pcid: true, pti: false }), cpus: 4, trace: true });
  const A = m.createMm('A');
  m.addThread(A, 'T0', 0, 'running');
  m.addThread(A, 'T1', 1, 'running');
  m.op('mmap', 0, () => mmap(m, A, { addr: 0x7f0000000000, length: 0x400000 }));
  m.op('touch', 0, () => touch(m, A, 0x7f0000001000));
  m.op('munmap', 0, () => munmap(m, A, 0x7f0000001000, 0x1000));
  expect(m.metrics.perCpu()[1].counters['interrupts.TLB']).toBe(1);
  expect(x86Internals(m).mmContext(A).tlbGen).toBe(1);
  expect(m.metrics.violations).toEqual([]);
});
