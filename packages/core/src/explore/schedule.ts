/**
 * Seeded schedule exploration (core SPEC.md §13.3): a canonical run (no actors) lists the steps a
 * job passes and the actors legal at each; seed S then names one schedule. Even seeds 2k below
 * twice the number of single placements are the single placements (one actor at one step), in
 * order, so N >= 2P schedules from seed 0 cover every single-actor interleaving (exhaustive);
 * every other seed is a random schedule: one operation, and at each of its steps an actor with
 * probability 1/2. Each distinct finding is reported once, with the first seed that showed it and
 * the shortest sequence of its actors that still produces it (greedy shrinking).
 */
import type { Machine } from '../machine/machine.js';
import { prng } from '../machine/machine.js';
import type { Violation } from '../metrics/metrics.js';
import type { ActorName } from './actors.js';
import { Explorer, type Applied, type Decision, type Step } from './explorer.js';

/**
 * Run the job once with an explorer: make the Machine, call `attach(m)` before the first
 * operation, run, and return the machine's findings.
 */
export type ScheduleRunner = (attach: (m: Machine) => void) => readonly Violation[];

export interface Canonical {
  steps: readonly Step[];
  /** top-level operations with at least one step: where their steps start, how many */
  ops: readonly { op: string; first: number; count: number }[];
  /** every single placement: one legal actor at one step */
  placements: readonly { step: number; actor: ActorName }[];
  /** what the run without actors found (reported as found by every schedule) */
  violations: readonly Violation[];
}

/** The job without actors, recording its steps. */
export function canonicalRun(run: ScheduleRunner): Canonical {
  let ex: Explorer | undefined;
  const violations = run((m) => {
    ex = new Explorer(m, [], true);
    m.explore = ex;
  });
  if (!ex) throw new Error('the schedule runner never attached the explorer');
  const steps = ex.steps;
  const ops: { op: string; first: number; count: number }[] = [];
  steps.forEach((s, i) => {
    const last = ops[ops.length - 1];
    if (last && last.op === s.op && last.first + last.count === i) last.count++;
    else ops.push({ op: s.op, first: i, count: 1 });
  });
  const placements = steps.flatMap((s, step) => s.legal.map((actor) => ({ step, actor })));
  return { steps, ops, placements, violations: [...violations] };
}

/** The decisions of schedule `seed` for a job whose canonical run is `c`. */
export function planFor(seed: number, c: Canonical): Decision[] {
  if (seed % 2 === 0 && seed / 2 < c.placements.length) {
    const p = c.placements[seed / 2];
    return [{ step: p.step, actor: p.actor, pick: 0 }];
  }
  const ops = c.ops.filter((o) => o.count > 0);
  if (!ops.length) return [];
  const r = prng((seed * 2654435761) ^ 0x5bd1e995);
  const o = ops[Math.floor(r() * ops.length)];
  const out: Decision[] = [];
  for (let step = o.first; step < o.first + o.count; step++) {
    const legal = c.steps[step].legal;
    const place = r() < 0.5;
    const a = r();
    const pick = r();
    if (place && legal.length) out.push({ step, actor: legal[Math.floor(a * legal.length)], pick });
  }
  return out;
}

/** One schedule run: what it found and what its actors did. */
export interface ScheduleOutcome {
  violations: readonly Violation[];
  applied: readonly Applied[];
}

/** Run the job under explicit decisions. */
export function runDecisions(run: ScheduleRunner, decisions: readonly Decision[]): ScheduleOutcome {
  let ex: Explorer | undefined;
  const violations = run((m) => {
    ex = new Explorer(m, decisions);
    m.explore = ex;
  });
  return { violations, applied: ex ? [...ex.applied] : [] };
}

/** What makes two findings the same: hazard, operation and what happened (whichever CPUs and addresses). */
export function findingKey(v: Violation): string {
  return `${v.hazard}|${v.op}|${v.what.replace(/CPU\d+/g, 'CPU*').replace(/0x[0-9a-f]+/g, 'ADDR')}`;
}

export interface Finding {
  key: string;
  /** the finding as the shrunk schedule produced it */
  violation: Violation;
  /** the first seed that showed it */
  seed: number;
  /** how many of the schedules showed it */
  schedules: number;
  /** the shortest sequence of actors found that still produces it (empty: no actor needed) */
  schedule: readonly Applied[];
}

export interface ExploreResult {
  /** schedules run (seeds seed .. seed+schedules-1) */
  schedules: number;
  seed: number;
  /** steps of the canonical run */
  steps: number;
  /** single placements of the canonical run */
  placements: number;
  /** every single placement was among the schedules run */
  exhaustive: boolean;
  findings: Finding[];
}

export interface ExploreOptions {
  schedules: number;
  /** the first seed (default 0) */
  seed?: number;
  /** shrink each finding's schedule (default true) */
  shrink?: boolean;
}

/** Explore `schedules` seeded schedules of a job. */
export function exploreSchedules(run: ScheduleRunner, o: ExploreOptions): ExploreResult {
  const base = o.seed ?? 0;
  if (!Number.isInteger(o.schedules) || o.schedules < 1) throw new RangeError(`schedules must be a whole number from 1, got ${o.schedules}`);
  if (!Number.isInteger(base) || base < 0) throw new RangeError(`seed must be a whole number from 0, got ${base}`);
  const c = canonicalRun(run);
  const found = new Map<string, { seed: number; decisions: Decision[]; count: number; outcome: ScheduleOutcome }>();
  // a schedule that places no actor is the canonical run (the runs are deterministic and an
  // explorer without a plan only counts steps): its findings are the canonical run's
  const unplaced: ScheduleOutcome = { violations: c.violations, applied: [] };
  for (let s = base; s < base + o.schedules; s++) {
    const decisions = planFor(s, c);
    const out = decisions.length ? runDecisions(run, decisions) : unplaced;
    const keys = new Set(out.violations.map(findingKey));
    for (const k of keys) {
      const f = found.get(k);
      if (f) f.count++;
      else found.set(k, { seed: s, decisions: out.applied.map(({ step, actor, pick }) => ({ step, actor, pick })), count: 1, outcome: out });
    }
  }
  const findings: Finding[] = [];
  for (const [key, f] of found) {
    const best = o.shrink === false ? f.outcome : shrink(run, key, f.decisions, f.outcome);
    const v = best.violations.find((x) => findingKey(x) === key)!;
    findings.push({ key, violation: v, seed: f.seed, schedules: f.count, schedule: best.applied });
  }
  const last = base + o.schedules - 1;
  const exhaustive = c.placements.length === 0 || (base === 0 && 2 * (c.placements.length - 1) <= last);
  return { schedules: o.schedules, seed: base, steps: c.steps.length, placements: c.placements.length, exhaustive, findings };
}

/** Drop actors one at a time (latest first) while the finding still appears. */
function shrink(run: ScheduleRunner, key: string, decisions: Decision[], outcome: ScheduleOutcome): ScheduleOutcome {
  let cur = decisions;
  let best = outcome;
  for (let i = cur.length - 1; i >= 0; i--) {
    const cand = cur.filter((_, j) => j !== i);
    const out = runDecisions(run, cand);
    if (out.violations.some((v) => findingKey(v) === key)) {
      cur = cand;
      best = out;
    }
  }
  return best;
}
