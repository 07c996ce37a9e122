/**
 * The x86 features of the kernel axis (features.ts, x86 SPEC.md §15): what each changes, with
 * exact counts, and 6.1's behaviour on the golden scenarios it changes (§14 G04, G05, G18).
 */
import { Machine, madvise, mmap, munmap, parseScenario, runScenario, touch, type Mm } from '@tlbsim/core';
import { describe, expect, it } from 'vitest';
import { x86 } from '../src/index.js';
import { MB2, PAGE, S, counters, gatherFlush, measure, rig, type Rig } from './helpers.js';

const Z = { TLB: 0, CAL: 0, remote: 0, received: 0, localAll: 0, localOne: 0 };

/** CPU1 ran A, then switched to B (G05's setup) */
function switchedAway(kernel: string, features: string[] = []): Rig & { B: Mm } {
  const r = rig({}, ['run', 'run', null, null], 100, 4, { kernel, features });
  const B = r.m.createMm('B');
  r.m.sleep(r.threads[1]);
  r.m.addThread(B, 'B1', 1, 'running');
  return { ...r, B };
}

/** A lone 4-page VMA whose PTE table munmap frees: tables freed and RCU callbacks */
function loneMunmap(r: Rig): { tables: number; rcu: number; ipis: number } {
  const base = S + 32 * MB2;
  r.m.op('mmap', 0, () => { mmap(r.m, r.A, { addr: S, length: PAGE }); mmap(r.m, r.A, { addr: base, length: 4 * PAGE }); });
  r.m.op('touch', 0, () => { touch(r.m, r.A, S); for (let i = 0; i < 4; i++) touch(r.m, r.A, base + i * PAGE); });
  const [t, c] = [r.m.metrics.tablesFreed, r.m.metrics.rcuCallbacks];
  const d = measure(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.A, base, 4 * PAGE)));
  return { tables: r.m.metrics.tablesFreed - t, rcu: r.m.metrics.rcuCallbacks - c, ipis: d.ipis };
}

describe('209954cbc7d0 x86-lazy-cpumask', () => {
  it('with it (7.1) the switched-away CPU keeps its bit and a freed-tables flush IPIs it once (WRONG_CPU)', () => {
    const { m, A } = switchedAway('7.1');
    expect(A.cpumask.has(1)).toBe(true);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(d.ipis).toBe(1);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
  });
  it('without it (7.1 -x86-lazy-cpumask) the bit went at the switch: no IPI', () => {
    const { m, A } = switchedAway('7.1', ['-x86-lazy-cpumask']);
    expect(A.cpumask.has(1)).toBe(false);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(d.ipis).toBe(0);
    expect(counters(d.cpu[0])).toEqual({ ...Z, localOne: 2 });
  });
});

describe('a37259732a7d x86-rcu-table-free and 6375e95f381e pt-reclaim: how x86 frees page tables', () => {
  it('6.15 without PT_RECLAIM still frees through RCU (unconditional)', () => {
    const r = rig({}, ['run', 'run', null, null], 100, 4, { kernel: '6.15', features: ['-pt-reclaim'] });
    expect(loneMunmap(r)).toEqual({ tables: 1, rcu: 1, ipis: 1 });
    expect(r.m.kconfig.PT_RECLAIM).toBe(false);
  });
  it('6.15 without either frees the table with the pages, after the flush', () => {
    const r = rig({}, ['run', 'run', null, null], 100, 4, { kernel: '6.15', features: ['-pt-reclaim', '-x86-rcu-table-free'] });
    expect(loneMunmap(r)).toEqual({ tables: 1, rcu: 0, ipis: 1 });
    expect(r.m.kconfig.MMU_GATHER_RCU_TABLE_FREE).toBe(false);
  });
  it('6.14: PT_RECLAIM selects RCU table freeing; 6.13: no RCU', () => {
    expect(loneMunmap(rig({}, ['run', 'run', null, null], 100, 4, { kernel: '6.14' }))).toEqual({ tables: 1, rcu: 1, ipis: 1 });
    expect(loneMunmap(rig({}, ['run', 'run', null, null], 100, 4, { kernel: '6.13' }))).toEqual({ tables: 1, rcu: 0, ipis: 1 });
  });
  it('pt-reclaim: MADV_DONTNEED of a whole PTE table frees it on 6.14, keeps it on 6.13', () => {
    for (const [kernel, freed] of [['6.14', 1], ['6.13', 0]] as const) {
      const m = new Machine({ arch: x86(), cpus: 1, kernel });
      const A = m.createMm('A');
      m.addThread(A, 'A0', 0, 'running');
      m.op('mmap', 0, () => mmap(m, A, { addr: S, length: 2 * MB2 }));
      m.op('touch', 0, () => { for (let i = 0; i < 512; i++) touch(m, A, S + i * PAGE); });
      const t = m.metrics.tablesFreed;
      m.op('madvise', 0, () => madvise(m, A, S, MB2, 'dontneed'));
      expect(m.metrics.tablesFreed - t).toBe(freed);
    }
  });
});

describe('4afeb0ed1753 x86-invlpgb', () => {
  it('the invlpgb option needs a kernel that has INVLPGB', () => {
    expect(() => new Machine({ arch: x86({ invlpgb: true }), cpus: 4, kernel: '6.14' })).toThrow(
      "x86: option 'invlpgb' must be false with kernel '6.14' (INVLPGB support was merged in v6.15)",
    );
    expect(new Machine({ arch: x86({ invlpgb: true }), cpus: 4, kernel: '6.15' }).arch.label).toBe('x86-64 6.15 (PCID, no PTI, INVLPGB x8)');
  });
});

