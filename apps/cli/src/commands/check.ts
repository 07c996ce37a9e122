import { BUG_ACTS, HAZARDS as HAZARD_IDS, HAZARD_CHECKS, type Exercise, type Hazard, type Violation } from '@tlbsim/core';
import { list, oneOf, parse, str } from '../args.js';
import { checkRunOutputs, bugsOf, describeJob, hugetlbOf, openTrace, runAll, scenarioJob, traceFormatOf, variantsOf, withTrace, workloadJob } from '../common.js';
import { BUGS, type BugName, type VariantRun } from '../engine.js';
import { UsageError } from '../errors.js';
import { bold, green, red, useColor } from '../format/grid.js';
import { commandHelp } from '../help.js';
import { emit } from '../io.js';
import { resultsDocument } from '../report-data.js';
import { checkSchedules, schedulesOf } from './check-schedules.js';

export const HAZARDS: Record<Violation['hazard'], string> = {
  H1: 'stale translation after free',
  H2: 'page-table page freed or reused while still reachable',
  H3: 'stale permission after mprotect/fork',
  H4: 'kernel warning (VM_WARN_ON)',
};

/** Exit status of a check whose runs exercised nothing the user asked about (see EXIT_HELP). */
export const EXIT_NOT_EXERCISED = 3;

const hex = (n: number) => '0x' + n.toString(16);
const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/** Something a run was asked to exercise and did not: a re-created bug, or every hazard class. */
export interface NotExercised {
  variant: string;
  bug?: BugName;
  why: string;
}

function exercisedOf(r: VariantRun): Exercise {
  if (!r.exercised) throw new Error(`${r.variant.id}: run without the checker's counts`);
  return r.exercised;
}

/** What each run did not exercise: each re-created bug that never acted; a run with no check at all. */
export function notExercised(runs: readonly VariantRun[], bugs: readonly BugName[]): NotExercised[] {
  const out: NotExercised[] = [];
  for (const r of runs) {
    const ex = exercisedOf(r);
    for (const b of bugs) if (!ex.bugs[BUGS[b]]) out.push({ variant: r.variant.id, bug: b, why: r.notExercisedWhy?.[BUGS[b]] ?? 'it never acted' });
    if (HAZARD_IDS.every((h) => ex.hazards[h].checks === 0 && ex.hazards[h].findings === 0)) {
      out.push({ variant: r.variant.id, why: 'no hazard class was exercised (no page or page table freed, no permission reduced, no warning condition evaluated)' });
    }
  }
  return out;
}

/** "8 pages affected", "8 pages (H1) and 1 page table (H2) affected", or '' when nothing is counted. */
export function affectedPhrase(ex: Exercise): string {
  const parts = HAZARD_IDS.filter((h) => ex.hazards[h].findings > 0 && ex.hazards[h].affected > 0);
  if (!parts.length) return '';
  const unit = (h: Hazard) => plural(ex.hazards[h].affected, HAZARD_CHECKS[h].unit[0], HAZARD_CHECKS[h].unit[1]);
  if (parts.length === 1) return `${unit(parts[0])} affected`;
  return `${parts.map((h) => `${unit(h)} (${h})`).join(' and ')} affected`;
}

function findingsHead(n: number, ex: Exercise): string {
  const a = affectedPhrase(ex);
  return `${plural(n, 'finding')} shown${a ? `, ${a}` : ''}`;
}

/** The per-hazard and per-bug lines of one run: what was checked, how often, and what never was. */
function exerciseLines(r: VariantRun, bugs: readonly BugName[]): string[] {
  const ex = exercisedOf(r);
  const lines: string[] = [];
  for (const b of bugs) {
    const n = ex.bugs[BUGS[b]] ?? 0;
    lines.push(n ? `bug ${b}: acted ${plural(n, 'time')} (${BUG_ACTS[BUGS[b]]})` : `bug ${b}: not exercised (${r.notExercisedWhy?.[BUGS[b]]})`);
  }
  for (const h of HAZARD_IDS) {
    const e = ex.hazards[h];
    if (!e.checks && !e.findings) lines.push(`${h}: not exercised (${HAZARD_CHECKS[h].none})`);
    else lines.push(`${h}: ${plural(e.checks, ...HAZARD_CHECKS[h].checked)} checked${e.findings ? `, ${plural(e.findings, 'finding')}` : ''}`);
  }
  return lines;
}

function findingLines(v: Violation, i: number): string {
  let o = `  ${i + 1}. ${v.hazard} ${HAZARDS[v.hazard]}, during ${v.op}${v.opIndex !== undefined ? ` (ops[${v.opIndex}])` : ''}\n`;
  o += `     CPU ${v.cpu}, address ${hex(v.address)}\n`;
  o += `     ${v.what}\n`;
  if (v.flush) o += `     flush: ${v.flush}\n`;
  if (v.cached) {
    const entry = v.hazard === 'H2' ? 'walk-cache entries for' : 'the translation of';
    o += `     cached: CPU${v.cached.cpu} may hold ${entry} ${hex(v.cached.address)} since t=${v.cached.sinceNs}ns (its last load or full flush of the mm)\n`;
  }
  if (v.affected !== undefined && v.affected > 1) {
    const per = v.hazard === 'H3' ? 'per CPU per mprotect or fork' : 'per CPU per freed batch';
    o += `     affected: ${v.affected} pages on CPU${v.cpu} (one finding ${per}; ${v.affected - 1} folded into this one)\n`;
  }
  if (v.events?.length) {
    o += '     events that led there:\n';
    for (const e of v.events) o += `       ${e}\n`;
  }
  return o;
}

