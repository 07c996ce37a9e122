/**
 * Record the kernel's side of a measurement with @tlbsim/tracefs's recorder (preflight, a private
 * tracing instance with the TLB, IPI, csd and scheduler events): the native helper runs between
 * tracing on and off.
 */
import { PreflightError, TracefsError, withRecording } from '@tlbsim/tracefs';
import { UsageError } from '../errors.js';
import type { Params } from '../workloads/index.js';
import { buildHelper, killChildren, runHelper } from './native.js';

export const EVENTS = [
  'tlb/tlb_flush',
  'ipi/ipi_send_cpu',
  'ipi/ipi_send_cpumask',
  'csd/csd_function_entry',
  'csd/csd_function_exit',
  'sched/sched_switch',
] as const;

export interface Recording {
  trace: string;
  /** `yes`, `no: REASON` or `off` (SCHED_FIFO for the worker and peers) */
  fifo: string;
  tids: number[];
  /** the helper's command line as run (for the saved measurement) */
  command: string[];
}

/** The helper's arguments for a workload (marker file first). */
export function helperArgs(marker: string, workload: string, p: Params, iterations: number, sched: Sched): string[] {
  const pages = workload === 'exit' ? p.rss : p.pages;
  const peer = workload === 'exit' ? 'spin' : p.peer;
  const aligned = workload === 'exit' ? false : p.aligned;
  return [marker, workload, String(pages), String(peer), aligned ? '1' : '0', String(iterations), String(p.cpus), sched];
}

/** fifo: SCHED_FIFO for the helper's threads when permitted; other: never (to see disturbance) */
export const SCHEDS = ['fifo', 'other'] as const;
export type Sched = (typeof SCHEDS)[number];

export async function record(workload: string, p: Params, iterations: number, sched: Sched, version: string): Promise<Recording> {
  try {
    // the helper holds the instance's trace_marker open: it goes first on an early close
    return await withRecording({ events: EVENTS, arch: 'x64', bufferSizeKb: 8192, clock: 'mono', beforeClose: killChildren }, async (s) => {
      const bin = await buildHelper(version);
      const args = helperArgs(s.path('trace_marker'), workload, p, iterations, sched);
      const run = await runHelper(bin, args, () => s.start());
      s.stop();
      return { trace: s.read(), fifo: run.fifo, tids: run.tids, command: [bin, ...args] };
    });
  } catch (e) {
    if (e instanceof PreflightError) throw new UsageError(`measure: cannot measure: ${e.message}`);
    if (e instanceof TracefsError) throw new UsageError(`measure: ${e.message}`);
    throw e;
  }
}
