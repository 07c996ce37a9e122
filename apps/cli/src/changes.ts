/**
 * `compare --changes`: for each metric that differs between adjacent releases of one column
 * (`--kernel 6.1,6.6,...`, in the order given), the kernel feature(s) responsible. Computed, not
 * looked up: the newer release is run again with each feature that differs between the two
 * kernels toggled back (`-ID` if the newer has it, `+ID` if only the older has it, as with a
 * backport); a feature is named for a metric when that rerun changes the metric. It "explains" the
 * difference when the rerun gives the older value exactly. When no single toggle moves a metric
 * (two changes that each keep a rule, e.g. either one selects RCU table freeing), pairs are tried
 * and a pair whose joint toggle moves it is named `together`; otherwise the line says so.
 */
import type { KernelFeature } from '@tlbsim/core';
import { runJob, type EngineOptions, type Job, type VariantRun } from './engine.js';
import { featuresFor, kernelOf } from './kernels.js';
import { metricKeys, metricValue } from './report-data.js';
import { UsageError } from './errors.js';

export interface MetricChange {
  metric: string;
  before: number | undefined;
  after: number | undefined;
  /** features whose toggle on the newer release changes this metric */
  features: { id: string; name: string; explains: boolean }[];
  /** when no single toggle moves it: pairs of features whose joint toggle does (either one alone is enough) */
  together?: { ids: [string, string]; names: [string, string]; explains: boolean }[];
}

export interface ReleaseStep {
  /** the column without its release: `x86`, `arm64:tlbiRange=on` */
  column: string;
  from: string;
  to: string;
  /** features that differ between the two kernels (their ids) */
  differing: string[];
  changes: MetricChange[];
}

/** The column a run belongs to, without its `@release` suffix. */
const columnOf = (r: VariantRun) => r.variant.id.replace(/@[^@]*$/, '');

/** Every adjacent-release step of every column, with its metric changes attributed. */
export function releaseChanges(job: Job, runs: readonly VariantRun[], o: EngineOptions): ReleaseStep[] {
  const byColumn = new Map<string, VariantRun[]>();
  for (const r of runs) byColumn.set(columnOf(r), [...(byColumn.get(columnOf(r)) ?? []), r]);
  const steps: ReleaseStep[] = [];
  for (const [column, rs] of byColumn) {
    for (let i = 1; i < rs.length; i++) steps.push(step(job, column, rs[i - 1], rs[i], o));
  }
  return steps;
}

function step(job: Job, column: string, a: VariantRun, b: VariantRun, o: EngineOptions): ReleaseStep {
  const ka = kernelOf(a.variant);
  const kb = kernelOf(b.variant);
  const differing = featuresFor(b.variant.name).filter((f) => ka.has(f) !== kb.has(f));
  const keys = metricKeys([a.result, b.result]).filter((k) => metricValue(a.result, k) !== metricValue(b.result, k));
  const reruns = new Map<string, VariantRun>();
  const toggle = (f: KernelFeature) => `${kb.has(f) ? '-' : '+'}${f.id}`;
  const rerun = (fs: readonly KernelFeature[]) => {
    const key = fs.map((f) => f.id).join(',');
    let r = reruns.get(key);
    if (!r) {
      r = runJob(job, { ...b.variant, features: [...(b.variant.features ?? []), ...fs.map(toggle)] }, o);
      reruns.set(key, r);
    }
    return r;
  };
  const changes = keys.map((metric): MetricChange => {
    const before = metricValue(a.result, metric);
    const after = metricValue(b.result, metric);
    const features = differing.flatMap((f) => {
      const v = metricValue(rerun([f]).result, metric);
      return v === after ? [] : [{ id: f.id, name: f.name, explains: v === before }];
    });
    if (features.length) return { metric, before, after, features };
    // two changes that each keep the rule (either one selects it): only their joint toggle moves it
    const together: NonNullable<MetricChange['together']> = [];
    for (let i = 0; i < differing.length; i++) {
      for (let j = i + 1; j < differing.length; j++) {
        const [f, g] = [differing[i], differing[j]];
        const v = metricValue(rerun([f, g]).result, metric);
        if (v !== after) together.push({ ids: [f.id, g.id], names: [f.name, g.name], explains: v === before });
      }
    }
    return { metric, before, after, features, ...(together.length ? { together } : {}) };
  });
  return { column, from: a.variant.kernel ?? ka.label, to: b.variant.kernel ?? kb.label, differing: differing.map((f) => f.id), changes };
}

/** The steps as text: one block per step, one line per changed metric. */
export function changesText(steps: readonly ReleaseStep[]): string {
  const out = ['changes between adjacent releases (a feature is named when rerunning the newer release with it toggled changes that metric; "explains it" when that gives the older value):'];
  for (const s of steps) {
    out.push(`${s.column} ${s.from} -> ${s.to}:${s.changes.length ? '' : ' no metric differs'}`);
    for (const c of s.changes) {
      const who = c.features.length
        ? c.features.map((f) => `${f.id} ${f.name}${f.explains ? ' (explains it)' : ''}`).join(', ')
        : c.together
          ? c.together.map((t) => `${t.ids[0]} ${t.names[0]} + ${t.ids[1]} ${t.names[1]} (together${t.explains ? ', explains it' : ''})`).join('; ')
          : s.differing.length ? 'no single feature or pair of features moves it' : 'no modelled feature differs';
      out.push(`  ${c.metric} ${show(c.before)} -> ${show(c.after)}: ${who}`);
    }
  }
  return out.join('\n') + '\n';
}

const show = (v: number | undefined) => (v === undefined ? '-' : String(v));

/**
 * --changes needs releases to step through: `--kernel` with two or more. Checked before any run;
 * csv has no place for it.
 */
export function checkChangesRequest(kernelList: string | undefined, format: string): void {
  if (!kernelList || !kernelList.includes(',')) throw new UsageError('--changes compares adjacent releases: give --kernel with two or more (e.g. --kernel 6.1,6.6,6.12,6.18,7.1)');
  if (format === 'csv') throw new UsageError('--changes is shown with --format table, markdown or json, not csv');
}
