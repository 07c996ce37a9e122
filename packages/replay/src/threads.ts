/**
 * The trace's threads and processes: which tid is which thread, which address space it uses, and
 * when threads and address spaces come and go (clone, execve, exit). What each of these does to
 * the simulated machine is the {@link ThreadSink}'s business: the first pass, which only counts
 * the threads, passes one that does nothing.
 */
import type { InputState } from './inputs.js';
import type { CallEvent, ExitEvent } from './strace-events.js';
import type { Decoded } from './syscall-args.js';
import type { Tally } from './tally.js';

export type CloneCall = Decoded & { op: 'clone' };

/** An address space of the trace; `mm` is the sink's (the simulated Mm). */
export interface TracedProcess<P> {
  mm: P;
  /** current program break (trace address), once known */
  brk: number | null;
  users: number;
  /** created at first sight of a process, still empty: an execve reuses it */
  placeholder: boolean;
}

/** A thread of the trace; `thread` is the sink's (the simulated Thread). */
export interface TracedThread<P, T> {
  tid: number;
  tgid: number;
  proc: TracedProcess<P>;
  thread: T;
}

/** What the arrival and departure of threads and address spaces does to the model. */
export interface ThreadSink<P, T> {
  /** an address space for a new process */
  newMm(name: string): P;
  /** it maps nothing (a placeholder an execve may reuse) */
  isEmpty(mm: P): boolean;
  /** a thread `tid` of `proc` starts (proc.users already counts it) */
  startThread(tid: number, proc: TracedProcess<P>): T;
  /** `parent` forks: the child's address space */
  fork(parent: TracedThread<P, T>, name: string): P;
  /** `parent` forks a child the trace does not follow: its address space is dropped at once */
  forkUntraced(parent: TracedThread<P, T>, name: string): void;
  /** the thread ends; `last`: it was the last user of its address space */
  exitThread(rec: TracedThread<P, T>, last: boolean): void;
  /** the thread has left the table (rec.proc.users no longer counts it) */
  threadGone(rec: TracedThread<P, T>): void;
  /** the thread execs into `mm`: its new thread (`last`: it was the last user of the old mm) */
  exec(rec: TracedThread<P, T>, mm: P, last: boolean): T;
  /** an execve of a process first seen empty gets a new mm too (the default reuses the empty one) */
  readonly replacesPlaceholders?: boolean;
}

/** The threads alive in the trace, and the clones that will create the next ones. */
export class ThreadTable<P, T> {
  readonly threads = new Map<number, TracedThread<P, T>>();
  /** most threads alive at once */
  maxLive = 0;
  /** address spaces created */
  processes = 0;
  /** parent tid -> its clone that has not returned yet (and the child the heuristic gave it) */
  private readonly pendingClones = new Map<number, { d: CloneCall; child?: number }>();
  /** child tid -> the clone that will return it, seen at the head of another input (strace -ff) */
  private readonly announcedClones = new Map<number, { parent: number; d: CloneCall }>();

  constructor(private readonly sink: ThreadSink<P, T>, private readonly tally: Tally) {}

  get(tid: number): TracedThread<P, T> | undefined {
    return this.threads.get(tid);
  }

  /** The thread of a line; a tid seen for the first time is a clone child or a new process. */
  threadOf(tid: number, create: boolean): TracedThread<P, T> | undefined {
    const r = this.threads.get(tid);
    if (r || !create) return r;
    const ac = this.announcedClones.get(tid);
    const aparent = ac && this.threads.get(ac.parent);
    if (ac && aparent) {
      this.announcedClones.delete(tid);
      return this.spawn(aparent, ac.d, tid);
    }
    for (const [ptid, pc] of this.pendingClones) {
      const parent = this.threads.get(ptid);
      if (pc.child === undefined && parent) {
        // the child runs before its parent's clone returns: strace prints it first
        pc.child = tid;
        return this.spawn(parent, pc.d, tid);
      }
    }
    return this.place(tid, tid, this.newProcess(`pid ${tid}`, true));
  }

  /** A clone announced at the head of another input: its child's file may start first. */
  announceClone(parent: number, child: number, d: CloneCall): void {
    this.announcedClones.set(child, { parent, d });
  }

