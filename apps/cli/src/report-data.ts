import type { RunResult, Violation } from '@tlbsim/core';
import pkg from '../package.json' with { type: 'json' };
import type { Job, Outcome, VariantRun } from './engine.js';
import { unitsOf } from './metrics-registry.js';

export const VERSION: string = pkg.version;

/** The scalar metrics of core SPEC.md §3, in the order tables show them. */
export const SCALAR_METRICS = [
  'flushes', 'ipis', 'firmwareIpis', 'ipiBroadcasts', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed',
  'rcuCallbacks', 'batchPagesAllocated', 'forcedFlushes', 'estimatedNs', 'violations',
] as const;

export interface CpuJson {
  cpu: number;
  ipisReceived: number;
  firmwareIpisReceived: number;
  fullFlushes: number;
  rangedFlushes: number;
  instructions: Record<string, number>;
  /** the backend's per-CPU counters under the kernel's names (x86: interrupts.TLB, nr_tlb_...) */
  [counter: string]: number | Record<string, number>;
}

export interface ResultJson {
  arch: string;
  variant: string;
  label: string;
  options: Record<string, string | number | boolean>;
  metrics: RunResult['metrics'];
  cpus: CpuJson[];
  /** the threads' first switches onto their CPUs: not in `metrics` (unless --include-setup) */
  setup: { metrics: RunResult['metrics']; cpus: CpuJson[] };
  violations: Violation[];
  /** every operation with what it caused: a scenario's ops (index, outcome, counts), a workload's phases */
  ops?: unknown[];
  /** workload statistics, e.g. `hugetlb` */
  [group: string]: unknown;
}

export function resultJson(run: { variant: { id: string }; result: Outcome }, withOps = false): ResultJson {
  const r = run.result;
  return {
    arch: r.arch,
    variant: run.variant.id,
    label: r.label,
    options: r.options,
    metrics: r.metrics,
    cpus: r.cpus.map(cpuJson),
    setup: { metrics: r.setup.metrics, cpus: r.setup.cpus.map(cpuJson) },
    violations: r.violations.map(violationJson),
    ...(r.byOp || withOps ? { ops: opsJson(r) } : {}),
    ...(r.extra ?? {}),
  };
}

/**
 * results[].ops: every operation with what it caused (per-op counts sum to the totals). A
 * scenario's ops keep their index and outcome; a workload's are its phases (one row per name).
 */
function opsJson(r: Outcome): unknown[] {
  const by = new Map((r.byOp ?? []).map((o) => [o.op, o]));
  const counts = (label: string) => {
    const o = by.get(label);
    return o ? { metrics: o.metrics, cpus: o.cpus.map(cpuJson) } : {};
  };
  if (r.ops.length) {
    const rows: unknown[] = r.ops.map((o) => ({ ...o, ...counts(`ops[${o.index}].${o.op}`) }));
    if (by.has('(outside operations)')) rows.push({ op: '(outside operations)', ...counts('(outside operations)') });
    return rows;
  }
  return (r.byOp ?? []).map((o) => ({ op: o.op, metrics: o.metrics, cpus: o.cpus.map(cpuJson) }));
}

function cpuJson(c: Outcome['cpus'][number]): CpuJson {
  return { cpu: c.cpu, ipisReceived: c.ipisReceived, firmwareIpisReceived: c.firmwareIpisReceived, fullFlushes: c.fullFlushes, rangedFlushes: c.rangedFlushes, instructions: c.instructions, ...c.counters };
}

/** One finding as JSON: the optional fields only when the checker knows them. */
export function violationJson(v: Violation): Violation & { events: string[] } {
  return {
    hazard: v.hazard, cpu: v.cpu, address: v.address, what: v.what, op: v.op,
    ...(v.opIndex !== undefined ? { opIndex: v.opIndex } : {}),
    ...(v.flush !== undefined ? { flush: v.flush } : {}),
    ...(v.cached ? { cached: { cpu: v.cached.cpu, address: v.cached.address, sinceNs: v.cached.sinceNs } } : {}),
    ...(v.affected !== undefined ? { affected: v.affected } : {}),
    events: v.events ?? [],
  };
}

export function workloadJson(job: Job): { name: string; params: Record<string, unknown> } {
  return job.kind === 'workload' ? { name: job.workload, params: job.params } : { name: job.scenario.name, params: {} };
}

/** The documented JSON document of `compare`, `run` and `check` (schema/results.schema.json). */
export function resultsDocument(job: Job, runs: readonly VariantRun[], extra: Record<string, unknown> = {}) {
  return {
    tlbsim: VERSION,
    workload: workloadJson(job),
    ...(job.kind === 'scenario' ? { scenario: { source: job.source, cpus: job.scenario.machine.cpus } } : {}),
    ...extra,
    units: unitsOf(metricKeys(runs.map((r) => r.result))),
    results: runs.map((r) => resultJson(r, job.kind === 'scenario')),
  };
}

/**
 * A value of a metric row: scalar names, `tlbInstructions.MNEMONIC`, `counters.NAME` (summed over
 * CPUs), or a workload statistic `GROUP.NAME` (e.g. `hugetlb.tablesShared`).
 */
export function metricValue(r: Outcome, key: string): number | undefined {
  if ((SCALAR_METRICS as readonly string[]).includes(key)) return r.metrics[key as (typeof SCALAR_METRICS)[number]];
  if (key.startsWith('tlbInstructions.')) return r.metrics.tlbInstructions[key.slice(16)];
  if (key.startsWith('flushesBy.')) return r.metrics.flushesBy[key.slice(10)];
  if (key.startsWith('counters.')) {
    const name = key.slice(9);
    if (!r.cpus.some((c) => name in c.counters)) return undefined;
    return r.cpus.reduce((s, c) => s + (c.counters[name] ?? 0), 0);
  }
  const dot = key.indexOf('.');
  const v = dot > 0 ? r.extra?.[key.slice(0, dot)]?.[key.slice(dot + 1)] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** Every metric row the results have: scalars, then instructions and counters present anywhere. */
export function metricKeys(results: readonly Outcome[]): string[] {
  const instr = new Set<string>();
  const by = new Set<string>();
  const counters = new Set<string>();
  const extra = new Set<string>();
  for (const r of results) {
    for (const [g, o] of Object.entries(r.extra ?? {})) for (const [k, v] of Object.entries(o)) if (typeof v === 'number') extra.add(`${g}.${k}`);
    for (const k of Object.keys(r.metrics.tlbInstructions)) instr.add(k);
    for (const k of Object.keys(r.metrics.flushesBy)) by.add(k);
    for (const c of r.cpus) for (const k of Object.keys(c.counters)) counters.add(k);
  }
  return [...SCALAR_METRICS.slice(0, 1), ...[...by].sort().map((k) => `flushesBy.${k}`), ...SCALAR_METRICS.slice(1), ...[...instr].sort().map((k) => `tlbInstructions.${k}`), ...[...counters].sort().map((k) => `counters.${k}`), ...extra];
}
