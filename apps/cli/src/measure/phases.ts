/**
 * Cut a kernel trace into the helper's phases (one per operation per iteration) and turn each
 * into steps per CPU, keeping what the helper's threads did and the IPIs they caused, and
 * noting what other tasks did to the measurement.
 */
import type { FtraceEvent, ParsedTrace } from '@tlbsim/tracefs';
import { numberOps } from './predict.js';
import { flushStep, push, recvStep, sendStep, type CpuSteps } from './sequence.js';

export const MARKER = /^tlbsim-measure it=(\d+) op=([\w-]+) (begin|end) tids=([\d,]*)$/;
/** a spinning thread showing itself on its CPU */
export const SPIN_MARKER = /^tlbsim-measure spin cpu=(\d+) tid=(\d+)$/;

export interface PhaseRun {
  iteration: number;
  /** numbered within the iteration: `exit`, `exit#2` */
  name: string;
  steps: CpuSteps;
  /** why this run does not show the workload alone (empty: undisturbed) */
  disturbed: string[];
  /** what the helper's threads did that the model does not represent (scheduler IPIs) */
  unmodelled: string[];
}

const TLB_REMOTE_SHOOTDOWN = 1;
const TLB_REMOTE_WRONG_CPU = 5;

interface Open {
  iteration: number;
  op: string;
  tids: Set<number>;
  startLine: number;
}

/** Was `prev` preempted (still runnable) rather than blocking or exiting? */
const preempted = (state: string) => state.startsWith('R');

/** The steps of one phase's window of events (those between its two markers). */
export function phaseSteps(window: readonly FtraceEvent[], tids: ReadonlySet<number>, cpus: number): Pick<PhaseRun, 'steps' | 'disturbed' | 'unmodelled'> {
  const steps: CpuSteps = {};
  const disturbed: string[] = [];
  const unmodelled: string[] = [];
  // IPIs our threads sent, per target CPU not yet received; the handler running on each CPU
  const pending = new Map<number, number>();
  const inHandler = new Map<number, boolean>();
  for (const e of window) {
    if (e.cpu >= cpus) continue;
    const ours = tids.has(e.pid);
    const d = e.data;
    switch (d.kind) {
      case 'ipi_send':
        if (!ours) break;
        // function-call IPIs only: a reschedule IPI (a wakeup) is the scheduler's, not modelled
        if (!/call_function|smp_call/.test(d.callback)) {
          unmodelled.push(`CPU${e.cpu}: scheduler IPI to CPU ${d.targets.join(',')} (${d.callsite.replace(/\+.*/, '')})`);
          break;
        }
        push(steps, e.cpu, sendStep(d.targets));
        for (const t of d.targets) pending.set(t, (pending.get(t) ?? 0) + 1);
        break;
      case 'csd_function_entry': {
        if (/^0+$/.test(d.csd)) break; // a local call: no IPI
        const n = pending.get(e.cpu) ?? 0;
        if (n > 0) {
          pending.set(e.cpu, n - 1);
          inHandler.set(e.cpu, true);
          push(steps, e.cpu, recvStep(d.func));
        } else {
          inHandler.set(e.cpu, false);
          disturbed.push(`CPU${e.cpu}: an IPI from another task ran ${d.func}`);
        }
        break;
      }
      case 'csd_function_exit':
        if (!/^0+$/.test(d.csd)) inHandler.delete(e.cpu);
        break;
      case 'tlb_flush': {
        const remote = d.reason === TLB_REMOTE_SHOOTDOWN || d.reason === TLB_REMOTE_WRONG_CPU;
        // a remote flush belongs to the IPI whose handler runs (ours or another task's)
        if (remote ? inHandler.get(e.cpu) === true : ours) push(steps, e.cpu, flushStep(d.reason, d.pages));
        break;
      }
      case 'sched_switch':
        if (tids.has(d.prevPid) && preempted(d.prevState)) {
          disturbed.push(`CPU${e.cpu}: ${d.prevComm}-${d.prevPid} preempted by ${d.nextComm}-${d.nextPid}`);
        } else if (tids.has(d.prevPid) && e.cpu !== 0 && d.nextPid !== 0 && !tids.has(d.nextPid)) {
          // a thread that blocks or exits leaves its CPU idle in the model (lazy TLB); another
          // process running there instead changes the IPIs (CPU0's next task is the helper's own)
          disturbed.push(`CPU${e.cpu}: ${d.nextComm}-${d.nextPid} ran after ${d.prevComm}-${d.prevPid} left (the model idles the CPU)`);
        }
        break;
      default:
        break;
    }
  }
  return { steps, disturbed, unmodelled };
}

/** Every phase run of a trace, in order. `cpus`: the CPUs the workload used (0..cpus-1). */
export function cutPhases(trace: ParsedTrace, cpus: number): PhaseRun[] {
  const ev = trace.events;
  const runs: PhaseRun[] = [];
  const perIteration = new Map<number, string[]>();
  let open: Open | undefined;
  // the task each CPU runs, and the spinning threads that should be running on theirs
  const current = new Map<number, { pid: number; comm: string }>();
  const spinners = new Map<number, number>();
  let offCpu: string[] = [];
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    if (e.data.kind === 'sched_switch') {
      const d = e.data;
      current.set(e.cpu, { pid: d.nextPid, comm: d.nextComm });
      // blocked or exited: no longer expected on its CPU
      if (spinners.has(d.prevPid) && !preempted(d.prevState)) spinners.delete(d.prevPid);
      continue;
    }
    if (e.data.kind !== 'print') continue;
    const sm = SPIN_MARKER.exec(e.data.text);
    if (sm) {
      spinners.set(Number(sm[2]), Number(sm[1]));
      current.set(e.cpu, { pid: e.pid, comm: e.comm });
      continue;
    }
    const m = MARKER.exec(e.data.text);
    if (!m) continue;
    const [, it, op, edge, tids] = m;
    if (edge === 'begin') {
      open = { iteration: Number(it), op, tids: new Set(tids.split(',').filter(Boolean).map(Number)), startLine: i };
      // a spinning peer that is not on its CPU as the operation starts changes what the kernel does
      offCpu = [];
      for (const [tid, cpu] of spinners) {
        const c = current.get(cpu);
        if (c && c.pid !== tid) offCpu.push(`CPU${cpu}: spinning thread ${tid} was off its CPU (${c.comm}-${c.pid} ran there)`);
      }
      continue;
    }
    if (!open || open.op !== op || open.iteration !== Number(it)) {
      open = undefined;
      continue;
    }
    const ops = perIteration.get(open.iteration) ?? [];
    ops.push(op);
    perIteration.set(open.iteration, ops);
    const window = ev.slice(open.startLine + 1, i);
    const { steps, disturbed, unmodelled } = phaseSteps(window, open.tids, cpus);
    disturbed.unshift(...offCpu);
    const first = ev[open.startLine].line;
    const lost = trace.lost.filter((l) => l.line > first && l.line < e.line);
    for (const l of lost) disturbed.push(`CPU${l.cpu}: ${l.count} events lost`);
    runs.push({ iteration: open.iteration, name: numberOps(ops).at(-1)!, steps, disturbed, unmodelled });
    open = undefined;
  }
  return runs;
}
