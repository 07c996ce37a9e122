/**
 * The radix golden scenarios G1-G18 of ppc SPEC.md §7, with their exact instruction
 * sequences. Baseline: radix, 64K pages, POWER10, tlbie enabled, no copros, v6.6, PID 0x42.
 */
import { describe, expect, it } from 'vitest';
import { exitThread, freePgdRange, madvise, mmap, munmap, tlbGatherMmu, touch } from '@tlbsim/core';
import {
  BAR10, BAR9, ERATU, G, G1, GP, Gs, K64, L, LP, Ls, M2, P10_PID_LOCAL, P9_PID_LOCAL, P9_SETS, PID, S, STQ_PID_FIXUP, SYNC, TAIL,
  capture, count, flushGather, instr, ipiSends, rig, running, type Rig,
} from './helpers.js';

const P9_DD22 = { cpu: 'power9', p9Errata: 'erat+stq' } as const;
const P9_DD23 = { cpu: 'power9', p9Errata: 'erat' } as const;

/** mask={c0}, ac=1, current->mm == mm on c0 */
function localRig(opts = {}): Rig {
  const r = rig(opts);
  running(r, [0]);
  return r;
}
/** mask={c0..c3}, ac=4, mm_users=4, current->mm == mm on c0 */
function globalRig(opts = {}): Rig {
  const r = rig(opts);
  running(r, [0, 1, 2, 3]);
  return r;
}

describe('G1 local per-page flush', () => {
  it('16 pages, mask {c0}: SYNC, 16 L[], BAR; 0 tlbie, 0 IPI', () => {
    const r = localRig();
    const f = flushGather(r, 0, { start: S, end: S + 16 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Ls(S, 16), ...BAR10]);
    expect(instr(r.m)).toEqual({ 'tlbiel RIC=0': 16, ptesync: 2, cp_abort: 1 });
    expect(r.m.metrics.ipis).toBe(0);
    expect(r.m.metrics.rangedFlushes).toBe(1);
    expect(r.m.metrics.perCpu()[0].counters.tlbiel).toBe(16);
  });
  it('POWER9: the after-tlbiel barrier has no cp_abort', () => {
    const r = localRig(P9_DD23);
    expect(flushGather(r, 0, { start: S, end: S + 16 * K64, pageSize: K64 }).seq).toEqual([...SYNC, ...Ls(S, 16), ...BAR9]);
  });
});

describe('G2 local ceiling 256 (strictly greater)', () => {
  it('256 pages stay per-page', () => {
    const r = localRig();
    const f = flushGather(r, 0, { start: S, end: S + 256 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Ls(S, 256), ...BAR10]);
  });
  it('257 pages: whole-PID RIC=0, 1 tlbiel on POWER10', () => {
    const r = localRig();
    const f = flushGather(r, 0, { start: S, end: S + 257 * K64, pageSize: K64 });
    expect(f.seq).toEqual(P10_PID_LOCAL(0));
    expect(instr(r.m)['tlbiel RIC=0']).toBe(1);
    expect(r.m.metrics.fullFlushes).toBe(1);
  });
  it('257 pages on POWER9: 128 tlbiel (one per TLB set)', () => {
    const r = localRig(P9_DD23);
    const f = flushGather(r, 0, { start: S, end: S + 257 * K64, pageSize: K64 });
    expect(f.seq).toEqual(P9_PID_LOCAL(0));
    expect(instr(r.m)).toEqual({ 'tlbiel RIC=0': 128, ptesync: 2, 'slbia IH=3': 1, isync: 1 });
  });
});

describe('G3 global per-page tlbie', () => {
  it('8 pages, 4 running CPUs: SYNC, 8 G[], TAIL; 8 tlbie, 0 IPI', () => {
    const r = globalRig();
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Gs(S, 8), ...TAIL]);
    expect(instr(r.m)).toEqual({ 'tlbie RIC=0': 8, ptesync: 2, eieio: 1, tlbsync: 1 });
    expect(r.m.metrics.ipis).toBe(0);
    expect(r.rt.mmContext(r.mm).activeCpus).toBe(4);
  });
});

