/**
 * tlbsim check --schedules N [--seed S]: the job under N seeded schedules per architecture variant
 * (docs/exploration.md), each distinct finding once with the first seed that showed it and the
 * shortest sequence of actors that still produces it.
 */
import { exploreSchedules, resolveKernel, type Applied, type ExploreResult, type Finding } from '@tlbsim/core';
import type { Behaviour } from '@tlbsim/hugetlb';
import { str, type Values } from '../args.js';
import type { ArchVariant } from '../arches.js';
import { describeJob } from '../common.js';
import { bugOptions, runFindings, type BugName, type Job } from '../engine.js';
import { UsageError } from '../errors.js';
import { bold, green, red, useColor } from '../format/grid.js';
import { emit, withDefaultSignals } from '../io.js';
import { VERSION, workloadJson } from '../report-data.js';
import { HAZARDS } from './check.js';

/** At most this many schedules per variant (each one runs the whole job). */
export const MAX_SCHEDULES = 100_000;

export interface Schedules {
  schedules: number;
  seed: number;
}

function wholeNumber(opt: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${opt} must be a whole number from ${min} to ${max}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${opt} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}

/** --schedules N and --seed S; --seed alone is refused (it only picks schedules). */
export function schedulesOf(v: Values): Schedules | undefined {
  const n = str(v, 'schedules');
  const s = str(v, 'seed');
  if (n === undefined) {
    if (s !== undefined) throw new UsageError('--seed picks the first schedule of --schedules N: give --schedules too (--schedules 1 --seed S replays one schedule)');
    return undefined;
  }
  return { schedules: wholeNumber('--schedules', n, 1, MAX_SCHEDULES), seed: s === undefined ? 0 : wholeNumber('--seed', s, 0, 2 ** 32 - 1) };
}

interface VariantExploration {
  variant: ArchVariant;
  label: string;
  result: ExploreResult;
}

export interface ScheduleCheck {
  bugs: BugName[];
  hugetlb?: Behaviour;
  includeSetup: boolean;
  features: string[];
  format: 'text' | 'json';
}

/** Explore every variant; exit 1 on findings, else 0. */
export function checkSchedules(job: Job, variants: readonly ArchVariant[], s: Schedules, o: ScheduleCheck, values: Values): number {
  if (str(values, 'trace')) throw new UsageError('--trace records one run: with --schedules it has no single run to record');
  const runs = withDefaultSignals(() =>
    variants.map((variant): VariantExploration => {
      let label = '';
      const result = exploreSchedules((attach) => {
        const r = runFindings(job, variant, { bugs: bugOptions(o.bugs), hugetlb: o.hugetlb, includeSetup: o.includeSetup, attach });
        label = r.label;
        return r.violations;
      }, s);
      return { variant, label, result };
    }),
  );
  const findings = runs.reduce((n, r) => n + r.result.findings.length, 0);
  const text = o.format === 'json' ? JSON.stringify(scheduleDocument(job, runs, s, o, findings), null, 2) + '\n' : scheduleText(job, runs, s, o, findings);
  emit(text, str(values, 'out'));
  return findings ? 1 : 0;
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;
const hex = (n: number) => '0x' + n.toString(16);

/** `ops[4].munmap at unmap_vmas: gup-fast on CPU2 (walks 0x... in P2)` */
export function appliedLine(a: Applied): string {
  return `${a.op} at ${a.point}: ${a.actor} on CPU${a.cpu} (${a.detail})`;
}

function coverage(r: ExploreResult): string {
  if (r.steps === 0) return 'no interleaving point reached';
  const all = r.exhaustive ? `; all ${plural(r.placements, 'single placement')} explored` : `; ${plural(r.placements, 'single placement')}, not all explored`;
  return `${plural(r.steps, 'step')}${all}`;
}

function findingText(f: Finding, i: number, s: Schedules): string {
  const v = f.violation;
  let o = `  ${i + 1}. ${v.hazard} ${HAZARDS[v.hazard]}, during ${v.op}${v.opIndex !== undefined ? ` (ops[${v.opIndex}])` : ''}\n`;
  o += `     CPU ${v.cpu}, address ${hex(v.address)}\n`;
  o += `     ${v.what}\n`;
  if (v.flush) o += `     flush: ${v.flush}\n`;
  o += `     seen in ${f.schedules} of ${s.schedules} schedules; first seed ${f.seed} (--schedules 1 --seed ${f.seed} replays it)\n`;
  if (!f.schedule.length) o += '     schedule: no actor needed (the run without concurrent actors shows it)\n';
  else {
    o += `     shortest schedule found, ${plural(f.schedule.length, 'actor')}:\n`;
    for (const a of f.schedule) o += `       ${appliedLine(a)}\n`;
  }
  return o;
}

function scheduleText(job: Job, runs: readonly VariantExploration[], s: Schedules, o: ScheduleCheck, findings: number): string {
  const color = useColor(process.stdout);
  const extras = [
    ...(o.bugs.length ? [`re-creating bug${o.bugs.length > 1 ? 's' : ''} ${o.bugs.join(', ')}`] : []),
    ...(o.features.length ? [`kernel features ${o.features.join(' ')}`] : []),
  ];
  let t = `check ${describeJob(job)}, ${plural(s.schedules, 'schedule')} from seed ${s.seed}${extras.length ? `, ${extras.join(', ')}` : ''}\n\n`;
  for (const r of runs) {
    const head = `${r.variant.id} (${r.label})`;
    const n = r.result.findings.length;
    const what = n ? red(color, `${plural(n, 'finding')} in ${plural(s.schedules, 'schedule')}`) : green(color, `no findings in ${plural(s.schedules, 'schedule')}`);
    t += `${bold(color, head)}: ${what} (${coverage(r.result)})\n`;
    r.result.findings.forEach((f, i) => (t += findingText(f, i, s)));
  }
  t += findings ? `\n${plural(findings, 'distinct finding')}\n` : '\nno findings\n';
  return t;
}

/** The JSON document of an exploration: per variant, its findings with their seeds and schedules. */
function scheduleDocument(job: Job, runs: readonly VariantExploration[], s: Schedules, o: ScheduleCheck, findings: number) {
  return {
    tlbsim: VERSION,
    workload: workloadJson(job),
    ...(job.kind === 'scenario' ? { scenario: { source: job.source, cpus: job.scenario.machine.cpus } } : {}),
    schedules: s.schedules,
    seed: s.seed,
    bugs: o.bugs,
    features: o.features,
    findings,
    results: runs.map((r) => ({
      arch: r.variant.id,
      label: r.label,
      steps: r.result.steps,
      placements: r.result.placements,
      exhaustive: r.result.exhaustive,
      findings: r.result.findings.map((f) => {
        const v = f.violation;
        return {
          hazard: v.hazard, op: v.op, ...(v.opIndex !== undefined ? { opIndex: v.opIndex } : {}), cpu: v.cpu, address: hex(v.address), what: v.what,
          ...(v.flush ? { flush: v.flush } : {}),
          seed: f.seed, schedules: f.schedules,
          schedule: f.schedule.map((a) => ({ op: a.op, point: a.point, actor: a.actor, cpu: a.cpu, detail: a.detail })),
        };
      }),
    })),
  };
}
