/**
 * The kernel features of the powerpc model: each one's difference in exact counts, and how the
 * backend follows the machine's kernel unless its own `kernel` option says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { Machine, exitThread, kernelFeatures, mmap, tlbGatherMmu, touch } from '@tlbsim/core';
import { PPC_LAZY_TLB_SHOOTDOWN, PPC_RADIX_EXIT_FLUSH, PPC_RADIX_NO_NEED_FLUSH_ALL, ppc, ppcRuntime, type PpcOptions } from '../src/index.js';
import { GP, K64, M2, P10_PID_LOCAL, PID, S, SYNC, TAIL, capture, instr, ipiSends } from './helpers.js';

/** ppc SPEC.md G11: threads of A on c0, c2, c5; c2 and c5 exit first; the exit of c0 captured */
function exitOn(kernel: string, opts: PpcOptions = {}, features: string[] = []) {
  const m = new Machine({ arch: ppc(opts), cpus: 6, trace: true, kernel, features, setupMetrics: 'separate' });
  const rt = ppcRuntime(m);
  const mm = m.createMm('A');
  rt.mmContext(mm).id = PID;
  const [t0, t2, t5] = [0, 2, 5].map((c) => m.addThread(mm, `t${c}`, c, 'running'));
  m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M2 }));
  m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(m, mm, S + i * K64); });
  m.sleep(t2);
  m.sleep(t5);
  m.op('exit t2', 2, () => exitThread(m, t2));
  m.op('exit t5', 5, () => exitThread(m, t5));
  const f = capture(m, () => m.op('exit t0', 0, () => exitThread(m, t0)));
  return { m, rt, mm, f };
}

describe('the feature table', () => {
  it('declares three ppc changes with their ids and releases', () => {
    const ppcs = kernelFeatures().filter((f) => f.packages.includes('ppc')).map((f) => [f.id, f.name, f.mainline]);
    expect(ppcs).toEqual([
      ['45abf5d94b9b', 'ppc-radix-no-need-flush-all', '6.3'],
      ['77f68ebeee20', 'ppc-lazy-tlb-shootdown', '6.4'],
      ['e43c0a0c3c28', 'ppc-radix-exit-flush', '6.6'],
    ]);
    expect([PPC_RADIX_NO_NEED_FLUSH_ALL.id, PPC_LAZY_TLB_SHOOTDOWN.id, PPC_RADIX_EXIT_FLUSH.id]).toEqual(['45abf5d94b9b', '77f68ebeee20', 'e43c0a0c3c28']);
  });
});

describe('e43c0a0c3c28 ppc-radix-exit-flush (v6.6)', () => {
  it('v6.4 (lazy shootdown, no exit branch): one broadcast tlbie RIC=2, then __mmdrop IPIs c2, c5 off the mm', () => {
    const { m, f, mm } = exitOn('6.4');
    expect(f.on(0)).toEqual([...SYNC, GP(2), ...TAIL]);
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_shoot_lazy_tlb', targets: [2, 5] }]);
    expect(instr(m)).toMatchObject({ 'tlbie RIC=2': 1, ptesync: 2, eieio: 1, tlbsync: 1 });
    expect(m.metrics.ipis).toBe(2);
    expect(mm.cpumask.list()).toEqual([0, 2, 5]);
  });
  it('v6.6: the exit flush IPIs c2, c5 out (a RIC=2 PID-local each), then c0 locally: 3 tlbiel, 0 tlbie', () => {
    const { m, f, mm } = exitOn('6.6');
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [2, 5] }]);
    for (const c of [0, 2, 5]) expect(f.on(c)).toEqual(P10_PID_LOCAL(2));
    expect(instr(m)).toEqual({ 'tlbiel RIC=2': 3, ptesync: 6, cp_abort: 3, 'slbia IH=3': 3, isync: 3 });
    expect(mm.cpumask.list()).toEqual([0]);
  });
  it('v6.1: no shootdown at all: the broadcast tlbie and no IPI; +e43c0a0c3c28 alone changes nothing, with +77f68ebeee20 it is v6.6', () => {
    for (const features of [[], ['+ppc-radix-exit-flush']]) {
      const { m, f } = exitOn('6.1', {}, features);
      expect(f.seq).toEqual([...SYNC, GP(2), ...TAIL]);
      expect(m.metrics.ipis).toBe(0);
    }
    const { m, f } = exitOn('6.1', {}, ['+e43c0a0c3c28', '+77f68ebeee20']);
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [2, 5] }]);
    expect(instr(m)['tlbiel RIC=2']).toBe(3);
    expect(m.kernel.label).toBe('6.1 +77f68ebeee20 +e43c0a0c3c28');
  });
  it('a copro still attached at exit (20045f0155ab): v6.6 flushes c0 once, globally (no local tlbiel first)', () => {
    const { f } = exitOn('6.6', { coprocessors: 1 });
    expect(f.on(0)).toEqual([...SYNC, GP(2), ...TAIL]);
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [2, 5] }]);
  });
});

