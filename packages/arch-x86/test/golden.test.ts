/**
 * The golden scenarios G01-G10 of x86 SPEC.md §14 with their exact counts (G11-G20: golden-g11-g20.test.ts). Baseline: 4 CPUs,
 * PCID on, PTI off, INVPCID, no INVLPGB, no PV, ceiling 33; A's tlb_gen is 100 and every CPU
 * with A loaded has that slot at 100; CPU0 initiates; S = 0x7f0000000000.
 */
import { Machine, TLB_FLUSH_REASONS, exitThread, madvise, mmap, munmap, reclaimFilePages, tlbGatherMmu, touch } from '@tlbsim/core';
import { describe, expect, it } from 'vitest';
import { TLB_FLUSH_ALL, x86, x86Internals } from '../src/index.js';
import { GB1, MB2, PAGE, S, counters, gatherFlush, measure, rig, slotGen } from './helpers.js';

/** counters of a CPU that did nothing */
const Z = { TLB: 0, CAL: 0, remote: 0, received: 0, localAll: 0, localOne: 0 };
/** tlb_flush reasons */
const TASK_SWITCH = 0, REMOTE = 1, LOCAL = 2, LOCAL_MM = 3, SEND_IPI = 4, WRONG_CPU = 5;

const sorted = (f: { cpu: number; reason: number; pages: number }[]) =>
  [...f].sort((a, b) => a.cpu - b.cpu || a.reason - b.reason || a.pages - b.pages);

