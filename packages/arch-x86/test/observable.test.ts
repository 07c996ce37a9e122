/**
 * x86 SPEC.md §13: a 2-thread process, T0 on CPU0 doing the operation, T1 on CPU1 spinning in user
 * mode, asleep (CPU1 idle, lazy on the mm), or asleep while CPU1 runs another process (or idles
 * after leave_mm). Driven end to end through core's mm operations; "count" is the increase of
 * CPU1's "TLB shootdowns".
 */
import { Machine, exitThread, madvise, mmap, mprotect, munmap, touch, type Mm, type Thread } from '@tlbsim/core';
import { describe, expect, it } from 'vitest';
import { x86, x86Internals, type X86Internals, type X86Options } from '../src/index.js';
import { MB2, PAGE, S, counters, measure, type Delta } from './helpers.js';

type T1State = 'spinning' | 'lazy' | 'other' | 'leave_mm';

interface Proc {
  m: Machine;
  x: X86Internals;
  A: Mm;
  t0: Thread;
  t1: Thread;
}

/** Process A: T0 on CPU0, VMA [S, S+4 MiB) with pages S+0x1000.. touched, T1 on CPU1 in `state`. */
function proc(state: T1State, touched = 40, opts: X86Options = {}): Proc {
  const m = new Machine({ arch: x86(opts), cpus: 4, trace: true });
  const x = x86Internals(m);
  const A = m.createMm('A');
  const t0 = m.addThread(A, 'T0', 0, 'running');
  const t1 = m.addThread(A, 'T1', 1, 'running');
  m.op('mmap', 0, () => mmap(m, A, { addr: S, length: 4 * MB2 }));
  m.op('touch', 0, () => { for (let i = 0; i < touched; i++) touch(m, A, S + PAGE + i * PAGE); });
  m.op('touch', 1, () => touch(m, A, S + PAGE));
  if (state !== 'spinning') m.sleep(t1);
  if (state === 'other') m.addThread(m.createMm('B'), 'B1', 1, 'running');
  if (state === 'leave_mm') x.leaveMm(1);
  return { m, x, A, t0, t1 };
}

const Z = { TLB: 0, CAL: 0, remote: 0, received: 0, localAll: 0, localOne: 0 };
const on0 = (p: Proc, name: string, fn: () => unknown): Delta => measure(p.m, () => { p.m.op(name, 0, fn); });

describe('x86 SPEC.md §13: munmap of N touched 4 KiB pages, no page table freed', () => {
  it('T1 spinning, N = 8: 1 shootdown, 8 INVLPG on CPU1; vmstat +1 / +1 / +8', () => {
    const p = proc('spinning');
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(p.m.metrics.tablesFreed).toBe(0);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ INVLPG: 8 });
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 8 });
    expect(d.cpu[0].instr).toEqual({ INVLPG: 8 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 spinning, N = 40 (> 33): 1 shootdown, one CR3 reload on CPU1', () => {
    const p = proc('spinning');
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 40 * PAGE));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localAll: 1 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, CPU1 lazy: 0; vmstat +1 / +0 / +8; CPU1 pays one flush when T1 resumes', () => {
    const p = proc('lazy');
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.cpu[1].instr).toEqual({});
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 8 });
    expect(p.m.metrics.violations).toEqual([]);
    const d2 = measure(p.m, () => p.m.run(p.t1, 1));
    expect(d2.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(d2.cpu[1].full).toBe(1);
  });
  it('T1 asleep, CPU1 runs another process: 0 (trim not due)', () => {
    const p = proc('other');
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, CPU1 runs another process, trim due: 1 (REMOTE_WRONG_CPU, no flush)', () => {
    const p = proc('other');
    p.m.now = 5_000_000_000;
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({});
    expect(p.A.cpumask.has(1)).toBe(false);
  });
  it('T1 asleep, CPU1 idle after leave_mm: 0', () => {
    const p = proc('leave_mm');
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(p.m.metrics.violations).toEqual([]);
  });
});

