import type { Violation } from '@tlbsim/core';
import { oneOf, parse, str } from '../args.js';
import { checkRunOutputs, RUN_OPTIONS, WORKLOAD_OPTIONS, bugsOf, describeJob, hugetlbOf, runAll, scenarioJob, seedOf, traceFormatOf, variantsOf, workloadJob, writeTrace } from '../common.js';
import type { VariantRun } from '../engine.js';
import { UsageError } from '../errors.js';
import { bold, green, red, useColor } from '../format/grid.js';
import { HELP } from '../help.js';
import { emit } from '../io.js';
import { resultsDocument } from '../report-data.js';

export const HAZARDS: Record<Violation['hazard'], string> = {
  H1: 'stale translation after free',
  H2: 'page-table page freed or reused while still reachable',
  H3: 'stale permission after mprotect/fork',
  H4: 'kernel warning (VM_WARN_ON)',
};

const hex = (n: number) => '0x' + n.toString(16);

function explain(runs: readonly VariantRun[], color: boolean): string {
  let o = '';
  for (const r of runs) {
    const vs = r.result.violations;
    const head = `${r.variant.id} (${r.result.label})`;
    if (!vs.length) {
      o += `${bold(color, head)}: ${green(color, 'no findings')}\n`;
      continue;
    }
    o += `${bold(color, head)}: ${red(color, `${vs.length} finding${vs.length > 1 ? 's' : ''}`)}\n`;
    vs.forEach((v, i) => {
      o += `  ${i + 1}. ${v.hazard} ${HAZARDS[v.hazard]}, during ${v.op}\n`;
      o += `     CPU ${v.cpu}, address ${hex(v.address)}\n`;
      o += `     ${v.what}\n`;
      if (v.events?.length) {
        o += '     events that led there:\n';
        for (const e of v.events) o += `       ${e}\n`;
      }
    });
  }
  return o;
}

/** tlbsim check (SCENARIO | --workload NAME) [--bug NAME]... */
export function check(argv: string[]): number {
  const { values, positionals } = parse('check', argv, { ...WORKLOAD_OPTIONS, ...RUN_OPTIONS, bug: { type: 'string', multiple: true }, hugetlb: { type: 'string' } });
  if (values.help) {
    process.stdout.write(HELP.check);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`tlbsim check takes one scenario file, got ${positionals.length}`);
  if (positionals.length && str(values, 'workload')) throw new UsageError('tlbsim check takes a scenario file or --workload, not both');
  if (!positionals.length && !str(values, 'workload')) throw new UsageError('tlbsim check needs a scenario file or --workload NAME');
  checkRunOutputs(values);
  const job = positionals.length ? scenarioJob(positionals[0]) : workloadJob('check', values);
  const bugs = bugsOf(values);
  const variants = variantsOf(values);
  const format = oneOf('--format', str(values, 'format'), ['text', 'json'] as const, 'text');
  const seed = seedOf(values);
  const traceFormat = traceFormatOf(values);
  const runs = runAll(job, variants, { seed, trace: !!traceFormat, bugs, hugetlb: hugetlbOf(values, job), includeSetup: values['include-setup'] === true });
  const findings = runs.reduce((n, r) => n + r.result.violations.length, 0);
  let text: string;
  if (format === 'json') {
    text = JSON.stringify(resultsDocument(job, seed, runs, { bugs, findings }), null, 2) + '\n';
  } else {
    const color = useColor(process.stdout);
    text = `check ${describeJob(job, seed)}${bugs.length ? `, re-creating bug${bugs.length > 1 ? 's' : ''} ${bugs.join(', ')}` : ''}\n\n${explain(runs, color)}`;
    text += findings ? `\n${findings} finding${findings > 1 ? 's' : ''}\n` : '\nno findings\n';
  }
  if (traceFormat) writeTrace(str(values, 'trace')!, traceFormat, runs);
  emit(text, str(values, 'out'));
  return findings ? 1 : 0;
}
