import type { ArchBackend } from '../arch/contract.js';
import { Machine, MAX_CPUS, type BugOptions } from '../machine/machine.js';
import type { Thread } from '../machine/cpu.js';
import type { Mm, SimFile, Vma } from '../machine/mm.js';
import { PTE_LEAF, pteFrame } from '../machine/pte.js';
import { mmap } from '../mm/mmap.js';
import { touch } from '../mm/fault.js';
import { munmap } from '../mm/munmap.js';
import { madvise } from '../mm/madvise.js';
import { mprotect } from '../mm/mprotect.js';
import { movePageTables, mremap } from '../mm/mremap.js';
import { fork } from '../mm/fork.js';
import { exitMmap, exitThread } from '../mm/exit.js';
import { entrySize, walkToTable } from '../mm/pgtable.js';
import { flushTlbBatchedPending } from '../mm/reclaim.js';
import type { OpResult } from '../mm/errors.js';
import { collect, type RunResult } from '../scenario/run.js';
import { AddressMap, type SimRange } from './addr.js';
import {
  StraceParser, callText, decodeCall, execName, isCloneName, madviseIgnoredReason, pidFromFileName,
  type CallEvent, type Decoded, type StraceEvent,
} from './strace.js';

/** Which pages the replay assumes the program touched (strace shows no page faults). */
export type TouchRule = 'all' | 'none' | 'written';

export type LineSource = Iterable<string> | AsyncIterable<string>;

/** One strace output file (or stream). */
export interface ReplayInput {
  /** shown in reports; for `strace -ff` files `NAME.PID` the pid of lines without a pid column */
  name: string;
  /**
   * The lines. When `cpus` is not given the input is read twice (a first pass counts the
   * concurrent threads): then pass something that can be iterated twice (an array, an object
   * whose [Symbol.asyncIterator] opens the file afresh) or a function returning a fresh iterable.
   */
  lines: LineSource | (() => LineSource);
}

export interface ReplayOptions {
  /** simulated CPUs (default: the most threads the trace has alive at once, at most 64) */
  cpus?: number;
  /** default 'all', see {@link ReplayResult.assumption} */
  touch?: TouchRule;
  /** an unparseable line is an error instead of a skipped line */
  strict?: boolean;
  /** record trace events (one `syscall` event per replayed call, plus the machine's own) */
  trace?: boolean;
  /** run the hazard checker (default on) */
  checker?: boolean;
  bugs?: BugOptions;
  /** called with the fresh machine (e.g. to install hugetlb support) */
  setup?: (m: Machine) => void;
  /** page size of the traced machine (default 4096) */
  tracePageSize?: number;
}

export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
}

/** What one trace line cost, for the top lists. */
export interface CallSite {
  file: string;
  line: number;
  /** `name(args) = result`, at most 120 characters */
  text: string;
  ipis: number;
  tlbInstructions: number;
  archFlushes: number;
}

export interface ReplayResult extends RunResult {
  /** the touch rule and the other modelling assumptions, in words */
  assumption: string;
  touch: TouchRule;
  /** lines not replayed (at most 100; `skippedCount` has them all) */
  skipped: SkippedLine[];
  skippedCount: number;
  /** lines read */
  lines: number;
  /** complete system calls (an unfinished/resumed pair counts once) */
  syscalls: number;
  /** calls that failed in the trace (`= -1 E...`, or a brk that left the break unchanged): not applied */
  failures: number;
  /** top 10 trace lines by IPIs sent and by TLB instructions executed */
  callSites: { byIpis: CallSite[]; byTlbInstructions: CallSite[] };
  /** most threads alive at once */
  threads: number;
  /** address spaces created (execve, fork, first sight of a process) */
  processes: number;
  /** ranges the trace used successfully that no traced call had mapped (mapped by execve): created anonymous read-write */
  implied: number;
  /** places where the trace and the model disagreed (an address the kernel chose was still mapped, or the model refused a call that succeeded) */
  divergences: number;
}

export class ReplayError extends Error {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ReplayError';
  }
}

const MAX_SKIPPED = 100;
const TOP = 10;
const DEFAULT_MAX_CPUS = 64;
/** lines held back while a kernel-chosen address waits for another thread's unmap to be printed */
const MAX_QUEUE = 4096;
const BLOCKED = 1;
/** calls whose replay needs their arguments */
const NEEDS_ARGS = new Set(['mmap', 'mmap2', 'old_mmap', 'munmap', 'mprotect', 'pkey_mprotect', 'madvise', 'mremap', 'brk']);

interface MmRec {
  mm: Mm | null;
  /** current program break (trace address), once known */
  brk: number | null;
  users: number;
  /** created at first sight of a process, still empty: an execve reuses it */
  placeholder: boolean;
}

interface ThreadRec {
  tid: number;
  tgid: number;
  mmr: MmRec;
  thread: Thread | null;
  cpu: number;
}

interface InputState {
  index: number;
  name: string;
  parser: StraceParser;
  filePid: number | undefined;
}

function rangesOverlap(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < b1 && b0 < a1;
}

/** The per-event engine. With `m === null` it only follows threads (the first pass). */
class Replayer {
  readonly threads = new Map<number, ThreadRec>();
  maxLive = 0;
  processes = 0;
  lines = 0;
  syscalls = 0;
  failures = 0;
  implied = 0;
  divergences = 0;
  skippedCount = 0;
  readonly skipped: SkippedLine[] = [];
  readonly byIpis: CallSite[] = [];
  readonly byInstr: CallSite[] = [];
  /** parent tid -> its clone that has not returned yet (and the child the heuristic gave it) */
  private readonly pendingClones = new Map<number, { d: Decoded & { op: 'clone' }; child?: number }>();
  /** child tid -> the clone that will return it, seen at the head of another input (strace -ff) */
  private readonly announcedClones = new Map<number, { parent: number; d: Decoded & { op: 'clone' } }>();
  /** tid -> trace range an unfinished unmap-like call of that thread may be releasing */
  private readonly inflight = new Map<number, { start: number; end: number }>();
  private readonly queue: { ev: StraceEvent; input: InputState }[] = [];
  private waitTid = NaN;
  private readonly cpuLoad: Int32Array;
  private rr = 0;
  private readonly files = new Map<number, SimFile>();
  private readonly zombies = new Set<Mm>();
  private readonly amap: AddressMap | null;
  private readonly ps: number;
  private readonly touchRule: TouchRule;

