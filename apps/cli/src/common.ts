import { readFileSync } from 'node:fs';
import { parseScenario, toFtrace, toJsonl, toPerfetto } from '@tlbsim/core';
import { BEHAVIOURS, type Behaviour } from '@tlbsim/hugetlb';
import { list, oneOf, str, type OptionDefs, type Values } from './args.js';
import { parseArchSpecs, type ArchVariant } from './arches.js';
import { runJob, BUG_NAMES, bugOptions, type BugName, type Job, type VariantRun } from './engine.js';
import { UsageError } from './errors.js';
import { renderCsv, renderMarkdown, renderTable, useColor, type Grid } from './format/grid.js';
import { checkOutputs, writeAtomic, withDefaultSignals } from './io.js';
import { metricKeys, metricValue, resultsDocument } from './report-data.js';
import { findWorkload, resolveParams, WORKLOAD_NAMES } from './workloads/index.js';

export const FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
export const TRACE_FORMATS = ['perfetto', 'jsonl', 'ftrace'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Options shared by compare, run and check. */
export const RUN_OPTIONS: OptionDefs = {
  arch: { type: 'string', multiple: true, short: 'a' },
  format: { type: 'string', short: 'f' },
  out: { type: 'string', short: 'o' },
  trace: { type: 'string' },
  'trace-format': { type: 'string' },
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

export function variantsOf(v: Values): ArchVariant[] {
  return parseArchSpecs(list(v, 'arch'));
}

export function traceFormatOf(v: Values): TraceFormat | undefined {
  const file = str(v, 'trace');
  const given = str(v, 'trace-format');
  if (!file) {
    if (given) throw new UsageError('--trace-format needs --trace FILE');
    return undefined;
  }
  const byExt: TraceFormat = /\.jsonl$/i.test(file) ? 'jsonl' : /\.(txt|trace|ftrace)$/i.test(file) ? 'ftrace' : 'perfetto';
  return oneOf('--trace-format', given, TRACE_FORMATS, byExt);
}

/** Run a job on every variant (in order, in this thread). */
export function runAll(job: Job, variants: readonly ArchVariant[], o: { trace: boolean; bugs?: BugName[]; hugetlb?: Behaviour }): VariantRun[] {
  return withDefaultSignals(() => variants.map((variant) => runJob(job, variant, { trace: o.trace, bugs: bugOptions(o.bugs ?? []), hugetlb: o.hugetlb })));
}

/** Write the event streams of the runs in the chosen trace format. */
export function writeTrace(file: string, format: TraceFormat, runs: readonly VariantRun[]): void {
  const withLabels = runs.map((r) => ({ arch: r.variant.id, label: `${r.variant.id}: ${r.result.label}`, nrCpus: r.nrCpus, events: r.result.events ?? [] }));
  let data: string;
  if (format === 'perfetto') data = JSON.stringify(toPerfetto(withLabels)) + '\n';
  else if (format === 'jsonl') data = toJsonl(withLabels);
  else {
    data = runs
      .map((r) => `# tlbsim ${r.variant.id}: ${r.result.label}\n` + toFtrace(r.result.events ?? [], r.ftrace ? { ftrace: r.ftrace } : undefined))
      .join('\n');
  }
  writeAtomic(file, data);
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
  return formatGrid(describeJob(job), runs, format);
}

/** The metrics grid of runs under a title, with the variants' legend: table, csv or markdown. */
export function formatGrid(title: string, runs: readonly VariantRun[], format: Exclude<Format, 'json'>): string {
  const g = metricsGrid(runs);
  if (format === 'csv') return renderCsv(g);
  const legend = runs.map((r) => [r.variant.id, r.result.label] as const);
  if (format === 'markdown') {
    return `### ${title}\n\n${renderMarkdown(g)}\n${legend.map(([id, l]) => `- \`${id}\`: ${l}`).join('\n')}\n`;
  }
  const color = useColor(process.stdout);
  const w = Math.max(...legend.map(([id]) => id.length));
  return `${title}\n\n${renderTable(g, { color }, (row, col) => row[0] === 'violations' && (row[col] as number) > 0)}\n${legend.map(([id, l]) => `${id.padEnd(w)}  ${l}`).join('\n')}\n`;
}