describe('G4 POWER9 tlbie errata fixups', () => {
  it('Nimbus DD2.2 (ERAT+STQ): 10 tlbie', () => {
    const r = globalRig(P9_DD22);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Gs(S, 8), ...SYNC, GP(0, 0), ...SYNC, G(S + 7 * K64), ...TAIL]);
    expect(count(f.seq, 'tlbie ')).toBe(10);
    expect(r.m.metrics.perCpu()[0].counters.tlbie_fixup).toBe(2);
  });
  it('DD2.3 (ERAT only): 9 tlbie', () => {
    const r = globalRig(P9_DD23);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Gs(S, 8), ...SYNC, GP(0, 0), ...TAIL]);
    expect(count(f.seq, 'tlbie ')).toBe(9);
  });
});

describe('G5 global ceiling 33 (strictly greater)', () => {
  it('33 pages: 33 G[]', () => {
    const r = globalRig();
    expect(flushGather(r, 0, { start: S, end: S + 33 * K64, pageSize: K64 }).seq).toEqual([...SYNC, ...Gs(S, 33), ...TAIL]);
  });
  it('34 pages: one PID tlbie RIC=0', () => {
    const r = globalRig();
    expect(flushGather(r, 0, { start: S, end: S + 34 * K64, pageSize: K64 }).seq).toEqual([...SYNC, GP(0), ...TAIL]);
    expect(instr(r.m)['tlbie RIC=0']).toBe(1);
  });
  it('34 pages on POWER9 DD2.2: PID tlbie + 2 fixups = 3 tlbie, STQ fixup RB = 0x000FFFFFFFFFF000|0xA0', () => {
    const r = globalRig(P9_DD22);
    const f = flushGather(r, 0, { start: S, end: S + 34 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, GP(0), ...SYNC, GP(0, 0), ...SYNC, STQ_PID_FIXUP, ...TAIL]);
    const stq = f.events.filter((e) => e.name === 'tlbie').at(-1)!;
    expect(stq.args).toMatchObject({ rb: '0xffffffffff0a0', rs: '0x4200000000', ric: 0, prs: 1, r: 1, local: 0 });
  });
});

describe('G6 tlbie disabled: tlbiel by IPI', () => {
  it('8 pages: c0 runs directly, 3 synchronous IPIs; each CPU SYNC, 8 L[], BAR; 32 tlbiel', () => {
    const r = globalRig({ tlbie: false });
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    for (const c of [0, 1, 2, 3]) expect(f.on(c)).toEqual([...SYNC, ...Ls(S, 8), ...BAR10]);
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_tlbiel_va_range', targets: [1, 2, 3] }]);
    expect(r.m.metrics.ipis).toBe(3);
    expect(instr(r.m)['tlbiel RIC=0']).toBe(32);
    expect(instr(r.m)['tlbie RIC=0']).toBeUndefined();
  });
  it('34 pages: the global ceiling still applies -> each CPU a PID-local RIC=0 (4 tlbiel, 4 ERAT flushes)', () => {
    const r = globalRig({ tlbie: false });
    const f = flushGather(r, 0, { start: S, end: S + 34 * K64, pageSize: K64 });
    for (const c of [0, 1, 2, 3]) expect(f.on(c)).toEqual(P10_PID_LOCAL(0));
    expect(instr(r.m)).toMatchObject({ 'tlbiel RIC=0': 4, 'slbia IH=3': 4 });
    expect(r.m.metrics.ipis).toBe(3);
  });
  it('34 pages on POWER9: 512 tlbiel', () => {
    const r = globalRig({ tlbie: false, ...P9_DD23 });
    flushGather(r, 0, { start: S, end: S + 34 * K64, pageSize: K64 });
    expect(instr(r.m)['tlbiel RIC=0']).toBe(512);
  });
});