  constructor(readonly m: Machine | null, readonly opts: ReplayOptions) {
    this.touchRule = opts.touch ?? 'all';
    this.cpuLoad = new Int32Array(m ? m.cpus.length : 0);
    this.amap = m ? new AddressMap(m.geometry, opts.tracePageSize ?? 4096) : null;
    this.ps = m ? 2 ** m.geometry.pageShift : 4096;
  }

  get addressMap(): AddressMap | null {
    return this.amap;
  }

  // ---------------------------------------------------------------- feeding, ordering
  feed(ev: StraceEvent, input: InputState): void {
    if (ev.kind === 'call') {
      this.syscalls++;
      if (ev.result.errno !== undefined) this.failures++;
      this.inflight.delete(ev.tid);
    } else if (ev.kind === 'start') {
      const r = this.inflightRange(ev.name, ev.args);
      if (r) this.inflight.set(ev.tid, r);
    } else if (ev.kind === 'exit') {
      this.inflight.delete(ev.tid);
    } else if (ev.kind === 'error' && this.opts.strict) {
      throw new ReplayError(ev.file, ev.line, ev.reason);
    }
    if (this.queue.length === 0) {
      if (this.apply(ev, input, true) === BLOCKED) this.queue.push({ ev, input });
      return;
    }
    if (ev.tid === this.waitTid && (ev.kind === 'call' || ev.kind === 'exit')) {
      // the call the held-back lines wait for: it happened first in the kernel
      this.apply(ev, input, false);
      this.drain(false);
    } else {
      this.queue.push({ ev, input });
      if (this.queue.length > MAX_QUEUE) this.drain(true);
    }
  }

  finish(): void {
    this.drain(true);
  }

  /**
   * Several inputs (strace -ff): the next line of each other thread is announced before it is
   * fed, since that call may already be running in the kernel (its file prints it whole, stamped
   * with its entry time). An unmap-like call announced this way can then release an address an
   * earlier-stamped call of another thread was handed.
   */
  announce(ev: StraceEvent): void {
    if (ev.kind !== 'call' || ev.result.errno !== undefined || ev.result.unknown) return;
    const r = this.inflightRange(ev.name, ev.args);
    if (r) this.inflight.set(ev.tid, r);
    if (isCloneName(ev.name) && ev.result.value! > 0) {
      // the child's file may start at the same timestamp as the parent's clone line
      const d = decodeCall(ev.name, ev.args);
      if (d.op === 'clone') this.announcedClones.set(ev.result.value!, { parent: ev.tid, d });
    }
  }

  private drain(force: boolean): void {
    while (this.queue.length) {
      const q = this.queue[0];
      if (this.apply(q.ev, q.input, !force) === BLOCKED) return;
      this.queue.shift();
    }
    this.waitTid = NaN;
  }

  private inflightRange(name: string, args: string): { start: number; end: number } | null {
    if (!this.m) return null;
    const d = decodeCall(name, args);
    if (d.op === 'munmap') return { start: d.addr, end: d.addr + d.length };
    if (d.op === 'mremap') return { start: d.addr, end: d.addr + d.oldLength };
    if (d.op === 'mmap' && d.fixed && !d.noReplace) return { start: d.addr, end: d.addr + d.length };
    return null;
  }

