import { didYouMean } from '@tlbsim/core';
import type { ArchVariant } from './arches.js';
import type { Outcome } from './engine.js';
import { UsageError } from './errors.js';
import { csvField } from './format/grid.js';
import { metricKeys, metricValue, resultJson, SCALAR_METRICS, VERSION } from './report-data.js';
import type { Params, ParamValue, Workload } from './workloads/index.js';

export const MAX_POINTS = 10_000;

/** `1,2,4`, `1..16`, `0..64:8`, `1..1024*2` (doubling); text values as a list only. */
export function parseVaryValues(key: string, spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (part === '') throw new UsageError(`--vary ${key}=${spec}: empty value`);
    const m = /^(-?\d+)\.\.(-?\d+)(?:([:*])(\d+))?$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    const op = m[3];
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (hi < lo) throw new UsageError(`--vary ${key}=${part}: the range is empty (${lo} > ${hi})`);
    if (op === '*') {
      if (step < 2 || lo < 1) throw new UsageError(`--vary ${key}=${part}: a geometric range needs a start >= 1 and a factor >= 2`);
      for (let v = lo; v <= hi && out.length <= MAX_POINTS; v *= step) out.push(String(v));
    } else {
      if (step < 1) throw new UsageError(`--vary ${key}=${part}: the step must be at least 1`);
      for (let v = lo; v <= hi && out.length <= MAX_POINTS; v += step) out.push(String(v));
    }
  }
  if (out.length > MAX_POINTS) throw new UsageError(`--vary ${key}: more than ${MAX_POINTS} values`);
  return out;
}

export interface SweepPoint {
  value: ParamValue;
  params: Params;
  results: Outcome[];
}

export interface SweepData {
  workload: Workload;
  key: string;
  points: SweepPoint[];
  variants: ArchVariant[];
}

/** Parameters with one value over the whole sweep. */
export function fixedParams(d: SweepData): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(d.points[0].params)) if (d.points.every((p) => p.params[k] === v)) out[k] = v;
  return out;
}

export function sweepJson(d: SweepData): string {
  const doc = {
    tlbsim: VERSION,
    workload: { name: d.workload.name, params: fixedParams(d) },
    vary: { param: d.key, values: d.points.map((p) => p.value) },
    points: d.points.map((p) => ({
      value: p.value,
      params: p.params,
      results: p.results.map((r, i) => resultJson({ variant: d.variants[i], result: r })),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export function allMetricKeys(d: SweepData): string[] {
  return metricKeys(d.points.flatMap((p) => p.results));
}

/**
 * The value of `key` for variant `i` at point `j`. An instruction or counter a variant shows at
 * some point of the sweep counts 0 where it is absent; one it never shows stays undefined (the
 * architecture has no such thing).
 */
export function sweepValue(d: SweepData, j: number, i: number, key: string): number | undefined {
  const v = metricValue(d.points[j].results[i], key);
  if (v !== undefined) return v;
  return d.points.some((p) => metricValue(p.results[i], key) !== undefined) ? 0 : undefined;
}

/**
 * Long form: one row per (value, variant), a column per metric; each row carries the workload and
 * every parameter it ran with (the varied one among them), so rows of several sweeps can be
 * concatenated.
 */
export function sweepCsv(d: SweepData): string {
  const keys = allMetricKeys(d);
  const params = Object.keys(d.points[0]?.params ?? {});
  // a varied key that is no workload parameter (kernel) gets a column of its own
  const own = params.includes(d.key) ? [] : [d.key];
  const rows = [['workload', ...params, ...own, 'variant', 'arch', ...keys].map(csvField).join(',')];
  d.points.forEach((p, j) => {
    p.results.forEach((r, i) => {
      rows.push([d.workload.name, ...params.map((k) => p.params[k]), ...own.map(() => p.value), d.variants[i].id, r.arch, ...keys.map((k) => sweepValue(d, j, i, k))].map(csvField).join(','));
    });
  });
  return rows.join('\n') + '\n';
}

/** A metric name for --metric: the scalar names, or tlbInstructions.X / counters.X. */
export function checkMetricName(name: string): void {
  if ((SCALAR_METRICS as readonly string[]).includes(name) || /^\w+\.\S+$/.test(name)) return;
  throw new UsageError(
    `unknown metric "${name}"${didYouMean(name, SCALAR_METRICS)}; valid metrics: ${SCALAR_METRICS.join(', ')}, tlbInstructions.MNEMONIC, counters.NAME, hugetlb.NAME`,
  );
}

/** One series per variant of `metric` over the sweep. */
export function seriesOf(d: SweepData, metric: string) {
  return d.variants.map((v, i) => ({ name: v.id, values: d.points.map((_, j) => sweepValue(d, j, i, metric)) }));
}
