/**
 * One event of a run's stream. `ts` is the simulated clock in nanoseconds.
 * `flow` pairs an IPI send (`flowOut`) with each handler run (`flowIn`) for Perfetto arrows.
 */
export interface TraceEvent {
  ts: number;
  cpu: number;
  /** e.g. `tlb_flush`, `ipi_send`, `flush_tlb_func`, `tlbi`, `gather_flush`, `violation` */
  name: string;
  cat: string;
  /** duration in ns for slices; absent for instants */
  dur?: number;
  args?: Record<string, unknown>;
  flowOut?: number;
  flowIn?: number;
  /** the top-level operation that caused it (its label: a scenario's `ops[3].munmap`, a workload's `munmap`) */
  op?: string;
  /** the simulated task running on `cpu` when it happened, as ftrace names it (`t0-1000`) */
  task?: string;
}

/** Takes each trace event as it happens (MachineOptions.traceSink): a trace streamed, not kept. */
export type TraceSink = (ev: TraceEvent) => void;

/** The kernel's `enum tlb_flush_reason` (include/linux/mm_types.h) and its print strings. */
export const TLB_FLUSH_REASONS = [
  'flush on task switch',
  'remote shootdown',
  'local shootdown',
  'local MM shootdown',
  'remote IPI send',
  'remote wrong CPU',
] as const;
export const TlbFlushReason = {
  TaskSwitch: 0,
  RemoteShootdown: 1,
  LocalShootdown: 2,
  LocalMmShootdown: 3,
  RemoteSendIpi: 4,
  RemoteWrongCpu: 5,
} as const;
export type TlbFlushReason = (typeof TlbFlushReason)[keyof typeof TlbFlushReason];
/** TLB_FLUSH_ALL printed as a signed long */
export const TLB_FLUSH_ALL_PAGES = -1;