describe('G7 munmap of a 2M region that frees its PTE table', () => {
  it('gather inputs: SYNC, LP(1,0), 32 L[], BAR = 33 tlbiel', () => {
    const r = localRig();
    const f = flushGather(r, 0, { start: S, end: S + M2, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([...SYNC, LP(1, 0), ...Ls(S, 32), ...BAR10]);
    expect(count(f.seq, 'tlbiel')).toBe(33);
  });
  it('through munmap: 32 touched pages, the PTE table freed after RCU, checker clean', () => {
    const r = localRig();
    const { m, mm } = r;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: S, length: M2 });
      mmap(m, mm, { addr: S + 2 * M2, length: M2, name: 'neighbour' }); // keeps the PMD table
    });
    m.op('touch', 0, () => { for (let i = 0; i < 32; i++) touch(m, mm, S + i * K64); });
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, M2)));
    expect(f.seq).toEqual([...SYNC, LP(1, 0), ...Ls(S, 32), ...BAR10]);
    expect(m.metrics.archFlushes).toBe(1);
    expect(m.metrics.pagesFreed).toBe(32);
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('G8 freed tables, 300 pages, local', () => {
  it('POWER10: PID-local RIC=2 (1 tlbiel)', () => {
    const r = localRig();
    expect(flushGather(r, 0, { start: S, end: S + 300 * K64, pageSize: K64, freedTables: true }).seq).toEqual(P10_PID_LOCAL(2));
  });
  it('POWER9: LP(2,0) + LP(0,1..127)', () => {
    const r = localRig(P9_DD23);
    const f = flushGather(r, 0, { start: S, end: S + 300 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([...SYNC, ...P9_SETS(2), ...BAR9, ...ERATU]);
    expect(instr(r.m)).toMatchObject({ 'tlbiel RIC=2': 1, 'tlbiel RIC=0': 127 });
  });
});

describe('G9 freed tables, 4 pages, global', () => {
  it('SYNC, GP(1), 4 G[], TAIL = 5 tlbie', () => {
    const r = globalRig();
    const f = flushGather(r, 0, { start: S, end: S + 4 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([...SYNC, GP(1), ...Gs(S, 4), ...TAIL]);
    expect(instr(r.m)).toMatchObject({ 'tlbie RIC=1': 1, 'tlbie RIC=0': 4 });
  });
  it('POWER9 DD2.2: fixups after the VA loop only (the PWC tlbie gets none) = 7 tlbie', () => {
    const r = globalRig(P9_DD22);
    const f = flushGather(r, 0, { start: S, end: S + 4 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([...SYNC, GP(1), ...Gs(S, 4), ...SYNC, GP(0, 0), ...SYNC, G(S + 3 * K64), ...TAIL]);
    expect(count(f.seq, 'tlbie ')).toBe(7);
  });
});

describe('G10 freed tables, 100 pages, global', () => {
  it('SYNC, GP(2), TAIL', () => {
    const r = globalRig();
    expect(flushGather(r, 0, { start: S, end: S + 100 * K64, pageSize: K64, freedTables: true }).seq).toEqual([...SYNC, GP(2), ...TAIL]);
  });
  it('POWER9 DD2.2: 3 tlbie', () => {
    const r = globalRig(P9_DD22);
    const f = flushGather(r, 0, { start: S, end: S + 100 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([...SYNC, GP(2), ...SYNC, GP(0, 0), ...SYNC, STQ_PID_FIXUP, ...TAIL]);
  });
});

/** mask={c0,c2,c5}, ac=3: the process ran on c0, c2, c5; c2 and c5 now idle (lazy); exit on c0 */
function exitRig(opts = {}) {
  const r = rig(opts, 6);
  const { m, mm } = r;
  const [t0, t2, t5] = running(r, [0, 2, 5]);
  m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M2 }));
  m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(m, mm, S + i * K64); });
  m.sleep(t2);
  m.sleep(t5);
  m.op('exit t2', 2, () => exitThread(m, t2));
  m.op('exit t5', 5, () => exitThread(m, t5));
  expect(mm.cpumask.list()).toEqual([0, 2, 5]);
  expect(r.rt.mmContext(mm).activeCpus).toBe(3);
  const f = capture(m, () => m.op('exit t0', 0, () => exitThread(m, t0)));
  return { ...r, f };
}

describe('G11 exit_mmap (fullmm) with the lazy-TLB shootdown (v6.6+, e43c0a0c3c28)', () => {
  it('2 IPIs (c2, c5), each a PID-local RIC=2 and leaves the mask; then c0 RIC=2: 3 tlbiel, 0 tlbie', () => {
    const { m, mm, rt, f } = exitRig();
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [2, 5] }]);
    for (const c of [2, 5, 0]) expect(f.on(c)).toEqual(P10_PID_LOCAL(2));
    expect(instr(m)).toEqual({ 'tlbiel RIC=2': 3, ptesync: 6, cp_abort: 3, 'slbia IH=3': 3, isync: 3 });
    expect(m.metrics.archFlushes).toBe(1);
    expect(m.metrics.ipis).toBe(2);
    expect(mm.cpumask.list()).toEqual([0]);
    expect(rt.mmContext(mm).activeCpus).toBe(1);
    // cleanup_lazy_tlbs at __mmdrop found only this CPU: no further IPI, c2/c5 already on init_mm
    expect(m.cpus.map((c) => c.loadedMm)).toEqual([null, null, null, null, null, null]);
    expect(m.metrics.violations).toEqual([]);
  });
  it('POWER9: 384 tlbiel', () => {
    const { m } = exitRig(P9_DD23);
    expect(instr(m)).toMatchObject({ 'tlbiel RIC=2': 3, 'tlbiel RIC=0': 381 });
  });
});

