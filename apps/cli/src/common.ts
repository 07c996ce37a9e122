import { readFileSync } from 'node:fs';
import { parseScenario, type CostModel } from '@tlbsim/core';
import { BEHAVIOURS, type Behaviour } from '@tlbsim/hugetlb';
import { intOpt, list, oneOf, str, type Values } from './args.js';
import { parseArchSpecs, type ArchVariant } from './arches.js';
import { runJob, BUG_NAMES, bugOptions, type BugName, type Job, type VariantRun } from './engine.js';
import { UsageError } from './errors.js';
import type { Cell } from './format/grid.js';
import { baselineColumn, DEFAULT_VIEW, parseMetricPatterns, type View } from './format/views.js';
import { formatGrid } from './metrics-table.js';
import { checkOutputs, readStdin, STDIO, writeAtomic, withDefaultSignals } from './io.js';
import { resultsDocument } from './report-data.js';
import { TraceWriter } from './trace-file.js';
import { parseCostSpecs } from './costs.js';
import { progress } from './progress.js';
import { withKernels } from './kernels.js';
import { findWorkload, resolveParams, WORKLOAD_NAMES } from './workloads/index.js';

export const FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
export const TRACE_FORMATS = ['perfetto', 'jsonl', 'ftrace'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** `--workload NAME --set K=V...` as a job. */
export function workloadJob(command: string, v: Values): Job {
  const name = str(v, 'workload');
  if (!name) throw new UsageError(`tlbsim ${command} needs --workload NAME (one of ${WORKLOAD_NAMES.join(', ')}) — see tlbsim workloads`);
  const w = findWorkload(name);
  return { kind: 'workload', workload: w.name, params: resolveParams(w, list(v, 'set')) };
}

/** A scenario file as a job (`-`: read from stdin); ScenarioError carries the field path. */
export function scenarioJob(file: string): Job {
  // reading (a FIFO blocks until a writer comes) and parsing (10^6 ops take seconds) are long
  // synchronous steps: Ctrl-C and SIGTERM must end them at once
  return withDefaultSignals(() => {
    if (file === STDIO) return { kind: 'scenario', scenario: parseScenario(readStdin('the scenario'), 'stdin'), source: 'stdin' };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read scenario ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
    }
    return { kind: 'scenario', scenario: parseScenario(text, file), source: file };
  });
}

/** The --out and --trace files of compare, run, check and replay, checked before any work. */
export function checkRunOutputs(v: Values): void {
  checkOutputs({ '--out': str(v, 'out'), '--trace': str(v, 'trace') });
}

/** --hugetlb V0|V1|V2 for scenarios (a workload takes --set hugetlb=...). */
export function hugetlbOf(v: Values, job: Job): Behaviour | undefined {
  const given = str(v, 'hugetlb');
  if (given === undefined) return undefined;
  if (job.kind === 'workload') throw new UsageError(`--hugetlb is for scenario files; for a workload use --set hugetlb=${given}`);
  return oneOf('--hugetlb', given, BEHAVIOURS, 'V2');
}

export function bugsOf(v: Values): BugName[] {
  return list(v, 'bug').map((b) => oneOf('--bug', b, BUG_NAMES, BUG_NAMES[0]));
}

/**
 * The --arch columns, with the cost overrides of their architecture: a scenario's `machine.cost`
 * first, then --cost (the command line wins).
 */
export function variantsOf(v: Values, job?: Job): ArchVariant[] {
  const fromScenario = job?.kind === 'scenario' ? (job.scenario.machine.cost ?? []) : [];
  fromScenario.forEach((spec, i) => {
    try {
      parseCostSpecs([spec]);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`${job!.kind === 'scenario' ? job!.source : ''}: machine.cost[${i}]: ${e.message.replace(/^--cost /, '')}`);
      throw e;
    }
  });
  const given = parseCostSpecs(list(v, 'cost'));
  const costs = mergeCosts(parseCostSpecs(fromScenario), given);
  const variants = parseArchSpecs(list(v, 'arch'));
  // a scenario may price architectures this run does not show; --cost for a missing one is a mistake
  for (const arch of given.keys()) {
    if (!variants.some((x) => x.name === arch)) throw new UsageError(`--cost ${arch}:...: no --arch column runs ${arch}`);
  }
  return withKernels(variants.map((x) => (costs.has(x.name) ? { ...x, cost: costs.get(x.name) } : x)), v, job);
}

function mergeCosts(a: Map<string, Partial<CostModel>>, b: Map<string, Partial<CostModel>>): Map<string, Partial<CostModel>> {
  const out = new Map(a);
  for (const [arch, c] of b) {
    const x = out.get(arch) ?? {};
    out.set(arch, { ...x, ...c, instructions: { ...(x.instructions ?? {}), ...(c.instructions ?? {}) }, sources: { ...(x.sources ?? {}), ...(c.sources ?? {}) } });
  }
  return out;
}

