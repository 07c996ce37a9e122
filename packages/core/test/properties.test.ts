/**
 * Invariants over random operation sequences (fast-check): runs are deterministic. (That the
 * kernel's behaviour never gives the checker a finding is the conformance suite's
 * random-sequences property, run on every Kconfig combination by conformance-generic.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exploreSchedules, generic, parseScenario, runScenario, toJsonl } from '../src/index.js';
import { propertyParams, propertyTestTimeout } from '../src/testing/index.js';

const PAGE = 0x1000;
const BASE = 0x40000000;
/** a 8 MiB arena: four PTE tables, so frees of tables and partial tables both happen */
const ARENA_PAGES = 2048;

const range = fc.tuple(fc.integer({ min: 0, max: ARENA_PAGES - 1 }), fc.integer({ min: 1, max: 600 }))
  .map(([p, n]) => ({ addr: BASE + p * PAGE, length: Math.min(n, ARENA_PAGES - p) * PAGE }));

const op = fc.oneof(
  fc.record({ kind: fc.constant('mmap'), r: range, shared: fc.boolean() }),
  fc.record({ kind: fc.constant('touch'), r: range, t: fc.integer({ min: 0, max: 2 }), write: fc.boolean() }),
  fc.record({ kind: fc.constant('munmap'), r: range }),
  fc.record({ kind: fc.constant('dontneed'), r: range }),
  fc.record({ kind: fc.constant('free'), r: range }),
  fc.record({ kind: fc.constant('mprotect'), r: range, prot: fc.constantFrom('r', 'rw') }),
  fc.record({ kind: fc.constant('sleep'), t: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('wake'), t: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('fork') }),
);


/** Turn generated ops into a scenario, skipping ones that would be scenario mistakes. */
function toScenario(ops: any[]): string {
  const mapped = new Array(ARENA_PAGES).fill(false);
  const lines: string[] = [];
  let forks = 0;
  const asleep = [false, false, false];
  const thread = (t: number) => `t${t}`;
  for (const o of ops) {
    const p0 = o.r ? (o.r.addr - BASE) / PAGE : 0;
    const n = o.r ? o.r.length / PAGE : 0;
    switch (o.kind) {
      case 'mmap': {
        if (mapped.slice(p0, p0 + n).some(Boolean)) break;
        for (let i = p0; i < p0 + n; i++) mapped[i] = true;
        lines.push(`  - mmap: { process: A, addr: ${o.r.addr}, length: ${o.r.length}, shared: ${o.shared} }`);
        break;
      }
      case 'touch': {
        // touch only mapped pages, one run at a time
        let i = p0;
        while (i < p0 + n) {
          if (!mapped[i]) { i++; continue; }
          let j = i;
          while (j < p0 + n && mapped[j]) j++;
          if (!asleep[o.t]) lines.push(`  - touch: { thread: ${thread(o.t)}, addr: ${BASE + i * PAGE}, pages: ${Math.min(j - i, 64)}, write: ${o.write} }`);
          i = j;
        }
        break;
      }
      case 'munmap':
        for (let i = p0; i < p0 + n; i++) mapped[i] = false;
        lines.push(`  - munmap: { thread: t0, addr: ${o.r.addr}, length: ${o.r.length} }`);
        break;
      case 'dontneed':
        lines.push(`  - madvise: { thread: t0, addr: ${o.r.addr}, length: ${o.r.length}, advice: dontneed }`);
        break;
      case 'free':
        lines.push(`  - madvise: { thread: t0, addr: ${o.r.addr}, length: ${o.r.length}, advice: free }`);
        break;
      case 'mprotect':
        lines.push(`  - mprotect: { thread: t0, addr: ${o.r.addr}, length: ${o.r.length}, prot: ${o.prot} }`);
        break;
      case 'sleep':
        if (!asleep[o.t]) lines.push(`  - sleep: { thread: ${thread(o.t)} }`);
        asleep[o.t] = true;
        break;
      case 'wake':
        if (asleep[o.t]) lines.push(`  - run: { thread: ${thread(o.t)}, cpu: ${o.t} }`);
        asleep[o.t] = false;
        break;
      case 'fork':
        if (forks < 2) {
          forks++;
          lines.push(`  - fork: { thread: t0, child: C${forks}, childThread: { name: c${forks}, cpu: 3, state: sleeping } }`);
        }
        break;
    }
  }
  lines.push('  - exit_process: { process: A }');
  return `machine: { cpus: 4 }
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 }, { name: t2, cpu: 2 } ]
ops:
${lines.join('\n')}
`;
}

describe('random operation sequences', () => {
  it('is deterministic: the same ops give a byte-identical trace', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 15 }), (ops) => {
        const text = toScenario(ops);
        const a = runScenario(parseScenario(text, 'gen.yaml'), generic(), { trace: true });
        const b = runScenario(parseScenario(text, 'gen.yaml'), generic(), { trace: true });
        expect(toJsonl([{ arch: 'g', events: b.events! }])).toBe(toJsonl([{ arch: 'g', events: a.events! }]));
      }),
      propertyParams(40, 7),
    );
  }, propertyTestTimeout());
});

describe('random operation sequences under random schedules (core SPEC.md §13)', () => {
  it('the current kernel has no finding, whatever actors the schedule places (asm-generic, and with MERGE_VMAS)', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), fc.nat({ max: 2 ** 31 }), fc.boolean(), (ops, seed, merge) => {
        const s = parseScenario(toScenario(ops), 'gen.yaml');
        const arch = () => (merge ? generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }) : generic());
        const r = exploreSchedules((attach) => runScenario(s, arch(), { checker: true, setup: attach }).violations, { schedules: 6, seed, shrink: false });
        expect(r.findings.map((f) => f.violation)).toEqual([]);
      }),
      propertyParams(30, 11),
    );
  }, propertyTestTimeout());
});
