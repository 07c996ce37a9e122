/**
 * tlbsim's prediction for a measured workload: the same workload on the x86 model of the host,
 * cut into its top-level operations (the phases the native helper brackets with markers).
 */
import { Machine, type TraceEvent } from '@tlbsim/core';
import { x86 } from '@tlbsim/arch-x86';
import { UsageError } from '../errors.js';
import { findWorkload, resolveParams, type Params } from '../workloads/index.js';
import type { HostFacts } from './host.js';
import { flushStep, push, recvStep, sendStep, type CpuSteps } from './sequence.js';

/** The compare workloads that have a native equivalent in the helper. */
export const MEASURABLE = ['munmap', 'madvise-dontneed', 'madvise-free', 'mprotect', 'mremap', 'exit'] as const;

export interface PhaseModel {
  /** the operation, numbered from its second occurrence in an iteration: `exit`, `exit#2` */
  name: string;
  steps: CpuSteps;
}

export interface Prediction {
  label: string;
  phases: PhaseModel[];
  /** the raw events of the measured (last) iteration */
  events: TraceEvent[];
}

/** The workload's parameters as `compare` takes them, checked against what can be measured. */
export function measureParams(name: string, sets: readonly string[], hostCpus: number | undefined): Params {
  if (!(MEASURABLE as readonly string[]).includes(name)) {
    findWorkload(name); // an unknown name: the usual message with suggestions
    throw new UsageError(`workload ${name} has no native equivalent to measure; measurable workloads: ${MEASURABLE.join(', ')}`);
  }
  if (sets.some((s) => /^\s*iterations\s*=/.test(s))) throw new UsageError('measure: give the repetitions as --iterations N, not --set iterations=N');
  const p = resolveParams(findWorkload(name), sets);
  if (hostCpus !== undefined && (p.cpus as number) > hostCpus) {
    throw new UsageError(`measure: cpus=${p.cpus} is more than this machine's ${hostCpus} CPUs (one thread per CPU)`);
  }
  if (name === 'exit' && (p.threads as number) !== (p.cpus as number)) {
    throw new UsageError('measure: the exit workload is measured with threads=cpus (the helper runs one thread per CPU)');
  }
  return p;
}

/** Name repeated operations of one iteration `op`, `op#2`, `op#3`... */
export function numberOps(ops: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ops.map((o) => {
    const n = (seen.get(o) ?? 0) + 1;
    seen.set(o, n);
    return n === 1 ? o : `${o}#${n}`;
  });
}

/** The steps of a slice of tlbsim's events. */
export function stepsOf(events: readonly TraceEvent[]): CpuSteps {
  const s: CpuSteps = {};
  for (const e of events) {
    if (e.name === 'tlb_flush' && e.cat === 'tlb' && e.args) push(s, e.cpu, flushStep(Number(e.args.reason), Number(e.args.pages)));
    else if (e.name === 'ipi_send' && e.cat === 'ipi' && e.args) push(s, e.cpu, sendStep(e.args.targets as number[]));
    else if (e.cat === 'ipi' && e.flowIn !== undefined) push(s, e.cpu, recvStep(e.name));
  }
  return s;
}

interface OpSpan {
  name: string;
  from: number;
  to: number;
}

function run(workload: string, params: Params, facts: HostFacts, iterations: number): { m: Machine; ops: OpSpan[] } {
  const arch = x86(facts.options);
  const m = new Machine({ arch, cpus: params.cpus as number, trace: true, checker: true });
  const ops: OpSpan[] = [];
  const inner = m.op.bind(m);
  let depth = 0;
  // record where each top-level operation's events start and end
  m.op = <T>(name: string, cpu: number, fn: () => T): T => {
    const from = m.events.length;
    depth++;
    try {
      return inner(name, cpu, fn);
    } finally {
      depth--;
      if (depth === 0) ops.push({ name, from, to: m.events.length });
    }
  };
  findWorkload(workload).run(m, { ...params, iterations });
  return { m, ops };
}

/**
 * The iteration whose prediction is compared: the kernel's majority is its steady state, which a
 * first iteration or two may not show yet (a sleeping peer's CPU leaves mm_cpumask only at the
 * second flush that reaches it).
 */
export const STEADY_ITERATION = 4;

/**
 * Run the workload STEADY_ITERATION-1 and STEADY_ITERATION times: the operations the longer run
 * adds are one steady-state iteration (the one-time setup, such as the neighbour mapping, stays
 * out).
 */
export function predict(workload: string, params: Params, facts: HostFacts): Prediction {
  const one = run(workload, params, facts, STEADY_ITERATION - 1);
  const two = run(workload, params, facts, STEADY_ITERATION);
  const per = two.ops.length - one.ops.length;
  const last = two.ops.slice(two.ops.length - per);
  const names = numberOps(last.map((o) => o.name));
  const phases = last.map((o, i) => ({ name: names[i], steps: stepsOf(two.m.events.slice(o.from, o.to)) }));
  const events = last.length ? two.m.events.slice(last[0].from, last[last.length - 1].to) : [];
  return { label: two.m.arch.label, phases, events };
}