describe('x86 SPEC.md §14 golden scenarios', () => {
  it('reason numbers are the kernel enum (core TLB_FLUSH_REASONS)', () => {
    expect(TLB_FLUSH_REASONS[TASK_SWITCH]).toBe('flush on task switch');
    expect(TLB_FLUSH_REASONS[REMOTE]).toBe('remote shootdown');
    expect(TLB_FLUSH_REASONS[LOCAL]).toBe('local shootdown');
    expect(TLB_FLUSH_REASONS[LOCAL_MM]).toMatch(/^local mm shootdown$/i);
    expect(TLB_FLUSH_REASONS[SEND_IPI]).toMatch(/^remote ipi send$/i);
    expect(TLB_FLUSH_REASONS[WRONG_CPU]).toMatch(/^remote wrong cpu$/i);
  });

  it('G01 small partial flush, one remote CPU', () => {
    const { m, x, A } = rig({}, ['run', 'run', null, null]);
    expect(m.cpus.filter((c) => A.cpumask.has(c.id)).map((c) => c.id)).toEqual([0, 1]);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(x.mmContext(A).tlbGen).toBe(101);
    expect(d.ipis).toBe(1);
    expect(d.instr).toEqual({ INVLPG: 4 });
    expect(d.cpu[0].instr).toEqual({ INVLPG: 2 });
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 2 });
    expect(d.cpu[1].instr).toEqual({ INVLPG: 2 });
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(counters(d.cpu[2])).toEqual(Z);
    expect(counters(d.cpu[3])).toEqual(Z);
    expect(slotGen(x, 0, A)).toBe(101);
    expect(slotGen(x, 1, A)).toBe(101);
    expect(sorted(d.flushes)).toEqual([
      { cpu: 0, reason: LOCAL_MM, pages: 2 }, { cpu: 0, reason: SEND_IPI, pages: 2 }, { cpu: 1, reason: REMOTE, pages: 2 },
    ]);
    expect(m.metrics.violations).toEqual([]);
  });

  describe('G02 ceiling edge', () => {
    it('33 pages: each CPU 33 INVLPG (partial)', () => {
      const { m, A } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 33 * PAGE, ptes: true }));
      expect(d.cpu[0].instr).toEqual({ INVLPG: 33 });
      expect(d.cpu[1].instr).toEqual({ INVLPG: 33 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 33 });
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: LOCAL_MM, pages: 33 }, { cpu: 0, reason: SEND_IPI, pages: 33 }, { cpu: 1, reason: REMOTE, pages: 33 },
      ]);
    });
    it('34 pages: [0, ALL), each CPU one CR3 reload', () => {
      const { m, A } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 34 * PAGE, ptes: true }));
      expect(d.cpu[0].instr).toEqual({ 'CR3 write': 1 });
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localAll: 1 });
      expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: LOCAL_MM, pages: -1 }, { cpu: 0, reason: SEND_IPI, pages: -1 }, { cpu: 1, reason: REMOTE, pages: -1 },
      ]);
      expect(d.cpu[0].full + d.cpu[1].full).toBe(2);
    });
  });

  it('G03 lazy remote skipped, then catches up when T1 runs', () => {
    const { m, x, A, threads } = rig({}, ['run', 'lazy', null, null]);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(d.ipis).toBe(0);
    expect(d.cpu[0].instr).toEqual({ INVLPG: 2 });
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 2 });
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.cpu[1].instr).toEqual({});
    expect(slotGen(x, 0, A)).toBe(101);
    expect(slotGen(x, 1, A)).toBe(100);
    expect(sorted(d.flushes)).toEqual([{ cpu: 0, reason: LOCAL_MM, pages: 2 }, { cpu: 0, reason: SEND_IPI, pages: 2 }]);
    // T1 runs again: same mm, was lazy, 100 != 101 -> flushing CR3 write
    const t1 = threads.find((t) => t.name === 'A1')!;
    const d2 = measure(m, () => m.run(t1, 1));
    expect(d2.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(d2.cpu[1].full).toBe(1);
    expect(slotGen(x, 1, A)).toBe(101);
    expect(d2.flushes).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: -1 }]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('G04 freed tables reach a lazy CPU, which switches to init_mm', () => {
    const { m, x, A } = rig({}, ['run', 'lazy', null, null]);
    // 2 PTEs at S+0x1000 plus pte_free_tlb(S): [S, S+0x3000), cleared_ptes + cleared_pmds, freed
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x3000, ptes: true, pmds: true, freed: true }));
    expect(d.ipis).toBe(1);
    expect(d.cpu[0].instr).toEqual({ INVLPG: 3 });
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 3 });
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 }); // NOFLUSH onto init_mm's slot
    expect(d.cpu[1].full).toBe(0);
    expect(m.cpus[1].loadedMm).toBeNull();
    expect(x.tlbState(1).isLazy).toBe(false);
    expect(A.cpumask.has(1)).toBe(true);
    expect(slotGen(x, 1, A)).toBe(100);
    expect(d.flushes.filter((f) => f.cpu === 1)).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: 0 }]);
    expect(m.metrics.violations).toEqual([]);
  });

  describe('G05 stale cpumask bit and the once-a-second trim', () => {
    const setup = () => {
      const r = rig({}, ['run', 'run', null, null]);
      const B = r.m.createMm('B');
      r.m.sleep(r.threads[1]);
      r.m.addThread(B, 'B1', 1, 'running');
      return { ...r, B };
    };
    it('trim not due: no IPI', () => {
      const { m, A } = setup();
      expect(A.cpumask.has(1)).toBe(true);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.ipis).toBe(0);
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 2 });
      expect(counters(d.cpu[1])).toEqual(Z);
      expect(A.cpumask.has(1)).toBe(true);
    });
    it('trim due: one IPI, REMOTE_WRONG_CPU, the bit goes', () => {
      const { m, x, A } = setup();
      m.now = 2_000_000_000; // jiffies 2000 > next_trim_cpumask 1000
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.ipis).toBe(1);
      expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(d.cpu[1].instr).toEqual({});
      expect(d.flushes.filter((f) => f.cpu === 1)).toEqual([{ cpu: 1, reason: WRONG_CPU, pages: 0 }]);
      expect(A.cpumask.has(1)).toBe(false);
      expect(x.mmContext(A).nextTrimCpumask).toBe(3000);
      expect(m.metrics.violations).toEqual([]);
    });
    it('freed tables: the IPI goes regardless of the trim', () => {
      const { m, A } = setup();
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
      expect(d.ipis).toBe(1);
      expect(d.flushes.filter((f) => f.cpu === 1)).toEqual([{ cpu: 1, reason: WRONG_CPU, pages: 0 }]);
      expect(A.cpumask.has(1)).toBe(false);
    });
  });

  describe('G06 receiver two generations behind (explicit generations)', () => {
    const setup = () => {
      const r = rig({}, ['run', 'run', null, null]);
      const { m, x, A } = r;
      // CPU2 issues a full flush F1 (A -> 101), CPU0 then a 2-page partial F2 (A -> 102)
      x.mmContext(A).tlbGen = 101;
      const f1 = m.op('F1', 2, () => x.flushTlbInfo(A, 0, TLB_FLUSH_ALL, 12, false, 101));
      x.mmContext(A).tlbGen = 102;
      const f2 = m.op('F2', 0, () => x.flushTlbInfo(A, S, S + 0x2000, 12, false, 102));
      return { ...r, f1, f2 };
    };
    for (const order of ['F2 first', 'F1 first'] as const) {
      it(order, () => {
        const { m, x, A, f1, f2 } = setup();
        const d = measure(m, () => m.op('ipis', 1, () => {
          for (const f of order === 'F2 first' ? [f2, f1] : [f1, f2]) x.flushTlbFunc(1, f);
        }));
        expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 2, received: 2 });
        expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
        expect(d.cpu[1].full).toBe(1);
        expect(slotGen(x, 1, A)).toBe(102);
        expect(d.flushes).toEqual([{ cpu: 1, reason: REMOTE, pages: -1 }]);
      });
    }
  });

  it('G07 new == local+1 but the mm moved on: full flush', () => {
    const { m, x, A } = rig({}, ['run', 'run', null, 'run']);
    x.mmContext(A).tlbGen = 101;
    const f1 = m.op('F1', 0, () => x.flushTlbInfo(A, S, S + 0x2000, 12, false, 101));
    x.mmContext(A).tlbGen = 102;
    const f2 = m.op('F2', 3, () => x.flushTlbInfo(A, S + 0x5000, S + 0x6000, 12, false, 102));
    const d = measure(m, () => m.op('ipis', 1, () => { x.flushTlbFunc(1, f1); x.flushTlbFunc(1, f2); }));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 2, received: 2 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(slotGen(x, 1, A)).toBe(102);
    expect(d.flushes).toEqual([{ cpu: 1, reason: REMOTE, pages: -1 }]);
  });

  describe('G08 process exit (fullmm)', () => {
    it('final flush(A, 0, ALL, 12, freed): both lazy CPUs switch to init_mm', () => {
      const { m, x, A, threads } = rig({}, ['run', 'lazy', null, null]);
      m.op('mmap', 0, () => mmap(m, A, { addr: S, length: 0x10000 }));
      m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(m, A, S + i * PAGE); });
      x.setTlbGen(A, 100);
      m.op('exit T1', 1, () => exitThread(m, threads[1]));
      const d = measure(m, () => m.op('exit T0', 0, () => exitThread(m, threads[0])));
      expect(x.mmContext(A).tlbGen).toBe(101);
      expect(d.ipis).toBe(1);
      expect(d.instr).toEqual({ 'CR3 write': 2 });
      expect(d.cpu[0].instr).toEqual({ 'CR3 write': 1 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1 });
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: TASK_SWITCH, pages: 0 }, { cpu: 0, reason: SEND_IPI, pages: -1 }, { cpu: 1, reason: TASK_SWITCH, pages: 0 },
      ]);
      expect(m.cpus[0].loadedMm).toBeNull();
      expect(m.cpus[1].loadedMm).toBeNull();
      expect(m.metrics.pagesFreed).toBe(4);
      expect(m.metrics.violations).toEqual([]);
    });
    it('a batch-overflow flush (freed 0) runs nothing: both CPUs lazy, initiator included', () => {
      const { m, x, A } = rig({}, ['lazy', 'lazy', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { fullmm: true, ptes: true }));
      expect(x.mmContext(A).tlbGen).toBe(101);
      expect(d.ipis).toBe(0);
      expect(d.instr).toEqual({});
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1 });
      expect(counters(d.cpu[1])).toEqual(Z);
      expect(d.flushes).toEqual([{ cpu: 0, reason: SEND_IPI, pages: -1 }]);
    });
  });

  describe('G09 INVLPGB broadcast, 4 KiB', () => {
    /** A on global ASID 6 with the transition finished */
    const setup = (pti: boolean) => {
      const r = rig({ invlpgb: true, pti }, ['run', 'run', 'run', 'run']);
      const { m, x, A } = r;
      m.op('assign', 0, () => x.useGlobalAsid(A));
      expect(x.mmContext(A).globalAsid).toBe(6);
      expect(x.mmContext(A).asidTransition).toBe(true);
      gatherFlush(m, A, 0, { start: S, end: S + PAGE, ptes: true }); // IPIs move every CPU onto 6
      gatherFlush(m, A, 0, { start: S, end: S + PAGE, ptes: true }); // sees all on 6: transition ends
      expect(x.mmContext(A).asidTransition).toBe(false);
      for (let c = 0; c < 4; c++) expect(x.tlbState(c).loadedMmAsid).toBe(6);
      x.setTlbGen(A, 100);
      return r;
    };
    it('20 pages: INVLPGB x3 (8, 8, 4) + TLBSYNC, no IPI, no vmstat, no trace', () => {
      const { m, x, A } = setup(false);
      const gens = [0, 1, 2, 3].map((c) => x.tlbState(c).ctxs.map((s) => s.tlbGen).join());
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 20 * PAGE, ptes: true }));
      expect(d.instr).toEqual({ INVLPGB: 3, TLBSYNC: 1 });
      expect(d.cpu[0].instr).toEqual({ INVLPGB: 3, TLBSYNC: 1 });
      expect(d.ipis).toBe(0);
      for (let c = 0; c < 4; c++) expect(counters(d.cpu[c])).toEqual(Z);
      expect(d.flushes).toEqual([]);
      expect(x.mmContext(A).tlbGen).toBe(101);
      expect([0, 1, 2, 3].map((c) => x.tlbState(c).ctxs.map((s) => s.tlbGen).join())).toEqual(gens);
      const ops = d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args);
      expect(ops.map((a) => a!.nr)).toEqual([8, 8, 4]);
      expect(ops.map((a) => a!.ecx)).toEqual([7, 7, 3]);
      expect(ops.map((a) => a!.edx)).toEqual([7 << 16, 7 << 16, 7 << 16]);
      expect(ops.map((a) => a!.flags)).toEqual(['VA|PCID|ASID', 'VA|PCID|ASID', 'VA|PCID|ASID']);
      expect(ops.map((a) => a!.addr)).toEqual(['0x' + S.toString(16), '0x' + (S + 8 * PAGE).toString(16), '0x' + (S + 16 * PAGE).toString(16)]);
      expect(m.metrics.violations).toEqual([]);
    });
    it('PTI on: INVLPGB x6 (kPCID 7 and uPCID 2055), TLBSYNC x1', () => {
      const { m, A } = setup(true);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 20 * PAGE, ptes: true }));
      expect(d.instr).toEqual({ INVLPGB: 6, TLBSYNC: 1 });
      const pcids = d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!.pcid);
      expect(pcids).toEqual([7, 2055, 7, 2055, 7, 2055]);
    });
    it('34 pages: one single-PCID INVLPGB (+1 with PTI), TLBSYNC x1', () => {
      for (const pti of [false, true]) {
        const { m, A } = setup(pti);
        const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 34 * PAGE, ptes: true }));
        expect(d.instr).toEqual({ INVLPGB: pti ? 2 : 1, TLBSYNC: 1 });
        expect(d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!.flags)[0]).toBe('PCID|ASID');
      }
    });
  });

  describe('G10 2 MiB hugetlb, stride 21', () => {
    it('IPI mode, 10 x 2 MiB: 10 INVLPG on each CPU', () => {
      const { m, A } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 10 * MB2, pmds: true }));
      expect(d.ipis).toBe(1);
      expect(d.cpu[0].instr).toEqual({ INVLPG: 10 });
      expect(d.cpu[1].instr).toEqual({ INVLPG: 10 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 10 });
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: LOCAL_MM, pages: 10 }, { cpu: 0, reason: SEND_IPI, pages: 5120 }, { cpu: 1, reason: REMOTE, pages: 10 },
      ]);
    });
    it('IPI mode, 40 x 2 MiB: full flush, one CR3 write each', () => {
      const { m, A } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 40 * MB2, pmds: true }));
      expect(d.cpu[0].instr).toEqual({ 'CR3 write': 1 });
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    });
    it('INVLPGB mode: INVLPGB x2 (8 then 2, PMD stride bit), TLBSYNC x1; 40 x 2 MiB: one single-PCID', () => {
      const { m, x, A } = rig({ invlpgb: true }, ['run', 'run', 'run', 'run']);
      m.op('assign', 0, () => x.useGlobalAsid(A));
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 10 * MB2, pmds: true }));
      const ops = d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!);
      expect(ops.map((a) => [a.nr, a.stride, a.ecx])).toEqual([[8, 1, 2 ** 31 + 7], [2, 1, 2 ** 31 + 1]]);
      expect(d.instr.INVLPGB).toBe(2);
      expect(d.instr.TLBSYNC).toBe(1);
      const d2 = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 40 * MB2, pmds: true }));
      expect(d2.instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
      expect(m.metrics.violations).toEqual([]);
    });
  });
});