describe('77f68ebeee20 ppc-lazy-tlb-shootdown (v6.4)', () => {
  it('hash exit: no IPI on v6.1; from v6.4 __mmdrop IPIs the CPU still in the mask (hash never trims it)', () => {
    const a = exitOn('6.1', { mmu: 'hash' });
    expect(a.m.metrics.ipis).toBe(0);
    expect(a.m.cpus[2].loadedMm).toBe(a.mm); // c2 keeps the dead mm lazily: refcounted, no IPI
    const b = exitOn('6.4', { mmu: 'hash' });
    expect(ipiSends(b.f.events)).toEqual([{ kind: 'do_shoot_lazy_tlb', targets: [2, 5] }]);
    expect(b.m.metrics.ipis).toBe(2);
    expect(b.m.cpus[2].loadedMm).toBe(null);
    expect(a.f.seq).toEqual(b.f.seq);
  });
});

describe('45abf5d94b9b ppc-radix-no-need-flush-all (v6.3)', () => {
  it('a hand-built gather with need_flush_all: a RIC=2 PID flush on v6.2, the 2-page range from v6.3', () => {
    const flush = (kernel: string) => {
      const m = new Machine({ arch: ppc(), cpus: 2, trace: true, kernel, setupMetrics: 'separate' });
      const mm = m.createMm('A');
      ppcRuntime(m).mmContext(mm).id = PID;
      m.addThread(mm, 't0', 0, 'running');
      return capture(m, () => m.op('g', 0, () => {
        const g = tlbGatherMmu(m, mm);
        g.start = S;
        g.end = S + 2 * K64;
        g.pageSize = K64;
        g.needFlushAll = true;
        g.clearedPtes = true;
        g.flushMmuTlbonly();
        g.finish();
      })).seq;
    };
    expect(flush('6.2')).toEqual(P10_PID_LOCAL(2));
    expect(flush('6.3')).toEqual([...SYNC, 'tlbiel va=0x7fffa0000000 ap=5 ric=0 pid=0x42', 'tlbiel va=0x7fffa0010000 ap=5 ric=0 pid=0x42', 'ptesync', 'cp_abort']);
  });
});

describe('the kernel option and the machine kernel', () => {
  it('absent: the backend follows the machine (--kernel), rebuilt by withKernel', () => {
    const m = new Machine({ arch: ppc(), cpus: 1, kernel: '6.18.44' });
    expect(m.arch.kernel!.label).toBe('6.18.44');
    expect(m.arch.label).toBe('powerpc book3s64 radix (POWER10, 64K pages, tlbie, v6.18.44)');
    expect(m.arch.options.kernel).toBe('mainline'); // the option itself stays as given
  });
  it('given: it overrides the machine kernel (withKernel returns the backend as it is)', () => {
    const a = ppc({ kernel: '6.6' });
    expect(a.withKernel!(new Machine({ arch: ppc(), cpus: 1, kernel: '6.1' }).kernel)).toBe(a);
    const { m, f } = exitOn('6.1', { kernel: '6.6' });
    expect(m.kernel.label).toBe('6.1');
    expect(m.arch.kernel!.label).toBe('6.6');
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [2, 5] }]);
  });
  it('accepts any release from 6.1: the old era values, v-prefixed and stable releases', () => {
    expect(['6.1', '6.6', 'v6.6', '6.12.8', '7.1', 'mainline'].map((k) => ppc({ kernel: k }).kernel!.label)).toEqual(['6.1', '6.6', '6.6', '6.12.8', '7.1', '7.1']);
  });
});
