import { describe, expect, it } from 'vitest';
import { Machine, generic, mmap, touch, munmap } from '../src/index.js';

describe('smoke', () => {
  it('S1-like munmap on generic', () => {
    const m = new Machine({ arch: generic(), cpus: 2, trace: true });
    const mm = m.createMm('A');
    const t0 = m.addThread(mm, 't0', 0, 'running');
    m.addThread(mm, 't1', 1, 'running');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
    m.op('touch', 0, () => { touch(m, mm, 0x400000); touch(m, mm, 0x401000); touch(m, mm, 0x405000); });
    const r = m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x400000));
    expect(r.ok).toBe(true);
    const s = m.metrics.summary();
    console.log(s, m.metrics.violations);
    expect(s.violations).toBe(0);
    void t0;
  });
});
