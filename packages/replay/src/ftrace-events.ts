/**
 * A kernel recording (ftrace text, as /sys/kernel/tracing/trace or trace_pipe prints it: tlbsim
 * record's, or one made by hand with the same events) as the replay's events: a system call when
 * its sys_exit event comes (with its sys_enter arguments), a clone's start as soon as the new
 * task exists (task_newtask, whose flags clone3's tracepoint lacks), page faults, context
 * switches and thread exits (sched_process_exit). The kernel's own flushes and IPIs (tlb_flush,
 * ipi, csd) are never events of the replay: they are only counted for the comparison.
 *
 * State: the unfinished call of each live thread, each CPU's open flush: bounded by the threads.
 */
import { parseLine, type FtraceEvent } from '@tlbsim/tracefs';
import { cloneFlags, enterFields, signedHex, straceArgs } from './ftrace-args.js';
import { EXIT, FlushCounter, OTHER, PAGE_FAULT } from './kernel-flushes.js';
import type { StraceEvent } from './strace-events.js';
import type { StraceResult } from './strace-line.js';

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h) */
const X86_PF_PROT = 1;
const X86_PF_WRITE = 2;
const X86_PF_INSTR = 0x10;
/** the x86-64 user half ends here (TASK_SIZE_MAX with 5-level paging is below it too) */
const USER_TOP = 2 ** 47 * 512;

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 8: 'ENOEXEC', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT',
  16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 38: 'ENOSYS', 95: 'EOPNOTSUPP',
};

/** The calls replay reads (the others are counted as system calls and not applied). */
const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** A recording's first line says what it is: the trace header, or an event line. */
export function looksLikeFtrace(line: string): boolean {
  return line.startsWith('# tracer:') || parseLine(line) !== undefined;
}

export interface FtraceOptions {
  /** replay only the tree of processes rooted at this pid (default: tlbsim record's root, else every task) */
  pid?: number;
}

function result(ret: string): StraceResult {
  const v = signedHex(ret);
  if (v < 0 && v >= -4095) return { value: -1, errno: ERRNO[-v] ?? `E${-v}`, unknown: false, raw: `-1 ${ERRNO[-v] ?? `E${-v}`}` };
  return { value: v, unknown: false, raw: ret };
}

export class FtraceReader {
  lines = 0;
  /** every event carries its task's pid */
  readonly sawPid = true;
  /** CPUs of the recording (the header's `#P:`, else the highest CPU seen + 1) */
  cpus = 0;
  /** the root of the replayed tree, when there is one */
  root: number | undefined;
  /** page faults were recorded (no touch assumption needed) */
  faults = 0;
  /** events the ring buffer lost (`[LOST N EVENTS]`) */
  lost = 0;
  /** the kernel's flushes and flush IPIs of the replayed tasks, for the comparison only */
  readonly recorded = new FlushCounter();
  /** the recording shows flushes at all (x86 tlb:tlb_flush) */
  hasFlushEvents = false;
  private headerCpus = 0;
  private tree: Set<number> | null;
  /** tid -> its system call in progress */
  private readonly enters = new Map<number, { name: string; args: string; line: number; ts: number }>();
  /** tid -> the clone flags task_newtask gave for its clone in progress */
  private readonly cloneArgs = new Map<number, string>();
  /** tid -> the program its execve in progress loads */
  private readonly execs = new Map<number, string>();
  /** tid -> what it is doing, for counting the kernel's flushes */
  private readonly doing = new Map<number, string>();
  private csdQueue = false;

  constructor(readonly file: string, private readonly opts: FtraceOptions = {}) {
    this.root = opts.pid;
    this.tree = opts.pid !== undefined ? new Set([opts.pid]) : null;
  }

  /** Nothing is kept about a task that is gone (bounded state however many tasks come and go). */
  private forget(pid: number): void {
    this.doing.delete(pid);
    this.enters.delete(pid);
    this.cloneArgs.delete(pid);
    this.execs.delete(pid);
    if (pid !== this.root) this.tree?.delete(pid);
  }

  /** tasks the reader keeps state about (for tests: bounded by the live ones) */
  get tracked(): number {
    return Math.max(this.doing.size, this.enters.size, this.tree?.size ?? 0);
  }

  private ours(pid: number): boolean {
    return this.tree === null ? pid !== 0 : this.tree.has(pid);
  }

  private header(text: string): void {
    const p = /#P:(\d+)/.exec(text);
    if (p) this.headerCpus = Number(p[1]);
    const r = /^# tlbsim record: root=(\d+)/.exec(text);
    if (r && this.opts.pid === undefined && this.tree === null) {
      this.root = Number(r[1]);
      this.tree = new Set([this.root]);
    }
  }

  /** Parse the next line (numbered from 1). */
  push(text: string): StraceEvent {
    const n = ++this.lines;
    const noise = (reason: string): StraceEvent => ({ file: this.file, line: n, tid: 0, kind: 'noise', reason });
    if (text.startsWith('#')) {
      this.header(text);
      return noise('comment');
    }
    const e = parseLine(text, n);
    if (!e) {
      const lost = /^CPU:\d+ \[LOST (\d+) EVENTS\]/.exec(text.trim());
      if (lost) {
        this.lost += Number(lost[1]);
        return noise('lost events');
      }
      if (text.trim() === '') return noise('blank');
      return { file: this.file, line: n, tid: 0, kind: 'error', reason: 'not an ftrace event line' };
    }
    if (e.cpu + 1 > this.cpus) this.cpus = e.cpu + 1;
    if (this.headerCpus > this.cpus) this.cpus = this.headerCpus;
    return this.event(e, n) ?? noise(e.event);
  }

