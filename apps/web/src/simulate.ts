/**
 * One comparison, as `tlbsim compare` runs it: the CLI's own argument checks, workloads, engine
 * and metric rows, so the numbers on the page are the CLI's numbers. Runs in the Web Worker (and
 * in Node for the tests: nothing here touches the DOM).
 */
import { formatRelease, parseRelease, parseScenario, type TraceEvent } from '@tlbsim/core';
import { parseArchSpecs, type ArchVariant } from '../../cli/src/arches.js';
import { runJob, type Job } from '../../cli/src/engine.js';
import { metricKeys, metricValue } from '../../cli/src/report-data.js';
import { findWorkload, resolveParams } from '../../cli/src/workloads/index.js';
import type { ArchResult, RunRequest } from './protocol.js';

/** The job and architecture variants of a request; throws the CLI's error for a bad input. */
export function prepare(req: RunRequest): { job: Job; variants: ArchVariant[] } {
  // the kernel is the machine's, as --kernel sets it: core, every backend and hugetlb model it
  const kernel = req.kernel ? release(req.kernel) : undefined;
  const variants = parseArchSpecs(req.arches.length ? req.arches : ['all']).map((v) => (kernel ? { ...v, kernel } : v));
  if (req.job.kind === 'scenario') return { job: { kind: 'scenario', scenario: parseScenario(req.job.yaml, 'scenario.yaml'), source: 'scenario.yaml' }, variants };
  const w = findWorkload(req.job.workload);
  return { job: { kind: 'workload', workload: w.name, params: resolveParams(w, req.job.sets) }, variants };
}

/** a release as --kernel normalises it (`v6.1` is `6.1`); a mistake says which, as the CLI does */
function release(text: string): string {
  try {
    return formatRelease(parseRelease(text));
  } catch (e) {
    throw new Error(`kernel ${text}: ${(e as Error).message}`);
  }
}

/** Run one architecture variant with the trace on; the timeline keeps the first `limit` events. */
export function simulate(id: number, job: Job, v: ArchVariant, limit: number): ArchResult {
  const run = runJob(job, v, { trace: true });
  const r = run.result;
  const all: TraceEvent[] = r.events ?? [];
  const events = all.slice(0, limit);
  return {
    id,
    type: 'result',
    variant: v.id,
    label: r.arch,
    cpus: run.nrCpus,
    metrics: metricKeys([r]).flatMap((key) => {
      const value = metricValue(r, key);
      return value === undefined ? [] : [{ key, value }];
    }),
    findings: all
      .filter((e) => e.name === 'violation')
      .map((e) => ({ ts: e.ts, cpu: e.cpu, hazard: String(e.args?.hazard), message: String(e.args?.what) })),
    events,
    droppedEvents: all.length - events.length,
  };
}