describe('G12 exit_mmap on v6.1 (no shootdown branch)', () => {
  it('v6.1: __flush_all_mm(fullmm) -> GLOBAL (rule 4): SYNC, GP(2), TAIL; 0 IPI', () => {
    const { m, f, mm } = exitRig({ kernel: '6.1' });
    expect(f.seq).toEqual([...SYNC, GP(2), ...TAIL]);
    expect(m.metrics.ipis).toBe(0);
    expect(mm.cpumask.list()).toEqual([0, 2, 5]);
    expect(m.metrics.violations).toEqual([]);
  });
  it('v6.1 POWER9 DD2.2: + 2 fixup tlbie', () => {
    const { f } = exitRig({ kernel: '6.1', ...P9_DD22 });
    expect(f.seq).toEqual([...SYNC, GP(2), ...SYNC, GP(0, 0), ...SYNC, STQ_PID_FIXUP, ...TAIL]);
  });
  it('v6.1 tlbie disabled: _tlbiel_pid_multicast(RIC=2): 2 IPIs + local, 3 PID-local RIC=2', () => {
    const { m, f } = exitRig({ kernel: '6.1', tlbie: false });
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_tlbiel_pid', targets: [2, 5] }]);
    for (const c of [0, 2, 5]) expect(f.on(c)).toEqual(P10_PID_LOCAL(2));
    expect(m.metrics.ipis).toBe(2);
  });
  it('v6.1 single CPU: rule 2 -> LOCAL, one PID-local RIC=2, and the trim clock ticks', () => {
    const r = rig({ kernel: '6.1' });
    const { m, mm, rt } = r;
    const [t0] = running(r, [0]);
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M2 }));
    m.op('touch', 0, () => touch(m, mm, S));
    const f = capture(m, () => m.op('exit', 0, () => exitThread(m, t0)));
    expect(f.seq).toEqual(P10_PID_LOCAL(2));
    expect(rt.trimClock(0)).toBe(1);
  });
});

