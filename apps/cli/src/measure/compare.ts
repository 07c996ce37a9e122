/**
 * The kernel's majority sequence per phase beside tlbsim's: MATCH, or the difference per CPU.
 */
import type { PhaseRun } from './phases.js';
import type { PhaseModel } from './predict.js';
import { signature, type CpuSteps } from './sequence.js';

export interface Agreement {
  /** runs whose sequence is the majority sequence */
  agreed: number;
  /** runs of this phase recorded */
  runs: number;
  /** runs another task disturbed (left out of the majority unless all were) */
  disturbed: number;
  /** undisturbed runs whose sequence differs from the majority (noise the model does not explain) */
  other: number;
}

export interface CpuDifference {
  cpu: number;
  kernel: string[];
  tlbsim: string[];
}

export interface PhaseComparison {
  name: string;
  kernel: CpuSteps;
  tlbsim: CpuSteps;
  match: boolean;
  agreement: Agreement;
  differences: CpuDifference[];
  /** the other sequences seen in undisturbed runs, with their counts (most frequent first) */
  variants: { steps: CpuSteps; runs: number }[];
  /** why runs were disturbed (each reason once, with its count) */
  disturbances: { reason: string; runs: number }[];
  /** what the helper's threads did that the model leaves out (scheduler IPIs), with counts */
  unmodelled: { what: string; runs: number }[];
}

/** The most frequent sequence; ties go to the one seen first. */
export function majority(runs: readonly PhaseRun[]): { steps: CpuSteps; count: number; sig: string } | undefined {
  const counts = new Map<string, { steps: CpuSteps; count: number }>();
  for (const r of runs) {
    const s = signature(r.steps);
    const c = counts.get(s);
    if (c) c.count++;
    else counts.set(s, { steps: r.steps, count: 1 });
  }
  let best: { steps: CpuSteps; count: number; sig: string } | undefined;
  for (const [sig, c] of counts) if (!best || c.count > best.count) best = { ...c, sig };
  return best;
}

function cpusOf(...s: CpuSteps[]): number[] {
  const set = new Set<number>();
  for (const x of s) for (const k of Object.keys(x)) if (x[Number(k)].length) set.add(Number(k));
  return [...set].sort((a, b) => a - b);
}

/** Compare every phase tlbsim predicts with the kernel's runs of the same phase. */
export function comparePhases(model: readonly PhaseModel[], runs: readonly PhaseRun[]): PhaseComparison[] {
  return model.map((p) => {
    const mine = runs.filter((r) => r.name === p.name);
    const clean = mine.filter((r) => r.disturbed.length === 0);
    const basis = clean.length ? clean : mine;
    const maj = majority(basis);
    const kernel = maj?.steps ?? {};
    const others = new Map<string, { steps: CpuSteps; runs: number }>();
    for (const r of clean) {
      const s = signature(r.steps);
      if (s === maj?.sig) continue;
      const o = others.get(s);
      if (o) o.runs++;
      else others.set(s, { steps: r.steps, runs: 1 });
    }
    const reasons = tally(mine.map((r) => r.disturbed));
    const unmodelled = tally(mine.map((r) => r.unmodelled));
    const match = maj !== undefined && maj.sig === signature(p.steps);
    const differences: CpuDifference[] = [];
    if (!match) {
      for (const c of cpusOf(kernel, p.steps)) {
        const k = kernel[c] ?? [];
        const t = p.steps[c] ?? [];
        if (k.join(';') !== t.join(';')) differences.push({ cpu: c, kernel: k, tlbsim: t });
      }
    }
    return {
      name: p.name,
      kernel,
      tlbsim: p.steps,
      match,
      agreement: {
        agreed: maj ? mine.filter((r) => signature(r.steps) === maj.sig).length : 0,
        runs: mine.length,
        disturbed: mine.length - clean.length,
        other: [...others.values()].reduce((a, o) => a + o.runs, 0),
      },
      differences,
      variants: [...others.values()].sort((a, b) => b.runs - a.runs),
      disturbances: reasons.map(([reason, runs]) => ({ reason, runs })),
      unmodelled: unmodelled.map(([what, runs]) => ({ what, runs })),
    };
  });
}

/** In how many runs each note appears (each once per run), most frequent first. */
function tally(notes: readonly string[][]): [string, number][] {
  const n = new Map<string, number>();
  for (const r of notes) for (const d of new Set(r.map(generalize))) n.set(d, (n.get(d) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** A disturbance without the pids, so that the same cause counts once. */
function generalize(d: string): string {
  return d.replace(/-\d+/g, '').replace(/thread \d+/g, 'thread').replace(/\d+ events lost/, 'events lost');
}
