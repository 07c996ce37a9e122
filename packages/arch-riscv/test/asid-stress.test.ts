/**
 * Many processes on few ASIDs: rollovers while stale entries of re-numbered mms sit in other
 * harts' TLBs. The checker must stay clean (the kernel is correct) for every mechanism.
 */
import { describe, expect, it } from 'vitest';
import { Machine, exitThread, mmap, munmap, prng, touch, type Mm, type Thread } from '@tlbsim/core';
import { riscv, riscvMmContext, type RiscvOptions } from '../src/index.js';
import { P, S } from './helpers.js';

function stress(opts: RiscvOptions, seed: number) {
  const cpus = 4;
  const m = new Machine({ arch: riscv(opts), cpus });
  const rnd = prng(seed);
  const procs: { mm: Mm; t: Thread }[] = [];
  const onCpu: (Thread | null)[] = new Array(cpus).fill(null);
  for (let i = 0; i < 24; i++) {
    const mm = m.createMm(`P${i}`);
    const cpu = i % cpus;
    if (onCpu[cpu]) m.sleep(onCpu[cpu]!);
    const t = m.addThread(mm, `p${i}`, cpu, 'running');
    onCpu[cpu] = t;
    m.op('mmap', cpu, () => mmap(m, mm, { addr: S, length: 64 * P }));
    procs.push({ mm, t });
  }
  for (let step = 0; step < 400; step++) {
    const p = procs[Math.floor(rnd() * procs.length)];
    if (p.mm.dead) continue;
    const cpu = Math.floor(rnd() * cpus);
    const r = rnd();
    if (r < 0.45) {
      // schedule p on cpu and touch some pages
      const cur = onCpu[cpu];
      if (cur !== p.t) {
        if (cur && cur.state === 'running') m.sleep(cur);
        if (p.t.state === 'running') { m.sleep(p.t); onCpu[p.t.cpu] = null; }
        m.run(p.t, cpu);
        onCpu[cpu] = p.t;
      }
      const a = S + Math.floor(rnd() * 60) * P;
      m.op('touch', cpu, () => { for (let k = 0; k < 4; k++) touch(m, p.mm, a + k * P); });
    } else if (r < 0.8) {
      const a = S + Math.floor(rnd() * 60) * P;
      const n = 1 + Math.floor(rnd() * 4);
      const where = p.t.state === 'running' ? p.t.cpu : cpu; // from the process or from another context
      m.op('munmap', where, () => munmap(m, p.mm, a, n * P));
      m.op('mmap', where, () => mmap(m, p.mm, { addr: a, length: n * P }));
    } else if (r < 0.82 && procs.filter((x) => !x.mm.dead).length > 6) {
      if (p.t.state !== 'running') m.run(p.t, p.t.cpu === cpu && onCpu[cpu] === null ? cpu : (() => { const c = p.t.cpu; if (onCpu[c] && onCpu[c] !== p.t) m.sleep(onCpu[c]!); return c; })());
      onCpu[p.t.cpu] = p.t;
      m.op('exit', p.t.cpu, () => exitThread(m, p.t));
      onCpu[p.t.cpu] = null;
    }
  }
  return m;
}

describe('ASID rollovers under load', () => {
  for (const opts of [
    { asidBits: 4 }, { asidBits: 4, rfence: 'ipi' }, { asidBits: 4, rfence: 'ipi', svinval: true },
    { asidBits: 4, sbiRangeFlushLimit: Number.MAX_SAFE_INTEGER }, { asid: false, rfence: 'ipi' },
  ] as RiscvOptions[]) {
    it(JSON.stringify(opts), () => {
      for (let seed = 1; seed <= 6; seed++) {
        const m = stress(opts, seed);
        expect(m.metrics.violations, `seed ${seed}: ${JSON.stringify(m.metrics.violations[0] ?? null)}`).toEqual([]);
        if (opts.asid !== false) {
          const versions = m.mms.map((mm) => riscvMmContext(m, mm)?.version ?? 0);
          expect(Math.max(...versions)).toBeGreaterThan(1); // rollovers happened
        }
      }
    });
  }
});