  /**
   * The kernel chose [start, end) for `rec`, but the model still has something there: is another
   * thread of the same mm inside a call that releases it (printed later, happened first)?
   */
  private blocker(rec: ThreadRec, start: number, end: number): number | undefined {
    for (const [tid, r] of this.inflight) {
      if (tid === rec.tid || !rangesOverlap(start, end, r.start, r.end)) continue;
      const o = this.threads.get(tid);
      if (o && o.mmr === rec.mmr) return tid;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- bookkeeping helpers
  skip(file: string, line: number, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < MAX_SKIPPED) this.skipped.push({ file, line, reason });
  }

  private refuse(ev: CallEvent, what: string, r: OpResult): void {
    this.divergences++;
    this.skip(ev.file, ev.line, `not replayed: the simulated ${what} refused: ${r.message ?? r.errno}`);
  }

  private offer(list: CallSite[], site: CallSite, key: 'ipis' | 'tlbInstructions'): void {
    const v = site[key];
    if (v <= 0) return;
    if (list.length >= TOP && v <= list[list.length - 1][key]) return;
    let i = list.length;
    while (i > 0 && list[i - 1][key] < v) i--;
    list.splice(i, 0, site);
    if (list.length > TOP) list.pop();
  }

  private instrTotal(): number {
    let n = 0;
    for (const v of this.m!.metrics.tlbInstructions.values()) n += v;
    return n;
  }

  // ---------------------------------------------------------------- threads and CPUs
  private pickCpu(): number {
    const n = this.cpuLoad.length;
    for (let k = 0; k < n; k++) {
      const c = (this.rr + k) % n;
      if (this.cpuLoad[c] === 0) {
        this.rr = c + 1;
        return c;
      }
    }
    // more threads than CPUs: share, round-robin
    const c = this.rr % n;
    this.rr = c + 1;
    return c;
  }

  private place(tid: number, tgid: number, mmr: MmRec): ThreadRec {
    mmr.users++;
    const rec: ThreadRec = { tid, tgid, mmr, thread: null, cpu: 0 };
    const m = this.m;
    if (m) {
      const cpu = this.pickCpu();
      const state = this.cpuLoad[cpu] === 0 ? 'running' : 'sleeping';
      this.cpuLoad[cpu]++;
      rec.cpu = cpu;
      rec.thread = m.op('spawn', cpu, () => m.addThread(mmr.mm, String(tid), cpu, state));
    }
    this.threads.set(tid, rec);
    if (this.threads.size > this.maxLive) this.maxLive = this.threads.size;
    return rec;
  }

  private newMmRec(name: string, placeholder: boolean): MmRec {
    this.processes++;
    return { mm: this.m ? this.m.createMm(name) : null, brk: null, users: 0, placeholder };
  }

  /** Run fn as `rec` inside one operation on its CPU (switching it in if it shares the CPU). */
  private onThread<T>(rec: ThreadRec, name: string, fn: (mm: Mm) => T): T {
    const m = this.m!;
    const t = rec.thread!;
    if (t.state !== 'running') {
      const cur = m.cpus[t.cpu].curr;
      if (cur && cur !== t && cur.state === 'running') m.sleep(cur);
      m.run(t, t.cpu);
    }
    return m.op(name, t.cpu, () => fn(rec.mmr.mm!));
  }

  /** The thread of a line; a tid seen for the first time is a clone child or a new process. */
  private threadOf(tid: number, create: boolean): ThreadRec | undefined {
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
    return this.place(tid, tid, this.newMmRec(`pid ${tid}`, true));
  }

  private spawn(parent: ThreadRec, d: Decoded & { op: 'clone' }, tid: number): ThreadRec {
    const tgid = d.thread ? parent.tgid : tid;
    if (d.vm) return this.place(tid, tgid, parent.mmr);
    const mmr: MmRec = { mm: null, brk: parent.mmr.brk, users: 0, placeholder: false };
    this.processes++;
    if (this.m) {
      const m = this.m;
      mmr.mm = this.onThread(parent, 'fork', (pmm) => {
        this.touchAll(pmm);
        return fork(m, pmm, `pid ${tid}`);
      });
    }
    return this.place(tid, tgid, mmr);
  }

  private removeThread(rec: ThreadRec): void {
    this.threads.delete(rec.tid);
    this.pendingClones.delete(rec.tid);
    rec.mmr.users--;
    const m = this.m;
    if (!m) return;
    this.cpuLoad[rec.cpu]--;
    const i = m.threads.indexOf(rec.thread!);
    if (i >= 0) m.threads.splice(i, 1);
    if (rec.mmr.users === 0) this.zombies.add(rec.mmr.mm!);
  }

  /** A thread ends; the last user of its mm tears the mm down (touching first, as assumed). */
  private exitRec(rec: ThreadRec): void {
    if (this.m) {
      const m = this.m;
      const last = rec.mmr.users === 1;
      this.onThread(rec, 'exit', (mm) => {
        if (last) this.touchAll(mm);
        exitThread(m, rec.thread!);
      });
    }
    this.removeThread(rec);
  }

  private execve(rec: ThreadRec, name: string): void {
    for (const o of [...this.threads.values()]) if (o !== rec && o.tgid === rec.tgid) this.exitRec(o);
    const old = rec.mmr;
    if (old.placeholder && old.users === 1 && (!old.mm || old.mm.vmas.length === 0)) {
      // the first execve of a process seen here for the first time: its empty mm is the new one
      old.placeholder = false;
      old.brk = null;
      return;
    }
    const mmr = this.newMmRec(name, false);
    if (this.m) {
      const m = this.m;
      const last = old.users === 1;
      this.onThread(rec, 'execve', (mm) => {
        if (last) this.touchAll(mm);
        exitThread(m, rec.thread!);
      });
      const i = m.threads.indexOf(rec.thread!);
      if (i >= 0) m.threads.splice(i, 1);
      rec.thread = m.op('execve', rec.cpu, () => m.addThread(mmr.mm, String(rec.tid), rec.cpu, 'running'));
      if (last) this.zombies.add(old.mm!);
    }
    old.users--;
    mmr.users++;
    rec.mmr = mmr;
  }

  /** Drop address spaces nobody uses any more, once nothing refers to them (bounded memory). */
  private collectZombies(): void {
    const m = this.m!;
    for (const mm of this.zombies) {
      if (!mm.dead || mm.outstanding > 0 || mm.tlbFlushPending !== 0) continue;
      if (m.cpus.some((c) => c.loadedMm === mm)) continue;
      const i = m.mms.indexOf(mm);
      if (i >= 0) m.mms.splice(i, 1);
      m.tlb.forget(mm);
      this.zombies.delete(mm);
    }
  }

  // ---------------------------------------------------------------- applying events
  private apply(ev: StraceEvent, input: InputState, mayBlock: boolean): number {
    const m = this.m;
    if (!m) {
      this.applyEvent(ev, input, false);
      return 0;
    }
    const ipis = m.metrics.ipis;
    const instr = this.instrTotal();
    const flushes = m.metrics.archFlushes;
    const r = this.applyEvent(ev, input, mayBlock);
    if (r === BLOCKED) return r;
    const dIpis = m.metrics.ipis - ipis;
    const dInstr = this.instrTotal() - instr;
    if (dIpis > 0 || dInstr > 0) {
      const text = ev.kind === 'call' ? callText(ev) : ev.kind === 'exit' ? `+++ ${ev.how} +++ (thread ${ev.tid})` : ev.kind;
      const site: CallSite = { file: ev.file, line: ev.line, text, ipis: dIpis, tlbInstructions: dInstr, archFlushes: m.metrics.archFlushes - flushes };
      this.offer(this.byIpis, site, 'ipis');
      this.offer(this.byInstr, site, 'tlbInstructions');
    }
    if (this.zombies.size) this.collectZombies();
    return r;
  }

  private applyEvent(ev: StraceEvent, input: InputState, mayBlock: boolean): number {
    switch (ev.kind) {
      case 'noise':
      case 'signal':
        return 0;
      case 'error':
        this.skip(ev.file, ev.line, `unparseable: ${ev.reason}`);
        return 0;
      case 'start': {
        this.threadOf(ev.tid, true);
        if (isCloneName(ev.name)) {
          const d = decodeCall(ev.name, ev.args);
          if (d.op === 'clone' && this.threads.has(ev.tid)) this.pendingClones.set(ev.tid, { d });
        }
        return 0;
      }
      case 'exit': {
        const rec = this.threads.get(ev.tid);
        if (!rec) return 0;
        if (ev.how === 'superseded') {
          const to = ev.newTid!;
          if (to !== ev.tid) {
            const leader = this.threads.get(to);
            if (leader) this.exitRec(leader);
            this.threads.delete(ev.tid);
            rec.tid = to;
            this.threads.set(to, rec);
          }
          return 0;
        }
        this.exitRec(rec);
        return 0;
      }
      case 'call':
        return this.call(ev, input, mayBlock);
    }
  }

  private call(ev: CallEvent, input: InputState, mayBlock: boolean): number {
    const res = ev.result;
    const rec = this.threadOf(ev.tid, !res.unknown);
    if (!rec) return 0;
    if (this.m?.tracing) this.m.trace({ cpu: rec.cpu, name: ev.name, cat: 'syscall', args: { file: ev.file, line: ev.line, text: callText(ev) } });
    let clonePending: { d: Decoded & { op: 'clone' } } | undefined;
    if (isCloneName(ev.name)) {
      clonePending = this.pendingClones.get(ev.tid);
      this.pendingClones.delete(ev.tid);
    }
    let d: Decoded;
    if (ev.orphan) {
      // <... resumed> without its start: only calls whose effect needs no arguments can be replayed
      if (clonePending) d = clonePending.d;
      else if (NEEDS_ARGS.has(ev.name) || isCloneName(ev.name)) {
        this.skip(ev.file, ev.line, `not replayed: <... ${ev.name} resumed> without its start (arguments unknown)`);
        return 0;
      } else d = decodeCall(ev.name, '');
    } else d = decodeCall(ev.name, ev.args);
    if (d.op === 'exit') {
      this.exitRec(rec);
      return 0;
    }
    if (d.op === 'other') return 0;
    if (res.unknown) {
      this.skip(ev.file, ev.line, `not replayed: ${ev.name} has no result (= ${res.raw})`);
      return 0;
    }
    if (res.errno !== undefined) return 0; // failed in the trace: counted, not applied
    switch (d.op) {
      case 'ignore':
        this.skip(ev.file, ev.line, `ignored: ${d.reason}`);
        return 0;
      case 'bad':
        if (this.opts.strict) throw new ReplayError(ev.file, ev.line, d.reason);
        this.skip(ev.file, ev.line, `unparseable: ${d.reason}`);
        return 0;
      case 'execve':
        this.execve(rec, `${execName(ev.args) ?? 'exec'}[${rec.tgid}]`);
        return 0;
      case 'clone':
        return this.clone(ev, rec, d, input);
      case 'brk':
        return this.brk(ev, rec, d, res.value!);
      case 'mmap':
        return this.mmapCall(ev, rec, d, res.value!, mayBlock);
      case 'munmap':
        return this.munmapCall(ev, rec, d);
      case 'mprotect':
        return this.mprotectCall(ev, rec, d);
      case 'madvise':
        return this.madviseCall(ev, rec, d);
      case 'mremap':
        return this.mremapCall(ev, rec, d, res.value!, mayBlock);
    }
  }

  private clone(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'clone' }, input: InputState): number {
    const child = ev.result.value!;
    if (!(child > 0)) return 0;
    this.announcedClones.delete(child);
    if (input.filePid === undefined && !input.parser.sawPid) {
      // strace without -f: the child's lines are not in the trace
      if (d.vm) {
        this.skip(ev.file, ev.line, `partly replayed: ${d.thread ? 'thread' : 'child'} ${child} is not traced (strace without -f) and is not created`);
        return 0;
      }
      this.processes++;
      if (this.m) {
        const m = this.m;
        this.onThread(rec, 'fork', (pmm) => {
          this.touchAll(pmm);
          const cm = fork(m, pmm, `pid ${child}`);
          exitMmap(m, cm);
          this.zombies.add(cm);
        });
      }
      this.skip(ev.file, ev.line, `partly replayed: child ${child} is not traced (strace without -f): forked, and its mm dropped at once`);
      return 0;
    }
    if (this.threads.has(child)) return 0; // created when its first line came before this one
    this.spawn(rec, d, child);
    return 0;
  }

