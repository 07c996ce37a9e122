import { x86Label, resolveX86Options } from '@tlbsim/arch-x86';
import { parseTrace } from '@tlbsim/tracefs';
import { intOpt, list, oneOf, parse, str } from '../args.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { emit } from '../io.js';
import { comparePhases } from '../measure/compare.js';
import { interpretHost, readHost } from '../measure/host.js';
import { cutPhases } from '../measure/phases.js';
import { measureParams, predict } from '../measure/predict.js';
import { SCHEDS, record } from '../measure/record.js';
import { formatJson, formatText, type MeasureMeta } from '../measure/report.js';
import { load, save, type Saved } from '../measure/saved.js';
import { VERSION } from '../report-data.js';

export const MEASURE_FORMATS = ['text', 'json'] as const;
export const DEFAULT_ITERATIONS = 25;

/**
 * tlbsim measure --workload NAME [--set K=V] [--iterations N] [--save DIR] | --from DIR.
 * Exit status: 0 every phase matches, 1 some phase differs, 2 cannot measure / bad input.
 */
export async function measure(argv: string[]): Promise<number> {
  const { values, positionals } = parse('measure', argv);
  if (values.help) {
    process.stdout.write(commandHelp('measure'));
    return 0;
  }
  if (positionals.length) throw new UsageError(`tlbsim measure takes no file argument (got "${positionals[0]}")`);
  const format = oneOf('--format', str(values, 'format'), MEASURE_FORMATS, 'text');
  const from = str(values, 'from');
  let saved: Saved;
  if (from) {
    for (const o of ['workload', 'set', 'iterations', 'save', 'sched'] as const) {
      if (values[o] !== undefined) throw new UsageError(`--from ${from} compares a saved measurement: --${o} cannot be given with it`);
    }
    saved = load(from);
  } else {
    const name = str(values, 'workload');
    if (!name) throw new UsageError('tlbsim measure needs --workload NAME (munmap, madvise-dontneed, madvise-free, mprotect, mremap, exit) or --from DIR');
    const iterations = intOpt('--iterations', str(values, 'iterations'), DEFAULT_ITERATIONS, 1, 10_000);
    const sched = oneOf('--sched', str(values, 'sched'), SCHEDS, 'fifo');
    if (process.platform !== 'linux') throw new UsageError(`measure: cannot measure: not Linux (this is ${process.platform})`);
    const host = await readHost();
    const params = measureParams(name, list(values, 'set'), host.nrCpus);
    const facts = interpretHost(host);
    const prediction = predict(name, params, facts);
    const rec = await record(name, params, iterations, sched, VERSION);
    saved = {
      meta: { tlbsim: VERSION, workload: name, params, iterations, fifo: rec.fifo, host, command: rec.command },
      trace: rec.trace,
      prediction: { label: prediction.label, phases: prediction.phases },
    };
    const dir = str(values, 'save');
    if (dir) save(dir, saved, prediction.events);
  }
  const m = saved.meta;
  const facts = interpretHost(m.host);
  const runs = cutPhases(parseTrace(saved.trace), m.params.cpus as number);
  if (!runs.length) throw new UsageError(`measure: the kernel trace holds no tlbsim-measure markers${from ? ` (${from})` : ''}`);
  const phases = comparePhases(saved.prediction.phases, runs);
  const meta: MeasureMeta = {
    tlbsim: VERSION,
    workload: m.workload,
    params: m.params,
    iterations: m.iterations,
    fifo: m.fifo,
    model: saved.prediction.label ?? x86Label(resolveX86Options(facts.options).resolved),
    facts: facts.used,
  };
  emit(format === 'json' ? formatJson(meta, phases) : formatText(meta, phases), str(values, 'out'));
  return phases.every((c) => c.match) ? 0 : 1;
}