  /** `<unfinished ...>` of a clone: a new tid may be its child before the clone returns. */
  cloneStarted(tid: number, d: CloneCall): void {
    if (this.threads.has(tid)) this.pendingClones.set(tid, { d });
  }

  /** The clone a resumed clone line completes (its arguments, when its line had none). */
  takePendingClone(tid: number): { d: CloneCall } | undefined {
    const pc = this.pendingClones.get(tid);
    this.pendingClones.delete(tid);
    return pc;
  }

  /** A clone returned `child` to `rec`. */
  cloned(ev: CallEvent, rec: TracedThread<P, T>, d: CloneCall, input: InputState): void {
    const child = ev.result.value!;
    if (!(child > 0)) return;
    this.announcedClones.delete(child);
    if (input.filePid === undefined && !input.parser.sawPid) {
      // strace without -f: the child's lines are not in the trace
      if (d.vm) {
        this.tally.skip(ev.file, ev.line, `partly replayed: ${d.thread ? 'thread' : 'child'} ${child} is not traced (strace without -f) and is not created`);
        return;
      }
      this.processes++;
      this.sink.forkUntraced(rec, `pid ${child}`);
      this.tally.skip(ev.file, ev.line, `partly replayed: child ${child} is not traced (strace without -f): forked, and its mm dropped at once`);
      return;
    }
    if (this.threads.has(child)) return; // created when its first line came before this one
    this.spawn(rec, d, child);
  }

  /** `+++ exited +++`, `+++ killed +++` or `+++ superseded by execve +++`. */
  exitLine(ev: ExitEvent): void {
    const rec = this.threads.get(ev.tid);
    if (!rec) return;
    if (ev.how === 'superseded') {
      const to = ev.newTid!;
      if (to !== ev.tid) {
        const leader = this.threads.get(to);
        if (leader) this.exit(leader);
        this.threads.delete(ev.tid);
        rec.tid = to;
        this.threads.set(to, rec);
      }
      return;
    }
    this.exit(rec);
  }

  /** A thread ends; the last user of its mm tears the mm down. */
  exit(rec: TracedThread<P, T>): void {
    this.sink.exitThread(rec, rec.proc.users === 1);
    this.remove(rec);
  }

  /** execve: the other threads of the group end, the caller gets a new address space. */
  execve(rec: TracedThread<P, T>, name: string): void {
    for (const o of [...this.threads.values()]) if (o !== rec && o.tgid === rec.tgid) this.exit(o);
    const old = rec.proc;
    if (old.placeholder && old.users === 1 && this.sink.isEmpty(old.mm) && !this.sink.replacesPlaceholders) {
      // the first execve of a process seen here for the first time: its empty mm is the new one
      old.placeholder = false;
      old.brk = null;
      return;
    }
    const proc = this.newProcess(name, false);
    rec.thread = this.sink.exec(rec, proc.mm, old.users === 1);
    old.users--;
    proc.users++;
    rec.proc = proc;
  }

  private newProcess(name: string, placeholder: boolean): TracedProcess<P> {
    this.processes++;
    return { mm: this.sink.newMm(name), brk: null, users: 0, placeholder };
  }

  private place(tid: number, tgid: number, proc: TracedProcess<P>): TracedThread<P, T> {
    proc.users++;
    const rec: TracedThread<P, T> = { tid, tgid, proc, thread: this.sink.startThread(tid, proc) };
    this.threads.set(tid, rec);
    if (this.threads.size > this.maxLive) this.maxLive = this.threads.size;
    return rec;
  }

  private spawn(parent: TracedThread<P, T>, d: CloneCall, tid: number): TracedThread<P, T> {
    const tgid = d.thread ? parent.tgid : tid;
    if (d.vm) return this.place(tid, tgid, parent.proc);
    this.processes++;
    const proc: TracedProcess<P> = { mm: this.sink.fork(parent, `pid ${tid}`), brk: parent.proc.brk, users: 0, placeholder: false };
    return this.place(tid, tgid, proc);
  }

  private remove(rec: TracedThread<P, T>): void {
    this.threads.delete(rec.tid);
    this.pendingClones.delete(rec.tid);
    rec.proc.users--;
    this.sink.threadGone(rec);
  }
}
