import { describe, expect, it } from 'vitest';
import { defaultBackend, parseArchSpecs } from '../src/arches.js';
import { costRows, parseCostSpecs } from '../src/costs.js';
import { runJob } from '../src/engine.js';
import { UsageError } from '../src/errors.js';
import { findWorkload, resolveParams } from '../src/workloads/index.js';

const munmap8 = { kind: 'workload', workload: 'munmap', params: resolveParams(findWorkload('munmap'), ['pages=8']) } as const;
const x86 = parseArchSpecs(['x86'])[0];

describe('cost model on the command line', () => {
  it('lists every scalar figure and every instruction of a backend, each with a source', () => {
    const rows = costRows(defaultBackend('x86'));
    expect(rows.map((r) => r.key)).toEqual([
      'ipiSend', 'ipiPerTarget', 'pageFree', 'tableFree', 'rcuCallback', 'defaultInstruction',
      'CR3 write', 'CR4 write', 'INVLPG', 'INVLPGB', 'INVPCID', 'TLBSYNC', 'hypercall',
    ]);
    expect(rows.find((r) => r.key === 'INVLPG')?.ns).toBe(140);
    for (const r of rows) expect(r.source.length).toBeGreaterThan(5);
  });

  it('--cost changes estimatedNs by exactly the overridden figure times its count', () => {
    const base = runJob(munmap8, x86).result;
    // the 8-page munmap with a spinning peer sends one IPI and executes 16 INVLPGs (8 per CPU)
    expect(base.metrics.ipis).toBe(1);
    expect(base.metrics.tlbInstructions.INVLPG).toBe(16);
    const costs = parseCostSpecs(['x86:ipiSend=1500,INVLPG=150']);
    const over = runJob(munmap8, { ...x86, cost: costs.get('x86') }).result;
    // 2960 = 460 (send) + 100 (one target) + 16 x 140 (INVLPG) + 8 x 20 (page frees); the threads'
    // first CR3 writes (2 x 250) are setup, reported apart
    expect(base.metrics.estimatedNs).toBe(2960);
    expect(base.setup.metrics.estimatedNs).toBe(500);
    expect(over.metrics.estimatedNs).toBe(2960 + (1500 - 460) + 16 * (150 - 140));
    expect(over.metrics.ipis).toBe(base.metrics.ipis);
  });

  it('refuses what it cannot apply, naming the figure', () => {
    const msg = (s: string) => {
      try {
        parseCostSpecs([s]);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${s}`);
    };
    expect(msg('x86:ipi=1500')).toBe('--cost x86: unknown figure "ipi"; valid: ipiSend, ipiPerTarget, pageFree, tableFree, rcuCallback, defaultInstruction, CR3 write, CR4 write, INVLPG, INVLPGB, INVPCID, TLBSYNC, hypercall (tlbsim arches x86 --costs)');
    expect(msg('x86:INVLPGG=1')).toMatch(/unknown figure "INVLPGG" \(did you mean "INVLPG"\?\)|unknown figure "INVLPGG".*did you mean/);
    expect(msg('x86:ipiSend=-1')).toBe('--cost x86:ipiSend must be a number of nanoseconds >= 0, got "-1"');
    expect(msg('x86:ipiSend')).toBe('--cost x86:ipiSend: "ipiSend" is not KEY=NS');
    expect(msg('ipiSend=3')).toBe('--cost ipiSend=3: expected ARCH:KEY=NS[,KEY=NS...], e.g. --cost x86:ipiSend=1500');
    expect(msg('vax:ipiSend=3')).toMatch(/unknown architecture "vax"/);
  });
});

describe('cost overrides in a scenario', () => {
  it('machine.cost prices a scenario the way --cost does, and --cost wins', async () => {
    const { parseScenario } = await import('@tlbsim/core');
    const { variantsOf } = await import('../src/common.js');
    const text = `machine: { cpus: 2, cost: ["x86:ipiSend=1500", "arm64:DSB ISH=100"] }
processes: [ { name: A, threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ] } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 36K }
  - touch: { thread: t0, addr: 0x40000000, pages: 8 }
  - munmap: { thread: t0, addr: 0x40000000, length: 32K }
`;
    const job = { kind: 'scenario', scenario: parseScenario(text, 's.yaml'), source: 's.yaml' } as const;
    const [v] = variantsOf({ arch: ['x86'] }, job);
    expect(runJob(job, v).result.metrics.estimatedNs).toBe(2960 + 1500 - 460);
    const [w] = variantsOf({ arch: ['x86'], cost: ['x86:ipiSend=500'] }, job);
    expect(runJob(job, w).result.metrics.estimatedNs).toBe(2960 + 500 - 460);
    const bad = { ...job, scenario: parseScenario(text.replace('ipiSend=1500', 'ipi=1500'), 's.yaml') };
    expect(() => variantsOf({ arch: ['x86'] }, bad)).toThrow(/^s\.yaml: machine\.cost\[0\]: x86: unknown figure "ipi"/);
  });
});
