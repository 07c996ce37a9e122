/**
 * The messages between the page and the simulator's Web Worker. The worker answers one request
 * with one `result` message per architecture as each finishes (the page shows the first columns
 * while the others run), then `done`; a bad input is one `error` with the CLI's message.
 */
import type { TraceEvent } from '@tlbsim/core';

export interface RunRequest {
  id: number;
  /** a built-in workload with `--set` style parameters, or a scenario's YAML text */
  job: { kind: 'workload'; workload: string; sets: string[] } | { kind: 'scenario'; yaml: string };
  /** `--arch` specs: `x86`, `arm64:tlbiRange=on` */
  arches: string[];
  /** `--kernel`: a release, or '' for each backend's default */
  kernel: string;
  /** the timeline keeps at most this many events per architecture (the rest are counted) */
  eventLimit: number;
}

export interface MetricRow {
  key: string;
  value: number;
}

export interface ArchResult {
  id: number;
  type: 'result';
  variant: string;
  label: string;
  cpus: number;
  metrics: MetricRow[];
  /** what the checker found, in order */
  findings: { ts: number; cpu: number; hazard: string; message: string }[];
  events: TraceEvent[];
  /** events left out of the timeline beyond `eventLimit` */
  droppedEvents: number;
}

export type WorkerMessage =
  | ArchResult
  | { id: number; type: 'done'; ms: number }
  | { id: number; type: 'error'; message: string };