describe('G13 single-threaded process that migrated', () => {
  it('rule 5: 2 IPIs trim c0, c3; then c5 flushes 10 pages locally; 12 tlbiel, mask {c5}', () => {
    const r = rig({}, 6);
    const { m, mm, rt } = r;
    const [t] = running(r, [0]);
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M2 }));
    m.op('touch', 0, () => { for (let i = 0; i < 10; i++) touch(m, mm, S + i * K64); });
    m.sleep(t);
    m.run(t, 3);
    m.sleep(t);
    m.run(t, 5);
    expect(mm.cpumask.list()).toEqual([0, 3, 5]);
    expect(mm.users).toBe(1);
    const f = capture(m, () => m.op('madvise', 5, () => madvise(m, mm, S, 10 * K64, 'dontneed')));
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [0, 3] }]);
    expect(f.on(0)).toEqual(P10_PID_LOCAL(2));
    expect(f.on(3)).toEqual(P10_PID_LOCAL(2));
    expect(f.on(5)).toEqual([...SYNC, ...Ls(S, 10), ...BAR10]);
    expect(instr(m)).toMatchObject({ 'tlbiel RIC=2': 2, 'tlbiel RIC=0': 10 });
    expect(count(f.seq, 'tlbie ')).toBe(0);
    expect(mm.cpumask.list()).toEqual([5]);
    expect(rt.mmContext(mm).activeCpus).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
});

/** c0 runs a kernel thread (not in the mask); c1, c2 idle lazy on mm; mm_users = 3 */
function asyncRig(opts = {}) {
  const r = rig(opts);
  const { m, mm } = r;
  const [t1, t2] = running(r, [1, 2]);
  m.sleep(t1);
  m.sleep(t2);
  m.addThread(null, 'kworker', 0, 'running');
  mm.users = 3;
  return { ...r, t1, t2 };
}

describe('G14 asynchronous flusher and the trim clock', () => {
  it('counter 1072 -> tick fires: 2 IPIs trim c1, c2 (RIC=2 each); c0 issues nothing (NONE)', () => {
    const r = asyncRig();
    r.rt.setTrimClock(0, 1072);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_exit_flush_lazy_tlb', targets: [1, 2] }]);
    expect(f.on(1)).toEqual(P10_PID_LOCAL(2));
    expect(f.on(2)).toEqual(P10_PID_LOCAL(2));
    expect(f.on(0)).toEqual([]);
    expect(count(f.seq, 'tlbie ')).toBe(0);
    expect(r.rt.trimClock(0)).toBe(0);
    expect(r.mm.cpumask.list()).toEqual([]);
    expect(r.rt.mmContext(r.mm).activeCpus).toBe(0);
  });
  it('a mask CPU running the mm flushes but stays', () => {
    const r = asyncRig();
    r.m.run(r.t1, 1);
    r.rt.setTrimClock(0, 1072);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.on(1)).toEqual(P10_PID_LOCAL(2));
    expect(r.mm.cpumask.list()).toEqual([1]);
    expect(r.rt.mmContext(r.mm).activeCpus).toBe(1);
  });
  it('any other counter value: GLOBAL, 8 G[], and the counter increments', () => {
    const r = asyncRig();
    r.rt.setTrimClock(0, 5);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Gs(S, 8), ...TAIL]);
    expect(r.rt.trimClock(0)).toBe(6);
    expect(r.m.metrics.ipis).toBe(0);
  });
});

describe('G15 no active CPU', () => {
  it('ac=0: no instructions, no IPIs', () => {
    const r = rig();
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual([]);
    expect(r.m.metrics.ipis).toBe(0);
    expect(r.m.metrics.archFlushes).toBe(1);
  });
});

