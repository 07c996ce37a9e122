/**
 * Property: whatever the configuration and the sequence of mm operations, the checker finds
 * nothing on the kernel's behaviour (no stale translation after a free, no stale walk cache,
 * no stale permission).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Machine, exitThread, fork, madvise, mmap, mprotect, mremap, munmap, touch, type Thread } from '@tlbsim/core';
import { ppc, type PpcOptions } from '../src/index.js';

const configs = fc.oneof(
  fc.record({
    mmu: fc.constant('radix' as const),
    cpu: fc.constantFrom('power9' as const, 'power10' as const),
    tlbie: fc.boolean(),
    gtse: fc.boolean(),
    coprocessors: fc.constantFrom(0, 1),
    kernel: fc.constantFrom('6.6' as const, '6.1' as const, '5.12' as const),
    pageSize: fc.constantFrom(65536 as const, 4096 as const),
  }),
  fc.record({
    mmu: fc.constant('hash' as const),
    cpu: fc.constantFrom('power9' as const, 'power10' as const),
    kernel: fc.constantFrom('6.6' as const, '6.1' as const),
    pageSize: fc.constantFrom(65536 as const, 4096 as const),
  }),
);

const op = fc.oneof(
  fc.record({ k: fc.constant('touch' as const), slot: fc.nat(2), page: fc.nat(63) }),
  fc.record({ k: fc.constant('thp' as const), slot: fc.nat(2) }),
  fc.record({ k: fc.constant('munmap' as const), slot: fc.nat(2), page: fc.nat(63), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ k: fc.constant('dontneed' as const), slot: fc.nat(2), page: fc.nat(63), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ k: fc.constant('mprotect' as const), slot: fc.nat(2), write: fc.boolean() }),
  fc.record({ k: fc.constant('migrate' as const), t: fc.nat(2), cpu: fc.nat(3) }),
  fc.record({ k: fc.constant('mremap' as const), slot: fc.nat(2) }),
  fc.record({ k: fc.constant('fork' as const) }),
  fc.record({ k: fc.constant('async' as const), slot: fc.nat(2) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function run(opts: PpcOptions, ops: Op[], nThreads: number): Machine {
  const arch = ppc(opts);
  const m = new Machine({ arch, cpus: 4 });
  const mm = m.createMm('A');
  const ps = 2 ** arch.geometry.pageShift;
  const pmd = 2 ** arch.geometry.levels[1].shift;
  const slotBase = (s: number) => 2 ** 40 + s * 4 * pmd;
  const threads: Thread[] = [];
  for (let i = 0; i < nThreads; i++) threads.push(m.addThread(mm, `t${i}`, i, 'running'));
  m.addThread(null, 'kworker', 3, 'sleeping');
  m.op('mmap', 0, () => { for (let s = 0; s < 3; s++) mmap(m, mm, { addr: slotBase(s), length: 2 * pmd }); });
  // core's H3 check tests a PMD reduction page by page at base-page size, so a correct AP=2M
  // invalidation of a THP reads as stale (see e2e 'known core limitation'): keep those apart
  const thpSlots = new Set<number>();
  const home = () => threads.find((t) => t.state === 'running')?.cpu ?? 0;
  for (const o of ops) {
    const cpu = home();
    switch (o.k) {
      case 'touch': m.op('touch', cpu, () => touch(m, mm, slotBase(o.slot) + o.page * ps)); break;
      case 'thp':
        if (!arch.thpPmdSize) break;
        if (opts.mmu === 'radix') thpSlots.add(o.slot);
        m.op('thp', cpu, () => touch(m, mm, slotBase(o.slot), { thp: true }));
        break;
      case 'munmap': m.op('munmap', cpu, () => munmap(m, mm, slotBase(o.slot) + o.page * ps, o.n * ps)); break;
      case 'dontneed': m.op('madvise', cpu, () => madvise(m, mm, slotBase(o.slot) + o.page * ps, o.n * ps, 'dontneed')); break;
      case 'mprotect': if (!thpSlots.has(o.slot)) m.op('mprotect', cpu, () => mprotect(m, mm, slotBase(o.slot), pmd, { read: true, write: o.write, exec: false })); break;
      case 'mremap': m.op('mremap', cpu, () => mremap(m, mm, slotBase(o.slot), pmd, 2 * pmd)); break;
      case 'fork': m.op('fork', cpu, () => fork(m, mm, 'child')); break;
      case 'async': m.op('kworker', 3, () => madvise(m, mm, slotBase(o.slot), pmd, 'dontneed')); break;
      case 'migrate': {
        const t = threads[o.t % threads.length];
        const c = m.cpus[o.cpu];
        if (t.state !== 'exited' && (!c.curr || c.curr.state !== 'running' || c.curr === t)) {
          if (t.state === 'running') m.sleep(t);
          m.run(t, o.cpu);
        }
        break;
      }
    }
  }
  for (const t of threads) m.op('exit', t.cpu, () => exitThread(m, t));
  m.op('idle', 0, () => {});
  return m;
}

describe('checker finds nothing on the kernel behaviour', () => {
  it('random configurations and operation sequences', () => {
    fc.assert(
      fc.property(configs, fc.array(op, { maxLength: 25 }), fc.integer({ min: 1, max: 3 }), (opts, ops, n) => {
        const m = run(opts, ops, n);
        expect(m.metrics.violations).toEqual([]);
      }),
      { numRuns: 150, seed: 20260101 },
    );
  });
});