  // ---------------------------------------------------------------- touching (the assumption)
  private eligible(v: Vma): boolean {
    if (this.touchRule === 'none' || v.flags.pfnmap) return false;
    if (v.flags.hugetlb && !this.m!.hugetlb) return false;
    const f = v.flags;
    if (this.touchRule === 'written') return f.write && (f.anon || !f.shared);
    return (f.anon && (f.read || f.write || f.exec)) || (!f.shared && f.write);
  }

  /**
   * Fault in the pages of v within [s, e) that are not mapped yet (a page already mapped, even
   * write-protected after fork, counts as touched: no copy-on-write is forced).
   */
  private touchVma(mm: Mm, v: Vma, s: number, e: number, write: boolean): void {
    const m = this.m!;
    const a0 = Math.max(s, v.start);
    const a1 = Math.min(e, v.end);
    if (v.flags.hugetlb) {
      const step = 2 ** v.hugeShift;
      for (let a = a0 - (a0 % step); a < a1; a += step) touch(m, mm, a, { write: false });
      return;
    }
    const ps = this.ps;
    const span = entrySize(m, 1);
    let a = a0 - (a0 % ps);
    while (a < a1) {
      const chunkEnd = Math.min(a1, a - (a % span) + span);
      let pt = walkToTable(m, mm, a, 0, false);
      for (; a < chunkEnd; a += ps) {
        if (pt && pt.entries[m.index(pt, a)] !== 0) continue;
        touch(m, mm, a, { write });
        if (!pt) pt = walkToTable(m, mm, a, 0, false);
      }
    }
  }