describe('G16 hugetlb page sizes', () => {
  it('2M, 3 pages, global: SYNC, 3 G[] with AP=2M (RB|0x20), TAIL', () => {
    const r = globalRig();
    const f = flushGather(r, 0, { start: S, end: S + 3 * M2, pageSize: M2 });
    expect(f.seq).toEqual([...SYNC, ...Gs(S, 3, M2, 1), ...TAIL]);
    expect(f.events.find((e) => e.name === 'tlbie')!.args!.rb).toBe('0x' + (S + 0x20).toString(16));
  });
  it('1G, 1 page, local: SYNC, L[S] with AP=1G (RB|0x40), BAR', () => {
    const r = localRig();
    const f = flushGather(r, 0, { start: S, end: S + G1, pageSize: G1 });
    expect(f.seq).toEqual([...SYNC, L(S, 2), ...BAR10]);
    expect(f.events.find((e) => e.name === 'tlbie')!.args!.rb).toBe('0x' + (S + 0x40).toString(16));
  });
  it('34 x 2M, global: the ceiling counts 2M pages -> GP(0)', () => {
    const r = globalRig();
    expect(flushGather(r, 0, { start: S, end: S + 34 * M2, pageSize: M2 }).seq).toEqual([...SYNC, GP(0), ...TAIL]);
  });
});

describe('G17 tables-only gather', () => {
  it('page_size 0 + freed_tables, local: radix__flush_all_mm -> PID-local RIC=2', () => {
    const r = localRig();
    expect(flushGather(r, 0, { start: S, end: S + K64, pageSize: 0, freedTables: true }).seq).toEqual(P10_PID_LOCAL(2));
  });
  it('page_size 0 + freed_tables, global: GP(2)', () => {
    const r = globalRig();
    expect(flushGather(r, 0, { start: S, end: S + K64, pageSize: 0, freedTables: true }).seq).toEqual([...SYNC, GP(2), ...TAIL]);
  });
  it('page_size 0 without freed_tables: radix__flush_tlb_mm -> PID RIC=0', () => {
    const r = localRig();
    expect(flushGather(r, 0, { start: S, end: S + K64, pageSize: 0 }).seq).toEqual(P10_PID_LOCAL(0));
  });
  it('kernel over spec: free_pgd_range sets page_size = PAGE_SIZE, so a real tables-only gather is a PWC range flush', () => {
    const r = localRig();
    const { m, mm } = r;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: S, length: M2 });
      mmap(m, mm, { addr: S + 2 * M2, length: M2, name: 'neighbour' });
    });
    m.op('touch', 0, () => touch(m, mm, S));
    m.op('dontneed', 0, () => madvise(m, mm, S, M2, 'dontneed')); // pages gone, table kept
    const [vma] = mm.vmas;
    mm.vmas.splice(0, 1); // detach, as relocate_vma_down / unmapping a VMA with no pages
    const f = capture(m, () => m.op('free_pgd_range', 0, () => {
      const g = tlbGatherMmu(m, mm);
      freePgdRange(m, g, vma.start, vma.end, 0, S + 2 * M2);
      expect(g.pageSize).toBe(K64);
      g.finish();
    }));
    expect(f.seq).toEqual([...SYNC, LP(1, 0), L(S), ...BAR10]);
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('G18 nest MMU attached (copros=1)', () => {
  /** task on c0 only: mask={c0}, ac=2 (copro bump) */
  function coproRig(opts = {}) {
    const r = rig({ coprocessors: 1, ...opts });
    running(r, [0]);
    expect(r.rt.mmContext(r.mm).activeCpus).toBe(2);
    return r;
  }
  it('POWER9, 8 pages: rule 3 -> GLOBAL: SYNC, 8 G[], ERAT fixup, TAIL', () => {
    const r = coproRig(P9_DD23);
    expect(flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 }).seq).toEqual([...SYNC, ...Gs(S, 8), ...SYNC, GP(0, 0), ...TAIL]);
  });
  it('POWER9, 40 pages: PID flush escalated RIC=0 -> RIC=2', () => {
    const r = coproRig(P9_DD23);
    expect(flushGather(r, 0, { start: S, end: S + 40 * K64, pageSize: K64 }).seq).toEqual([...SYNC, GP(2), ...SYNC, GP(0, 0), ...TAIL]);
  });
  it('POWER10, 40 pages: no escalation', () => {
    const r = coproRig();
    expect(flushGather(r, 0, { start: S, end: S + 40 * K64, pageSize: K64 }).seq).toEqual([...SYNC, GP(0), ...TAIL]);
  });
  it('debugfs tlbie_enabled=0: local 8 L[] (0 IPIs), then tlbie for the nMMU anyway', () => {
    const r = coproRig(P9_DD23);
    r.rt.setTlbieEnabled(false);
    const f = flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...SYNC, ...Ls(S, 8), ...BAR9, ...SYNC, ...Gs(S, 8), ...SYNC, GP(0, 0), ...TAIL]);
    expect(r.m.metrics.ipis).toBe(0);
  });
  it('debugfs tlbie_enabled=0, 40 pages: PID multicast, then the follow-up is always GP(2)', () => {
    const r = coproRig(P9_DD23);
    r.rt.setTlbieEnabled(false);
    const f = flushGather(r, 0, { start: S, end: S + 40 * K64, pageSize: K64 });
    expect(f.seq).toEqual([...P9_PID_LOCAL(0), ...SYNC, GP(2), ...SYNC, GP(0, 0), ...TAIL]);
  });
  it('mm_context_remove_copro: a global RIC=2 flush, then active_cpus drops back to 1', () => {
    const r = coproRig();
    const f = capture(r.m, () => r.m.op('detach', 0, () => r.rt.detachCopro(r.mm)));
    expect(f.seq).toEqual([...SYNC, GP(2), ...TAIL]);
    expect(r.rt.mmContext(r.mm).activeCpus).toBe(1);
    expect(flushGather(r, 0, { start: S, end: S + 8 * K64, pageSize: K64 }).seq).toEqual([...SYNC, ...Ls(S, 8), ...BAR10]);
  });
});