export function traceFormatOf(v: Values): TraceFormat | undefined {
  const file = str(v, 'trace');
  const given = str(v, 'trace-format');
  if (!file) {
    if (given) throw new UsageError('--trace-format needs --trace FILE');
    if (str(v, 'trace-limit') !== undefined) throw new UsageError('--trace-limit needs --trace FILE');
    return undefined;
  }
  const byExt: TraceFormat = /\.jsonl$/i.test(file) ? 'jsonl' : /\.(txt|trace|ftrace)$/i.test(file) ? 'ftrace' : 'perfetto';
  return oneOf('--trace-format', given, TRACE_FORMATS, byExt);
}

/** --trace FILE (--trace-format, --trace-limit) opened for the runs to stream into; undefined without --trace. */
export function openTrace(v: Values, format = traceFormatOf(v)): TraceWriter | undefined {
  if (!format) return undefined;
  const limit = intOpt('--trace-limit', str(v, 'trace-limit'), Infinity, 1, Number.MAX_SAFE_INTEGER);
  return new TraceWriter(str(v, 'trace')!, format, limit);
}

/**
 * Run `fn` (the runs streaming into `trace`), then put the trace file in place (finishTrace); on
 * an error the partial trace is removed and the target left as it was.
 */
export function withTrace<T>(trace: TraceWriter | undefined, fn: () => T): T {
  let out: T;
  try {
    out = fn();
  } catch (e) {
    trace?.abort();
    throw e;
  }
  if (trace) finishTrace(trace);
  return out;
}

/** Close the trace file, put it in place and note on stderr each run --trace-limit cut short. */
export function finishTrace(trace: TraceWriter): void {
  for (const n of trace.finish()) process.stderr.write(`tlbsim: note: ${n}\n`);
}

/**
 * Run a job on every variant (in order, in this thread), streaming their events into `trace`,
 * with a progress line on a terminal.
 */
export function runAll(job: Job, variants: readonly ArchVariant[], o: { trace?: TraceWriter; bugs?: BugName[]; hugetlb?: Behaviour; includeSetup?: boolean; perOp?: boolean }): VariantRun[] {
  const steps = job.kind === 'scenario' ? Math.max(1, job.scenario.ops.length) : 1;
  const bar = progress(job.kind === 'scenario' ? job.source : job.workload, variants.length * steps);
  try {
    return withDefaultSignals(() =>
      variants.map((variant, i) => {
        bar.tick(i * steps, variant.id);
        const onOp = (done: number) => bar.tick(i * steps + done, variant.id);
        return runJob(job, variant, { traceTo: o.trace?.run(variant.id), bugs: bugOptions(o.bugs ?? []), hugetlb: o.hugetlb, includeSetup: o.includeSetup, perOp: o.perOp, onOp });
      }),
    );
  } finally {
    bar.end();
  }
}

export function describeJob(job: Job): string {
  if (job.kind === 'scenario') return `scenario ${job.scenario.name} (${job.source}, ${job.scenario.machine.cpus} CPUs)`;
  const ps = Object.entries(job.params).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${job.workload}: ${ps}`;
}

/** compare / run output in any of the formats. */
export function formatResults(job: Job, runs: readonly VariantRun[], format: Format, view: View = DEFAULT_VIEW, extra: Record<string, unknown> = {}): string {
  if (format === 'json') return JSON.stringify(resultsDocument(job, runs, extra), null, 2) + '\n';
  return formatGrid(describeJob(job), runs, format, { pages: job.kind === 'workload' && typeof job.params.pages === 'number' ? job.params.pages : undefined, view, context: jobContext(job) });
}

/** The leading csv columns that say what ran: the workload and its parameters, or the scenario. */
export function jobContext(job: Job): [string, Cell][] {
  if (job.kind === 'scenario') return [['scenario', job.scenario.name], ['file', job.source]];
  return [['workload', job.workload], ...Object.entries(job.params).map(([k, v]) => [k, v] as [string, Cell])];
}

/**
 * -e, --all, -A and --baseline, checked before any run: they shape the table, csv and markdown
 * views (json carries every count, per CPU too; --by op has its own columns).
 */
export function viewOf(v: Values, format: Format, variants: readonly ArchVariant[], byOp = false): View {
  const view: View = { metrics: parseMetricPatterns(list(v, 'metrics')), all: v.all === true, perCpu: v['per-cpu'] === true, baseline: str(v, 'baseline') };
  const given = [view.metrics.length ? '-e/--metrics' : '', view.perCpu ? '-A/--per-cpu' : '', view.baseline !== undefined ? '--baseline' : ''].filter(Boolean);
  if (given.length && format === 'json') throw new UsageError(`${given[0]} shapes the table, csv and markdown views; --format json carries every count (per CPU in results[].cpus)`);
  if (given.length && byOp) throw new UsageError(`${given[0]} and --by op cannot be combined: --by op has its own columns`);
  if (view.perCpu && view.baseline !== undefined) throw new UsageError('--baseline compares variant columns; with -A/--per-cpu the columns are CPUs: give one of them');
  if (view.baseline !== undefined) baselineColumn(variants.map((x) => x.id), view.baseline);
  return view;
}
