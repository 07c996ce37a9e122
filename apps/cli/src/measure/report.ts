/**
 * measure's output: per phase and CPU the kernel's majority sequence beside tlbsim's, as text or
 * JSON.
 */
import type { PhaseComparison } from './compare.js';
import type { CpuSteps } from './sequence.js';

export interface MeasureMeta {
  tlbsim: string;
  workload: string;
  params: Record<string, number | boolean | string>;
  iterations: number;
  fifo: string;
  /** the x86 label of the model the host's facts made */
  model: string;
  facts: string[];
}

// the workload's own `iterations` is not what repeats here (--iterations is)
const describeParams = (p: MeasureMeta['params']) =>
  Object.entries(p)
    .filter(([k]) => k !== 'iterations')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function fifoText(f: string): string {
  if (f === 'yes') return 'worker and peers SCHED_FIFO';
  if (f === 'off') return 'worker and peers SCHED_OTHER (--sched other), expect more disturbed runs';
  return `SCHED_FIFO not permitted (${f.replace(/^no: /, '')}): worker and peers run SCHED_OTHER, expect more disturbed runs`;
}

function agreementText(c: PhaseComparison): string {
  const a = c.agreement;
  const parts = [`${a.agreed}/${a.runs} agreed`];
  if (a.disturbed) parts.push(`${a.disturbed} disturbed`);
  if (a.other) parts.push(`${a.other} other`);
  return parts.join(', ');
}

function cpuList(...s: CpuSteps[]): number[] {
  const set = new Set<number>();
  for (const x of s) for (const k of Object.keys(x)) if (x[Number(k)].length) set.add(Number(k));
  return [...set].sort((a, b) => a - b);
}

export function formatText(meta: MeasureMeta, phases: readonly PhaseComparison[]): string {
  const rows: string[][] = [['phase', 'CPU', 'kernel (majority)', 'tlbsim', 'result']];
  for (const c of phases) {
    const cpus = cpuList(c.kernel, c.tlbsim);
    const verdict = `${c.match ? 'MATCH' : 'DIFFERS'} (${agreementText(c)})`;
    if (!cpus.length) {
      rows.push([c.name, '-', '(none)', '(none)', verdict]);
      continue;
    }
    let first = true;
    for (const cpu of cpus) {
      const k = c.kernel[cpu] ?? [];
      const t = c.tlbsim[cpu] ?? [];
      const n = Math.max(k.length, t.length, 1);
      const same = k.join(';') === t.join(';');
      for (let i = 0; i < n; i++) {
        const cell = i === 0 ? (first ? verdict : c.match ? '' : same ? 'same' : 'differs') : '';
        rows.push([first && i === 0 ? c.name : '', i === 0 ? String(cpu) : '', k[i] ?? (i === 0 ? '(none)' : ''), t[i] ?? (i === 0 ? '(none)' : ''), cell]);
        first = false;
      }
    }
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
  const matched = phases.filter((c) => c.match).length;
  const out = [
    `tlbsim measure ${meta.workload}: ${describeParams(meta.params)}; ${meta.iterations} iterations, ${fifoText(meta.fifo)}`,
    `model: ${meta.model}, from the host's facts:`,
    ...meta.facts.map((f) => `  ${f}`),
    '',
    table,
    '',
    `${matched} of ${phases.length} phases MATCH.`,
  ];
  for (const c of phases) {
    for (const v of c.variants) out.push(`${c.name}: ${v.runs} undisturbed run${v.runs > 1 ? 's' : ''} showed ${stepsText(v.steps)}`);
    for (const d of c.disturbances) out.push(`${c.name}: ${d.runs} run${d.runs > 1 ? 's' : ''} disturbed: ${d.reason}`);
    for (const u of c.unmodelled) out.push(`${c.name}: ${u.runs} run${u.runs > 1 ? 's' : ''} also had (not modelled): ${u.what}`);
  }
  return out.join('\n') + '\n';
}

function stepsText(s: CpuSteps): string {
  const cpus = cpuList(s);
  return cpus.length ? cpus.map((c) => `CPU${c}: ${s[c].join(', ')}`).join('; ') : 'no events';
}

const cpuArray = (s: CpuSteps) => cpuList(s).map((cpu) => ({ cpu, events: s[cpu] }));

export function formatJson(meta: MeasureMeta, phases: readonly PhaseComparison[]): string {
  const doc = {
    ...meta,
    match: phases.every((c) => c.match),
    phases: phases.map((c) => ({
      name: c.name,
      kernel: cpuArray(c.kernel),
      tlbsim: cpuArray(c.tlbsim),
      match: c.match,
      agreement: c.agreement,
      differences: c.differences,
      variants: c.variants.map((v) => ({ runs: v.runs, steps: cpuArray(v.steps) })),
      disturbances: c.disturbances,
      unmodelled: c.unmodelled,
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