function explain(runs: readonly VariantRun[], bugs: readonly BugName[], color: boolean): string {
  let o = '';
  for (const r of runs) {
    const vs = r.result.violations;
    const head = `${r.variant.id} (${r.result.label})`;
    o += vs.length ? `${bold(color, head)}: ${red(color, findingsHead(vs.length, exercisedOf(r)))}\n` : `${bold(color, head)}: ${green(color, 'no findings')}\n`;
    for (const l of exerciseLines(r, bugs)) o += `  ${l}\n`;
    vs.forEach((v, i) => (o += findingLines(v, i)));
  }
  return o;
}

/** The closing lines: findings over all runs, or what was not exercised, or "no findings". */
function summary(runs: readonly VariantRun[], findings: number, missing: readonly NotExercised[]): string {
  if (findings) {
    // every run is its own machine: what their findings stand for adds up
    const all: Exercise = { hazards: {} as Exercise['hazards'], bugs: {} };
    for (const h of HAZARD_IDS) {
      const sum = (k: 'checks' | 'findings' | 'affected') => runs.reduce((n, r) => n + exercisedOf(r).hazards[h][k], 0);
      all.hazards[h] = { checks: sum('checks'), findings: sum('findings'), affected: sum('affected') };
    }
    return `\n${findingsHead(findings, all)}\n`;
  }
  if (!missing.length) return '\nno findings\n';
  // group the variants by what they missed
  const groups = new Map<string, string[]>();
  for (const n of missing) {
    const k = n.bug ? `bug ${n.bug} (${n.why})` : n.why;
    groups.set(k, [...(groups.get(k) ?? []), n.variant]);
  }
  let o = '\nno findings, but not exercised:\n';
  for (const [k, vs] of groups) o += `  ${k} on ${vs.join(', ')}\n`;
  return o;
}

/** tlbsim check (SCENARIO | --workload NAME) [--bug NAME]... [--schedules N [--seed S]] */
export function check(argv: string[]): number {
  const { values, positionals } = parse('check', argv);
  if (values.help) {
    process.stdout.write(commandHelp('check'));
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`tlbsim check takes one scenario file, got ${positionals.length}`);
  if (positionals.length && str(values, 'workload')) throw new UsageError('tlbsim check takes a scenario file or --workload, not both');
  if (!positionals.length && !str(values, 'workload')) throw new UsageError('tlbsim check needs a scenario file or --workload NAME');
  const schedules = schedulesOf(values);
  const features = list(values, 'feature');
  checkRunOutputs(values);
  const job = positionals.length ? scenarioJob(positionals[0]) : workloadJob('check', values);
  const bugs = bugsOf(values);
  const variants = variantsOf(values, job);
  const format = oneOf('--format', str(values, 'format'), ['text', 'json'] as const, 'text');
  if (schedules) return checkSchedules(job, variants, schedules, { bugs, hugetlb: hugetlbOf(values, job), includeSetup: values['include-setup'] === true, features, format }, values);
  const traceFormat = traceFormatOf(values);
  const hugetlb = hugetlbOf(values, job);
  const trace = openTrace(values, traceFormat);
  const runs = withTrace(trace, () => runAll(job, variants, { trace, bugs, hugetlb, includeSetup: values['include-setup'] === true }));
  const findings = runs.reduce((n, r) => n + r.result.violations.length, 0);
  const missing = notExercised(runs, bugs);
  let text: string;
  if (format === 'json') {
    const doc = resultsDocument(job, runs, { bugs, findings, notExercised: missing });
    doc.results.forEach((res, i) => (res.exercised = exercisedJson(runs[i], bugs)));
    text = JSON.stringify(doc, null, 2) + '\n';
  } else {
    const color = useColor(process.stdout);
    text = `check ${describeJob(job)}${bugs.length ? `, re-creating bug${bugs.length > 1 ? 's' : ''} ${bugs.join(', ')}` : ''}${features.length ? `, kernel features ${features.join(' ')}` : ''}\n\n${explain(runs, bugs, color)}`;
    text += summary(runs, findings, missing);
  }
  emit(text, str(values, 'out'));
  return findings ? 1 : missing.length ? EXIT_NOT_EXERCISED : 0;
}

/** results[].exercised of the JSON document (schema/results.schema.json). */
function exercisedJson(r: VariantRun, bugs: readonly BugName[]) {
  const ex = exercisedOf(r);
  const bugsOut: Record<string, { acted: number; why?: string }> = {};
  for (const b of bugs) {
    const n = ex.bugs[BUGS[b]] ?? 0;
    bugsOut[b] = n ? { acted: n } : { acted: 0, why: r.notExercisedWhy?.[BUGS[b]] ?? 'it never acted' };
  }
  const hazards: Record<string, { checks: number; findings: number; affected: number; why?: string }> = {};
  for (const h of HAZARD_IDS) {
    const e = ex.hazards[h];
    hazards[h] = { checks: e.checks, findings: e.findings, affected: e.affected, ...(!e.checks && !e.findings ? { why: HAZARD_CHECKS[h].none } : {}) };
  }
  return { hazards, bugs: bugsOut };
}