  /** Touch the eligible pages of [s, e) (before they are unmapped or changed). */
  private touchRange(mm: Mm, s: number, e: number): void {
    if (this.touchRule === 'none') return;
    const vmas = mm.vmas;
    const list: Vma[] = [];
    for (let i = mm.firstVmaIndexEndingAfter(s); i < vmas.length && vmas[i].start < e; i++) if (this.eligible(vmas[i])) list.push(vmas[i]);
    for (const v of list) this.touchVma(mm, v, s, e, v.flags.write);
  }

  private touchAll(mm: Mm): void {
    if (this.touchRule === 'none') return;
    for (const v of [...mm.vmas]) if (this.eligible(v)) this.touchVma(mm, v, v.start, v.end, v.flags.write);
  }

  /** MAP_POPULATE / MAP_LOCKED: the kernel populates at mmap (write-faults private writable memory). */
  private populate(mm: Mm, s: number, e: number): void {
    const v = mm.findVma(s);
    if (!v || v.flags.pfnmap || (v.flags.hugetlb && !this.m!.hugetlb)) return;
    this.touchVma(mm, v, s, e, v.flags.write && !v.flags.shared);
  }

  // ---------------------------------------------------------------- model helpers
  private hasVma(mm: Mm, s: number, e: number): boolean {
    const v = mm.vmas[mm.firstVmaIndexEndingAfter(s)];
    return v !== undefined && v.start < e;
  }

  /** The kernel succeeded on [s, e), so it was mapped: map what the model lacks (made by execve). */
  private fillHoles(mm: Mm, s: number, e: number): void {
    const holes: SimRange[] = [];
    let at = s;
    for (let i = mm.firstVmaIndexEndingAfter(s); i < mm.vmas.length && mm.vmas[i].start < e; i++) {
      const v = mm.vmas[i];
      if (v.start > at) holes.push({ start: at, end: v.start });
      at = Math.max(at, v.end);
    }
    if (at < e) holes.push({ start: at, end: e });
    for (const h of holes) {
      const r = mmap(this.m!, mm, { addr: h.start, length: h.end - h.start, read: true, write: true, exec: false, name: 'implied' });
      if (r.ok) this.implied++;
    }
  }

  /** MAP_FIXED: unmap what is in the way, as the kernel does (touching first). */
  private clearRange(mm: Mm, s: number, e: number): void {
    if (!this.hasVma(mm, s, e)) return;
    this.touchRange(mm, s, e);
    munmap(this.m!, mm, s, e - s);
  }

  private fileFor(fd: number): SimFile {
    let f = this.files.get(fd);
    if (!f) {
      f = this.m!.createFile(`fd ${fd}`);
      this.files.set(fd, f);
    }
    return f;
  }

  private modelHas(rec: ThreadRec, start: number, len: number): boolean {
    const mm = rec.mmr.mm!;
    for (const p of this.amap!.pieces(start, len)) if (this.hasVma(mm, p.start, p.end)) return true;
    return false;
  }

  /** A kernel-chosen range the model still maps, released by another thread's unfinished call? */
  private mustWait(rec: ThreadRec, start: number, len: number): boolean {
    if (!this.modelHas(rec, start, len)) return false;
    const b = this.blocker(rec, start, start + len);
    if (b === undefined) return false;
    this.waitTid = b;
    return true;
  }

  private pageUp(a: number): number {
    const p = this.amap!.tracePage;
    return a % p ? a + p - (a % p) : a;
  }