describe('x86 SPEC.md §13: munmap that also frees a page-table page', () => {
  /** a lone VMA in its own PMD range: its PTE table goes with it */
  const lone = (p: Proc) => {
    p.m.op('mmap', 0, () => mmap(p.m, p.A, { addr: S + 32 * MB2, length: 4 * PAGE }));
    p.m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(p.m, p.A, S + 32 * MB2 + i * PAGE); });
    return on0(p, 'munmap', () => munmap(p.m, p.A, S + 32 * MB2, 4 * PAGE));
  };
  it('T1 spinning: 1 (4 INVLPG)', () => {
    const p = proc('spinning');
    const d = lone(p);
    expect(p.m.metrics.tablesFreed).toBe(1);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ INVLPG: 4 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, lazy: 1 (CPU1 switches to init_mm, no INVLPG)', () => {
    const p = proc('lazy');
    const d = lone(p);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(p.m.cpus[1].loadedMm).toBeNull();
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, CPU1 runs another process: 1 (WRONG_CPU no-op, CPU1 leaves the mask)', () => {
    const p = proc('other');
    const d = lone(p);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({});
    expect(p.A.cpumask.has(1)).toBe(false);
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, CPU1 idle after leave_mm: 1 (WRONG_CPU)', () => {
    const p = proc('leave_mm');
    const d = lone(p);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.flushes.filter((f) => f.cpu === 1)).toEqual([{ cpu: 1, reason: 5, pages: 0 }]);
  });
  it('kernel v6.13, CPU1 runs another process: 0 (it left the mask when it switched)', () => {
    const p = proc('other', 40, { kernel: 'v6.13' });
    expect(p.A.cpumask.has(1)).toBe(false);
    const d = lone(p);
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.ipis).toBe(0);
    expect(p.m.metrics.violations).toEqual([]);
  });
});

describe('x86 SPEC.md §13: munmap of a never-touched range with no page tables', () => {
  for (const state of ['spinning', 'lazy', 'other'] as const) {
    it(`T1 ${state}: 0, and no flush at all`, () => {
      const p = proc(state);
      p.m.op('mmap', 0, () => mmap(p.m, p.A, { addr: 0x100000000000, length: 4 * PAGE }));
      const gen = p.x.mmContext(p.A).tlbGen;
      const d = on0(p, 'munmap', () => munmap(p.m, p.A, 0x100000000000, 4 * PAGE));
      expect(counters(d.cpu[1])).toEqual(Z);
      expect(counters(d.cpu[0])).toEqual(Z);
      expect(d.instr).toEqual({});
      expect(p.x.mmContext(p.A).tlbGen).toBe(gen);
    });
  }
});

describe('x86 SPEC.md §13: madvise(MADV_DONTNEED) over touched pages', () => {
  const cases: [T1State, number][] = [['spinning', 1], ['lazy', 0], ['other', 0]];
  for (const [state, n] of cases) {
    it(`T1 ${state}: ${n}`, () => {
      const p = proc(state);
      const d = on0(p, 'madvise', () => madvise(p.m, p.A, S + PAGE, 8 * PAGE, 'dontneed'));
      expect(d.cpu[1].TLB).toBe(n);
      if (n) expect(d.cpu[1].instr).toEqual({ INVLPG: 8 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 8 });
      expect(p.m.metrics.violations).toEqual([]);
    });
  }
  it('T1 lazy, PT_RECLAIM frees the emptied PTE table: 1', () => {
    const p = proc('lazy');
    const base = S + 32 * MB2;
    p.m.op('mmap', 0, () => mmap(p.m, p.A, { addr: base, length: MB2 }));
    p.m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(p.m, p.A, base + i * PAGE); });
    const d = on0(p, 'madvise', () => madvise(p.m, p.A, base, MB2, 'dontneed'));
    expect(p.m.metrics.tablesFreed).toBe(1);
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[0].instr).toEqual({ INVLPG: 4 });
    expect(p.m.metrics.violations).toEqual([]);
  });
});

describe('x86 SPEC.md §13: mprotect', () => {
  const ro = { read: true, write: false, exec: false };
  const cases: [T1State, number][] = [['spinning', 1], ['lazy', 0], ['other', 0]];
  for (const [state, n] of cases) {
    it(`RW -> R over 8 present PTEs, T1 ${state}: ${n}`, () => {
      const p = proc(state);
      const d = on0(p, 'mprotect', () => mprotect(p.m, p.A, S + PAGE, 8 * PAGE, ro));
      expect(d.cpu[1].TLB).toBe(n);
      if (n) expect(d.cpu[1].instr).toEqual({ INVLPG: 8 });
      expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 8 });
      expect(p.m.metrics.violations).toEqual([]);
    });
  }
  it('R -> RW that sets RW also flushes (RW changed)', () => {
    const p = proc('spinning');
    p.m.op('mprotect', 0, () => mprotect(p.m, p.A, S + PAGE, 8 * PAGE, ro));
    const d = on0(p, 'mprotect', () => mprotect(p.m, p.A, S + PAGE, 8 * PAGE, { read: true, write: true, exec: false }));
    expect(d.cpu[1].TLB).toBe(1);
    expect(d.cpu[1].instr).toEqual({ INVLPG: 8 });
  });
  it('no present PTE needs a flush (same protection again, and untouched pages): 0, no flush', () => {
    const p = proc('spinning');
    const gen = p.x.mmContext(p.A).tlbGen;
    const d = on0(p, 'mprotect', () => {
      mprotect(p.m, p.A, S + PAGE, 8 * PAGE, { read: true, write: true, exec: false });
      mprotect(p.m, p.A, S + MB2, 8 * PAGE, ro);
    });
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.instr).toEqual({});
    expect(p.x.mmContext(p.A).tlbGen).toBe(gen);
    expect(p.m.metrics.violations).toEqual([]);
  });
});

