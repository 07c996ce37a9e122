/**
 * The checker (core SPEC.md §2) is exact on the kernel's behaviour and finds each re-created bug.
 */
import { describe, expect, it } from 'vitest';
import { INVALIDATE_ALL, Machine, generic, mmap, mprotect, munmap, touch, exitThread, type BugOptions, type Mm } from '../src/index.js';

// MERGE_VMAS (as x86 and powerpc select) leaves the only flush to tlb_finish_mmu, where the bugs bite
function twoThreads(bugs: BugOptions = {}, peer: 'running' | 'sleeping' = 'running') {
  const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 2, bugs });
  const mm = m.createMm('A');
  const t0 = m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'sleeping');
  if (peer === 'running') m.run(m.threads[1], 1);
  m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
  // both CPUs touch the pages: both may cache the translations
  m.op('touch', 1, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
  m.op('touch', 0, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
  return { m, mm, t0 };
}

describe('checker on the kernel behaviour', () => {
  it('munmap, mprotect and exit find nothing', () => {
    const { m, mm, t0 } = twoThreads();
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x8000, { read: true, write: false, exec: false }));
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x4000));
    m.op('exit', 0, () => exitThread(m, t0));
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('seeded bugs are found', () => {
  it('H1: pages freed before the flush (tlb_flush_mmu order swapped)', () => {
    const { m, mm } = twoThreads({ freePagesBeforeFlush: true });
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x8000));
    const v = m.metrics.violations;
    // one finding per CPU and page batch (the local batch of 7 pages, then one batch page)
    expect(v.map((x) => [x.hazard, x.cpu, x.address])).toEqual([['H1', 0, 0x400000], ['H1', 1, 0x400000], ['H1', 0, 0x407000], ['H1', 1, 0x407000]]);
    expect(v[0].op).toBe('munmap');
    expect(v[0].what).toContain('0x400000');
    expect(v[0].events!.at(-1)).toContain('tlb_gather_mmu(A)');
  });
  it('H2: a page table freed with neither the flush nor a grace period', () => {
    const { m, mm } = twoThreads({ freeTablesWithoutFlush: true });
    // the region is alone in its PTE table: munmap frees the table
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x200000));
    const h2 = m.metrics.violations.filter((x) => x.hazard === 'H2');
    expect(h2.length).toBeGreaterThan(0);
    expect(h2[0].what).toContain('walk entries');
  });
  it('H3: a missed flush after mprotect', () => {
    const { m, mm } = twoThreads({ skipMprotectFlush: true });
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x8000, { read: true, write: false, exec: false }));
    expect(m.metrics.violations.map((x) => [x.hazard, x.cpu, x.address])).toEqual([['H3', 0, 0x400000], ['H3', 1, 0x400000]]);
  });
  it('H2 (b): a table freed while a GUP-fast walker is inside it and nothing waits for it', () => {
    const { m, mm } = twoThreads({ freeTablesWithoutFlush: true });
    m.gupFastBegin(1, mm, 0x400000);
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x200000));
    expect(m.metrics.violations.some((x) => x.hazard === 'H2' && x.what.includes('GUP-fast'))).toBe(true);
  });
  it('an RCU-freed table waits for an IRQs-off walker that started before it was queued', () => {
    const { m, mm } = twoThreads();
    m.gupFastBegin(1, mm, 0x400000);
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x200000));
    // the generic flush IPIs CPU1 and waits, so the walker finished first; nothing is reported
    expect(m.metrics.violations).toEqual([]);
    expect(m.cpus[1].irqsOff).toBe(false);
  });
});

describe('hazards the review asked for', () => {
  it('H2: a page table freed while its parent entry still points at it', () => {
    const { m, mm } = twoThreads();
    const pt = [...m.tables.values()].find((t) => t.level === 0 && t.owner === mm)!;
    m.op('bad free', 0, () => m.freeTable(pt));
    expect(m.metrics.violations.map((v) => [v.hazard, v.what.includes('still linked')])).toEqual([['H2', true]]);
  });

  /** a backend that skips other CPUs and defers their flush to their return, with or without keeping the promise */
  function deferring(keepsPromise: boolean) {
    const base = generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } });
    return {
      ...base,
      name: 'deferring',
      create(ctx: Parameters<typeof base.create>[0]) {
        const g = base.create(ctx);
        const lazyFlush = (mm: Mm) => {
          const self = ctx.currentCpu();
          ctx.invalidate(self, mm, INVALIDATE_ALL);
          for (const c of ctx.mmCpumask(mm).list()) if (c !== self) ctx.invalidateDeferred(c, mm, INVALIDATE_ALL);
        };
        return {
          ...g,
          flushTlbMm: lazyFlush,
          flushTlbRange: (mm: Mm) => lazyFlush(mm),
          switchMm(cpu: number, prev: Mm | null, next: Mm) {
            if (keepsPromise) ctx.invalidate(cpu, next, INVALIDATE_ALL);
            void prev;
          },
        };
      },
    };
  }
  for (const keeps of [true, false]) {
    it(`a lazy CPU's deferred flush ${keeps ? 'kept at its return: nothing to report' : 'not done at its return: H1'}`, () => {
      const m = new Machine({ arch: deferring(keeps), cpus: 2 });
      const mm = m.createMm('A');
      m.addThread(mm, 't0', 0, 'running');
      const t1 = m.addThread(mm, 't1', 1, 'running');
      m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
      m.op('touch', 1, () => { for (let i = 0; i < 4; i++) touch(m, mm, 0x400000 + i * 0x1000); });
      m.sleep(t1); // CPU1 goes lazy, still holding the translations
      m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x4000));
      expect(m.metrics.violations).toEqual([]); // the free relied on CPU1's deferred flush
      m.op('wake', 1, () => m.run(t1, 1));
      expect(m.metrics.violations.map((v) => [v.hazard, v.cpu])).toEqual(keeps ? [] : [['H1', 1]]);
    });
  }
});