  // ---------------------------------------------------------------- the memory calls
  private mmapCall(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'mmap' }, addr: number, mayBlock: boolean): number {
    if (!this.m) return 0;
    const kernelChose = !d.fixed || d.noReplace;
    if (kernelChose && mayBlock && this.mustWait(rec, addr, d.length)) return BLOCKED;
    const sim = this.amap!.claim(addr, d.length);
    if (!sim) {
      this.refuse(ev, 'mmap', { ok: false, message: 'the target address space cannot hold this range next to the others' });
      return 0;
    }
    const m = this.m;
    const tp = this.amap!.tracePage;
    this.onThread(rec, 'mmap', (mm) => {
      if (this.hasVma(mm, sim.start, sim.end)) {
        if (kernelChose) this.divergences++;
        this.clearRange(mm, sim.start, sim.end);
      }
      const r = mmap(m, mm, {
        addr: sim.start, length: sim.end - sim.start, read: d.prot.read, write: d.prot.write, exec: d.prot.exec,
        shared: d.shared, file: d.anonymous ? undefined : this.fileFor(d.fd), pgoff: Math.floor(d.offset / tp),
        hugetlb: d.hugetlb, hugeSize: d.hugeSize, locked: d.locked,
      });
      if (!r.ok) this.refuse(ev, 'mmap', r);
      else if (d.populate) this.populate(mm, sim.start, sim.end);
    });
    return 0;
  }

  private munmapCall(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'munmap' }): number {
    if (!this.m) return 0;
    const m = this.m;
    for (const p of this.amap!.pieces(d.addr, d.length)) {
      this.onThread(rec, 'munmap', (mm) => {
        this.touchRange(mm, p.start, p.end);
        const r = munmap(m, mm, p.start, p.end - p.start);
        if (!r.ok) this.refuse(ev, 'munmap', r);
      });
    }
    return 0;
  }

  private mprotectCall(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'mprotect' }): number {
    if (!this.m || d.length === 0) return 0;
    const sim = this.amap!.claim(d.addr, d.length);
    if (!sim) {
      this.refuse(ev, 'mprotect', { ok: false, message: 'the target address space cannot hold this range' });
      return 0;
    }
    const m = this.m;
    this.onThread(rec, 'mprotect', (mm) => {
      this.fillHoles(mm, sim.start, sim.end);
      this.touchRange(mm, sim.start, sim.end);
      const r = mprotect(m, mm, sim.start, sim.end - sim.start, d.prot);
      if (!r.ok) this.refuse(ev, 'mprotect', r);
    });
    return 0;
  }

  private madviseCall(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'madvise' }): number {
    if (d.advice === null) {
      this.skip(ev.file, ev.line, `ignored: ${madviseIgnoredReason(d.adviceName)}`);
      return 0;
    }
    if (!this.m || d.length === 0) return 0;
    const sim = this.amap!.claim(d.addr, d.length);
    if (!sim) {
      this.refuse(ev, 'madvise', { ok: false, message: 'the target address space cannot hold this range' });
      return 0;
    }
    const m = this.m;
    const advice = d.advice;
    this.onThread(rec, 'madvise', (mm) => {
      this.fillHoles(mm, sim.start, sim.end);
      this.touchRange(mm, sim.start, sim.end);
      const r = madvise(m, mm, sim.start, sim.end - sim.start, advice);
      if (!r.ok) this.refuse(ev, 'madvise', r);
    });
    return 0;
  }

  private mremapCall(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'mremap' }, addr: number, mayBlock: boolean): number {
    if (!this.m) return 0;
    if (d.oldLength === 0) {
      this.skip(ev.file, ev.line, 'ignored: mremap with old_size 0 (a second mapping of shared memory) is not modelled');
      return 0;
    }
    const m = this.m;
    const amap = this.amap!;
    const old = amap.claim(d.addr, d.oldLength);
    if (!old) {
      this.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot hold the old range' });
      return 0;
    }
    if (addr === d.addr) {
      const neu = amap.claim(d.addr, d.newLength);
      if (!neu || neu.start !== old.start) {
        this.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot grow this range in place' });
        return 0;
      }
      this.onThread(rec, 'mremap', (mm) => {
        this.fillHoles(mm, old.start, old.end);
        // in place, only a shrink changes pages (the tail is unmapped)
        if (neu.end < old.end) this.touchRange(mm, neu.end, old.end);
        if (neu.end > old.end && this.hasVma(mm, old.end, neu.end)) {
          this.divergences++;
          this.clearRange(mm, old.end, neu.end);
        }
        const r = mremap(m, mm, old.start, old.end - old.start, neu.end - neu.start, false);
        if (!r.ok) this.refuse(ev, 'mremap', r);
      });
      return 0;
    }
    const kernelChose = !d.fixed;
    if (kernelChose && mayBlock && this.mustWait(rec, addr, d.newLength)) return BLOCKED;
    const neu = amap.claim(addr, d.newLength);
    if (!neu) {
      this.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot hold the new range' });
      return 0;
    }
    this.onThread(rec, 'mremap', (mm) => {
      this.fillHoles(mm, old.start, old.end);
      this.touchRange(mm, old.start, old.end);
      if (this.hasVma(mm, neu.start, neu.end)) {
        if (kernelChose) this.divergences++;
        this.clearRange(mm, neu.start, neu.end);
      }
      const r = this.moveTo(mm, old.start, old.end - old.start, neu.start, neu.end - neu.start, d.dontUnmap);
      if (!r.ok) this.refuse(ev, 'mremap', r);
    });
    return 0;
  }

  /**
   * mremap to a given address (the traced result): map the new range, move the page tables, unmap
   * the old range. Mirrors core's mremap (mm/mremap.ts), which picks the new address itself.
   */
  private moveTo(mm: Mm, old: number, oldLen: number, neu: number, newLen: number, dontUnmap: boolean): OpResult {
    const m = this.m!;
    const v = mm.findVma(old);
    if (!v || old + oldLen > v.end) return { ok: false, errno: 'EFAULT', message: 'mremap old range is not one mapped VMA' };
    if (v.flags.hugetlb || v.flags.pfnmap) return { ok: false, errno: 'EINVAL', message: 'moving hugetlb/PFNMAP VMAs to a traced address is not modelled' };
    if (newLen < oldLen) {
      munmap(m, mm, old + newLen, oldLen - newLen);
      oldLen = newLen;
    }
    const ps = this.ps;
    const r = mmap(m, mm, {
      addr: neu, length: newLen, read: v.flags.read, write: v.flags.write, exec: v.flags.exec, shared: v.flags.shared,
      file: v.file ?? undefined, pgoff: v.pgoff + (old - v.start) / ps, name: v.name, locked: v.flags.locked,
    });
    if (!r.ok) return r;
    const nv = mm.findVma(neu);
    if (nv) nv.anonRoot = v.anonRoot; // the moved pages keep their anon_vma
    movePageTables(m, mm, v.flags.exec, old, neu, oldLen);
    if (!dontUnmap) munmap(m, mm, old, oldLen);
    return { ok: true };
  }

  private brk(ev: CallEvent, rec: ThreadRec, d: Decoded & { op: 'brk' }, ret: number): number {
    const mmr = rec.mmr;
    if (d.addr === 0) {
      mmr.brk = ret;
      return 0;
    }
    if (ret !== d.addr) {
      // brk returns the unchanged break when it fails
      this.failures++;
      mmr.brk = ret;
      return 0;
    }
    if (mmr.brk === null) {
      this.skip(ev.file, ev.line, 'not replayed: brk without a brk(NULL) before it (the start of the heap is unknown)');
      mmr.brk = ret;
      return 0;
    }
    const oldBrk = mmr.brk;
    mmr.brk = ret;
    if (!this.m) return 0;
    const m = this.m;
    const oldEnd = this.pageUp(oldBrk);
    const newEnd = this.pageUp(ret);
    if (newEnd > oldEnd) {
      const sim = this.amap!.claim(oldEnd, newEnd - oldEnd);
      if (!sim) {
        this.refuse(ev, 'brk', { ok: false, message: 'the target address space cannot hold the heap' });
        return 0;
      }
      this.onThread(rec, 'brk', (mm) => {
        if (this.hasVma(mm, sim.start, sim.end)) {
          this.divergences++;
          this.clearRange(mm, sim.start, sim.end);
        }
        const r = mmap(m, mm, { addr: sim.start, length: sim.end - sim.start, read: true, write: true, exec: false, name: 'heap' });
        if (!r.ok) this.refuse(ev, 'brk', r);
      });
    } else if (newEnd < oldEnd) {
      for (const p of this.amap!.pieces(newEnd, oldEnd - newEnd)) {
        this.onThread(rec, 'brk', (mm) => {
          this.touchRange(mm, p.start, p.end);
          const r = munmap(m, mm, p.start, p.end - p.start);
          if (!r.ok) this.refuse(ev, 'brk', r);
        });
      }
    }
    return 0;
  }
}

