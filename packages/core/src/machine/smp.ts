/**
 * Cross-CPU calls (kernel/smp.c): IPI delivery with its cost, trace and the IRQs-off rule, and
 * on_each_cpu_mask built on it.
 */
import type { IpiInfo, SendIpiOptions } from '../arch/contract.js';
import { gupFastEnd } from './gup-fast.js';
import type { Machine } from './machine.js';

/** Send an IPI running `handler` on each target; a target with IRQs off takes it when it re-enables them. */
export function sendIpi(m: Machine, targets: readonly number[], handler: (cpu: number) => void, opts: SendIpiOptions): void {
  if (targets.length === 0) return;
  const from = m.curCpu;
  const met = m.metrics;
  met.ipis += targets.length;
  if (opts.broadcast) met.ipiBroadcasts++;
  m.cost(m.arch.cost.ipiSend);
  const flow = m.tracing ? m.nextFlowId() : 0;
  if (m.tracing) m.trace({ cpu: from, name: 'ipi_send', cat: 'ipi', args: { kind: opts.kind, targets: [...targets], wait: opts.wait }, flowOut: flow });
  const to = targets.slice();
  m.note(() => `IPI ${opts.kind} -> CPUs ${to.join(',')}`);
  const info = { kind: opts.kind, from };
  for (const cpu of targets) {
    if (m.explore) m.explore.at('smp_call_function_many_cond:ipi-in-flight', { cpu });
    const c = m.cpus[cpu];
    if (c.irqsOff) {
      if (opts.wait) {
        // a synchronous sender spins until the target re-enables interrupts: the walker
        // running there completes first
        gupFastEnd(m, cpu);
        deliverIpi(m, cpu, info, flow, handler);
      } else c.pendingIpis.push(() => deliverIpi(m, cpu, info, flow, handler));
    } else deliverIpi(m, cpu, info, flow, handler);
  }
}

/** The IPI arrives on `cpu`: it runs the handler there (generic_smp_call_function_interrupt). */
function deliverIpi(m: Machine, cpu: number, info: IpiInfo, flow: number, handler: (cpu: number) => void): void {
  m.metrics.ipiReceived(cpu);
  m.cost(m.arch.cost.ipiPerTarget);
  m.hooks.onIpi(cpu, info);
  if (m.tracing) m.trace({ cpu, name: info.kind, cat: 'ipi', flowIn: flow });
  const saved = m.curCpu;
  m.curCpu = cpu;
  handler(cpu);
  m.curCpu = saved;
}

/** on_each_cpu_mask (smp_call_function_many_cond): remote IPIs first, then the local CPU if in mask */
export function onEachCpuMask(m: Machine, mask: readonly number[], fn: (cpu: number) => void, opts: SendIpiOptions): void {
  const self = m.curCpu;
  const others: number[] = [];
  let local = false;
  for (const c of mask) {
    if (c === self) local = true;
    else others.push(c);
  }
  sendIpi(m, others, fn, opts);
  if (local) fn(self);
}

/** The generic tlb_remove_table_sync_one(): waiting no-op IPI to all other online CPUs. */
export function syncAllCpus(m: Machine, kind = 'tlb_remove_table_smp_sync'): void {
  const others = m.cpus.filter((c) => c.id !== m.curCpu).map((c) => c.id);
  if (others.length === 0) return;
  sendIpi(m, others, () => {}, { kind, wait: true, broadcast: true });
}
