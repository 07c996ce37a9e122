/**
 * The common language of a kernel trace and a tlbsim trace: per CPU, a list of steps.
 *   `TLB_REMOTE_SEND_IPI pages=8`  a tlb:tlb_flush (pages=all for TLB_FLUSH_ALL)
 *   `IPI -> 1,2`                   a function-call IPI sent to those CPUs
 *   `IPI <- flush_tlb_func`        the function an IPI ran on this CPU
 */
import { TLB_FLUSH_REASON_NAMES } from '@tlbsim/tracefs';

export type Step = string;
/** steps per CPU (CPUs without steps are left out) */
export type CpuSteps = Record<number, Step[]>;

export function flushStep(reason: number, pages: number): Step {
  return `${TLB_FLUSH_REASON_NAMES[reason] ?? `reason ${reason}`} pages=${pages === -1 ? 'all' : pages}`;
}
export const sendStep = (targets: readonly number[]): Step => `IPI -> ${targets.join(',')}`;
export const recvStep = (func: string): Step => `IPI <- ${func}`;

/** A stable text of all CPUs' steps, for comparing and counting sequences. */
export function signature(s: CpuSteps): string {
  return Object.keys(s)
    .map(Number)
    .sort((a, b) => a - b)
    .filter((c) => s[c].length)
    .map((c) => `${c}:${s[c].join(';')}`)
    .join('|');
}

export function push(s: CpuSteps, cpu: number, step: Step): void {
  (s[cpu] ??= []).push(step);
}
