/**
 * The trace's threads on the simulated machine: each traced thread is a machine thread that
 * keeps its CPU while alive (round-robin placement; more threads than CPUs share them), and an
 * address space nobody uses any more is dropped once nothing refers to it.
 */
import { exitThread, fork, exitMmap, mmdrop, type Machine, type Mm, type Thread } from '@tlbsim/core';
import type { AddressMaps } from './address-map.js';
import type { ThreadSink, TracedProcess, TracedThread } from './threads.js';
import type { TouchAssumption } from './touch.js';

export type SimThread = TracedThread<Mm, Thread>;

/** Round-robin CPU placement: a free CPU if there is one, otherwise the next one, shared. */
class CpuPlacement {
  private readonly load: Int32Array;
  private rr = 0;

  constructor(cpus: number) {
    this.load = new Int32Array(cpus);
  }

  /** A CPU for a new thread, and whether it is the only thread there. */
  take(): { cpu: number; alone: boolean } {
    const cpu = this.pick();
    const alone = this.load[cpu] === 0;
    this.load[cpu]++;
    return { cpu, alone };
  }

  release(cpu: number): void {
    this.load[cpu]--;
  }

  private pick(): number {
    const n = this.load.length;
    for (let k = 0; k < n; k++) {
      const c = (this.rr + k) % n;
      if (this.load[c] === 0) {
        this.rr = c + 1;
        return c;
      }
    }
    // more threads than CPUs: share, round-robin
    const c = this.rr % n;
    this.rr = c + 1;
    return c;
  }
}

export class MachineThreads implements ThreadSink<Mm, Thread> {
  private readonly placement: CpuPlacement;
  /** address spaces no traced thread uses, dropped once nothing refers to them */
  protected readonly zombies = new Set<Mm>();

  /** @param maps the trace's addresses on the machine, per address space */
  constructor(readonly m: Machine, protected readonly touch: TouchAssumption, readonly maps: AddressMaps<Mm>) {
    this.placement = new CpuPlacement(m.cpus.length);
  }

  /** Run fn as `rec` inside one operation on its CPU (switching it in if it shares the CPU). */
  onThread<R>(rec: SimThread, name: string, fn: (mm: Mm) => R): R {
    const m = this.m;
    const t = rec.thread;
    if (t.state !== 'running') {
      const cur = m.cpus[t.cpu].curr;
      if (cur && cur !== t && cur.state === 'running') m.sleep(cur);
      m.run(t, t.cpu);
    }
    return m.op(name, t.cpu, () => fn(rec.proc.mm));
  }

  newMm(name: string): Mm {
    return this.m.createMm(name);
  }

  isEmpty(mm: Mm): boolean {
    return mm.vmas.length === 0;
  }

  startThread(tid: number, proc: TracedProcess<Mm>): Thread {
    const m = this.m;
    const { cpu, alone } = this.placement.take();
    return m.op('spawn', cpu, () => m.addThread(proc.mm, String(tid), cpu, alone ? 'running' : 'sleeping'));
  }

  fork(parent: SimThread, name: string): Mm {
    return this.onThread(parent, 'fork', (pmm) => {
      this.touch.all(pmm);
      const cm = fork(this.m, pmm, name);
      this.maps.forked(pmm, cm);
      return cm;
    });
  }

  forkUntraced(parent: SimThread, name: string): void {
    this.onThread(parent, 'fork', (pmm) => {
      this.touch.all(pmm);
      const cm = fork(this.m, pmm, name);
      exitMmap(this.m, cm);
      this.zombies.add(cm);
    });
  }

  /** The thread ends; the last user of its mm tears the mm down (touching first, as assumed). */
  exitThread(rec: SimThread, last: boolean): void {
    this.onThread(rec, 'exit', (mm) => {
      if (last) this.touch.all(mm);
      exitThread(this.m, rec.thread);
    });
  }

  threadGone(rec: SimThread): void {
    const m = this.m;
    this.placement.release(rec.thread.cpu);
    const i = m.threads.indexOf(rec.thread);
    if (i >= 0) m.threads.splice(i, 1);
    if (rec.proc.users === 0) this.zombies.add(rec.proc.mm);
  }

  exec(rec: SimThread, mm: Mm, last: boolean): Thread {
    const m = this.m;
    const old = rec.proc.mm;
    this.onThread(rec, 'execve', (omm) => {
      if (last) this.touch.all(omm);
      exitThread(m, rec.thread);
    });
    const i = m.threads.indexOf(rec.thread);
    if (i >= 0) m.threads.splice(i, 1);
    const cpu = rec.thread.cpu;
    const t = m.op('execve', cpu, () => m.addThread(mm, String(rec.tid), cpu, 'running'));
    if (last) this.zombies.add(old);
    return t;
  }

  /** Drop address spaces nobody uses any more, once nothing refers to them (bounded memory). */
  protected collectZombies(): void {
    const m = this.m;
    for (const mm of this.zombies) {
      if (!mm.dead || mm.outstanding > 0 || mm.tlbFlushPending !== 0) continue;
      if (m.cpus.some((c) => c.loadedMm === mm)) continue;
      mmdrop(m, mm);
      this.maps.dropped(mm);
      this.zombies.delete(mm);
    }
  }
}
