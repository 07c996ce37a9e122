import type { ArchBackend } from '../arch/contract.js';
import { Machine, type BugOptions } from '../machine/machine.js';
import type { Thread } from '../machine/cpu.js';
import type { Mm, SimFile } from '../machine/mm.js';
import { Metrics, type CpuMetrics, type RunMetrics, type Violation } from '../metrics/metrics.js';
import type { TraceEvent, TraceSink } from '../trace/events.js';
import { mmap } from '../mm/mmap.js';
import { touch } from '../mm/fault.js';
import { munmap } from '../mm/munmap.js';
import { madvise } from '../mm/madvise.js';
import { mprotect, type Prot } from '../mm/mprotect.js';
import { mremap } from '../mm/mremap.js';
import { fork } from '../mm/fork.js';
import { exitThread } from '../mm/exit.js';
import { reclaimFilePages } from '../mm/reclaim.js';
import type { OpResult } from '../mm/errors.js';
import { ScenarioError } from './load.js';
import type { Op, Scenario } from './schema.js';

export interface OpOutcome {
  index: number;
  op: string;
  ok: boolean;
  errno?: string;
  message?: string;
}

/** What one run of a scenario or workload on one backend produced. */
export interface RunResult {
  arch: string;
  label: string;
  options: Record<string, string | number | boolean>;
  metrics: RunMetrics;
  cpus: CpuMetrics[];
  /** what setup cost (each thread present before the first op switching onto its CPU): not in `metrics` */
  setup: { metrics: RunMetrics; cpus: CpuMetrics[] };
  /**
   * what each top-level operation caused, by label, in first-run order (MachineOptions.perOpMetrics);
   * they sum to `metrics` (an `(outside operations)` row holds what no operation did)
   */
  byOp?: OpMetrics[];
  violations: Violation[];
  ops: OpOutcome[];
  events?: TraceEvent[];
}

export interface RunOptions {
  trace?: boolean;
  /** stream trace events here instead of keeping them (MachineOptions.traceSink; no RunResult.events) */
  traceSink?: TraceSink;
  checker?: boolean;
  bugs?: BugOptions;
  /** called with the fresh machine before any op (e.g. to install hugetlb support) */
  setup?: (m: Machine) => void;
  /** the threads' first switches onto their CPUs in the totals (default: kept apart, in `setup`) */
  includeSetup?: boolean;
  /** count what each op caused (RunResult.byOp) */
  perOpMetrics?: boolean;
  /** called after each op with the number of ops done, and within a long op with a fraction (a progress line) */
  onOp?: (done: number) => void;
  /** the kernel release, overriding the scenario's `machine.kernel` (as --kernel does) */
  kernel?: string;
  /** feature changes, overriding the scenario's `machine.features` when given */
  features?: readonly string[];
}

export function protOf(p: string): Prot {
  return { read: p.includes('r'), write: p.includes('w'), exec: p.includes('x') };
}

/** What one operation (or every operation of one label: a workload's phase) caused. */
export interface OpMetrics {
  op: string;
  metrics: RunMetrics;
  cpus: CpuMetrics[];
}

/** m.perOp as results, with a row for what happened outside any operation when that is not nothing. */
export function opMetrics(m: Machine): OpMetrics[] | undefined {
  if (!m.perOp) return undefined;
  const rows = [...m.perOp].map(([op, b]) => ({ op, metrics: b.summary(), cpus: b.perCpu() }));
  const zero = new Metrics(m.cpus.length, m.arch.perCpuCounters, false).snapshot();
  const rest = new Metrics(m.cpus.length, m.arch.perCpuCounters, false);
  rest.addDelta(m.metrics.snapshot(), zero);
  for (const b of m.perOp.values()) rest.addDelta(zero, b.snapshot());
  const r = rest.summary();
  const outside = m.metrics.violations.length - rows.reduce((a, x) => a + x.metrics.violations, 0);
  if (r.flushes || r.ipis || r.firmwareIpis || r.fullFlushes || r.rangedFlushes || r.pagesFreed || r.tablesFreed || r.rcuCallbacks || Object.keys(r.tlbInstructions).length || outside) {
    rows.push({ op: '(outside operations)', metrics: { ...r, violations: outside }, cpus: rest.perCpu() });
  }
  return rows;
}

/** The machine's results in the stable shape reports use. */
export function collect(m: Machine, ops: OpOutcome[] = []): RunResult {
  return {
    arch: m.arch.name,
    label: m.arch.label,
    options: { ...m.arch.options },
    metrics: m.metrics.summary(),
    cpus: m.metrics.perCpu(),
    setup: { metrics: m.metrics.setup!.summary(), cpus: m.metrics.setup!.perCpu() },
    ...(m.perOp ? { byOp: opMetrics(m) } : {}),
    violations: m.metrics.violations,
    ops,
    ...(m.tracing && !m.traceSink ? { events: m.events } : {}),
  };
}