// ------------------------------------------------------------------------------------------
// drivers

function assumptionText(rule: TouchRule, amap: AddressMap | null, tracePage: number): string {
  const touched =
    rule === 'none'
      ? 'touch=none: no page is ever touched, so only page-table pages and populated (MAP_POPULATE/MAP_LOCKED) memory are freed.'
      : rule === 'written'
        ? 'touch=written: before a range is unmapped, changed (mprotect, madvise, mremap, fork) or torn down (exit, execve), every page of it not mapped yet in a writable private or writable anonymous mapping is written by the calling thread (a mapped page, even write-protected after fork, counts as touched); read-only and shared file mappings are never touched.'
        : 'touch=all: before a range is unmapped, changed (mprotect, madvise, mremap, fork) or torn down (exit, execve), every page of it not mapped yet in an accessible (not PROT_NONE) anonymous mapping or a writable private mapping is touched by the calling thread (written if the mapping is writable, read otherwise; a mapped page, even write-protected after fork, counts as touched); read-only and shared file mappings are never touched.';
  const layout = !amap || amap.identity
    ? 'Addresses are the traced ones.'
    : `Each ${tracePage}-byte trace page is one target page (addresses scaled by ${amap.scale}); the trace's 1 GiB regions are placed, in order and on first use, into the target's address space.`;
  return `${touched} ${layout} Mappings the kernel made at execve (program, interpreter, stack, vdso) are unknown until a call on them succeeds in the trace; such ranges are then created as anonymous read-write memory ("implied"). Threads keep their CPU while alive (round-robin placement; more threads than CPUs share them). strace's print order is the order of operations (several -ff files are merged by timestamp), except that an address the kernel handed out waits for another thread's unfinished unmap of it.`;
}

function isOneShot(src: LineSource | (() => LineSource)): boolean {
  if (typeof src === 'function') return false;
  const s = src as { [Symbol.iterator]?: () => unknown; [Symbol.asyncIterator]?: () => unknown };
  if (typeof s[Symbol.iterator] === 'function') return s[Symbol.iterator]!() === src;
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!() === src;
  return false;
}

function open(src: LineSource | (() => LineSource)): LineSource {
  return typeof src === 'function' ? src() : src;
}

const DAY_US = 86_400e6;

/** One input being read: its parser and, for merging several inputs, the next event. */
class Stream {
  readonly state: InputState;
  head: StraceEvent | null = null;
  key = 0;
  private lastTs = -Infinity;
  private offset = 0;
  constructor(index: number, name: string) {
    const filePid = pidFromFileName(name);
    this.state = { index, name, parser: new StraceParser(name, filePid ?? -(index + 1)), filePid };
  }
  parse(text: string): StraceEvent {
    const ev = this.state.parser.push(text);
    if (ev.ts !== undefined) {
      let ts = ev.ts + this.offset;
      // -t/-tt print the time of day: past midnight it starts again from 0
      if (ts < this.lastTs - DAY_US / 2) {
        this.offset += DAY_US;
        ts += DAY_US;
      }
      ev.ts = ts;
      if (ts > this.lastTs) this.lastTs = ts;
      this.key = ts;
    }
    return ev;
  }
}

/** Index of the stream whose head comes first (earliest timestamp, then input order). */
function earliest(streams: Stream[]): number {
  let best = -1;
  for (let i = 0; i < streams.length; i++) {
    const s = streams[i];
    if (!s.head) continue;
    if (best < 0 || s.key < streams[best].key) best = i;
  }
  return best;
}

function runSync(inputs: ReplayInput[], rp: Replayer): number[] {
  const streams = inputs.map((inp, i) => new Stream(i, inp.name));
  if (inputs.length === 1) {
    const s = streams[0];
    for (const text of open(inputs[0].lines) as Iterable<string>) rp.feed(s.parse(text), s.state);
  } else {
    const its = inputs.map((inp) => (open(inp.lines) as Iterable<string>)[Symbol.iterator]());
    const pull = (i: number) => {
      const r = its[i].next();
      streams[i].head = r.done ? null : streams[i].parse(r.value);
      if (streams[i].head) rp.announce(streams[i].head!);
    };
    for (let i = 0; i < streams.length; i++) pull(i);
    for (let i = earliest(streams); i >= 0; i = earliest(streams)) {
      rp.feed(streams[i].head!, streams[i].state);
      pull(i);
    }
  }
  rp.finish();
  return streams.map((s) => s.state.parser.lines);
}

