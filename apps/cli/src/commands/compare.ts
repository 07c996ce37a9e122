import { oneOf, parse, str } from '../args.js';
import { checkRunOutputs, FORMATS, formatResults, hugetlbOf, openTrace, runAll, scenarioJob, traceFormatOf, variantsOf, viewOf, withTrace, workloadJob } from '../common.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { emit } from '../io.js';
import { formatByOp } from '../by-op.js';
import { changesText, checkChangesRequest, releaseChanges } from '../changes.js';

/** tlbsim compare --workload NAME ... and tlbsim run SCENARIO ... */
export function compare(argv: string[], command: 'compare' | 'run'): number {
  const { values, positionals } = parse(command, argv);
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  checkRunOutputs(values);
  let job;
  if (command === 'compare') {
    if (positionals.length) throw new UsageError(`tlbsim compare takes no file argument (got "${positionals[0]}"); to run a scenario use tlbsim run ${positionals[0]}`);
    job = workloadJob('compare', values);
  } else {
    if (positionals.length !== 1) throw new UsageError(`tlbsim run needs exactly one scenario file (YAML or JSON)${positionals.length ? `, got ${positionals.length}` : ''}`);
    job = scenarioJob(positionals[0]);
  }
  const variants = variantsOf(values, job);
  const format = oneOf('--format', str(values, 'format'), FORMATS, 'table');
  const byOp = oneOf('--by', str(values, 'by'), ['op', 'total'] as const, 'total') === 'op';
  const view = viewOf(values, format, variants, byOp);
  const traceFormat = traceFormatOf(values);
  const changes = values.changes === true;
  if (changes) checkChangesRequest(str(values, 'kernel'), format);
  const hugetlb = hugetlbOf(values, job);
  const trace = openTrace(values, traceFormat);
  // per-operation counts: for --by op, and in every JSON document (results[].ops[])
  const engine = { hugetlb, includeSetup: values['include-setup'] === true, perOp: byOp || format === 'json' };
  const runs = withTrace(trace, () => runAll(job, variants, { ...engine, trace }));
  if (job.kind === 'scenario' && format !== 'json') {
    for (const r of runs) for (const o of r.result.ops) if (!o.ok) process.stderr.write(`tlbsim: ${r.variant.id}: ops[${o.index}].${o.op} failed: ${o.errno}: ${o.message}\n`);
  }
  const steps = changes ? releaseChanges(job, runs, engine) : undefined;
  let text = byOp && format !== 'json' ? formatByOp(job, runs, format) : formatResults(job, runs, format, view, steps ? { changes: steps } : {});
  if (steps && format !== 'json') text += `\n${changesText(steps)}`;
  emit(text, str(values, 'out'));
  return 0;
}