describe('3ef938c35035 x86-flush-range-freed-tables (backported to 6.1.134)', () => {
  /** flush_tlb_range over A's two pages while CPU1 sits lazy on A */
  const rangeFlush = (kernel: string) => {
    const r = rig({}, ['run', 'lazy', null, null], 100, 4, { kernel });
    r.m.op('mmap', 0, () => mmap(r.m, r.A, { addr: S, length: 2 * PAGE }));
    return measure(r.m, () => r.m.op('flush', 0, () => r.m.runtime.flushTlbRange(r.A, S, S + 2 * PAGE, { exec: false, hugetlb: false })));
  };
  it('6.1: freed_tables false, the lazy CPU is skipped', () => {
    const d = rangeFlush('6.1');
    expect(d.ipis).toBe(0);
    expect(counters(d.cpu[1])).toEqual(Z);
  });
  it('6.1.134: freed_tables true, the lazy CPU gets the IPI and switches to init_mm', () => {
    const d = rangeFlush('6.1.134');
    expect(d.ipis).toBe(1);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
  });
});

describe('6.1 on the golden scenarios it changes (x86 SPEC.md §14)', () => {
  it('G05 on 6.1: the CPU left A\'s mask when it switched, so neither the trim nor freed tables IPI it', () => {
    for (const freed of [false, true]) {
      const { m, A } = switchedAway('6.1');
      m.now = 2_000_000_000; // a trim would be due on 6.14+
      expect(A.cpumask.has(1)).toBe(false);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true, freed }));
      expect(d.ipis).toBe(0);
      expect(counters(d.cpu[0])).toEqual({ ...Z, localOne: 2 });
      expect(counters(d.cpu[1])).toEqual(Z);
    }
  });
  it('G04/G18 on 6.1: freed tables still reach the lazy CPU, which leaves the mask; no RCU', () => {
    const r = rig({}, ['run', 'lazy', null, null], 100, 4, { kernel: '6.1' });
    const d = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + PAGE, pmds: true, freed: true }));
    expect(d.ipis).toBe(1);
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(r.A.cpumask.has(1)).toBe(false);
    expect(r.m.kconfig.MMU_GATHER_RCU_TABLE_FREE).toBe(false);
  });
});

describe('a scenario lets time pass: the once-a-second mm_cpumask trim (wait op)', () => {
  // A's second thread slept on CPU1, which now runs B: CPU1 keeps a stale bit in A's mask
  const scenario = (kernel: string, waits: string[]) => parseScenario(`
machine: { cpus: 2, kernel: '${kernel}' }
processes:
  - { name: A, threads: [ { name: a0, cpu: 0 }, { name: a1, cpu: 1 } ] }
  - { name: B }
ops:
  - mmap: { process: A, addr: 0x7f0000000000, length: 64K }
  - touch: { thread: a0, addr: 0x7f0000000000, pages: 16 }
  - sleep: { thread: a1 }
  - spawn: { process: B, thread: { name: b1, cpu: 1 } }
${waits.map((w) => `  - wait: ${w}\n`).join('')}  - mprotect: { thread: a0, addr: 0x7f0000000000, length: 8K, prot: r }
`, 'trim.yaml');
  const ipisOf = (kernel: string, waits: string[]) => {
    const r = runScenario(scenario(kernel, waits), x86(), { perOpMetrics: true });
    return r.byOp!.find((o) => o.op.endsWith('.mprotect'))!.metrics.ipis;
  };
  it('7.1: no IPI to the stale CPU before a second has passed since the mm was created', () => {
    expect(ipisOf('7.1', [])).toBe(0);
    expect(ipisOf('7.1', ['500ms'])).toBe(0);
  });
  it('7.1: after a wait past the second, the flush trims: one IPI (REMOTE_WRONG_CPU)', () => {
    expect(ipisOf('7.1', ['1001ms'])).toBe(1);
    expect(ipisOf('7.1', ['500ms', '600ms'])).toBe(1);
  });
  it('6.1: the bit went when CPU1 switched away, so waiting changes nothing', () => {
    expect(ipisOf('6.1', ['2s'])).toBe(0);
  });
});

describe('the kernel option overrides the machine\'s kernel for x86', () => {
  it('a release given to x86() becomes the machine\'s kernel when the machine is given none', () => {
    const m = new Machine({ arch: x86({ kernel: '6.1' }), cpus: 1 });
    expect([m.kernel.label, m.arch.label]).toEqual(['6.1', 'x86-64 6.1 (PCID, no PTI)']);
  });
  it('a named value sets x86 alone: the machine stays on mainline', () => {
    const m = new Machine({ arch: x86({ kernel: 'v6.13' }), cpus: 1 });
    expect([m.kernel.label, m.arch.label, m.kconfig.PT_RECLAIM]).toEqual(['7.1', 'x86-64 v6.13 (PCID, no PTI)', false]);
  });
  it('given explicitly, it wins over the machine\'s kernel', () => {
    const m = new Machine({ arch: x86({ kernel: 'v6.14' }), cpus: 1, kernel: '6.1' });
    expect([m.kernel.label, m.arch.label, m.kconfig.PT_RECLAIM]).toEqual(['6.1', 'x86-64 v6.14 (PCID, no PTI)', true]);
  });
});