describe('edge notes of ppc SPEC.md §7', () => {
  it('no cleared bit and no freed_tables: tlb_flush is never called', () => {
    const r = localRig();
    r.m.op('g', 0, () => {
      const g = tlbGatherMmu(r.m, r.mm);
      g.flushMmuTlbonly();
      g.finish();
    });
    expect(r.m.metrics.archFlushes).toBe(0);
    expect(instr(r.m)).toEqual({});
  });
  // a gather built by hand while c1 still runs the mm (no real exit does that): c1 flushes but
  // stays in the mask, so the __flush_all_mm after the IPIs (20045f0155ab) is GLOBAL
  it('fullmm on v6.6: range and page size are irrelevant', () => {
    const a = rig();
    running(a, [0, 1]);
    const b = rig();
    running(b, [0, 1]);
    const fa = flushGather(a, 0, { fullmm: true, pageSize: 0 });
    const fb = flushGather(b, 0, { fullmm: true, pageSize: M2 });
    expect(fa.seq).toEqual(fb.seq);
    expect(fa.on(1)).toEqual(P10_PID_LOCAL(2));
    expect(fa.on(0)).toEqual([...SYNC, GP(2), ...TAIL]);
  });
  it('!GTSE: a GLOBAL row becomes exactly one H_RPT_INVALIDATE hcall; LOCAL rows are unchanged', () => {
    const g = globalRig({ gtse: false });
    const f = flushGather(g, 0, { start: S, end: S + 8 * K64, pageSize: K64, freedTables: true });
    expect(f.seq).toEqual(['hcall H_RPT_INVALIDATE type=TLB|PWC']);
    expect(f.events.find((e) => e.name === 'hcall')!.args).toMatchObject({ pid: PID, target: 'CMMU', pgSizes: [K64] });
    expect(instr(g.m)).toEqual({ 'hcall H_RPT_INVALIDATE': 1 });
    const big = flushGather(g, 0, { start: S, end: S + 100 * K64, pageSize: K64 });
    expect(big.seq).toEqual(['hcall H_RPT_INVALIDATE type=TLB']); // the flush_pid decision is not used
    const l = localRig({ gtse: false });
    expect(flushGather(l, 0, { start: S, end: S + 8 * K64, pageSize: K64 }).seq).toEqual([...SYNC, ...Ls(S, 8), ...BAR10]);
  });
  it('need_flush_all is ignored from v6.3 (45abf5d94b9b) and means a full flush on v6.1', () => {
    const a = localRig();
    expect(flushGather(a, 0, { start: S, end: S + 2 * K64, pageSize: K64, needFlushAll: true }).seq).toEqual([...SYNC, ...Ls(S, 2), ...BAR10]);
    const b = localRig({ kernel: '6.1' });
    expect(flushGather(b, 0, { start: S, end: S + 2 * K64, pageSize: K64, needFlushAll: true }).seq).toEqual(P10_PID_LOCAL(2));
  });
});