describe('x86 SPEC.md §13: process exit (exit_group)', () => {
  it('T1 was spinning: killed first, so CPU1 is lazy at exit_mmap: 1', () => {
    const p = proc('spinning');
    p.m.op('exit T1', 1, () => exitThread(p.m, p.t1));
    const d = on0(p, 'exit T0', () => exitThread(p.m, p.t0));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    expect(d.instr.INVLPG ?? 0).toBe(0);
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, lazy: 1', () => {
    const p = proc('lazy');
    p.m.op('exit T1', 1, () => exitThread(p.m, p.t1));
    const d = on0(p, 'exit T0', () => exitThread(p.m, p.t0));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('T1 asleep, CPU1 runs another process: 1 (WRONG_CPU), 0 if trimmed earlier', () => {
    const p = proc('other');
    p.m.op('exit T1', 1, () => exitThread(p.m, p.t1));
    const d = on0(p, 'exit T0', () => exitThread(p.m, p.t0));
    expect(counters(d.cpu[1])).toEqual({ ...Z, TLB: 1, CAL: 1, received: 1 });
    expect(d.cpu[1].instr).toEqual({});
    expect(p.m.metrics.violations).toEqual([]);

    const q = proc('other');
    q.m.now = 5_000_000_000;
    on0(q, 'munmap', () => munmap(q.m, q.A, S + PAGE, 2 * PAGE)); // the trimming flush
    q.m.op('exit T1', 1, () => exitThread(q.m, q.t1));
    const e = on0(q, 'exit T0', () => exitThread(q.m, q.t0));
    expect(counters(e.cpu[1])).toEqual(Z);
    expect(q.m.metrics.violations).toEqual([]);
  });
});

describe('x86 SPEC.md §13 under a hypervisor: a preempted or hypercall-flushed vCPU1 counts 0', () => {
  it('KVM PV flush, vCPU1 preempted while spinning: 0 in the guest counters', () => {
    const p = proc('spinning', 40, { paravirt: 'kvm' });
    p.x.setVcpuPreempted(1, true);
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.cpu[1].instr).toEqual({});
    expect(d.ipis).toBe(0);
    expect(counters(d.cpu[0])).toEqual({ ...Z, remote: 1, localOne: 8 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('Hyper-V: one hypercall flushes CPU0 and CPU1; no IPI, no flush_tlb_func, no vmstat', () => {
    const p = proc('spinning', 40, { paravirt: 'hyperv' });
    const gen0 = p.x.tlbState(0).ctxs[1].tlbGen;
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(d.ipis).toBe(0);
    expect(d.instr).toEqual({ hypercall: 1 });
    expect(counters(d.cpu[0])).toEqual(Z);
    expect(counters(d.cpu[1])).toEqual(Z);
    expect(d.flushes).toEqual([]);
    expect(p.x.tlbState(0).ctxs[1].tlbGen).toBe(gen0); // flushing without bumping is legal
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('Hyper-V skips a lazy vCPU unless tables were freed', () => {
    const p = proc('lazy', 40, { paravirt: 'hyperv' });
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, 8 * PAGE));
    expect(d.cpu[1].ranged + d.cpu[1].full).toBe(0);
    expect(d.cpu[0].ranged).toBe(1);
    p.m.op('mmap', 0, () => mmap(p.m, p.A, { addr: S + 32 * MB2, length: 4 * PAGE }));
    p.m.op('touch', 0, () => touch(p.m, p.A, S + 32 * MB2));
    const d2 = on0(p, 'munmap', () => munmap(p.m, p.A, S + 32 * MB2, 4 * PAGE));
    expect(d2.cpu[1].ranged).toBe(1);
    expect(d2.instr).toEqual({ hypercall: 1 });
    expect(p.m.metrics.violations).toEqual([]);
  });
  it('Xen PV: one multicall over the mask (lazy CPUs included); a one-page range is INVLPG_MULTI', () => {
    const p = proc('lazy', 40, { paravirt: 'xen' });
    const d = on0(p, 'munmap', () => munmap(p.m, p.A, S + PAGE, PAGE));
    expect(d.instr).toEqual({ hypercall: 1 });
    expect(d.ipis).toBe(0);
    expect([d.cpu[0].ranged, d.cpu[1].ranged]).toEqual([1, 1]);
    const d2 = on0(p, 'munmap', () => munmap(p.m, p.A, S + 4 * PAGE, 8 * PAGE));
    expect([d2.cpu[0].full, d2.cpu[1].full]).toEqual([1, 1]);
    expect(counters(d2.cpu[1])).toEqual(Z);
    expect(p.m.metrics.violations).toEqual([]);
  });
});
