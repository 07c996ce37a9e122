import type { ArchBackend, ArchContext, ArchRuntime, SendIpiOptions } from '../arch/contract.js';
import { asmGenericTlb, type TlbHooks } from '../arch/asm-generic-tlb.js';
import { countFlushOps } from './flush-ops.js';
import { tableSpan, type Geometry } from '../arch/geometry.js';
import { resolveKconfig, type Kconfig } from '../arch/kconfig.js';
import { Checker } from '../check/checker.js';
import { Metrics } from '../metrics/metrics.js';
import { metricName } from '../metrics/per-cpu.js';
import { MAINLINE, resolveKernel, type KernelSpec } from '../kernel/features.js';
import { formatRelease } from '../kernel/release.js';
import type { Explorer } from '../explore/explorer.js';
import type { TraceEvent, TraceSink } from '../trace/events.js';
import { makeArchContext } from './arch-context.js';
import { bugInjection, type BugInjection, type BugOptions } from './bugs.js';
import { Cpu, type Thread, type ThreadState, type Walker } from './cpu.js';
import { BatchAllocFaults, type AllocFailures } from './fault-inject.js';
import { FrameKind, Frames } from './frames.js';
import { gupFastBegin, gupFastEnd } from './gup-fast.js';
import type { HugetlbHooks } from './hugetlb-hooks.js';
import { LargeFolios } from './large-folios.js';
import { Mm, type SimFile } from './mm.js';
import { runOp } from './op.js';
import { TableIndex, allocTable, freeTable, unlinkTable } from './pgtable-pages.js';
import type { PageTable } from './page-table.js';
import { Rcu, rcuQuiesce } from './rcu.js';
import { addThread, contextSwitch, setLoadedMm, sleepThread } from './sched.js';
import { onEachCpuMask, sendIpi, syncAllCpus } from './smp.js';
import { INVALIDATE_ALL, TlbModel } from './tlb.js';

export type { AllocFailures } from './fault-inject.js';
export type { BugOptions } from './bugs.js';

export interface MachineOptions {
  arch: ArchBackend;
  cpus: number;
  /**
   * the kernel release modelled (`6.1`, `6.18.44`, `mainline`, or a resolved spec); default: the
   * backend's own (`arch.kernel`), else mainline. The backend is rebuilt for it (arch.withKernel).
   */
  kernel?: string | KernelSpec;
  /** feature changes on top of the release: `+ID` adds one (a backport), `-ID` removes one */
  features?: readonly string[];
  /** record trace events (off by default: per-op decision, never per page) */
  trace?: boolean;
  /**
   * where trace events go as they happen (turns tracing on): the machine keeps none of them
   * (`events` stays empty), so a long trace costs no memory here; without it they collect in `events`
   */
  traceSink?: TraceSink;
  /** run the hazard checker (on by default) */
  checker?: boolean;
  bugs?: BugOptions;
  allocFailures?: AllocFailures;
  /**
   * 'separate': what the mms and threads present before the first operation cost when they are
   * created (init_new_context) and first switch onto their CPUs is kept out of the totals, in
   * `metrics.setup` (the CLI and scenarios: setup is not the workload); 'include' (default):
   * everything counts in the totals.
   */
  setupMetrics?: 'separate' | 'include';
  /** count what each top-level operation caused, by its label (`m.perOp`; results' `ops`) */
  perOpMetrics?: boolean;
}

export const MAX_CPUS = 1024;
/** how many recent notes a finding shows ("the events that led there") */
const RECENT = 12;

/** the machine's kernel: as given (resolved with its feature changes), else the backend's, else mainline */
function machineKernel(opts: MachineOptions): KernelSpec {
  const k = opts.kernel;
  const base = typeof k === 'object' ? k : k === undefined ? (opts.arch.kernel ?? MAINLINE) : undefined;
  if (base && !opts.features?.length) return base;
  const release = base ? formatRelease(base.release) : (k as string);
  return resolveKernel(release, [...(base?.changes ?? []), ...(opts.features ?? [])]);
}

