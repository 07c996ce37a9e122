/**
 * The machine model for a kernel recording: what the trace shows is what is modelled. Threads run
 * where and when sched_switch says (a CPU left to the idle task or a kernel thread stays lazy on
 * the mm it last ran, one switched to another program loads that program's mm), page faults are
 * replayed (no touch assumption), execve is the kernel's (a new mm, the old one dropped, the
 * stack moved: mm/exec.ts), and the model's own tlb_flush and IPI events are counted as the
 * recording's are, for the comparison. The recorded flushes themselves never reach the model.
 */
import { execve, type ExecStack, type Machine, type Mm, type Thread } from '@tlbsim/core';
import type { FtraceReader } from './ftrace-events.js';
import { FaultReplay } from './faults.js';
import { countModelEvent, EXIT, FlushCounter, OTHER, PAGE_FAULT } from './kernel-flushes.js';
import { MachineModel } from './machine-model.js';
import type { SimThread } from './machine-threads.js';
import type { ReplayOptions } from './options.js';
import type { FaultEvent, StraceEvent, SwitchEvent } from './strace-events.js';
import type { WaitForRelease } from './syscalls.js';
import type { Tally } from './tally.js';
import type { TracedProcess } from './threads.js';

/** Kernel threads by name (they borrow the mm last loaded: lazy TLB); other tasks are programs. */
const KERNEL_THREAD = /^(kworker|ksoftirqd|migration|rcu|kcompactd|khugepaged|kswapd|watchdog|cpuhp|idle_inject|irq\/|kthreadd|jbd2|scsi_|oom_reaper|kauditd|khungtaskd|kblockd|kdevtmpfs|ksmd|kstrp|ext4-|xfs|btrfs|nvme|loop\d|kvm|vhost|napi\/|psimon|pool_workqueue|swapper|writeback|kintegrity|md\d|dm[-_]|card\d|hwrng|ecryptfs|kthrotld|acpi_|zswap)/;

export function isKernelThread(comm: string): boolean {
  return KERNEL_THREAD.test(comm);
}

/** How far below STACK_TOP_MAX setup_arg_pages puts the stack (randomised in the kernel; a fixed 4 GiB here) */
function execStack(m: Machine): ExecStack {
  const ps = 2 ** m.geometry.pageShift;
  const top = m.geometry.taskSize;
  const shift = Math.min(2 ** 32, Math.floor(top / 4 / ps) * ps);
  return { stackTopMax: top, stackTop: top - shift, argPages: 1 };
}

export class RecordedModel extends MachineModel {
  /** the model's flushes and flush IPIs, counted as the recording's are */
  readonly predicted = new FlushCounter();
  readonly faults: FaultReplay;
  reader: FtraceReader | undefined;
  /** the CPU of the event being applied */
  private cpu: number | undefined;
  private kind = OTHER;
  private seen = 0;
  /** one mm for every other program the CPUs switch to, and a thread of it per CPU */
  private otherMm: Mm | null = null;
  private readonly others: (Thread | undefined)[] = [];

  constructor(m: Machine, private readonly ropts: ReplayOptions, tally: Tally, waitForRelease: WaitForRelease) {
    super(m, ropts, tally, waitForRelease);
    this.faults = new FaultReplay(m);
    m.tracing = true;
  }

  /** a new thread table entry replaces a first-sight placeholder mm at execve, as the kernel does */
  readonly replacesPlaceholders = true;

  recording(reader: FtraceReader): void {
    this.reader = reader;
  }

  private cpuOf(ev: StraceEvent): number | undefined {
    return ev.cpu === undefined ? undefined : ev.cpu % this.m.cpus.length;
  }

  override beforeEvent(ev?: StraceEvent): void {
    super.beforeEvent();
    if (!ev) return;
    this.cpu = this.cpuOf(ev);
    this.kind = ev.kind === 'call' ? ev.name : ev.kind === 'fault' ? PAGE_FAULT : ev.kind === 'exit' ? EXIT : OTHER;
    // page faults recorded: what was present is known, nothing is assumed
    if (this.reader && this.reader.faults > 0 && this.touch.rule !== 'none') this.touch.rule = 'none';
  }

  override afterEvent(ev: StraceEvent): void {
    super.afterEvent(ev);
    this.countEvents();
  }

  /** The model's tlb_flush and flush IPI events since the last call, counted for the comparison. */
  private countEvents(): void {
    const evs = this.m.events;
    for (let i = this.seen; i < evs.length; i++) {
      countModelEvent(this.predicted, evs[i], this.kind);
    }
    this.predicted.close();
    // kept only when asked for (--trace); otherwise dropped: memory stays bounded
    if (this.ropts.trace) this.seen = evs.length;
    else evs.length = 0;
  }

  /** Thread t runs on `cpu` now: whatever ran there is switched out first. */
  private place(t: Thread, cpu: number): void {
    if (t.state === 'exited' || (t.state === 'running' && t.cpu === cpu)) return;
    const m = this.m;
    if (t.state === 'running') m.sleep(t);
    const cur = m.cpus[cpu].curr;
    if (cur && cur !== t && cur.state === 'running') m.sleep(cur);
    m.run(t, cpu);
  }

  override onThread<R>(rec: SimThread, name: string, fn: (mm: Mm) => R): R {
    if (this.cpu !== undefined) this.place(rec.thread, this.cpu);
    return super.onThread(rec, name, fn);
  }

  override startThread(tid: number, proc: TracedProcess<Mm>): Thread {
    const m = this.m;
    const cpu = this.cpu ?? 0;
    return m.op('spawn', cpu, () => m.addThread(proc.mm, String(tid), cpu, 'sleeping'));
  }

  override exec(rec: SimThread, mm: Mm, last: boolean): Thread {
    const m = this.m;
    const old = rec.proc.mm;
    const cpu = this.cpu ?? rec.thread.cpu;
    this.place(rec.thread, cpu);
    m.op('execve', cpu, () => execve(m, rec.thread, mm, execStack(m)));
    if (last) this.zombies.add(old);
    return rec.thread;
  }

  pageFault(ev: FaultEvent, rec: SimThread): void {
    const tp = this.maps.tracePage;
    const sim = this.maps.of(rec.proc.mm).claim(ev.addr - (ev.addr % tp), tp);
    if (!sim) {
      this.faults.refused++;
      return;
    }
    this.onThread(rec, 'page fault', (mm) => this.faults.fault(mm, sim.start, ev));
  }

  schedSwitch(ev: SwitchEvent, prev: SimThread | undefined, next: SimThread | undefined): void {
    const m = this.m;
    const cpu = this.cpuOf(ev)!;
    const cur = m.cpus[cpu].curr;
    if (prev && prev.thread.state === 'running' && prev.thread.cpu === cpu) m.sleep(prev.thread);
    else if (cur && cur.state === 'running') m.sleep(cur);
    if (next) this.place(next.thread, cpu);
    else if (ev.nextTid !== 0 && !isKernelThread(ev.nextComm)) this.place(this.other(cpu), cpu);
    // the idle task or a kernel thread: the CPU stays lazy on what it had loaded
  }

  private other(cpu: number): Thread {
    const m = this.m;
    let t = this.others[cpu];
    if (!t) {
      this.otherMm ??= m.createMm('other programs');
      t = m.op('spawn', cpu, () => m.addThread(this.otherMm, `other@${cpu}`, cpu, 'sleeping'));
      this.others[cpu] = t;
    }
    return t;
  }
}
