/** arm64 mm/context.c: ASID allocation, generation rollover and the per-CPU local flush. */
import { describe, expect, it } from 'vitest';
import { Machine, exitThread, mmap, munmap, touch, type Mm } from '@tlbsim/core';
import { arm64, arm64Internals, type Arm64Options } from '../src/index.js';
import { seqOf } from './helpers.js';

const LOCAL_FLUSH = ['DSB NSHST', 'TLBI VMALLE1', 'DSB NSH', 'ISB'];

function machine(opts: Arm64Options, cpus = 4) {
  const m = new Machine({ arch: arm64(opts), cpus, trace: true });
  const rt = arm64Internals(m);
  let n = 0;
  /** a new process whose thread runs on `cpu` and then blocks (the CPU stays lazy on it) */
  const spawn = (cpu: number, state: 'running' | 'sleeping' = 'sleeping'): Mm => {
    const mm = m.createMm(`P${n++}`);
    m.addThread(mm, mm.name, cpu, state);
    return mm;
  };
  return { m, rt, spawn };
}

describe('ASID allocation', () => {
  it('the first generation hands out even ASIDs only (the map starts KPTI-style, CONFIG_UNMAP_KERNEL_AT_EL0)', () => {
    const { rt, spawn } = machine({});
    expect([0, 1, 2, 0, 0].map((c) => rt.asids.asid(spawn(c)))).toEqual([2, 4, 6, 8, 10]);
  });

  it('switching between live mms takes the fast path: no new ASIDs, no TLB maintenance', () => {
    const { m, rt, spawn } = machine({});
    const a = spawn(0);
    const b = spawn(0);
    const ta = m.threads.find((t) => t.mm === a)!;
    const tb = m.threads.find((t) => t.mm === b)!;
    const seq = seqOf(m, () => {
      for (let i = 0; i < 10; i++) {
        m.run(ta, 0);
        m.sleep(ta);
        m.run(tb, 0);
        m.sleep(tb);
      }
    });
    expect(seq).toEqual([]);
    expect([rt.asids.asid(a), rt.asids.asid(b), rt.asids.rollovers]).toEqual([2, 4, 0]);
  });

  it('rollover (8-bit ASIDs): a new generation, ASID numbers restart at 1, one local flush per CPU at its next switch', () => {
    const { m, rt, spawn } = machine({ asidBits: 8 });
    const others = [1, 2, 3].map((c) => spawn(c, 'running')); // ASIDs 2, 4, 6 stay active on CPUs 1-3
    let last!: Mm;
    const before = seqOf(m, () => {
      for (let i = 0; i < 124; i++) last = spawn(0); // 8, 10, ..., 254
    });
    expect(before).toEqual([]);
    expect(rt.asids.asid(last)).toBe(254);
    expect(rt.asids.generation).toBe(0x10000);
    // the 128th process: the bitmap is exhausted
    let next!: Mm;
    const roll = seqOf(m, () => { next = spawn(0); });
    expect(rt.asids.rollovers).toBe(1);
    expect(rt.asids.generation).toBe(0x20000);
    expect(rt.asids.asid(next)).toBe(1);
    expect(roll).toEqual(LOCAL_FLUSH); // CPU0 flushes at once
    expect(m.metrics.perCpu().map((c) => c.instructions['TLBI VMALLE1'] ?? 0)).toEqual([1, 0, 0, 0]);
    // CPU1 switches to a new process: slow path, its pending local flush, ASID 3
    const fresh = seqOf(m, () => { m.threads.find((t) => t.mm === others[0])!.state = 'sleeping'; next = spawn(1); });
    expect(fresh).toEqual(LOCAL_FLUSH);
    expect(rt.asids.asid(next)).toBe(3);
    // the process that was active on CPU1 during the rollover keeps its reserved ASID when it returns
    const t1 = m.threads.find((t) => t.mm === others[0])!;
    const back = seqOf(m, () => { m.threads.find((t) => t.mm === others[1])!.state = 'sleeping'; m.run(t1, 2); });
    expect(back).toEqual(LOCAL_FLUSH); // CPU2's own pending flush
    expect(rt.asids.asid(others[0])).toBe(2);
    // every CPU flushed at most once for this rollover
    const again = seqOf(m, () => { m.sleep(t1); spawn(2); spawn(1); spawn(0); });
    expect(again).toEqual([]);
    expect(m.metrics.perCpu().map((c) => c.instructions['TLBI VMALLE1'] ?? 0)).toEqual([1, 1, 1, 0]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('with KPTI only even ASIDs exist in every generation; user TLBIs target the odd twin', () => {
    const { m, rt, spawn } = machine({ asidBits: 8, kpti: true });
    for (let i = 0; i < 127; i++) spawn(0);
    expect(rt.asids.rollovers).toBe(0);
    const mm = spawn(0);
    expect(rt.asids.rollovers).toBe(1);
    expect(rt.asids.asid(mm)).toBe(2);
    void m;
  });

  it('exit does not free the ASID: a dead mm is never renumbered without a rollover flush', () => {
    const { m, rt, spawn } = machine({ asidBits: 8 });
    const dead = spawn(0, 'running');
    m.op('mmap', 0, () => mmap(m, dead, { addr: 0x400000, length: 0x4000 }));
    m.op('touch', 0, () => touch(m, dead, 0x400000));
    m.op('exit', 0, () => exitThread(m, m.threads.find((t) => t.mm === dead)!));
    const next = spawn(0);
    expect([rt.asids.asid(dead), rt.asids.asid(next)]).toEqual([2, 4]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('rollovers under load keep the checker clean (munmap/exit across generations)', () => {
    const { m, rt, spawn } = machine({ asidBits: 8 });
    for (let i = 0; i < 400; i++) {
      const mm = spawn(i % 4, 'running');
      m.op('mmap', i % 4, () => mmap(m, mm, { addr: 0x400000, length: 0x4000 }));
      m.op('touch', i % 4, () => { touch(m, mm, 0x400000); touch(m, mm, 0x401000); });
      m.op('munmap', i % 4, () => munmap(m, mm, 0x401000, 0x1000));
      m.op('exit', i % 4, () => exitThread(m, m.threads.find((t) => t.mm === mm)!));
    }
    // 127 even ASIDs in the first generation; afterwards 255 minus the 4 ASIDs the CPUs still hold
    // (reserved at the rollover): processes 1-127, 128-378, 379-629
    expect(rt.asids.rollovers).toBe(2);
    expect(m.metrics.summary().tlbInstructions['TLBI VMALLE1']).toBe(8); // each CPU once per rollover
    expect(m.metrics.violations).toEqual([]);
  });

  it('refuses an ASID space no larger than the CPU count', () => {
    expect(() => new Machine({ arch: arm64({ asidBits: 8 }), cpus: 300 })).toThrow(/usable ASIDs/);
  });
});
