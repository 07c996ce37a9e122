/**
 * The golden scenarios G11-G20 of x86 SPEC.md §14 with their exact counts (G01-G10: golden.test.ts). Baseline: 4 CPUs,
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

describe('x86 SPEC.md §14 golden scenarios (G11-G20)', () => {
  describe('G11 1 GiB hugetlb, stride 30', () => {
    it('IPI mode: 3 INVLPG on each target CPU', () => {
      const { m, A } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 3 * GB1, puds: true }));
      expect(d.cpu[0].instr).toEqual({ INVLPG: 3 });
      expect(d.cpu[1].instr).toEqual({ INVLPG: 3 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 3 });
    });
    it('INVLPGB: one page per instruction with the 4 KiB stride encoding', () => {
      const { m, x, A } = rig({ invlpgb: true }, ['run', 'run', 'run', 'run']);
      m.op('assign', 0, () => x.useGlobalAsid(A));
      gatherFlush(m, A, 0, { start: S, end: S + PAGE, ptes: true });
      gatherFlush(m, A, 0, { start: S, end: S + PAGE, ptes: true });
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 3 * GB1, puds: true }));
      expect(d.instr).toEqual({ INVLPGB: 3, TLBSYNC: 1 });
      const ops = d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!);
      expect(ops.map((a) => [a.nr, a.stride, a.ecx])).toEqual([[1, 0, 0], [1, 0, 0], [1, 0, 0]]);
    });
  });

  it('G12 ASID transition: INVLPGB plus IPIs that move the stragglers', () => {
    const m = new Machine({ arch: x86({ invlpgb: true }), cpus: 4, trace: true });
    const x = x86Internals(m);
    const A = m.createMm('A');
    const B = m.createMm('B');
    // CPU1 runs A on dynamic ASID 2 (B took slot 1 first)
    const b1 = m.addThread(B, 'B1', 1, 'running');
    m.sleep(b1);
    m.addThread(A, 'A1', 1, 'running');
    const a0 = m.addThread(A, 'A0', 0, 'running');
    const a2 = m.addThread(A, 'A2', 2, 'running');
    m.addThread(A, 'A3', 3, 'sleeping');
    m.op('assign', 0, () => x.useGlobalAsid(A));
    // CPU0 and CPU2 reschedule and pick the global ASID up
    m.sleep(a0); m.run(a0, 0);
    m.sleep(a2); m.run(a2, 2);
    expect([0, 1, 2, 3].map((c) => x.tlbState(c).loadedMmAsid)).toEqual([6, 2, 6, 1]);
    expect(x.tlbState(3).isLazy).toBe(true);
    x.setTlbGen(A, 100);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(d.instr).toEqual({ INVLPGB: 1, TLBSYNC: 1, 'CR3 write': 2 });
    expect(d.cpu[0].instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
    expect(d.ipis).toBe(3);
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1 });
    for (const c of [1, 2, 3]) expect(counters(d.cpu[c])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 }); // NOFLUSH onto PCID 7
    expect(d.cpu[2].instr).toEqual({});
    expect(d.cpu[3].instr).toEqual({ 'CR3 write': 1 });
    expect([0, 1, 2, 3].map((c) => x.tlbState(c).loadedMmAsid)).toEqual([6, 6, 6, 6]);
    expect(x.tlbState(3).isLazy).toBe(false); // the derived quirk of x86 SPEC.md §14 G12
    expect(x.mmContext(A).asidTransition).toBe(true);
    expect(sorted(d.flushes)).toEqual([
      { cpu: 0, reason: SEND_IPI, pages: 2 }, { cpu: 1, reason: TASK_SWITCH, pages: 0 }, { cpu: 3, reason: TASK_SWITCH, pages: 0 },
    ]);
    // the next flush finds every CPU on ASID 6 and ends the transition, with no IPI
    const d2 = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(d2.ipis).toBe(0);
    expect(x.mmContext(A).asidTransition).toBe(false);
    expect(m.metrics.violations).toEqual([]);
  });

  describe('G13 KVM PV flush', () => {
    const setup = () => rig({ paravirt: 'kvm' }, ['run', 'run', 'run', 'lazy']);
    it('a preempted vCPU gets the flag, the lazy one nothing: 1 IPI', () => {
      const { m, x, A } = setup();
      x.setVcpuPreempted(2, true);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.ipis).toBe(1);
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 2 });
      expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(counters(d.cpu[2])).toEqual(Z);
      expect(d.cpu[2].instr).toEqual({});
      expect(counters(d.cpu[3])).toEqual(Z);
      expect(slotGen(x, 2, A)).toBe(100);
      expect(m.metrics.violations).toEqual([]);
      // back on a pCPU; the next partial flush (gen 102) finds it two generations behind
      x.setVcpuPreempted(2, false);
      const d2 = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d2.ipis).toBe(2);
      expect(d2.cpu[1].instr).toEqual({ INVLPG: 2 });
      expect(d2.cpu[2].instr).toEqual({ 'CR3 write': 1 });
      expect(d2.flushes.filter((f) => f.cpu === 2)).toEqual([{ cpu: 2, reason: REMOTE, pages: -1 }]);
      expect(slotGen(x, 2, A)).toBe(102);
    });
    it('freed tables: the lazy CPU gets an IPI, the preempted one still only the flag', () => {
      const { m, x, A } = setup();
      x.setVcpuPreempted(2, true);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
      expect(d.ipis).toBe(2);
      expect(counters(d.cpu[2])).toEqual(Z);
      expect(counters(d.cpu[3])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(m.cpus[3].loadedMm).toBeNull();
    });
  });

  describe('G14 reclaim batch', () => {
    const setup = (opts: { invlpgb?: boolean }) => {
      const m = new Machine({ arch: x86(opts), cpus: 4, trace: true });
      const x = x86Internals(m);
      const A = m.createMm('A');
      const B = m.createMm('B');
      const f = m.createFile('data');
      m.addThread(A, 'A1', 1, 'running');
      const a2 = m.addThread(A, 'A2', 2, 'running');
      m.op('map A', 1, () => { mmap(m, A, { addr: S, length: 0x4000, file: f, shared: true }); touch(m, A, S, { write: false }); });
      m.sleep(a2);
      m.addThread(B, 'B2', 2, 'running'); // CPU2 keeps its stale bit in A's mask
      m.addThread(B, 'B3', 3, 'sleeping');
      m.op('map B', 2, () => { mmap(m, B, { addr: S, length: 0x4000, file: f, shared: true }); touch(m, B, S, { write: false }); });
      m.addThread(null, 'kswapd', 0, 'running');
      x.setTlbGen(A, 100);
      x.setTlbGen(B, 50);
      expect(A.cpumask.list()).toEqual([1, 2]);
      expect(B.cpumask.list()).toEqual([2, 3]);
      return { m, x, A, B, f };
    };
    it('no INVLPGB: 2 IPIs (CPU3 lazy skipped), each a full flush of its loaded mm', () => {
      const { m, x, A, B, f } = setup({});
      let r: ReturnType<typeof reclaimFilePages> | undefined;
      const d = measure(m, () => { r = m.op('kswapd', 0, () => reclaimFilePages(m, f, [0])); });
      expect(r).toEqual({ freed: 1, unmapped: 2, batched: true });
      expect(x.mmContext(A).tlbGen).toBe(101);
      expect(x.mmContext(B).tlbGen).toBe(51);
      expect(d.ipis).toBe(2);
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1 });
      expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(counters(d.cpu[2])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
      expect(counters(d.cpu[3])).toEqual(Z);
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(d.cpu[2].instr).toEqual({ 'CR3 write': 1 });
      expect(slotGen(x, 1, A)).toBe(101);
      expect(slotGen(x, 2, B)).toBe(51);
      expect(slotGen(x, 2, A)).toBe(100); // repaid when CPU2 next runs A
      expect(slotGen(x, 3, B)).toBe(50);
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: SEND_IPI, pages: -1 }, { cpu: 1, reason: REMOTE, pages: -1 }, { cpu: 2, reason: REMOTE, pages: -1 },
      ]);
      expect(m.metrics.violations).toEqual([]);
    });
    it('INVLPGB: one all-non-global INVLPGB + TLBSYNC, no IPI, generations stay behind', () => {
      const { m, x, A, B, f } = setup({ invlpgb: true });
      const d = measure(m, () => m.op('kswapd', 0, () => reclaimFilePages(m, f, [0])));
      expect(d.instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
      expect(d.ipis).toBe(0);
      expect(d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!.flags)).toEqual(['ASID']);
      expect(slotGen(x, 1, A)).toBe(100);
      expect(slotGen(x, 2, B)).toBe(50);
      expect(m.metrics.violations).toEqual([]);
    });
  });

  describe('G15 kernel range', () => {
    const K = 0xffffc90000000000;
    it('16 pages: cross-call to CPUs 1-3, 16 INVLPG each, no TLB shootdowns', () => {
      const { m } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 16 * PAGE)));
      expect(d.ipis).toBe(3);
      expect(d.instr).toEqual({ INVLPG: 64 });
      for (let c = 0; c < 4; c++) {
        expect(d.cpu[c].instr).toEqual({ INVLPG: 16 });
        expect(counters(d.cpu[c])).toEqual({ ...Z, CAL: c === 0 ? 0 : 1, localOne: 16 });
      }
      expect(d.flushes).toEqual([]);
    });
    it('40 pages: every CPU __flush_tlb_all (INVPCID), received +1 each', () => {
      const { m } = rig({}, ['run', 'run', null, null]);
      const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 40 * PAGE)));
      expect(d.ipis).toBe(3);
      for (let c = 0; c < 4; c++) {
        expect(d.cpu[c].instr).toEqual({ INVPCID: 1 });
        expect(counters(d.cpu[c])).toEqual({ ...Z, CAL: c === 0 ? 0 : 1, received: 1 });
      }
    });
    it('INVLPGB: 16 pages -> INVLPGB x2 + TLBSYNC; 40 pages -> INVLPGB x1 + TLBSYNC', () => {
      const { m } = rig({ invlpgb: true }, ['run', 'run', null, null]);
      const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 16 * PAGE)));
      expect(d.instr).toEqual({ INVLPGB: 2, TLBSYNC: 1 });
      expect(d.ipis).toBe(0);
      expect(d.events.filter((e) => e.name === 'invlpgb').map((e) => e.args!.flags)).toEqual(['ASID|INCLUDE_GLOBAL', 'ASID|INCLUDE_GLOBAL']);
      const d2 = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 40 * PAGE)));
      expect(d2.instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
    });
  });

  describe('G16 PTI costs', () => {
    it('with INVPCID: 2 INVLPG + 2 INVPCID per CPU', () => {
      const { m, A } = rig({ pti: true }, ['run', 'run', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.cpu[0].instr).toEqual({ INVLPG: 2, INVPCID: 2 });
      expect(d.cpu[1].instr).toEqual({ INVLPG: 2, INVPCID: 2 });
    });
    it('without INVPCID: 2 INVLPG and the user PCID marked for the return to user', () => {
      const { m, x, A } = rig({ pti: true, invpcid: false }, ['run', 'run', null, null]);
      x.tlbState(0).userPcidFlushMask = 0;
      x.tlbState(1).userPcidFlushMask = 0;
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.cpu[0].instr).toEqual({ INVLPG: 2 });
      expect(d.cpu[1].instr).toEqual({ INVLPG: 2 });
      // A sits on ASID 1 on both CPUs: kPCID 2
      expect(x.tlbState(0).userPcidFlushMask).toBe(1 << 2);
      expect(x.tlbState(1).userPcidFlushMask).toBe(1 << 2);
    });
    it('full flush: 1 CR3 write + user PCID marked', () => {
      const { m, x, A } = rig({ pti: true }, ['run', 'run', null, null]);
      x.tlbState(1).userPcidFlushMask = 0;
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 34 * PAGE, ptes: true }));
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(x.tlbState(1).userPcidFlushMask).toBe(1 << 2);
    });
    it('flush_tlb_one_kernel sets invalidate_other; the next choose_new_asid zeroes the other slots', () => {
      const { m, x, A } = rig({ pti: true }, ['run', null, null, null]);
      const a0 = m.threads[0];
      const C = m.createMm('C');
      m.sleep(a0);
      const c0 = m.addThread(C, 'C0', 0, 'running'); // C cached in slot 2
      m.sleep(c0);
      m.run(a0, 0); // back on A (slot 1)
      expect(x.tlbState(0).ctxs.map((s) => s.ctxId)).toEqual([1, x.mmContext(A).ctxId, x.mmContext(C).ctxId, 0, 0, 0]);
      const K = 0xffffc90000000000;
      const d0 = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + PAGE)));
      expect(d0.cpu[0].instr).toEqual({ INVLPG: 1, INVPCID: 1 });
      expect(x.tlbState(0).invalidateOther).toBe(true);
      // A -> B: every slot but the loaded one (A's) forgets its mm; B takes slot 3
      const B = m.createMm('B');
      m.sleep(a0);
      const b0 = m.addThread(B, 'B0', 0, 'running');
      expect(x.tlbState(0).invalidateOther).toBe(false);
      expect(x.tlbState(0).ctxs.map((s) => s.ctxId)).toEqual([0, x.mmContext(A).ctxId, 0, x.mmContext(B).ctxId, 0, 0]);
      // B -> C: C's slot was zeroed, so C gets a new slot with a flushing CR3 write
      const d = measure(m, () => { m.sleep(b0); m.run(c0, 0); });
      expect(d.flushes).toEqual([{ cpu: 0, reason: TASK_SWITCH, pages: -1 }]);
      expect(x.tlbState(0).loadedMmAsid).toBe(4);
      expect(m.metrics.violations).toEqual([]);
    });
  });

  describe('G17 ASID slot reuse on switch B -> A', () => {
    it('PCID off: every switch is a flushing CR3 write', () => {
      const m = new Machine({ arch: x86({ pcid: false }), cpus: 2, trace: true });
      const A = m.createMm('A');
      const B = m.createMm('B');
      const a = m.addThread(A, 'A1', 1, 'running');
      m.sleep(a);
      const b = m.addThread(B, 'B1', 1, 'running');
      m.sleep(b);
      const d = measure(m, () => m.run(a, 1));
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(d.flushes).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: -1 }]);
    });
    const slots = () => {
      const m = new Machine({ arch: x86(), cpus: 2, trace: true });
      const x = x86Internals(m);
      const mms = ['M1', 'M2', 'A', 'B'].map((n) => m.createMm(n));
      const ts = mms.map((mm) => { const t = m.addThread(mm, mm.name, 1, 'running'); m.sleep(t); return t; });
      return { m, x, A: mms[2], a: ts[2], ts };
    };
    it('A cached in slot 3 with gen 101 == A gen: CR3 with NOFLUSH', () => {
      const { m, x, A, a } = slots();
      expect(x.tlbState(1).ctxs[3].ctxId).toBe(x.mmContext(A).ctxId);
      x.setTlbGen(A, 101);
      const d = measure(m, () => m.run(a, 1));
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(d.cpu[1].full).toBe(0);
      expect(d.flushes).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: 0 }]);
      expect(x.tlbState(1).loadedMmAsid).toBe(3);
    });
    it('slot 3 gen 99 < 101: flushing CR3 write, slot gen := 101', () => {
      const { m, x, A, a } = slots();
      x.setTlbGen(A, 101);
      x.tlbState(1).ctxs[3].tlbGen = 99;
      const d = measure(m, () => m.run(a, 1));
      expect(d.cpu[1].full).toBe(1);
      expect(d.flushes).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: -1 }]);
      expect(x.tlbState(1).ctxs[3].tlbGen).toBe(101);
    });
    it('A not cached, next_asid 5: slot 5 (next 6), then slot 0 and next_asid 1', () => {
      const { m, x } = slots();
      expect(x.tlbState(1).nextAsid).toBe(5);
      const C = m.createMm('C');
      const D = m.createMm('D');
      const c = m.addThread(C, 'C1', 1, 'running');
      expect(x.tlbState(1).loadedMmAsid).toBe(5);
      expect(x.tlbState(1).nextAsid).toBe(6);
      m.sleep(c);
      const d = measure(m, () => m.addThread(D, 'D1', 1, 'running'));
      expect(x.tlbState(1).loadedMmAsid).toBe(0);
      expect(x.tlbState(1).nextAsid).toBe(1);
      expect(d.flushes).toEqual([{ cpu: 1, reason: TASK_SWITCH, pages: -1 }]);
    });
  });

  describe('G18 table freed, no PTEs cleared: stride 21 over one page', () => {
    it('gather: 1 INVLPG, nr_invalidate 0, the lazy CPU to init_mm', () => {
      const { m, A } = rig({}, ['run', 'lazy', null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + PAGE, pmds: true, freed: true }));
      expect(d.ipis).toBe(1);
      expect(d.cpu[0].instr).toEqual({ INVLPG: 1 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 0 });
      expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
      expect(m.cpus[1].loadedMm).toBeNull();
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: LOCAL_MM, pages: 0 }, { cpu: 0, reason: SEND_IPI, pages: 1 }, { cpu: 1, reason: TASK_SWITCH, pages: 0 },
      ]);
    });
    it('munmap of a range whose PTEs are already gone frees its tables the same way', () => {
      const { m, x, A } = rig({}, ['run', 'lazy', null, null]);
      m.op('mmap', 0, () => mmap(m, A, { addr: S, length: MB2 }));
      m.op('touch', 0, () => touch(m, A, S + 5 * PAGE));
      m.op('madvise', 0, () => madvise(m, A, S + 5 * PAGE, PAGE, 'dontneed'));
      x.setTlbGen(A, 100);
      const tables = m.metrics.tablesFreed;
      const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S, MB2)));
      expect(m.metrics.tablesFreed - tables).toBe(3); // PTE, PMD and PUD tables
      expect(d.ipis).toBe(1);
      expect(d.cpu[0].instr).toEqual({ INVLPG: 1 });
      expect(sorted(d.flushes)).toEqual([
        { cpu: 0, reason: LOCAL_MM, pages: 0 }, { cpu: 0, reason: SEND_IPI, pages: 1 }, { cpu: 1, reason: TASK_SWITCH, pages: 0 },
      ]);
      expect(m.metrics.violations).toEqual([]);
    });
  });

  it('G19 nested gathers: each finish flushes the whole mm with freed_tables', () => {
    const { m, x, A } = rig({}, ['run', 'run', 'lazy', null]);
    const [g1, g2] = m.op('open', 0, () => [tlbGatherMmu(m, A), tlbGatherMmu(m, A)]);
    expect(A.tlbFlushPending).toBe(2);
    const d1 = measure(m, () => m.op('finish 1', 0, () => g1.finish()));
    expect(x.mmContext(A).tlbGen).toBe(101);
    expect(d1.ipis).toBe(2);
    expect(d1.cpu[0].instr).toEqual({ 'CR3 write': 1 });
    expect(d1.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(d1.cpu[2].instr).toEqual({ 'CR3 write': 1 }); // to init_mm
    expect(counters(d1.cpu[0])).toEqual({ ...Z, remote: 1, localAll: 1 });
    expect(m.cpus[2].loadedMm).toBeNull();
    // the second thread finishes while the first is still counted (concurrent finish)
    const d2 = measure(m, () => m.op('finish 2', 0, () => { A.tlbFlushPending++; g2.finish(); A.tlbFlushPending--; }));
    expect(x.mmContext(A).tlbGen).toBe(102);
    expect(d2.ipis).toBe(2);
    expect(d2.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(d2.flushes.filter((f) => f.cpu === 2)).toEqual([{ cpu: 2, reason: WRONG_CPU, pages: 0 }]);
    expect(A.cpumask.has(2)).toBe(false);
    expect(A.tlbFlushPending).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });

  describe('G20 purely local', () => {
    it('mask {0}: 2 INVLPG, no remote accounting', () => {
      const { m, x, A } = rig({}, ['run', null, null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(d.ipis).toBe(0);
      expect(d.cpu[0].instr).toEqual({ INVLPG: 2 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, localOne: 2 });
      expect(slotGen(x, 0, A)).toBe(101);
      expect(d.flushes).toEqual([{ cpu: 0, reason: LOCAL_MM, pages: 2 }]);
    });
    it('A loaded nowhere: only the generation moves', () => {
      const { m, x, A } = rig({}, [null, null, null, null]);
      const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
      expect(x.mmContext(A).tlbGen).toBe(101);
      expect(d.ipis).toBe(0);
      expect(d.instr).toEqual({});
      expect(d.flushes).toEqual([]);
      for (let c = 0; c < 4; c++) expect(counters(d.cpu[c])).toEqual(Z);
    });
  });
});
