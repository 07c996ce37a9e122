import { Machine, mmap, munmap, touch } from '@tlbsim/core';
import { readFileSync } from 'node:fs';
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

it('the README library example prints what its comments say', () => {
  const m = new Machine({ arch: x86(), cpus: 2, setupMetrics: 'separate' });
  const mm = m.createMm('A');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  const base = 0x40000000, page = 4096;
  m.op('mmap', 0, () => mmap(m, mm, { addr: base + 8 * page, length: page }));
  m.op('mmap', 0, () => mmap(m, mm, { addr: base, length: 8 * page }));
  for (let i = 0; i < 8; i++) m.op('touch', 0, () => touch(m, mm, base + i * page));
  m.op('munmap', 0, () => munmap(m, mm, base, 8 * page));
  const s = m.metrics.summary();
  expect([s.flushes, s.ipis, s.tlbInstructions, s.tablesFreed, s.violations]).toEqual([1, 1, { INVLPG: 16 }, 0, 0]);
  expect(m.metrics.setup!.summary().tlbInstructions).toEqual({ 'CR3 write': 2 });
  // the README shows this very code and these values
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain("m.op('mmap', 0, () => mmap(m, mm, { addr: base + 8 * page, length: page }));");
  expect(readme).toContain('// 1 1 { INVLPG: 16 } 0 0:');
  expect(readme).toContain("console.log(m.metrics.setup!.summary().tlbInstructions); // { 'CR3 write': 2 }");
});
