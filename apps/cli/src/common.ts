import { readFileSync } from 'node:fs';
import { parseScenario, type CostModel } from '@tlbsim/core';
import { BEHAVIOURS, type Behaviour } from '@tlbsim/hugetlb';
import { intOpt, list, oneOf, str, type OptionDefs, type Values } from './args.js';
import { parseArchSpecs, type ArchVariant } from './arches.js';
import { runJob, BUG_NAMES, bugOptions, type BugName, type Job, type VariantRun } from './engine.js';
import { UsageError } from './errors.js';
import { renderCsv, renderMarkdown, renderTable, useColor, type Grid } from './format/grid.js';
import { checkOutputs, withDefaultSignals } from './io.js';
import { TraceWriter } from './trace-file.js';
import { metricKeys, metricValue, resultsDocument } from './report-data.js';
import { brief, legendLines, metricOf } from './metrics-registry.js';
import { parseCostSpecs } from './costs.js';
import { findWorkload, resolveParams, WORKLOAD_NAMES } from './workloads/index.js';

export const FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
export const TRACE_FORMATS = ['perfetto', 'jsonl', 'ftrace'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Options shared by compare, run and check. */
export const RUN_OPTIONS: OptionDefs = {
  arch: { type: 'string', multiple: true, short: 'a' },
  cost: { type: 'string', multiple: true },
  'include-setup': { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  out: { type: 'string', short: 'o' },
  trace: { type: 'string' },
  'trace-format': { type: 'string' },
  'trace-limit': { type: 'string' },
};
export const WORKLOAD_OPTIONS: OptionDefs = {
  workload: { type: 'string', short: 'w' },
  set: { type: 'string', multiple: true, short: 's' },
};

/** `--workload NAME --set K=V...` as a job. */
export function workloadJob(command: string, v: Values): Job {
  const name = str(v, 'workload');
  if (!name) throw new UsageError(`tlbsim ${command} needs --workload NAME (one of ${WORKLOAD_NAMES.join(', ')}) — see tlbsim workloads`);
  const w = findWorkload(name);
  return { kind: 'workload', workload: w.name, params: resolveParams(w, list(v, 'set')) };
}

/** A scenario file as a job (ScenarioError carries the field path). */
export function scenarioJob(file: string): Job {
  // reading (a FIFO blocks until a writer comes) and parsing (10^6 ops take seconds) are long
  // synchronous steps: Ctrl-C and SIGTERM must end them at once
  return withDefaultSignals(() => {
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
  return variants.map((x) => (costs.has(x.name) ? { ...x, cost: costs.get(x.name) } : x));
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

/** Run a job on every variant (in order, in this thread), streaming their events into `trace`. */
export function runAll(job: Job, variants: readonly ArchVariant[], o: { trace?: TraceWriter; bugs?: BugName[]; hugetlb?: Behaviour; includeSetup?: boolean; perOp?: boolean }): VariantRun[] {
  return withDefaultSignals(() => variants.map((variant) => runJob(job, variant, { traceTo: o.trace?.run(variant.id), bugs: bugOptions(o.bugs ?? []), hugetlb: o.hugetlb, includeSetup: o.includeSetup, perOp: o.perOp })));
}

export function describeJob(job: Job): string {
  if (job.kind === 'scenario') return `scenario ${job.scenario.name} (${job.source}, ${job.scenario.machine.cpus} CPUs)`;
  const ps = Object.entries(job.params).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${job.workload}: ${ps}`;
}

/** The metrics of every run side by side: one row per metric, one column per variant. */
export function metricsGrid(runs: readonly VariantRun[]): Grid {
  const keys = metricKeys(runs.map((r) => r.result));
  return {
    header: ['metric', ...runs.map((r) => r.variant.id)],
    rows: keys.map((k) => [k, ...runs.map((r) => metricValue(r.result, k))]),
  };
}

/** compare / run output in any of the formats. */
export function formatResults(job: Job, runs: readonly VariantRun[], format: Format, extra: Record<string, unknown> = {}): string {
  if (format === 'json') return JSON.stringify(resultsDocument(job, runs, extra), null, 2) + '\n';
  return formatGrid(describeJob(job), runs, format, job.kind === 'workload' && typeof job.params.pages === 'number' ? job.params.pages : undefined);
}

/** The metrics grid of runs under a title, with the variants' legend: table, csv or markdown. */
export function formatGrid(title: string, runs: readonly VariantRun[], format: Exclude<Format, 'json'>, pages?: number): string {
  const g = metricsGrid(runs);
  if (format === 'csv') return renderCsv(g);
  const legend = runs.map((r) => [r.variant.id, `${r.result.label}; base page ${bytes(r.pageSize)}${pages === undefined ? '' : `: pages=${pages} is ${bytes(pages * r.pageSize)}`}`] as const);
  if (format === 'markdown') {
    const rows = g.rows.map((r) => r[0] as string).flatMap((k) => {
      const d = metricOf(k);
      return d ? [`- \`${k}\` (${d.unit}): ${brief(d)}`] : [];
    });
    return `### ${title}\n\n${renderMarkdown(g)}\n${legend.map(([id, l]) => `- \`${id}\`: ${l}`).join('\n')}\n\nRows:\n\n${rows.join('\n')}\n`;
  }
  const color = useColor(process.stdout);
  const w = Math.max(...legend.map(([id]) => id.length));
  const rows = legendLines(g.rows.map((r) => r[0] as string));
  const setup = setupLines(runs);
  return `${title}\n\n${renderTable(g, { color }, (row, col) => row[0] === 'violations' && (row[col] as number) > 0)}\n${legend.map(([id, l]) => `${id.padEnd(w)}  ${l}`).join('\n')}${setup.length ? `\n\nsetup, not in the totals (each thread's first switch onto its CPU; --include-setup adds it):\n${setup.map((l) => `  ${l}`).join('\n')}` : ''}\n\nrows (tlbsim metrics KEY for the full definition):\n${rows.map((l) => `  ${l}`).join('\n')}\n`;
}

/** 4096 -> "4 KiB" */
export function bytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}


/** What each variant's setup cost, as `x86: fullFlushes 2, tlbInstructions.CR3 write 2`; nothing when it cost nothing. */
export function setupLines(runs: readonly VariantRun[]): string[] {
  const out: string[] = [];
  const w = Math.max(0, ...runs.map((r) => r.variant.id.length));
  for (const r of runs) {
    const m = r.result.setup.metrics;
    const parts: string[] = [];
    for (const k of ['flushes', 'ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', 'estimatedNs'] as const) if (m[k]) parts.push(`${k} ${m[k]}`);
    for (const [k, v] of Object.entries(m.tlbInstructions)) if (v) parts.push(`tlbInstructions.${k} ${v}`);
    const counters = new Map<string, number>();
    for (const c of r.result.setup.cpus) for (const [k, v] of Object.entries(c.counters)) counters.set(k, (counters.get(k) ?? 0) + v);
    for (const [k, v] of [...counters].sort()) if (v) parts.push(`counters.${k} ${v}`);
    if (parts.length) out.push(`${r.variant.id.padEnd(w)}  ${parts.join(', ')}`);
  }
  return out;
}