async function runAsync(inputs: ReplayInput[], rp: Replayer): Promise<number[]> {
  const streams = inputs.map((inp, i) => new Stream(i, inp.name));
  if (inputs.length === 1) {
    const s = streams[0];
    for await (const text of open(inputs[0].lines)) rp.feed(s.parse(text), s.state);
  } else {
    const its = inputs.map((inp) => {
      const src = open(inp.lines) as Partial<AsyncIterable<string> & Iterable<string>>;
      return src[Symbol.asyncIterator] ? src[Symbol.asyncIterator]!() : (src as Iterable<string>)[Symbol.iterator]();
    });
    const pull = async (i: number) => {
      const r = await its[i].next();
      streams[i].head = r.done ? null : streams[i].parse(r.value);
      if (streams[i].head) rp.announce(streams[i].head!);
    };
    for (let i = 0; i < streams.length; i++) await pull(i);
    for (let i = earliest(streams); i >= 0; i = earliest(streams)) {
      rp.feed(streams[i].head!, streams[i].state);
      await pull(i);
    }
  }
  rp.finish();
  return streams.map((s) => s.state.parser.lines);
}

function checkInputs(inputs: ReplayInput[], opts: ReplayOptions): void {
  if (inputs.length === 0) throw new TypeError('replay: no input');
  if (opts.cpus !== undefined && (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > MAX_CPUS)) {
    throw new RangeError(`replay: cpus must be an integer from 1 to ${MAX_CPUS}, got ${opts.cpus}`);
  }
  if (opts.touch !== undefined && !['all', 'none', 'written'].includes(opts.touch)) {
    throw new TypeError(`replay: touch must be 'all', 'none' or 'written', got ${JSON.stringify(opts.touch)}`);
  }
  if (opts.cpus === undefined) {
    for (const inp of inputs) {
      if (isOneShot(inp.lines)) {
        throw new TypeError(`replay: input "${inp.name}" can be read only once; pass cpus, or lines that can be read twice (an array, or a function returning a fresh iterable)`);
      }
    }
  }
}

function machineFor(arch: ArchBackend, cpus: number, opts: ReplayOptions): Machine {
  const m = new Machine({ arch, cpus, trace: opts.trace, checker: opts.checker ?? true, bugs: opts.bugs });
  opts.setup?.(m);
  return m;
}

function result(m: Machine, rp: Replayer, opts: ReplayOptions, counts: number[], first: number[] | null, inputs: ReplayInput[]): ReplayResult {
  if (first) {
    counts.forEach((n, i) => {
      if (n !== first[i]) {
        throw new Error(`replay: input "${inputs[i].name}" gave ${first[i]} lines in the first pass and ${n} in the second; pass cpus, or lines that can be read twice (an array, or a function returning a fresh iterable)`);
      }
    });
  }
  const touchRule = opts.touch ?? 'all';
  return {
    ...collect(m),
    assumption: assumptionText(touchRule, rp.addressMap, opts.tracePageSize ?? 4096),
    touch: touchRule,
    skipped: rp.skipped,
    skippedCount: rp.skippedCount,
    lines: counts.reduce((a, b) => a + b, 0),
    syscalls: rp.syscalls,
    failures: rp.failures,
    callSites: { byIpis: rp.byIpis, byTlbInstructions: rp.byInstr },
    threads: rp.maxLive,
    processes: rp.processes,
    implied: rp.implied,
    divergences: rp.divergences,
  };
}

function cpusFrom(maxLive: number): number {
  return Math.min(DEFAULT_MAX_CPUS, Math.max(1, maxLive));
}

/**
 * Replay strace output through the mm operations on one backend (issue #9). Inputs are read as
 * streams: the replay keeps live state only (threads, address spaces, unfinished calls).
 */
export async function replay(inputs: ReplayInput[], arch: ArchBackend, opts: ReplayOptions = {}): Promise<ReplayResult> {
  checkInputs(inputs, opts);
  let cpus = opts.cpus;
  let first: number[] | null = null;
  if (cpus === undefined) {
    const dry = new Replayer(null, opts);
    first = await runAsync(inputs, dry);
    cpus = cpusFrom(dry.maxLive);
  }
  const m = machineFor(arch, cpus, opts);
  const rp = new Replayer(m, opts);
  const counts = await runAsync(inputs, rp);
  return result(m, rp, opts, counts, first, inputs);
}

/** {@link replay} for inputs whose lines are synchronous iterables (arrays, generators of lines). */
export function replaySync(inputs: ReplayInput[], arch: ArchBackend, opts: ReplayOptions = {}): ReplayResult {
  checkInputs(inputs, opts);
  for (const inp of inputs) {
    const src = typeof inp.lines === 'function' ? null : inp.lines;
    if (src && typeof (src as Iterable<string>)[Symbol.iterator] !== 'function') throw new TypeError(`replaySync: input "${inp.name}" is not a synchronous iterable; use replay()`);
  }
  let cpus = opts.cpus;
  let first: number[] | null = null;
  if (cpus === undefined) {
    const dry = new Replayer(null, opts);
    first = runSync(inputs, dry);
    cpus = cpusFrom(dry.maxLive);
  }
  const m = machineFor(arch, cpus, opts);
  const rp = new Replayer(m, opts);
  const counts = runSync(inputs, rp);
  return result(m, rp, opts, counts, first, inputs);
}
