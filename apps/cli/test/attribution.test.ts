import { describe, expect, it } from 'vitest';
import { toFtrace, type OpMetrics, type RunMetrics } from '@tlbsim/core';
import { parseArchSpecs } from '../src/arches.js';
import { runJob, type Job } from '../src/engine.js';
import { resultJson } from '../src/report-data.js';
import { findWorkload, resolveParams, WORKLOADS } from '../src/workloads/index.js';
import { parseScenario } from '@tlbsim/core';
import { readFileSync } from 'node:fs';

const job = (w: string, sets: string[] = []): Job => ({ kind: 'workload', workload: w, params: resolveParams(findWorkload(w), sets) });
const ALL = parseArchSpecs(['all']);
const SCALARS = ['flushes', 'ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks', 'violations'] as const;
const instrSum = (m: RunMetrics) => Object.values(m.tlbInstructions).reduce((a, b) => a + b, 0);

describe('attribution: every count belongs to the operation that caused it', () => {
  for (const w of WORKLOADS) {
    it(`${w.name}: the per-operation counts sum to the totals on every architecture`, async () => {
      const sets = w.params.some((p) => p.name === 'pages') ? ['pages=40'] : [];
      for (const v of ALL) {
        await new Promise((r) => setImmediate(r));
        const { result } = runJob(job(w.name, sets), v, { perOp: true });
        const ops = result.byOp as OpMetrics[];
        expect(ops.length, `${v.id}`).toBeGreaterThan(0);
        for (const k of SCALARS) expect(ops.reduce((a, o) => a + o.metrics[k], 0), `${w.name} ${v.id} ${k}`).toBe(result.metrics[k]);
        expect(ops.reduce((a, o) => a + instrSum(o.metrics), 0), `${w.name} ${v.id} instructions`).toBe(instrSum(result.metrics));
      }
    });
  }

  it('mremap on x86: the move flushes 8 pages with an IPI, the munmap frees the moved region and its page table', () => {
    const { result } = runJob(job('mremap'), parseArchSpecs(['x86'])[0], { perOp: true });
    const row = (op: string) => {
      const o = result.byOp!.find((x) => x.op === op)!;
      return [o.metrics.flushesBy, o.metrics.ipis, o.metrics.tlbInstructions, o.metrics.pagesFreed, o.metrics.tablesFreed];
    };
    expect(result.byOp!.map((o) => o.op)).toEqual(['mmap', 'touch', 'mremap', 'munmap']);
    expect(row('mremap')).toEqual([{ flush_tlb_range: 1 }, 1, { INVLPG: 16 }, 0, 0]);
    expect(row('munmap')).toEqual([{ tlb_flush: 1 }, 1, { 'CR3 write': 2 }, 8, 1]);
  });

  it("a scenario's ops carry their index, outcome and counts in JSON", () => {
    const file = new URL('../../../docs/examples/munmap.yaml', import.meta.url);
    const s = parseScenario(readFileSync(file, 'utf8'), 'munmap.yaml');
    const run = runJob({ kind: 'scenario', scenario: s, source: 'munmap.yaml' }, parseArchSpecs(['x86'])[0], { perOp: true });
    const ops = resultJson(run, true).ops as { index: number; op: string; ok: boolean; metrics: RunMetrics }[];
    expect(ops.map((o) => [o.index, o.op, o.ok, o.metrics.flushes, o.metrics.ipis, o.metrics.pagesFreed])).toEqual([
      [0, 'mmap', true, 0, 0, 0],
      [1, 'touch', true, 0, 0, 0],
      [2, 'munmap', true, 1, 1, 8],
    ]);
  });

  it('trace events name their operation and task; ftrace prints comm-pid and nanosecond stamps', () => {
    const { result } = runJob(job('munmap', ['pages=8']), parseArchSpecs(['x86'])[0], { trace: true });
    const flushes = (result.events ?? []).filter((e) => e.name === 'tlb_flush');
    expect(flushes.map((e) => [e.op ?? '(setup)', e.task, e.args?.reason])).toEqual([
      ['(setup)', 'main-1002', 0], ['(setup)', 'peer1-1003', 0], ['munmap', 'main-1002', 4], ['munmap', 'peer1-1003', 1], ['munmap', 'main-1002', 3],
    ]);
    // each operation is a slice on its CPU's track (the workload maps and touches a neighbour first)
    expect((result.events ?? []).filter((e) => e.cat === 'op').map((e) => [e.name, e.cpu])).toEqual([['mmap', 0], ['touch', 0], ['mmap', 0], ['touch', 0], ['munmap', 0]]);
    const lines = toFtrace(result.events ?? []).split('\n').filter((l) => l.includes('tlb_flush:'));
    expect(lines[2]).toBe('            main-1002    [000] d..1.     0.000000500: tlb_flush: pages:8 reason:remote IPI send (4)');
  });
});
