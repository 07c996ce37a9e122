import { Machine, collect, runScenario, type ArchBackend, type BugKey, type BugOptions, type Exercise, type RunResult, type Scenario, type TraceEvent, type Violation } from '@tlbsim/core';
import { makeBackend, type ArchVariant } from './arches.js';
import { findWorkload, type Extra, type Params } from './workloads/index.js';
import { hugetlbExtra, setupHugetlb } from './workloads/hugetlb-share.js';
import type { Behaviour } from '@tlbsim/hugetlb';
import type { TraceRun } from './trace-file.js';

/** What to run: a built-in workload with its parameters, or a scenario file. */
export type Job =
  | { kind: 'workload'; workload: string; params: Params }
  | { kind: 'scenario'; scenario: Scenario; source: string };

export interface EngineOptions {
  /** hugetlb behaviour for scenarios, overriding the kernel's (workloads take it as a parameter) */
  hugetlb?: Behaviour;
  /** keep the run's trace events in memory (result.events) */
  trace?: boolean;
  /** stream the run's trace events here instead (the trace file's part for this run) */
  traceTo?: TraceRun;
  bugs?: BugOptions;
  /** count the threads' first switches onto their CPUs in the totals (--include-setup) */
  includeSetup?: boolean;
  /** count what each operation caused (--by op, JSON results' ops) */
  perOp?: boolean;
  /** after each scenario op: how many are done (the progress line) */
  onOp?: (done: number) => void;
  /** called with the machine before the first operation (schedule exploration attaches here) */
  attach?: (m: Machine) => void;
}

/** A run's results with the workload's own statistics (hugetlb.*). */
export type Outcome = RunResult & { extra?: Extra };

/** One architecture variant's run. */
export interface VariantRun {
  variant: ArchVariant;
  nrCpus: number;
  /** the architecture's base page (PAGE_SIZE), in bytes: workload `pages` count these */
  pageSize: number;
  result: Outcome;
  /** the backend's ftrace formatter for its own events */
  ftrace?: (ev: TraceEvent) => string | undefined;
  /** what the checker checked and how often each re-created bug acted (tlbsim check) */
  exercised?: Exercise;
  /** why each re-created bug that never acted did not */
  notExercisedWhy?: Partial<Record<BugKey, string>>;
}

export const BUGS = {
  'free-pages-before-flush': 'freePagesBeforeFlush',
  'free-tables-without-flush': 'freeTablesWithoutFlush',
  'skip-mprotect-flush': 'skipMprotectFlush',
} as const satisfies Record<string, keyof BugOptions>;
export type BugName = keyof typeof BUGS;
export const BUG_NAMES = Object.keys(BUGS) as BugName[];

export function bugOptions(names: readonly BugName[]): BugOptions | undefined {
  if (!names.length) return undefined;
  const b: BugOptions = {};
  for (const n of names) b[BUGS[n]] = true;
  return b;
}

/** The machine's kernel options of a column (kernels.ts): only what was given, so output without them stays as it was. */
function kernelOpts(v: ArchVariant): { kernel?: string; features?: string[] } {
  return { ...(v.kernel !== undefined ? { kernel: v.kernel } : {}), ...(v.features?.length ? { features: v.features } : {}) };
}

/** A built-in workload run on its machine (the explorer attached, the trace started first). */
function runWorkload(job: Job & { kind: 'workload' }, variant: ArchVariant, arch: ArchBackend, o: EngineOptions): { m: Machine; extra: Extra | void } {
  const w = findWorkload(job.workload);
  const m = new Machine({ arch, cpus: job.params.cpus as number, ...kernelOpts(variant), trace: o.trace, traceSink: o.traceTo?.sink, checker: true, bugs: o.bugs, setupMetrics: o.includeSetup ? 'include' : 'separate', perOpMetrics: o.perOp });
  o.attach?.(m);
  o.traceTo?.start(m);
  return { m, extra: w.run(m, job.params) };
}

/**
 * What the checker found in one run of `job` on one variant, and the variant's label: one
 * schedule of `tlbsim check --schedules`, which reads nothing else, so a workload's run skips
 * collecting the metrics and the exercise counts (runJob's run otherwise, the same machine).
 */
export function runFindings(job: Job, variant: ArchVariant, o: EngineOptions = {}): { label: string; violations: readonly Violation[] } {
  if (job.kind !== 'workload') {
    const r = runJob(job, variant, o).result;
    return { label: r.label, violations: r.violations };
  }
  const { m } = runWorkload(job, variant, makeBackend(variant), o);
  o.traceTo?.end();
  return { label: m.arch.label, violations: m.metrics.violations };
}

/** Run `job` on one variant, deterministically (same inputs: same result). */
export function runJob(job: Job, variant: ArchVariant, o: EngineOptions = {}): VariantRun {
  const arch = makeBackend(variant);
  let m: Machine;
  let result: RunResult;
  let extra: Extra | void;
  if (job.kind === 'workload') {
    ({ m, extra } = runWorkload(job, variant, arch, o));
    result = collect(m);
  } else {
    let captured!: Machine;
    const setup = (mm: Machine) => {
      captured = mm;
      o.traceTo?.start(mm);
      setupHugetlb(mm, o.hugetlb);
      o.attach?.(mm);
    };
    result = runScenario(job.scenario, arch, { trace: o.trace, traceSink: o.traceTo?.sink, checker: true, bugs: o.bugs, setup, includeSetup: o.includeSetup, perOpMetrics: o.perOp, onOp: o.onOp, ...kernelOpts(variant) }, job.source);
    m = captured;
    extra = hugetlbExtra(m);
  }
  o.traceTo?.end();
  const rt = m.runtime;
  const exercised = m.checker.exercised();
  const notExercisedWhy: Partial<Record<BugKey, string>> = {};
  for (const [b, n] of Object.entries(exercised.bugs) as [BugKey, number][]) if (n === 0) notExercisedWhy[b] = m.checker.notExercisedWhy(b);
  return {
    variant, nrCpus: m.cpus.length, pageSize: 2 ** arch.geometry.pageShift, result: extra ? { ...result, extra } : result, exercised, notExercisedWhy,
    ...(rt.ftrace ? { ftrace: (ev: TraceEvent) => rt.ftrace!(ev) } : {}),
  };
}
