/**
 * The checker counts what it checked and how often each re-created bug acted (core SPEC.md §2),
 * so a run that exercised nothing cannot pass for a clean one.
 */
import { describe, expect, it } from 'vitest';
import { Machine, generic, mmap, mprotect, munmap, touch, type BugOptions } from '../src/index.js';

// MERGE_VMAS (as x86 and powerpc select) leaves the only flush to tlb_finish_mmu, where the bugs bite
function twoThreads(bugs: BugOptions = {}) {
  const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 2, bugs });
  const mm = m.createMm('A');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
  m.op('touch', 1, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
  m.op('touch', 0, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
  return { m, mm };
}
const none = { checks: 0, findings: 0, affected: 0 };

describe('checker.exercised()', () => {
  it('nothing freed or reduced: every class at 0', () => {
    const { m } = twoThreads();
    expect(m.checker.exercised()).toEqual({ hazards: { H1: none, H2: none, H3: none, H4: none }, bugs: {} });
  });
  it('an 8-page munmap: 8 page frees and 9 warning conditions checked, no table', () => {
    const { m, mm } = twoThreads();
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x8000));
    expect(m.checker.exercised().hazards).toEqual({ H1: { checks: 8, findings: 0, affected: 0 }, H2: none, H3: none, H4: { checks: 9, findings: 0, affected: 0 } });
  });
  it('free-pages-before-flush: acted on 8 pages; 4 findings fold 7+7+1+1 pages, 8 distinct', () => {
    const { m, mm } = twoThreads({ freePagesBeforeFlush: true });
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x8000));
    const ex = m.checker.exercised();
    expect(ex.bugs).toEqual({ freePagesBeforeFlush: 8 });
    expect(ex.hazards.H1).toEqual({ checks: 8, findings: 4, affected: 8 });
    expect(m.metrics.violations.map((v) => v.affected)).toEqual([7, 7, 1, 1]);
    expect(m.metrics.violations[0].flush).toBe("freed before the gather's TLB flush: tlb_flush of [0x400000, 0x408000) had not run yet");
    expect(m.metrics.violations[1].cached?.cpu).toBe(1);
  });
  it('free-tables-without-flush: 0 when no table is freed, 3 when munmap frees the only mapping (PTE, PMD and PUD tables)', () => {
    const a = twoThreads({ freeTablesWithoutFlush: true });
    a.m.op('munmap', 0, () => munmap(a.m, a.mm, 0x400000, 0x8000));
    expect(a.m.checker.exercised().bugs).toEqual({ freeTablesWithoutFlush: 0 });
    expect(a.m.checker.notExercisedWhy('freeTablesWithoutFlush')).toBe('no page table was freed');
    const b = twoThreads({ freeTablesWithoutFlush: true });
    b.m.op('munmap', 0, () => munmap(b.m, b.mm, 0x400000, 0x200000));
    expect(b.m.checker.exercised().bugs).toEqual({ freeTablesWithoutFlush: 3 });
    expect(b.m.checker.exercised().hazards.H2).toEqual({ checks: 3, findings: 6, affected: 3 });
  });
  it('skip-mprotect-flush: one per reduced PTE whose flush it skipped; none for a permission gain', () => {
    const { m, mm } = twoThreads({ skipMprotectFlush: true });
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x8000, { read: true, write: false, exec: false }));
    expect(m.checker.exercised().bugs).toEqual({ skipMprotectFlush: 8 });
    expect(m.checker.exercised().hazards.H3).toEqual({ checks: 8, findings: 2, affected: 8 });
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x8000, { read: true, write: true, exec: false }));
    expect(m.checker.exercised().bugs).toEqual({ skipMprotectFlush: 8 });
  });
  it('a disabled checker checks nothing (the bugs still count)', () => {
    const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 1, checker: false, bugs: { freePagesBeforeFlush: true } });
    const mm = m.createMm('A');
    m.addThread(mm, 't0', 0, 'running');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x4000 }));
    m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(m, mm, 0x400000 + i * 0x1000); });
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x4000));
    expect(m.checker.exercised()).toEqual({ hazards: { H1: none, H2: none, H3: none, H4: none }, bugs: { freePagesBeforeFlush: 4 } });
  });
});