  private event(e: FtraceEvent, n: number): StraceEvent | undefined {
    const d = e.data;
    const file = this.file;
    const ts = e.tsUs;
    const cpu = e.cpu;
    if (d.kind === 'sched_switch') {
      if (this.ours(d.prevPid)) {
        this.recorded.close(cpu);
        // a dead task's last switch (its exit_mm is done): what was kept about it goes
        if (d.prevState[0] === 'X' || d.prevState[0] === 'Z') this.forget(d.prevPid);
      }
      return { file, line: n, tid: d.prevPid, ts, kind: 'switch', cpu, prevState: d.prevState, nextTid: d.nextPid, nextComm: d.nextComm };
    }
    const base = { file, line: n, tid: e.pid, ts, cpu };
    if (!this.ours(e.pid)) return undefined;
    switch (d.kind) {
      case 'sys_enter': {
        this.recorded.close(e.cpu);
        const name = d.name;
        if (name === 'exit' || name === 'exit_group') {
          this.doing.set(e.pid, EXIT);
          return undefined;
        }
        const args = straceArgs(name, enterFields(`(${d.args})`));
        this.enters.set(e.pid, { name, args: args ?? '', line: n, ts: e.tsUs });
        this.doing.set(e.pid, name);
        this.cloneArgs.delete(e.pid);
        // the new task may run before the clone returns: announce the clone now (clone3's flags
        // are not in its tracepoint: a thread until task_newtask says otherwise)
        if (CLONES.has(name)) return { ...base, kind: 'start', name, args: name === 'clone3' ? cloneFlags(0x10100) : args ?? '' };
        return undefined;
      }
      case 'sys_exit': {
        this.recorded.close(e.cpu);
        const st = this.enters.get(e.pid);
        // a new task's return from clone, or a call the recording started inside
        if (!st || st.name !== d.name) return undefined;
        this.enters.delete(e.pid);
        this.doing.delete(e.pid);
        let args = st.args;
        if (CLONES.has(st.name)) args = this.cloneArgs.get(e.pid) ?? args;
        if (st.name === 'execve' || st.name === 'execveat') args = `"${this.execs.get(e.pid) ?? 'exec'}"`;
        this.cloneArgs.delete(e.pid);
        this.execs.delete(e.pid);
        return { ...base, line: st.line, ts: st.ts, kind: 'call', endLine: n, name: st.name, args, result: result(d.ret) };
      }
      case 'task_newtask': {
        this.tree?.add(d.pid);
        const flags = cloneFlags(d.cloneFlags);
        this.cloneArgs.set(e.pid, flags);
        const st = this.enters.get(e.pid);
        return { ...base, kind: 'start', name: st?.name ?? 'clone', args: flags };
      }
      case 'sched_process_fork':
        this.tree?.add(d.childPid);
        return undefined;
      case 'sched_process_exec': {
        if (d.oldPid !== d.pid) {
          // a thread other than the leader exec'd: it now has the leader's id
          const st = this.enters.get(d.oldPid);
          this.enters.delete(d.oldPid);
          if (st) this.enters.set(d.pid, st);
          this.tree?.add(d.pid);
          this.execs.set(d.pid, d.filename);
          return { ...base, tid: d.oldPid, kind: 'exit', how: 'superseded', newTid: d.pid };
        }
        this.execs.set(e.pid, d.filename);
        return undefined;
      }
      case 'sched_process_exit':
        this.recorded.close(e.cpu);
        this.doing.set(e.pid, EXIT);
        this.enters.delete(e.pid);
        return { ...base, tid: d.pid, kind: 'exit', how: 'exited' };
      case 'page_fault':
        // a kernel-mode fault on a kernel address is no fault of the program's memory
        if (!d.user && d.address >= USER_TOP) return undefined;
        this.recorded.close(e.cpu);
        this.faults++;
        if (!this.enters.has(e.pid)) this.doing.set(e.pid, PAGE_FAULT);
        return {
          file, line: n, tid: e.pid, ts, cpu, kind: 'fault', addr: d.address,
          write: (d.errorCode & X86_PF_WRITE) !== 0, present: (d.errorCode & X86_PF_PROT) !== 0, exec: (d.errorCode & X86_PF_INSTR) !== 0,
        };
      case 'tlb_flush':
        this.hasFlushEvents = true;
        this.recorded.tlbFlush(e.cpu, d.reason, this.doing.get(e.pid) ?? OTHER);
        return undefined;
      case 'csd_queue_cpu':
        if (/^flush_tlb_func/.test(d.func)) {
          this.csdQueue = true;
          this.recorded.ipis(e.cpu, 1, this.doing.get(e.pid) ?? OTHER);
        }
        return undefined;
      case 'ipi_send':
        // without csd_queue_cpu: the IPIs of an open flush_tlb_multi
        if (!this.csdQueue && this.recorded.isOpen(e.cpu) && /call_function/.test(d.callback)) this.recorded.ipis(e.cpu, d.targets.length, OTHER);
        return undefined;
      default:
        return undefined;
    }
  }

}
