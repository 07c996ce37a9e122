/**
 * The sweep's pictures (charts.ts, report-summary.ts): which lines a chart draws, its axes and
 * the definition under it, and the report's summary of the cheapest architecture per metric.
 */
import { describe, expect, it } from 'vitest';
import { parseArchSpecs } from '../src/arches.js';
import { chartSpec, chartSvg, mergeIdentical, producing, wrap } from '../src/charts.js';
import { runJob } from '../src/engine.js';
import { chartOf } from '../src/html.js';
import { byHowMuch, cheapestOf, topicOf } from '../src/report-summary.js';
import type { SweepData } from '../src/sweep-data.js';
import { findWorkload, resolveParams } from '../src/workloads/index.js';

/** the browser test's sweep: munmap of an aligned region, pages = 1, 16, 64, 512, on x86, arm64 and ppc */
function sweepOf(values: number[], arches = ['x86', 'arm64', 'ppc']): SweepData {
  const w = findWorkload('munmap');
  const variants = parseArchSpecs(arches);
  const points = values.map((v) => {
    const params = resolveParams(w, ['aligned=true', `pages=${v}`]);
    return { value: v, params, results: variants.map((x) => runJob({ kind: 'workload', workload: 'munmap', params }, x).result) };
  });
  return { workload: w, key: 'pages', variants, points };
}
const d = sweepOf([1, 16, 64, 512]);

type Layered = { vconcat: { title: { text: string[] }; data: { values: { variant: string; y: number }[] }; encoding: { x: { scale: { type?: string }; axis: { values?: number[] } }; y: { title: string; axis: { tickMinStep: number; format: string } }; color: { scale: { domain: string[] } } } }[] };

describe('chart lines: only the variants that produce the metric, identical ones drawn once', () => {
  it('producing drops a variant without a value anywhere; mergeIdentical joins equal series', () => {
    const s = [{ name: 'x86', values: [1, 1] }, { name: 'arm64', values: [0, 0] }, { name: 'ppc', values: [undefined, undefined] }, { name: 'riscv', values: [0, 0] }];
    expect(producing(s).map((x) => x.name)).toEqual(['x86', 'arm64', 'riscv']);
    expect(mergeIdentical(producing(s))).toEqual([{ name: 'x86', values: [1, 1] }, { name: 'arm64 = riscv', values: [0, 0] }]);
    expect(mergeIdentical([{ name: 'a', values: [0, 1] }, { name: 'b', values: [0, 2] }]).map((x) => x.name)).toEqual(['a', 'b']);
  });
  it('ipis: x86 alone, arm64 and ppc (both 0) as one line; integer ticks; unit on the axis; log2 x with the swept values', () => {
    const spec = chartSpec(chartOf(d, 'ipis')) as unknown as Layered;
    const c = spec.vconcat[0];
    expect(c.encoding.color.scale.domain).toEqual(['x86', 'arm64 = ppc']);
    expect(c.data.values.map((v) => `${v.variant} ${v.y}`)).toEqual(['x86 1', 'x86 1', 'x86 1', 'x86 1', 'arm64 = ppc 0', 'arm64 = ppc 0', 'arm64 = ppc 0', 'arm64 = ppc 0']);
    expect(c.encoding.y.axis).toEqual({ tickMinStep: 1, format: ',d' });
    expect(c.encoding.y.title).toBe('IPIs');
    expect(c.encoding.x.scale.type).toBe('log');
    expect(c.encoding.x.axis.values).toEqual([1, 16, 64, 512]);
    expect(c.title.text).toEqual(['ipis: inter-processor interrupts delivered [IPIs]']);
  });
  it('an instruction only ppc has: ppc alone in the legend', () => {
    const c = (chartSpec(chartOf(d, 'tlbInstructions.tlbie RIC=0')) as unknown as Layered).vconcat[0];
    expect(c.encoding.color.scale.domain).toEqual(['ppc']);
  });
  it('the SVG: one marker per point named after its line, the definition under the chart, the same bytes twice', async () => {
    const svg = await chartSvg(chartOf(d, 'ipis'));
    expect(svg.startsWith('<svg role="img" aria-label="ipis vs pages (munmap)" xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect([...svg.matchAll(/<path aria-label="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'x86: pages=1 → 1', 'x86: pages=16 → 1', 'x86: pages=64 → 1', 'x86: pages=512 → 1',
      'arm64 = ppc: pages=1 → 0', 'arm64 = ppc: pages=16 → 0', 'arm64 = ppc: pages=64 → 0', 'arm64 = ppc: pages=512 → 0',
    ]);
    expect(svg).toContain('>ipis: inter-processor interrupts delivered [IPIs]</text>');
    expect(svg).not.toMatch(/<script|href="http/);
    expect(await chartSvg(chartOf(d, 'ipis'))).toBe(svg);
  });
  it('wrap breaks at spaces within the width', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });
});

describe('the report summary: the cheapest architecture per metric over the sweep', () => {
  const words = (m: string) => {
    const c = cheapestOf(d, m)!;
    return `${c.cheapest.join(', ')}: ${byHowMuch(c)}`;
  };
  it('exact totals and words', () => {
    expect(words('flushes')).toBe('x86, ppc: 50% less than arm64 (4 against 8)');
    expect(words('ipis')).toBe('arm64, ppc: none, against 4 for x86');
    expect(words('pagesFreed')).toBe('x86, arm64, ppc: the same on all (593)');
    expect(words('tablesFreed')).toBe('x86, arm64: 80% less than ppc (4 against 20)');
    expect(words('tlbInstructions.INVLPG')).toBe('x86: only x86 has it');
    expect(cheapestOf(d, 'counters.nope')).toBe(undefined);
  });
  it('topics', () => {
    expect(['flushes', 'flushesBy.tlb_flush', 'ipis', 'counters.interrupts.TLB', 'tlbInstructions.INVLPG', 'pagesFreed', 'estimatedNs', 'counters.nr_tlb_remote_flush', 'violations', 'hugetlb.tablesShared'].map(topicOf)).toEqual([
      'Flushes', 'Flushes', 'IPIs and interrupts', 'IPIs and interrupts', 'TLB instructions', 'Freeing memory', 'Time', 'Kernel counters', 'Checker', 'Workload statistics',
    ]);
  });
});