/** the backend rebuilt for `kernel`; a backend that does not vary by release is used as it is */
function forKernel(arch: ArchBackend, kernel: KernelSpec): ArchBackend {
  return arch.withKernel ? arch.withKernel(kernel) : arch;
}

/** mulberry32: a small deterministic PRNG for seeded choices */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The simulated machine of core SPEC.md §1: CPUs, threads, mms with real page tables, frames, IPIs,
 * RCU, the TLB model and the checker, bound to one architecture backend. The composition root:
 * each concern lives in the module named after it (sched, smp, gup-fast, rcu, op,
 * pgtable-pages, arch-context, fault-inject, bugs, large-folios); the methods here delegate.
 */
export class Machine {
  readonly arch: ArchBackend;
  /** the kernel modelled: core, the backend and hugetlb read their features from it */
  readonly kernel: KernelSpec;
  readonly geometry: Geometry;
  /** 2^shift of each level of the geometry: the bytes one entry of that level maps */
  readonly levelSizes: readonly number[];
  /** tableSpan of each level: the bytes one table of that level maps */
  readonly tableSpans: readonly number[];
  /** PAGE_SIZE (2^geometry.pageShift), read on every mm path */
  readonly pageSize: number;
  readonly kconfig: Kconfig;
  readonly cpus: Cpu[];
  readonly frames = new Frames();
  /** every page-table page, by its frame */
  readonly tables = new Map<number, PageTable>();
  readonly tlb: TlbModel;
  readonly rcu = new Rcu();
  readonly metrics: Metrics;
  readonly checker: Checker;
  /** the backend's runtime as it made it (its internals, its ftrace formatter) */
  readonly runtime: ArchRuntime;
  /** the hooks core calls: the backend's, the asm-generic default for each it leaves out */
  readonly hooks: TlbHooks;
  readonly ctx: ArchContext;
  readonly mms: Mm[] = [];
  readonly threads: Thread[] = [];
  readonly files: SimFile[] = [];
  readonly bugs: BugInjection;
  readonly allocFailures: AllocFailures;
  tracing: boolean;
  /** the trace events so far, unless MachineOptions.traceSink takes them */
  readonly events: TraceEvent[] = [];
  /** MachineOptions.traceSink */
  readonly traceSink: TraceSink | undefined;
  /** simulated time, ns */
  now = 0;
  /** the CPU executing the current kernel path */
  curCpu = 0;
  /** name of the operation in progress (for findings) */
  opName = 'setup';
  /** whether any operation has run yet: until then the machine is being set up */
  opsStarted = false;
  /** MachineOptions.setupMetrics === 'separate' */
  readonly separateSetup: boolean;
  /** nesting of m.op: 0 outside any operation */
  opDepth = 0;
  /** the label the next top-level operation is counted and traced under (a scenario's `ops[3].munmap`) */
  opLabel: string | undefined;
  /** the label of the top-level operation running now */
  currentOp: string | undefined;
  /** per top-level operation label, what it counted (MachineOptions.perOpMetrics) */
  readonly perOp: Map<string, Metrics> | null;
  private nextId = 1;
  private flowId = 1;
  private readonly allocFaults: BatchAllocFaults;
  private readonly tableIndex: TableIndex;
  /** the last RECENT notes, a ring: when, on which CPU, and the text (a function: formatted only if a finding asks) */
  private readonly recentNs = new Float64Array(RECENT);
  private readonly recentCpu = new Int32Array(RECENT);
  private readonly recentText: (string | (() => string))[] = new Array(RECENT).fill('');
  private recentNext = 0;
  private recentCount = 0;
  /** anon_vma roots */
  nextAnonRoot = 1;
  /** tail frame -> head frame of large folios (mTHP) */
  readonly tailHead: Map<number, number>;
  /** THP head frame -> its deposited PTE table */
  readonly deposits: Map<number, PageTable>;
  /** installed by @tlbsim/hugetlb */
  hugetlb: HugetlbHooks | null = null;
  /** GUP-fast walks in progress (CPUs with a walker): while any is, a freed table's entries stay as they were */
  gupWalkers = 0;
  /** schedule exploration (core SPEC.md §13): null unless a schedule is being explored */
  explore: Explorer | null = null;