/** Run a validated scenario on one backend. Scenario mistakes throw ScenarioError with a path. */
export function runScenario(s: Scenario, arch: ArchBackend, o: RunOptions = {}, source?: string): RunResult {
  const kernel = o.kernel ?? s.machine.kernel;
  const features = o.features ?? s.machine.features;
  const m = new Machine({
    arch, cpus: s.machine.cpus, ...(kernel !== undefined ? { kernel } : {}), ...(features?.length ? { features } : {}),
    trace: o.trace, traceSink: o.traceSink, checker: o.checker, bugs: o.bugs, setupMetrics: o.includeSetup ? 'include' : 'separate', perOpMetrics: o.perOpMetrics,
  });
  o.setup?.(m);
  const procs = new Map<string, Mm>();
  const threads = new Map<string, Thread>();
  const files = new Map<string, SimFile>();
  for (const f of s.files) files.set(f.name, m.createFile(f.name));
  for (const p of s.processes) {
    const mm = m.createMm(p.name);
    procs.set(p.name, mm);
    for (const t of p.threads) threads.set(t.name, m.addThread(mm, t.name, t.cpu, t.state));
  }
  const outcomes: OpOutcome[] = [];
  s.ops.forEach((op, index) => {
    let r: OpResult;
    try {
      m.checker.opIndex = index;
      m.opLabel = `ops[${index}].${op.op}`;
      r = runOp(m, op, index, procs, threads, files, source, o.onOp);
      m.opLabel = undefined;
    } catch (e) {
      // the same scenario can fit one architecture and not another (page size, TASK_SIZE): name
      // the architecture, unless the mistake is the same on every one (an overlap, a busy CPU)
      if (e instanceof ScenarioError && !e.sameOnEveryArch) throw new ScenarioError(e.path, `${e.detail} (on ${arch.label})`, e.source);
      throw e;
    }
    outcomes.push({ index, op: op.op, ok: r.ok, ...(r.ok ? {} : { errno: r.errno, message: r.message }) });
    o.onOp?.(index + 1);
  });
  return collect(m, outcomes);
}

/**
 * A thread that is not on its CPU must be scheduled in before it can make a system call: the
 * scheduler's context_switch(). The thread running there, if any, is switched out (it stays
 * runnable, off the CPU, in this model "sleeping"; no lazy-TLB phase in between) and switch_mm()
 * loads the caller's mm through the backend's switchMm hook, with its TLB consequences.
 */
function scheduleIn(m: Machine, t: Thread): void {
  if (t.state === 'running') return;
  const busy = m.cpus[t.cpu].curr;
  if (busy && busy !== t && busy.state === 'running') busy.state = 'sleeping';
  m.run(t, t.cpu);
}

