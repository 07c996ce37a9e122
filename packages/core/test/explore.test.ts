/**
 * Schedule exploration (core SPEC.md §13): the historic races core models are found by exploring
 * schedules on a kernel without their fix, and not with it; a seed replays its schedule; shrinking
 * keeps only the actors the finding needs; even seeds are the single placements.
 */
import { describe, expect, it } from 'vitest';
import {
  Machine, canonicalRun, exploreSchedules, findingKey, generic, parseScenario, planFor, runDecisions, runScenario,
  type ArchBackend, type ScheduleRunner,
} from '../src/index.js';

/** A read-only file mapping (clean page-cache pages) that mremap moves; t1 runs the process on CPU1. */
const MREMAP = parseScenario(`
name: mremap-file
machine: { cpus: 3 }
files: [{ name: F }]
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 16K, prot: r, file: F }
  - mmap: { process: A, addr: 0x40004000, length: 4K, prot: r }
  - touch: { thread: t0, addr: 0x40000000, pages: 4, write: false }
  - mremap: { thread: t0, addr: 0x40000000, oldLength: 16K, newLength: 32K }
`, 'mremap.yaml');

/** A driver's PFNMAP mapping munmapped while t1 runs the process on CPU1. */
const PFNMAP = parseScenario(`
name: pfnmap-munmap
machine: { cpus: 3 }
files: [{ name: dev }]
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 16K, file: dev, shared: true, pfnmap: true }
  - mmap: { process: A, addr: 0x40004000, length: 4K }
  - touch: { thread: t0, addr: 0x40000000, pages: 4 }
  - munmap: { thread: t0, addr: 0x40000000, length: 16K }
`, 'pfnmap.yaml');

/** asm-generic with MMU_GATHER_MERGE_VMAS (x86's choice: no flush at tlb_end_vma) */
const merging = () => generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } });

const runner = (s: typeof MREMAP, arch: () => ArchBackend, features: string[] = []): ScheduleRunner =>
  (attach) => runScenario(s, arch(), { checker: true, setup: attach, features }).violations;

describe('CVE-2018-18281: mremap flushes the old range after dropping the PTE locks (eb66ae030829)', () => {
  it('with the fix: no finding in 100 schedules, every single placement explored', () => {
    const r = exploreSchedules(runner(MREMAP, generic), { schedules: 100 });
    expect(r).toMatchObject({ schedules: 100, seed: 0, steps: 7, placements: 18, exhaustive: true, findings: [] });
  });
  it('without it: reclaim of a moved clean page between the unlock and the flush is an H1 finding', () => {
    const r = exploreSchedules(runner(MREMAP, generic, ['-eb66ae030829']), { schedules: 100 });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f.violation).toMatchObject({ hazard: 'H1', op: 'mremap', opIndex: 3, cpu: 0 });
    expect(f.violation.what).toMatch(/^page at 0x4000[0-3]000 freed while CPU0 may still hold its translation/);
    expect(f.schedule.map((a) => [a.op, a.point, a.actor])).toEqual([['ops[3].mremap', 'move_ptes:after-unlock', 'reclaim']]);
    expect(f.seed).toBe(1);
    // the seed alone replays it
    const again = exploreSchedules(runner(MREMAP, generic, ['-eb66ae030829']), { schedules: 1, seed: f.seed });
    expect(again.findings.map((x) => [x.key, x.seed, x.schedule])).toEqual([[f.key, f.seed, f.schedule]]);
  });
  it('a dirty PTE still forced the flush under the lock before the fix (5d1904204c99): written pages are safe', () => {
    const dirty = parseScenario(JSON.stringify({
      ...MREMAP,
      ops: MREMAP.ops.map((o) => (o.op === 'mmap' ? { mmap: { ...o.args, prot: 'rw' } } : o.op === 'touch' ? { touch: { ...o.args, write: true } } : { [o.op]: o.args })),
    }), 'dirty.json');
    expect(exploreSchedules(runner(dirty, generic, ['-eb66ae030829']), { schedules: 100 }).findings).toEqual([]);
  });
});

