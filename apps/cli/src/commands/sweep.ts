import { list, oneOf, parse, str, type Values } from '../args.js';
import { variantsOf } from '../common.js';
import type { Job } from '../engine.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { chartOf, sweepReport } from '../html.js';
import { checkOutputs, emit, withDefaultSignalsAsync, writeAtomic } from '../io.js';
import { jobsOf, runPool, type Task } from '../pool.js';
import { progress } from '../progress.js';
import { parseShard, shardFile, shardIndices, type SweepSpec } from '../shard.js';
import { chartSvg } from '../charts.js';
import { allMetricKeys, checkMetricName, parseVaryValues, sweepCsv, sweepJson, type SweepData } from '../sweep-data.js';
import { checkParamName, findWorkload, resolveParams, WORKLOAD_NAMES, type Params } from '../workloads/index.js';
import { kernelColumn, kernelPoints } from '../kernels.js';

/** tlbsim sweep --workload NAME --vary KEY=V1,V2,... */
export async function sweep(argv: string[]): Promise<number> {
  const { values, positionals } = parse('sweep', argv);
  if (values.help) {
    process.stdout.write(commandHelp('sweep'));
    return 0;
  }
  if (positionals.length) throw new UsageError(`tlbsim sweep takes no file argument (got "${positionals[0]}")`);
  checkOutputs({ '--out': str(values, 'out'), '--plot': str(values, 'plot'), '--report': str(values, 'report') });
  checkPlotName(str(values, 'plot'));
  const name = str(values, 'workload');
  if (!name) throw new UsageError(`tlbsim sweep needs --workload NAME (one of ${WORKLOAD_NAMES.join(', ')})`);
  const w = findWorkload(name);
  const varies = list(values, 'vary');
  if (varies.length !== 1) throw new UsageError(varies.length ? 'tlbsim sweep varies one parameter: give --vary once' : `tlbsim sweep needs --vary KEY=V1,V2,... (parameters of ${w.name}: ${w.params.map((p) => p.name).join(', ')})`);
  const eq = varies[0].indexOf('=');
  if (eq <= 0 || eq === varies[0].length - 1) throw new UsageError(`--vary ${varies[0]}: use KEY=V1,V2,... (e.g. --vary pages=1,8,64)`);
  const key = varies[0].slice(0, eq).trim();
  const sets = list(values, 'set');
  // --vary kernel=...: the machine's kernel, not a workload parameter (kernels.ts)
  const byKernel = key === 'kernel';
  if (!byKernel) checkParamName(w, key);
  if (sets.some((s) => s.split('=')[0].trim() === key)) throw new UsageError(`--set ${key}=... and --vary ${key}=... conflict: vary it or fix it`);
  const variants = variantsOf(values);
  const raw = byKernel ? kernelPoints(varies[0].slice(eq + 1), variants, values) : parseVaryValues(key, varies[0].slice(eq + 1));
  const points: { value: Params[string]; params: Params }[] = raw.map((v) => {
    if (byKernel) return { value: v, params: resolveParams(w, sets) };
    const params = resolveParams(w, [...sets, `${key}=${v}`]);
    return { value: params[key], params };
  });
  const shardOpt = str(values, 'shard');
  const shard = shardOpt === undefined ? undefined : parseShard(shardOpt);
  if (shard) {
    const given = ['format', 'plot', 'metric', 'report'].filter((o) => values[o] !== undefined);
    if (given.length) throw new UsageError(`--shard writes a shard file for tlbsim merge: give ${given.map((o) => `--${o}`).join(', ')} to tlbsim merge instead`);
  }
  const output = sweepOutputOptions(values);
  const jobs = jobsOf(str(values, 'jobs'), values['force-jobs'] === true);
  const mine = shard ? shardIndices(points.length, shard) : points.map((_, j) => j);

  const tasks: Task[] = [];
  for (const p of mine.map((j) => points[j])) {
    const job: Job = { kind: 'workload', workload: w.name, params: p.params };
    for (const x of variants) {
      const variant = byKernel ? kernelColumn(x, p.value as string) : x;
      tasks.push({ id: tasks.length, job, variant, opts: { includeSetup: values['include-setup'] === true } });
    }
  }
  // the pool starts its workers at once: the line shows from the start (a sweep is rarely quick)
  const bar = progress(`sweep ${w.name} ${key}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`, tasks.length, { delayMs: 0 });
  let results;
  try {
    results = await withDefaultSignalsAsync(() => runPool(tasks, jobs, (done) => bar.tick(done)));
  } finally {
    bar.end();
  }
  const perPoint = mine.map((_, i) => results.slice(i * variants.length, (i + 1) * variants.length));
  if (shard) {
    const spec: SweepSpec = { workload: w.name, key, variants, points, includeSetup: values['include-setup'] === true };
    emit(shardFile(spec, shard, perPoint), str(values, 'out'));
    return 0;
  }
  const d: SweepData = { workload: w, key, variants, points: points.map((p, i) => ({ ...p, results: perPoint[i] })) };
  await writeSweep(d, output);
  return 0;
}

/** What a sweep's data is written as (tlbsim sweep, tlbsim merge): format, files, metric. */
export interface SweepOutput {
  format: 'csv' | 'json';
  out?: string;
  plot?: string;
  report?: string;
  metric: string;
  /** --format was given: the data goes to stdout even with --plot/--report */
  formatGiven: boolean;
}

/** --format, --out, --plot, --report and --metric, checked before any work. */
export function sweepOutputOptions(values: Values): SweepOutput {
  const format = oneOf('--format', str(values, 'format'), ['csv', 'json'] as const, 'csv');
  const metric = str(values, 'metric') ?? 'ipis';
  checkMetricName(metric);
  if (str(values, 'metric') && !str(values, 'plot') && !str(values, 'report')) throw new UsageError('--metric chooses what --plot (and --report) draw: give --plot FILE.svg or --report FILE.html');
  return { format, metric, out: str(values, 'out'), plot: str(values, 'plot'), report: str(values, 'report'), formatGiven: str(values, 'format') !== undefined };
}

/** Write the sweep's data, plot and report. */
export async function writeSweep(d: SweepData, o: SweepOutput): Promise<void> {
  const { metric, plot, report } = o;
  if (!allMetricKeys(d).includes(metric)) {
    throw new UsageError(`metric "${metric}" was not produced by any variant; available: ${allMetricKeys(d).join(', ')}`);
  }
  const data = o.format === 'json' ? sweepJson(d) : sweepCsv(d);
  const svg = plot ? await chartSvg(chartOf(d, metric)) : '';
  const html = report ? await sweepReport(d, metric) : '';
  if (plot) writeAtomic(plot, svg);
  if (report) writeAtomic(report, html);
  // the data goes to stdout unless only pictures were asked for (--format or --out ask for it)
  if (o.out !== undefined || o.formatGiven || (!plot && !report)) emit(data, o.out);
}

/** --plot writes SVG: another extension (x.png) is refused rather than given SVG under a wrong name. */
function checkPlotName(plot: string | undefined): void {
  if (plot === undefined || /\.svg$/i.test(plot)) return;
  const ext = /\.([^./]+)$/.exec(plot)?.[1];
  throw new UsageError(`--plot ${plot}: tlbsim draws SVG only${ext ? `, not ${ext.toUpperCase()}` : ''}: give a file name ending in .svg (to get a PNG, convert the SVG, e.g. rsvg-convert -o chart.png chart.svg)`);
}
