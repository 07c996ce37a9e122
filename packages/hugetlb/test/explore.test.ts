/**
 * The GUP-fast race of hugetlb SPEC.md §5 found by schedule exploration (core SPEC.md §13), with
 * nobody placing the walker by hand: P2 munmaps the range whose PMD table it shares with P1; a
 * schedule starts GUP-fast in P2 on another CPU before the unshare and lets reclaim (or migration)
 * of one of the file's huge pages rewrite P1's now exclusive table on a third CPU.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exploreSchedules, parseScenario, runScenario, type ArchBackend, type ScheduleRunner } from '@tlbsim/core';
import { propertyParams, propertyTestTimeout } from '@tlbsim/core/testing';
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

/** Random small scenarios (anonymous and file mappings, hugetlb sharing, mremap, fork, sleeps) under random schedules. */
const G = 0x40000000;
const opArb = fc.oneof(
  fc.record({ k: fc.constant('mmap'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }), file: fc.boolean(), shared: fc.boolean(), ro: fc.boolean() }),
  fc.record({ k: fc.constant('touch'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }), t: fc.integer({ min: 0, max: 1 }), write: fc.boolean() }),
  fc.record({ k: fc.constant('munmap'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('mremap'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('madvise'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('mprotect'), slot: fc.integer({ min: 0, max: 3 }), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('huge'), who: fc.integer({ min: 0, max: 1 }), unmap: fc.boolean() }),
  fc.record({ k: fc.constant('sleep') }),
  fc.record({ k: fc.constant('fork') }),
  fc.record({ k: fc.constant('reclaim') }),
);
type GenOp = { k: string; slot?: number; pages?: number; file?: boolean; shared?: boolean; ro?: boolean; t?: number; write?: boolean; who?: number; unmap?: boolean };

function scenarioOf(ops: GenOp[]): string {
  const lines: string[] = [];
  const mapped = [0, 0, 0, 0]; // pages mapped at each 1 GiB slot (0: none)
  let asleep = false;
  let forks = 0;
  const hugeMapped = [false, false];
  for (const o of ops) {
    const base = G * (1 + (o.slot ?? 0));
    const len = (o.pages ?? 1) * 4096;
    switch (o.k) {
      case 'mmap':
        if (mapped[o.slot!] !== 0) break;
        mapped[o.slot!] = o.pages!;
        lines.push(`  - mmap: { process: A, addr: ${base}, length: ${len}, prot: ${o.ro ? 'r' : 'rw'}, shared: ${o.shared}${o.file ? `, file: F${o.slot}` : ''} }`);
        break;
      case 'touch':
        if (mapped[o.slot!] <= 0 || (o.t === 1 && asleep)) break;
        lines.push(`  - touch: { thread: t${o.t}, addr: ${base}, pages: ${Math.min(o.pages!, mapped[o.slot!])}, write: false }`);
        break;
      case 'munmap':
        if (mapped[o.slot!] <= 0) break;
        lines.push(`  - munmap: { thread: t0, addr: ${base}, length: ${mapped[o.slot!] * 4096} }`);
        mapped[o.slot!] = 0;
        break;
      case 'mremap':
        if (mapped[o.slot!] <= 0) break;
        // a read-only page right above stops it growing in place: it moves (the slot is used up)
        lines.push(`  - mmap: { process: A, addr: ${base + mapped[o.slot!] * 4096}, length: 4096, prot: r }`);
        lines.push(`  - mremap: { thread: t0, addr: ${base}, oldLength: ${mapped[o.slot!] * 4096}, newLength: ${2 * mapped[o.slot!] * 4096} }`);
        mapped[o.slot!] = -1;
        break;
      case 'madvise':
        if (mapped[o.slot!] <= 0) break;
        lines.push(`  - madvise: { thread: t0, addr: ${base}, length: ${Math.min(o.pages!, mapped[o.slot!]) * 4096}, advice: dontneed }`);
        break;
      case 'mprotect':
        if (mapped[o.slot!] <= 0) break;
        lines.push(`  - mprotect: { thread: t0, addr: ${base}, length: ${Math.min(o.pages!, mapped[o.slot!]) * 4096}, prot: r }`);
        break;
      case 'huge': {
        const p = o.who === 0 ? 'A' : 'B';
        const t = o.who === 0 ? 't0' : 'b0';
        if (!hugeMapped[o.who!]) {
          lines.push(`  - mmap: { process: ${p}, addr: ${16 * G}, length: ${G}, shared: true, file: H, hugetlb: true }`);
          lines.push(`  - touch: { thread: ${t}, addr: ${16 * G + 0x200000} }`);
          hugeMapped[o.who!] = true;
        } else if (o.unmap) {
          lines.push(`  - munmap: { thread: ${t}, addr: ${16 * G}, length: ${G} }`);
          hugeMapped[o.who!] = false;
        }
        break;
      }
      case 'sleep':
        lines.push(asleep ? '  - run: { thread: t1, cpu: 1 }' : '  - sleep: { thread: t1 }');
        asleep = !asleep;
        break;
      case 'fork':
        if (forks < 1) {
          forks++;
          lines.push('  - fork: { thread: t0, child: C, childThread: { name: c0, cpu: 2, state: sleeping } }');
        }
        break;
      case 'reclaim':
        for (let s = 0; s < 4; s++) if (mapped[s] > 0) lines.push(`  - reclaim: { cpu: 3, file: F${s} }`);
        break;
    }
  }
  return `machine: { cpus: 4 }
files: [ { name: F0 }, { name: F1 }, { name: F2 }, { name: F3 }, { name: H } ]
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ]
  - name: B
    threads: [ { name: b0, cpu: 0, state: sleeping } ]
ops:${lines.length ? `\n${lines.join('\n')}` : ' []'}
`;
}

describe('random scenarios under random schedules: no finding on current kernels (x86, arm64; hugetlb V2)', () => {
  it('property', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), fc.nat({ max: 2 ** 31 }), fc.constantFrom('x86', 'arm64', 'x86:invlpgb'), (ops, seed, a) => {
        const s = parseScenario(scenarioOf(ops as GenOp[]), 'gen.yaml');
        const arch = () => (a === 'arm64' ? arm64() : x86(a === 'x86:invlpgb' ? { invlpgb: true } : {}));
        const run: ScheduleRunner = (attach) => runScenario(s, arch(), { checker: true, setup: (m) => { installHugetlb(m, { behaviour: 'V2' }); attach(m); } }).violations;
        const r = exploreSchedules(run, { schedules: 6, seed, shrink: false });
        expect(r.findings.map((f) => f.violation)).toEqual([]);
      }),
      propertyParams(25, 5),
    );
  }, propertyTestTimeout());
});