  constructor(opts: MachineOptions) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > MAX_CPUS) {
      throw new RangeError(`cpus must be an integer from 1 to ${MAX_CPUS}, got ${opts.cpus}`);
    }
    this.kernel = machineKernel(opts);
    this.arch = opts.kernel !== undefined || opts.features?.length ? forKernel(opts.arch, this.kernel) : opts.arch;
    this.geometry = this.arch.geometry;
    this.levelSizes = this.geometry.levels.map((l) => 2 ** l.shift);
    this.pageSize = 2 ** this.geometry.pageShift;
    this.tableSpans = this.geometry.levels.map((_, l) => tableSpan(this.geometry, l));
    this.kconfig = resolveKconfig(this.arch.kconfig);
    this.cpus = Array.from({ length: opts.cpus }, (_, i) => new Cpu(i));
    this.tableIndex = new TableIndex(this.geometry);
    const folios = new LargeFolios();
    this.tailHead = folios.tailHead;
    this.deposits = folios.deposits;
    this.tlb = new TlbModel(opts.cpus, () => this.now);
    this.metrics = new Metrics(opts.cpus, this.arch.perCpuCounters);
    this.separateSetup = opts.setupMetrics === 'separate';
    this.perOp = opts.perOpMetrics ? new Map() : null;
    this.checker = new Checker(this, opts.checker ?? true);
    this.traceSink = opts.traceSink;
    this.tracing = (opts.trace ?? false) || opts.traceSink !== undefined;
    this.bugs = bugInjection(opts.bugs, (bug, n) => this.checker.bugActed(bug, n));
    this.allocFailures = opts.allocFailures ?? {};
    this.allocFaults = new BatchAllocFaults(this.allocFailures);
    this.ctx = makeArchContext(this);
    this.runtime = this.arch.create(this.ctx);
    this.hooks = countFlushOps(asmGenericTlb(this.runtime, this.ctx), this.runtime, this.metrics);
    if (this.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH && !this.runtime.createTlbBatch) {
      throw new Error(`${this.arch.name}: selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH but provides no createTlbBatch (arch_tlbbatch_add_pending/arch_tlbbatch_flush)`);
    }
  }

  // ---------------------------------------------------------------- tracing and cost
  trace(ev: Omit<TraceEvent, 'ts'>): void {
    const t = this.cpus[ev.cpu]?.curr;
    this.record({ ts: this.now, ...ev, ...(this.currentOp ? { op: this.currentOp } : {}), ...(t ? { task: `${t.name}-${1000 + t.id}` } : {}) });
  }
  /** one finished trace event: to the sink when there is one, else kept in `events` */
  record(ev: TraceEvent): void {
    if (this.traceSink) this.traceSink(ev);
    else this.events.push(ev);
  }
  /** the id linking an ipi_send event to its deliveries */
  nextFlowId(): number {
    return this.flowId++;
  }
  /** a short line for the checker's "events that led there" (kept always, per flush not per page) */
  note(s: string | (() => string)): void {
    const i = this.recentNext;
    this.recentNs[i] = this.now;
    this.recentCpu[i] = this.curCpu;
    this.recentText[i] = s;
    this.recentNext = (i + 1) % RECENT;
    if (this.recentCount < RECENT) this.recentCount++;
  }
  recentEvents(): string[] {
    const r: string[] = [];
    for (let k = this.recentCount; k > 0; k--) {
      const i = (this.recentNext - k + RECENT) % RECENT;
      const t = this.recentText[i];
      r.push(`t=${this.recentNs[i]}ns CPU${this.recentCpu[i]} ${typeof t === 'string' ? t : t()}`);
    }
    return r;
  }
  cost(ns: number): void {
    this.metrics.estimatedNs += ns;
    this.now += ns;
  }
  instrCost(m: string): number {
    const c = this.arch.cost;
    return c.instructions[m] ?? c.defaultInstruction;
  }
  /** instrCost of the mnemonic whose metricId is `id`, computed once per mnemonic */
  instrCostById(id: number): number {
    return this.instrCosts[id] ?? (this.instrCosts[id] = this.instrCost(metricName(id)));
  }
  private readonly instrCosts: number[] = [];

  // ---------------------------------------------------------------- processes and threads
  newTable(level: number, base: number, owner: Mm): PageTable {
    return allocTable(this, level, base, owner);
  }

  createMm(name: string): Mm {
    const id = this.nextId++;
    // the pgd is a placeholder owner until the mm exists
    const mm = new Mm(id, name, null as unknown as PageTable, this.cpus.length);
    mm.pgd = this.newTable(4, 0, mm);
    this.mms.push(mm);
    // an mm that exists before the first operation is setup, like its threads' first switch
    if (this.separateSetup && !this.opsStarted) this.metrics.asSetup(() => this.hooks.initMm(mm));
    else this.hooks.initMm(mm);
    return mm;
  }

  createFile(name: string): SimFile {
    const f: SimFile = { id: this.nextId++, name, pages: new Map() };
    this.files.push(f);
    return f;
  }

  /** Add a thread of `mm` (null: kernel thread) on `cpu` in `state`. */
  addThread(mm: Mm | null, name: string, cpu: number, state: ThreadState): Thread {
    const t: Thread = { id: this.nextId++, name, mm, cpu, state: 'sleeping' };
    this.threads.push(t);
    // a thread present before the first operation: its first switch is setup, not the workload
    if (this.separateSetup && !this.opsStarted) this.metrics.asSetup(() => addThread(this, t, cpu, state));
    else addThread(this, t, cpu, state);
    return t;
  }
  /** Schedule thread t on cpu (context switch). */
  run(t: Thread, cpu: number): void {
    contextSwitch(this, t, cpu);
  }
  /** The thread blocks: its CPU goes idle, lazy on the mm it last ran. */
  sleep(t: Thread): void {
    sleepThread(this, t);
  }
  setLoadedMm(cpu: number, mm: Mm | null): void {
    setLoadedMm(this, cpu, mm);
  }

  // ---------------------------------------------------------------- IPIs, RCU, GUP-fast
  sendIpi(targets: readonly number[], handler: (cpu: number) => void, opts: SendIpiOptions): void {
    sendIpi(this, targets, handler, opts);
  }
  /** on_each_cpu_mask (smp_call_function_many_cond) */
  onEachCpuMask(mask: readonly number[], fn: (cpu: number) => void, opts: SendIpiOptions): void {
    onEachCpuMask(this, mask, fn, opts);
  }
  /** The generic tlb_remove_table_sync_one(): waiting no-op IPI to all other online CPUs. */
  syncAllCpus(kind?: string): void {
    syncAllCpus(this, kind);
  }
  /** Start a GUP-fast walk of addr on cpu: IRQs off, pinned on the tables of the path. */
  gupFastBegin(cpu: number, mm: Mm, addr: number): Walker {
    return gupFastBegin(this, cpu, mm, addr);
  }
  gupFastEnd(cpu: number): void {
    gupFastEnd(this, cpu);
  }
  /** Let RCU grace periods end where no IRQs-off reader holds them up. */
  quiesce(): void {
    rcuQuiesce(this);
  }
  callRcu(cb: () => void): void {
    this.rcu.call(++this.tlb.epoch, cb);
  }
  /** GFP_NOWAIT allocation of a batch page (-1: it failed); failure is injected deterministically. */
  allocBatchPage(kind: 'page' | 'table'): number {
    return this.allocFaults.fails(kind) ? -1 : this.frames.alloc(FrameKind.Batch);
  }

  // ---------------------------------------------------------------- page-table pages
  index(t: PageTable, addr: number): number {
    return this.tableIndex.index(t, addr);
  }
  /** Free a page-table page now (after whatever flush / grace period protects it). */
  freeTable(t: PageTable): void {
    freeTable(this, t);
  }
  /** Mark a table unlinked from its parent (its walk-cache entries may linger). */
  unlinkTable(t: PageTable): void {
    unlinkTable(this, t);
  }

  /** Run one top-level operation on a CPU; RCU may make progress when it returns. */
  op<T>(name: string, cpu: number, fn: () => T): T {
    return runOp(this, name, cpu, fn);
  }
}

export { INVALIDATE_ALL };
