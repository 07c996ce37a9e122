/**
 * Behaviour that changed between kernel versions (the `kernel` option, x86 SPEC.md §15).
 */
import { mmap, munmap, touch } from '@tlbsim/core';
import { describe, expect, it } from 'vitest';
import { MB2, PAGE, S, counters, gatherFlush, measure, rig } from './helpers.js';

const Z = { TLB: 0, CAL: 0, remote: 0, received: 0, localAll: 0, localOne: 0 };

/** A lone 4-page VMA at S+64 MiB, touched from CPU0 and unmapped: its PTE table is freed. */
function loneMunmap(r: ReturnType<typeof rig>) {
  const base = S + 32 * MB2;
  r.m.op('mmap', 0, () => { mmap(r.m, r.A, { addr: S, length: PAGE }); mmap(r.m, r.A, { addr: base, length: 4 * PAGE }); });
  r.m.op('touch', 0, () => { touch(r.m, r.A, S); for (let i = 0; i < 4; i++) touch(r.m, r.A, base + i * PAGE); });
  const rcu = r.m.metrics.rcuCallbacks;
  const tables = r.m.metrics.tablesFreed;
  const d = measure(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.A, base, 4 * PAGE)));
  return { d, rcu: r.m.metrics.rcuCallbacks - rcu, tables: r.m.metrics.tablesFreed - tables };
}

describe('mm_cpumask: lazy since v6.14, cleared on switch before', () => {
  it('v6.13: switching to another mm leaves the old mask, so no IPI even for freed tables', () => {
    const r = rig({ kernel: 'v6.13' }, ['run', 'run', null, null]);
    const B = r.m.createMm('B');
    r.m.sleep(r.threads[1]);
    r.m.addThread(B, 'B1', 1, 'running');
    expect(r.A.cpumask.has(1)).toBe(false);
    const d = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(d.ipis).toBe(0);
    expect(counters(d.cpu[0])).toEqual({ ...Z, localOne: 2 }); // branch c: only CPU0 left in the mask
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('v6.14: the bit stays; a freed-tables flush sends REMOTE_WRONG_CPU and drops it', () => {
    const r = rig({ kernel: 'v6.14' }, ['run', 'run', null, null]);
    const B = r.m.createMm('B');
    r.m.sleep(r.threads[1]);
    r.m.addThread(B, 'B1', 1, 'running');
    expect(r.A.cpumask.has(1)).toBe(true);
    const d = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(d.ipis).toBe(1);
    expect(d.flushes.filter((f) => f.cpu === 1)).toEqual([{ cpu: 1, reason: 5, pages: 0 }]);
    expect(r.A.cpumask.has(1)).toBe(false);
  });
  it('v6.13: a lazy CPU sent to init_mm by a freed-tables flush leaves the mask', () => {
    const r = rig({ kernel: 'v6.13' }, ['run', 'lazy', null, null]);
    const d = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(r.m.cpus[1].loadedMm).toBeNull();
    expect(r.A.cpumask.has(1)).toBe(false);
    // so the next flush is purely local
    const d2 = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + 0x2000, ptes: true, freed: true }));
    expect(d2.ipis).toBe(0);
    expect(counters(d2.cpu[0])).toEqual({ ...Z, localOne: 2 });
  });
  it('v6.13: no trim, a CPU on another mm is never IPIed by an mm it left', () => {
    const r = rig({ kernel: 'v6.13' }, ['run', 'run', null, null]);
    const B = r.m.createMm('B');
    r.m.sleep(r.threads[1]);
    r.m.addThread(B, 'B1', 1, 'running');
    r.m.now = 5_000_000_000;
    const d = measure(r.m, () => gatherFlush(r.m, r.A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(d.ipis).toBe(0);
  });
});

describe('page-table freeing: RCU on v6.14+ (PT_RECLAIM, then unconditional), after the flush before', () => {
  it('v6.15: the freed PTE table waits for an RCU grace period', () => {
    const r = rig({}, ['run', 'run', null, null]);
    const { d, rcu, tables } = loneMunmap(r);
    expect(tables).toBe(1);
    expect(rcu).toBe(1);
    expect(d.cpu[1].TLB).toBe(1);
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('v6.14: the same (PT_RECLAIM selects MMU_GATHER_RCU_TABLE_FREE)', () => {
    const r = rig({ kernel: 'v6.14' }, ['run', 'run', null, null]);
    const { rcu, tables } = loneMunmap(r);
    expect([tables, rcu]).toEqual([1, 1]);
  });
  it('v6.13 bare metal: freed with the pages right after the IPI flush, no RCU', () => {
    const r = rig({ kernel: 'v6.13' }, ['run', 'run', null, null]);
    const { d, rcu, tables } = loneMunmap(r);
    expect([tables, rcu]).toEqual([1, 0]);
    expect(d.cpu[1].TLB).toBe(1);
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('v6.13 under KVM: RCU, because a PV flush is no barrier against GUP-fast', () => {
    const r = rig({ kernel: 'v6.13', paravirt: 'kvm' }, ['run', 'run', null, null]);
    const { rcu, tables } = loneMunmap(r);
    expect([tables, rcu]).toEqual([1, 1]);
  });
  it('v6.15 INVLPGB: no IPI reaches a GUP-fast walker, RCU holds the free until it leaves', () => {
    const r = rig({ invlpgb: true }, ['run', 'run', 'run', 'run']);
    r.m.op('assign', 0, () => r.x.useGlobalAsid(r.A));
    const base = S + 32 * MB2;
    r.m.op('mmap', 0, () => { mmap(r.m, r.A, { addr: S, length: PAGE }); mmap(r.m, r.A, { addr: base, length: 4 * PAGE }); });
    r.m.op('touch', 0, () => { touch(r.m, r.A, S); touch(r.m, r.A, base); });
    r.m.gupFastBegin(1, r.A, base);
    const tables = r.m.metrics.tablesFreed;
    // two flushes first move every CPU onto the global ASID (the walker's CPU takes that IPI)
    r.m.gupFastEnd(1);
    gatherFlush(r.m, r.A, 0, { start: S, end: S + PAGE, ptes: true });
    gatherFlush(r.m, r.A, 0, { start: S, end: S + PAGE, ptes: true });
    r.m.gupFastBegin(1, r.A, base);
    const d = measure(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.A, base, 4 * PAGE)));
    expect(d.ipis).toBe(0);
    expect(d.instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
    expect(r.m.metrics.tablesFreed - tables).toBe(0);
    r.m.gupFastEnd(1);
    r.m.quiesce();
    expect(r.m.metrics.tablesFreed - tables).toBe(1);
    expect(r.m.metrics.violations).toEqual([]);
  });
});