describe('flush_tlb_* outside mmu_gather', () => {
  const call = (r: Rig, fn: () => void) => capture(r.m, () => r.m.op('flush', 0, fn));
  it('flush_tlb_range local, 2M: ptesync, PWC (range >= PMD), 32 pages, the 2M pass, barrier', () => {
    const r = localRig();
    const f = call(r, () => r.rt.flushTlbRange(r.mm, S, S + M2, { exec: false, hugetlb: false }));
    expect(f.seq).toEqual([...SYNC, LP(1, 0), ...Ls(S, 32), L(S, 1), ...BAR10]);
  });
  it('flush_tlb_range above the ceiling: RIC=2 PID flush', () => {
    const r = localRig();
    expect(call(r, () => r.rt.flushTlbRange(r.mm, S, S + 300 * K64, { exec: false, hugetlb: false })).seq).toEqual(P10_PID_LOCAL(2));
  });
  it('flush_tlb_range global with tlbie disabled: two multicasts (base pages, then the 2M pass), PWC in both', () => {
    const r = globalRig({ tlbie: false });
    const f = call(r, () => r.rt.flushTlbRange(r.mm, S, S + M2, { exec: false, hugetlb: false }));
    expect(ipiSends(f.events).map((s) => s.kind)).toEqual(['do_tlbiel_va_range', 'do_tlbiel_va_range']);
    expect(f.on(2)).toEqual([...SYNC, LP(1, 0), ...Ls(S, 32), ...BAR10, ...SYNC, LP(1, 0), L(S, 1), ...BAR10]);
    expect(r.m.metrics.ipis).toBe(6);
  });
  it('flush_tlb_page: one page, local or global', () => {
    const l = localRig();
    expect(call(l, () => l.rt.flushTlbPage(l.mm, S + K64)).seq).toEqual([...SYNC, L(S + K64), ...BAR10]);
    const g = globalRig({ ...P9_DD22 });
    expect(call(g, () => g.rt.flushTlbPage(g.mm, S)).seq).toEqual([...SYNC, G(S), ...SYNC, G(S, 5, 0), ...SYNC, G(S), ...TAIL]);
  });
  it('hugetlb range of 1G: psize 1G with the PWC flush', () => {
    const r = globalRig();
    const f = call(r, () => r.rt.flushTlbRange(r.mm, 2 * G1, 3 * G1, { exec: false, hugetlb: true, hugeShift: 30 }));
    expect(f.seq).toEqual([...SYNC, GP(1), G(2 * G1, 2), ...TAIL]);
  });
  it('flush_tlb_kernel_range: tlbie PID 0 RIC=2; with tlbie disabled, tlbiel on every CPU by IPI', () => {
    const a = localRig();
    expect(call(a, () => a.rt.flushTlbKernelRange!(0, 1)).seq).toEqual([...SYNC, GP(2, 0), ...TAIL]);
    const b = localRig({ tlbie: false });
    const f = call(b, () => b.rt.flushTlbKernelRange!(0, 1));
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_tlbiel_kernel', targets: [1, 2, 3] }]);
    for (const c of [0, 1, 2, 3]) expect(f.on(c)).toEqual(P10_PID_LOCAL(2, 0));
    expect(b.m.metrics.ipiBroadcasts).toBe(1);
  });
});