function runOp(m: Machine, op: Op, i: number, procs: Map<string, Mm>, threads: Map<string, Thread>, files: Map<string, SimFile>, source?: string, onOp?: (done: number) => void): OpResult {
  const path = `ops[${i}].${op.op}`;
  // `archDependent`: a mistake only on some architectures (a length or address the page size or
  // TASK_SIZE refuses); the others (thread states, busy CPUs, overlaps) are the same everywhere
  const err = (field: string, msg: string, archDependent = false): never => {
    const e = new ScenarioError(`${path}${field ? '.' + field : ''}`, msg, source);
    e.sameOnEveryArch = !archDependent;
    throw e;
  };
  const thread = (name: string): Thread => {
    const t = threads.get(name)!;
    if (t.state === 'exited') err('thread', `thread "${name}" has exited`);
    return t;
  };
  const proc = (name: string): Mm => {
    const mm = procs.get(name)!;
    // exit_mmap() has torn the address space down: nothing can map into it any more
    if (mm.dead) err('process', `process "${name}" has exited (all its threads exited)`);
    return mm;
  };
  const onThread = (name: string, fn: (mm: Mm) => OpResult): OpResult => {
    const t = thread(name);
    if (!t.mm) return err('thread', `thread "${name}" is a kernel thread`);
    scheduleIn(m, t);
    const mm = t.mm;
    return m.op(op.op, t.cpu, () => fn(mm));
  };
  switch (op.op) {
    case 'mmap': {
      const a = op.args;
      const mm = proc(a.process);
      const p = protOf(a.prot);
      const file = a.file ? files.get(a.file) : undefined;
      const r = m.op('mmap', 0, () => mmap(m, mm, { addr: a.addr, length: a.length, ...p, shared: a.shared, file, pgoff: a.offset / 4096, hugetlb: a.hugetlb, hugeSize: a.hugeSize, pfnmap: a.pfnmap, locked: a.locked, name: a.name }));
      if (!r.ok) err(r.errno === 'EEXIST' ? 'addr' : '', r.message!, r.errno !== 'EEXIST');
      return r;
    }
    case 'touch': {
      const a = op.args;
      const stride = a.stride ?? 2 ** m.geometry.pageShift;
      return onThread(a.thread, (mm) => {
        for (let k = 0; k < a.pages; k++) {
          // a touch of millions of pages is one op of many seconds: say how far it is
          if (onOp && k % 65536 === 65535) onOp(i + k / a.pages);
          const r = touch(m, mm, a.addr + k * stride, { write: a.write, thp: a.thp, order: a.order });
          if (!r.ok) err('addr', `page ${k} at 0x${(a.addr + k * stride).toString(16)}: ${r.message}`, true);
        }
        return { ok: true };
      });
    }
    case 'munmap':
      return onThread(op.args.thread, (mm) => munmap(m, mm, op.args.addr, op.args.length));
    case 'madvise':
      return onThread(op.args.thread, (mm) => madvise(m, mm, op.args.addr, op.args.length, op.args.advice));
    case 'mprotect':
      return onThread(op.args.thread, (mm) => mprotect(m, mm, op.args.addr, op.args.length, protOf(op.args.prot)));
    case 'mremap':
      return onThread(op.args.thread, (mm) => mremap(m, mm, op.args.addr, op.args.oldLength, op.args.newLength, op.args.mayMove));
    case 'fork': {
      const ct = op.args.childThread;
      return onThread(op.args.thread, (mm) => {
        // as spawn: a new thread does not take a CPU another thread runs on (the parent included)
        const busy = m.cpus[ct.cpu].curr;
        if (ct.state === 'running' && busy && busy.state === 'running') err('childThread.cpu', `CPU ${ct.cpu} already runs thread "${busy.name}" (give the child another CPU or state: sleeping)`);
        const child = fork(m, mm, op.args.child);
        procs.set(op.args.child, child);
        threads.set(ct.name, m.addThread(child, ct.name, ct.cpu, ct.state));
        return { ok: true };
      });
    }
    case 'exit': {
      const t = thread(op.args.thread);
      scheduleIn(m, t);
      m.op('exit', t.cpu, () => exitThread(m, t));
      return { ok: true };
    }
    case 'exit_process': {
      const mm = proc(op.args.process);
      for (const t of [...threads.values()].filter((x) => x.mm === mm && x.state !== 'exited')) {
        scheduleIn(m, t);
        m.op('exit', t.cpu, () => exitThread(m, t));
      }
      return { ok: true };
    }
    case 'sleep':
      m.op('sleep', 0, () => m.sleep(thread(op.args.thread)));
      return { ok: true };
    case 'run': {
      const t = thread(op.args.thread);
      const busy = m.cpus[op.args.cpu].curr;
      if (busy && busy !== t && busy.state === 'running') err('cpu', `CPU ${op.args.cpu} already runs thread "${busy.name}"`);
      if (t.state === 'running' && t.cpu !== op.args.cpu) m.sleep(t);
      m.op('run', op.args.cpu, () => m.run(t, op.args.cpu));
      return { ok: true };
    }
    case 'spawn': {
      const mm = proc(op.args.process);
      const ts = op.args.thread;
      const busy = m.cpus[ts.cpu].curr;
      if (ts.state === 'running' && busy && busy.state === 'running') err('thread.cpu', `CPU ${ts.cpu} already runs thread "${busy.name}"`);
      m.op('spawn', ts.cpu, () => threads.set(ts.name, m.addThread(mm, ts.name, ts.cpu, ts.state)));
      return { ok: true };
    }
    case 'reclaim': {
      const f = files.get(op.args.file)!;
      const pages = op.args.pages === 'all' ? [...f.pages.keys()].sort((a, b) => a - b) : op.args.pages;
      m.op('reclaim', op.args.cpu, () => reclaimFilePages(m, f, pages));
      return { ok: true };
    }
    case 'gup_fast_begin': {
      if (m.cpus[op.args.cpu].irqsOff) err('cpu', `CPU ${op.args.cpu} already has a GUP-fast walk in progress`);
      m.gupFastBegin(op.args.cpu, proc(op.args.process), op.args.addr);
      return { ok: true };
    }
    case 'wait':
      // time passes with every thread where it is: x86's once-a-second mm_cpumask trim comes due
      m.op('wait', 0, () => {
        m.now += op.args;
      });
      return { ok: true };
    case 'gup_fast_end':
      if (!m.cpus[op.args.cpu].irqsOff) err('cpu', `CPU ${op.args.cpu} has no GUP-fast walk in progress (gup_fast_begin first)`);
      m.op('gup_fast_end', op.args.cpu, () => m.gupFastEnd(op.args.cpu));
      return { ok: true };
  }
}
