import { alignDown, type Machine, type Mm, type OpResult, type Thread } from '@tlbsim/core';
import { UsageError } from '../errors.js';

/** An mm operation that a workload expects to succeed; a failure is reported, not hidden. */
export function must<T extends OpResult>(m: Machine, what: string, r: T): T {
  if (!r.ok) throw new UsageError(`the workload cannot run on ${m.arch.name}: ${what} failed (${r.errno}: ${r.message})`);
  return r;
}

/** Run `fn` as one top-level operation on `cpu` (RCU may progress afterwards). */
export function op<T extends OpResult>(m: Machine, name: string, cpu: number, fn: () => T): T {
  return must(m, name, m.op(name, cpu, fn));
}

/** Make `t` the running thread of its CPU, putting whatever runs there to sleep first. */
export function schedule(m: Machine, t: Thread, cpu = t.cpu): void {
  const c = m.cpus[cpu];
  if (c.curr === t && t.state === 'running') return;
  m.op('schedule', cpu, () => {
    if (c.curr && c.curr !== t && c.curr.state === 'running') m.sleep(c.curr);
    m.run(t, cpu);
  });
}

/** Add a thread that runs user code on `cpu` now (whatever ran there goes to sleep). */
export function spawnRunning(m: Machine, mm: Mm | null, name: string, cpu: number): Thread {
  const c = m.cpus[cpu];
  if (c.curr && c.curr.state === 'running') m.sleep(c.curr);
  return m.addThread(mm, name, cpu, 'running');
}

export const pageSize = (m: Machine) => 2 ** m.geometry.pageShift;
/** the span one PTE table maps (2 MiB with 4 KiB pages) */
export const pmdSpan = (m: Machine) => 2 ** m.geometry.levels[1].shift;
/** top of the mmap area, where the kernel's top-down search starts (as core's mmap computes it) */
export const mmapTop = (m: Machine) => alignDown(Math.min(m.geometry.taskSize, 2 ** 47) - 2 ** 32, pmdSpan(m));