describe('CVE-2022-39188: a PFNMAP VMA leaves the rmap before its TLB flush (b67fbebd4cf9)', () => {
  it('with the fix: no finding', () => {
    expect(exploreSchedules(runner(PFNMAP, merging), { schedules: 100 }).findings).toEqual([]);
  });
  it('without it, where tlb_end_vma does not flush (MERGE_VMAS): a driver revoking after free_pgtables unlinked the VMA', () => {
    const r = exploreSchedules(runner(PFNMAP, merging, ['-b67fbebd4cf9']), { schedules: 100 });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f.violation).toMatchObject({ hazard: 'H1', op: 'munmap', opIndex: 3, address: 0x40000000 });
    expect(f.schedule.map((a) => [a.point, a.actor, a.detail])).toEqual([['free_pgtables:after-unlink', 'revoke', 'revokes dev (0 linked VMAs zapped) and frees its memory']]);
    const again = exploreSchedules(runner(PFNMAP, merging, ['-b67fbebd4cf9']), { schedules: 1, seed: f.seed });
    expect(again.findings.map((x) => x.key)).toEqual([f.key]);
  });
  it('without it, where tlb_end_vma flushes every VMA (asm-generic): nothing to find', () => {
    expect(exploreSchedules(runner(PFNMAP, generic, ['-b67fbebd4cf9']), { schedules: 100 }).findings).toEqual([]);
  });
  it('a revoke while the VMA is still linked zaps it and its own gather flushes (mm_tlb_flush_nested): no finding', () => {
    const run = runner(PFNMAP, merging, ['-b67fbebd4cf9']);
    const c = canonicalRun(run);
    const at = c.steps.findIndex((s) => s.point === 'unmap_vmas');
    const out = runDecisions(run, [{ step: at, actor: 'revoke', pick: 0 }]);
    expect(out.violations).toEqual([]);
    expect(out.applied.map((a) => a.detail)).toEqual(['revokes dev (1 linked VMA zapped) and frees its memory']);
  });
});

describe('schedules', () => {
  const run = runner(MREMAP, generic, ['-eb66ae030829']);
  it('even seeds below twice the single placements are those placements, in order; odd seeds are random', () => {
    const c = canonicalRun(run);
    expect(c.steps.map((s) => s.point)).toEqual([
      'move_ptes:after-unlock', 'smp_call_function_many_cond:ipi-in-flight', 'unmap_vmas', 'zap_pte_range:after-clear',
      'zap_pte_range:after-unlock', 'free_pgtables:after-unlink', 'tlb_flush_mmu:before-free',
    ]);
    expect(planFor(0, c)).toEqual([{ step: c.placements[0].step, actor: c.placements[0].actor, pick: 0 }]);
    expect(planFor(6, c)).toEqual([{ step: c.placements[3].step, actor: c.placements[3].actor, pick: 0 }]);
    expect(planFor(7, c)).toEqual(planFor(7, c));
    for (const d of planFor(7, c)) expect(c.steps[d.step].legal).toContain(d.actor);
  });
  it('a finding made without any actor shrinks to the empty schedule', () => {
    const anon = parseScenario(`
machine: { cpus: 2 }
processes: [ { name: A, threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ] } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 36K }
  - touch: { thread: t0, addr: 0x40000000, pages: 8 }
  - munmap: { thread: t0, addr: 0x40000000, length: 32K }
`, 'anon.yaml');
    const bug: ScheduleRunner = (attach) => runScenario(anon, merging(), { checker: true, setup: attach, bugs: { freePagesBeforeFlush: true } }).violations;
    const r = exploreSchedules(bug, { schedules: 4 });
    expect(r.findings.map((f) => [f.violation.hazard, f.seed, f.schedules, f.schedule.length])).toEqual([['H1', 0, 4, 0]]);
  });
  it('the finding key ignores CPU numbers and addresses', () => {
    const v = { hazard: 'H1' as const, cpu: 1, address: 0x1000, op: 'munmap', what: 'page at 0x1000 freed while CPU1 may still hold its translation' };
    expect(findingKey(v)).toBe('H1|munmap|page at ADDR freed while CPU* may still hold its translation');
  });
  it('bad counts are refused', () => {
    expect(() => exploreSchedules(run, { schedules: 0 })).toThrow('schedules must be a whole number from 1, got 0');
    expect(() => exploreSchedules(run, { schedules: 1, seed: -1 })).toThrow('seed must be a whole number from 0, got -1');
  });
  it('a machine without an explorer passes its points with no effect', () => {
    const m = new Machine({ arch: generic(), cpus: 2 });
    expect(m.explore).toBe(null);
  });
});
