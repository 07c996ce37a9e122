/**
 * The GUP-fast race of hugetlb SPEC.md §5 found by schedule exploration (core SPEC.md §13), with
 * nobody placing the walker by hand: P2 munmaps the range whose PMD table it shares with P1; a
 * schedule starts GUP-fast in P2 on another CPU before the unshare and lets reclaim (or migration)
 * of one of the file's huge pages rewrite P1's now exclusive table on a third CPU.
 */
import { describe, expect, it } from 'vitest';
import { exploreSchedules, parseScenario, runScenario, type ArchBackend, type ScheduleRunner } from '@tlbsim/core';
import { arm64 } from '@tlbsim/arch-arm64';
import { x86 } from '@tlbsim/arch-x86';
import { installHugetlb, type Behaviour } from '../src/index.js';

const SHARED = parseScenario(`
name: hugetlb-unshare
machine: { cpus: 3 }
files: [{ name: F }]
processes:
  - name: P1
    threads: [{ name: p1, cpu: 0, state: sleeping }]
  - name: P2
    threads: [{ name: p2, cpu: 0 }]
ops:
  - mmap: { process: P1, addr: 0x1000000000, length: 0x40000000, shared: true, file: F, hugetlb: true }
  - mmap: { process: P2, addr: 0x1000000000, length: 0x40000000, shared: true, file: F, hugetlb: true }
  - touch: { thread: p1, addr: 0x1000200000 }
  - touch: { thread: p2, addr: 0x1000200000 }
  - munmap: { thread: p2, addr: 0x1000000000, length: 0x40000000 }
`, 'hugetlb-unshare.yaml');

const runner = (arch: () => ArchBackend, behaviour: Behaviour): ScheduleRunner =>
  (attach) => runScenario(SHARED, arch(), { checker: true, setup: (m) => { installHugetlb(m, { behaviour }); attach(m); } }).violations;

describe('hugetlb-unshare under 100 schedules: the race 1013af4f58 closed', () => {
  it('arm64 (broadcast TLBI), V0: an H2 finding, the walker inside the table P1 rewrites', () => {
    const r = exploreSchedules(runner(arm64, 'V0'), { schedules: 100 });
    expect(r).toMatchObject({ steps: 4, placements: 6, exhaustive: true });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f.violation).toMatchObject({ hazard: 'H2', op: 'munmap', opIndex: 4, address: 0x1000000000 });
    expect(f.violation.what).toMatch(/^page table \(level pmd\) at 0x1000000000 reused while a GUP-fast walker on CPU[12] is inside it$/);
    expect(f.schedule.map((a) => [a.point, a.actor])).toEqual([['unmap_vmas', 'gup-fast'], ['tlb_flush_mmu:before-free', 'reclaim']]);
    expect(f.schedule[0].detail).toBe('walks 0x1000000000 in P2');
    // its seed replays the same schedule and finding
    const again = exploreSchedules(runner(arm64, 'V0'), { schedules: 1, seed: f.seed });
    expect(again.findings.map((x) => [x.key, x.schedule])).toEqual([[f.key, f.schedule]]);
  });
  for (const b of ['V1', 'V2'] as const) {
    it(`arm64, ${b}: the sync IPI ends the walker before i_mmap is dropped: no finding`, () => {
      expect(exploreSchedules(runner(arm64, b), { schedules: 100 }).findings).toEqual([]);
    });
  }
  for (const b of ['V0', 'V1', 'V2'] as const) {
    it(`x86 (flush IPIs), ${b}: the flush IPI itself waits for the walker: no finding`, () => {
      expect(exploreSchedules(runner(x86, b), { schedules: 100 }).findings).toEqual([]);
    });
  }
});
