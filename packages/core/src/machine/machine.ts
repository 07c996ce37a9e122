import type { ArchBackend, ArchContext, ArchRuntime, CpuView, SendIpiOptions } from '../arch/contract.js';
import type { CostModel } from '../arch/cost-model.js';
import type { Geometry } from '../arch/geometry.js';
import { resolveKconfig, type Kconfig } from '../arch/kconfig.js';
import { Checker } from '../check/checker.js';
import { Metrics } from '../metrics/metrics.js';
import type { TraceEvent } from '../trace/events.js';
import { Cpu, type Thread, type ThreadState, type Walker } from './cpu.js';
import { FrameKind, Frames } from './frames.js';
import { Cpumask, Mm, type SimFile } from './mm.js';
import { PageTable, TableState } from './page-table.js';
import { pteFrame } from './pte.js';
import { Rcu } from './rcu.js';
import type { HugetlbHooks } from '../mm/fault.js';
import { INVALIDATE_ALL, TlbModel, type Invalidation } from './tlb.js';

/** Options that re-create known kernel bugs, so the checker can be shown to find them. */
export interface BugOptions {
  /** tlb_flush_mmu frees the batched pages before the TLB flush */
  freePagesBeforeFlush?: boolean;
  /** table batches are freed at once, with neither a TLB flush nor an RCU grace period */
  freeTablesWithoutFlush?: boolean;
  /** change_pte_range records no TLB flush for reduced permissions */
  skipMprotectFlush?: boolean;
}

/** Deterministic GFP_NOWAIT failure injection for the gather's batch pages. */
export interface AllocFailures {
  /** fail every page-batch allocation (tlb_next_batch) */
  pageBatch?: 'never' | 'always' | number[];
  /** fail every table-batch allocation (tlb_remove_table) */
  tableBatch?: 'never' | 'always' | number[];
}

export interface MachineOptions {
  arch: ArchBackend;
  cpus: number;
  /** record trace events (off by default: per-op decision, never per page) */
  trace?: boolean;
  /** run the hazard checker (on by default) */
  checker?: boolean;
  bugs?: BugOptions;
  allocFailures?: AllocFailures;
}

export const MAX_CPUS = 1024;

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
 * RCU, the TLB model and the checker, bound to one architecture backend.
 */
export class Machine {
  readonly arch: ArchBackend;
  readonly geometry: Geometry;
  readonly kconfig: Kconfig;
  readonly cpus: Cpu[];
  readonly frames = new Frames();
  readonly tables = new Map<number, PageTable>();
  readonly tlb: TlbModel;
  readonly rcu = new Rcu();
  readonly metrics: Metrics;
  readonly checker: Checker;
  readonly runtime: ArchRuntime;
  readonly ctx: ArchContext;
  readonly mms: Mm[] = [];
  readonly threads: Thread[] = [];
  readonly files: SimFile[] = [];
  readonly bugs: BugOptions;
  readonly allocFailures: AllocFailures;
  tracing: boolean;
  readonly events: TraceEvent[] = [];
  /** simulated time, ns */
  now = 0;
  /** the CPU executing the current kernel path */
  curCpu = 0;
  /** name of the operation in progress (for findings) */
  opName = 'setup';
  private nextId = 1;
  private flowId = 1;
  private pageBatchAllocs = 0;
  private tableBatchAllocs = 0;
  private readonly recent: string[] = [];
  /** anon_vma roots */
  nextAnonRoot = 1;
  /** tail frame -> head frame of large folios (mTHP) */
  readonly tailHead = new Map<number, number>();
  /** THP head frame -> its deposited PTE table */
  readonly deposits = new Map<number, PageTable>();
  /** installed by @tlbsim/hugetlb */
  hugetlb: HugetlbHooks | null = null;

  constructor(opts: MachineOptions) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || opts.cpus > MAX_CPUS) {
      throw new RangeError(`cpus must be an integer from 1 to ${MAX_CPUS}, got ${opts.cpus}`);
    }
    this.arch = opts.arch;
    this.geometry = opts.arch.geometry;
    this.kconfig = resolveKconfig(opts.arch.kconfig);
    this.cpus = Array.from({ length: opts.cpus }, (_, i) => new Cpu(i));
    for (const l of this.geometry.levels) {
      this.levelDiv.push(2 ** l.shift);
      this.levelEntries.push(l.entries);
    }
    this.tlb = new TlbModel(opts.cpus, () => this.now);
    this.metrics = new Metrics(opts.cpus, opts.arch.perCpuCounters);
    this.checker = new Checker(this, opts.checker ?? true);
    this.tracing = opts.trace ?? false;
    this.bugs = opts.bugs ?? {};
    this.allocFailures = opts.allocFailures ?? {};
    this.ctx = this.makeContext();
    this.runtime = opts.arch.create(this.ctx);
    if (this.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH && !this.runtime.createTlbBatch) {
      throw new Error(`${opts.arch.name}: selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH but provides no createTlbBatch (arch_tlbbatch_add_pending/arch_tlbbatch_flush)`);
    }
  }

  // ---------------------------------------------------------------- tracing and cost
  trace(ev: Omit<TraceEvent, 'ts'>): void {
    this.events.push({ ts: this.now, ...ev });
  }
  /** a short line for the checker's "events that led there" (kept always, per flush not per page) */
  note(s: string): void {
    if (this.recent.length >= 12) this.recent.shift();
    this.recent.push(`t=${this.now}ns CPU${this.curCpu} ${s}`);
  }
  recentEvents(): string[] {
    return [...this.recent];
  }
  cost(ns: number): void {
    this.metrics.estimatedNs += ns;
    this.now += ns;
  }
  instrCost(m: string): number {
    const c = this.arch.cost;
    return c.instructions[m] ?? c.defaultInstruction;
  }

  // ---------------------------------------------------------------- processes and threads
  newTable(level: number, base: number, owner: Mm): PageTable {
    const frame = this.frames.alloc(FrameKind.Table);
    const t = new PageTable(frame, level, base, owner, this.geometry.levels[level].entries);
    this.tables.set(frame, t);
    return t;
  }

  createMm(name: string): Mm {
    const id = this.nextId++;
    // the pgd is a placeholder owner until the mm exists
    const mm = new Mm(id, name, null as unknown as PageTable, this.cpus.length);
    mm.pgd = this.newTable(4, 0, mm);
    this.mms.push(mm);
    this.runtime.initMm?.(mm);
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
    if (mm) mm.users++;
    if (state === 'running') this.run(t, cpu);
    else if (state === 'sleeping') {
      const busy = this.cpus[cpu].curr;
      if (!busy || busy.state !== 'running') {
        // it ran here before blocking: the CPU idles, lazy on its mm (as Linux leaves it)
        this.run(t, cpu);
        this.sleep(t);
      }
    }
    return t;
  }

  /** Schedule thread t on cpu (context switch). */
  run(t: Thread, cpu: number): void {
    const c = this.cpus[cpu];
    if (c.curr && c.curr !== t && c.curr.state === 'running') {
      throw new Error(`CPU${cpu} already runs thread ${c.curr.name}`);
    }
    t.cpu = cpu;
    t.state = 'running';
    c.curr = t;
    const prev = this.curCpu;
    this.curCpu = cpu;
    if (t.mm) {
      const next = t.mm;
      const prevMm = c.loadedMm;
      if (prevMm !== next) {
        c.loadedMm = next;
        next.cpumask.set(cpu);
        this.tlb.load(cpu, next);
      }
      c.lazy = false;
      this.runtime.switchMm(cpu, prevMm, next);
      // the flush the arch promised (tlb_gen catch-up, ASID rollover) must have happened now
      if (!this.tlb.settleDeferred(cpu, next)) this.checker.brokenDeferral(cpu, next);
    } else {
      // a kernel thread borrows whatever is loaded: lazy TLB
      if (!c.lazy && c.loadedMm) this.runtime.enterLazy?.(cpu, c.loadedMm);
      c.lazy = true;
    }
    this.curCpu = prev;
  }

  /** The thread blocks: its CPU goes idle, lazy on the mm it last ran. */
  sleep(t: Thread): void {
    const c = this.cpus[t.cpu];
    t.state = 'sleeping';
    if (c.curr === t) {
      c.curr = null;
      if (c.loadedMm && !c.lazy) this.runtime.enterLazy?.(t.cpu, c.loadedMm);
      c.lazy = true;
    }
  }

  setLoadedMm(cpu: number, mm: Mm | null): void {
    const c = this.cpus[cpu];
    if (c.loadedMm === mm) return;
    c.loadedMm = mm;
    if (mm) {
      mm.cpumask.set(cpu);
      this.tlb.load(cpu, mm);
    }
  }

  // ---------------------------------------------------------------- IPIs, RCU, GUP-fast
  sendIpi(targets: readonly number[], handler: (cpu: number) => void, opts: SendIpiOptions): void {
    if (targets.length === 0) return;
    const from = this.curCpu;
    const m = this.metrics;
    m.ipis += targets.length;
    if (opts.broadcast) m.ipiBroadcasts++;
    this.cost(this.arch.cost.ipiSend);
    const flow = this.tracing ? this.flowId++ : 0;
    if (this.tracing) this.trace({ cpu: from, name: 'ipi_send', cat: 'ipi', args: { kind: opts.kind, targets: [...targets], wait: opts.wait }, flowOut: flow });
    this.note(`IPI ${opts.kind} -> CPUs ${targets.join(',')}`);
    for (const cpu of targets) {
      const c = this.cpus[cpu];
      const deliver = () => {
        m.cpus[cpu].ipisReceived++;
        this.cost(this.arch.cost.ipiPerTarget);
        this.runtime.onIpi?.(cpu, { kind: opts.kind, from });
        if (this.tracing) this.trace({ cpu, name: opts.kind, cat: 'ipi', flowIn: flow });
        const saved = this.curCpu;
        this.curCpu = cpu;
        handler(cpu);
        this.curCpu = saved;
      };
      if (c.irqsOff) {
        if (opts.wait) {
          // a synchronous sender spins until the target re-enables interrupts: the walker
          // running there completes first
          this.gupFastEnd(cpu);
          deliver();
        } else c.pendingIpis.push(deliver);
      } else deliver();
    }
  }

  /** The generic tlb_remove_table_sync_one(): waiting no-op IPI to all other online CPUs. */
  syncAllCpus(kind = 'tlb_remove_table_smp_sync'): void {
    const others = this.cpus.filter((c) => c.id !== this.curCpu).map((c) => c.id);
    if (others.length === 0) return;
    this.sendIpi(others, () => {}, { kind, wait: true, broadcast: true });
  }

  /** Start a GUP-fast walk of addr on cpu: IRQs off, pinned on the tables of the path. */
  gupFastBegin(cpu: number, mm: Mm, addr: number): Walker {
    const c = this.cpus[cpu];
    if (c.irqsOff) throw new Error(`CPU${cpu} already has interrupts disabled`);
    const tables: number[] = [];
    let t: PageTable | undefined = mm.pgd;
    while (t) {
      tables.push(t.frame);
      if (t.level === 0) break;
      const e = t.entries[this.index(t, addr)];
      if (!e || (e & 32) /* leaf */) break;
      t = this.tables.get(pteFrame(e));
    }
    c.irqsOff = true;
    c.walker = { mm, addr, tables, startEpoch: ++this.tlb.epoch };
    if (this.tracing) this.trace({ cpu, name: 'gup_fast_begin', cat: 'gup', args: { addr: '0x' + addr.toString(16) } });
    return c.walker;
  }

  gupFastEnd(cpu: number): void {
    const c = this.cpus[cpu];
    if (!c.irqsOff) return;
    c.irqsOff = false;
    c.walker = null;
    if (this.tracing) this.trace({ cpu, name: 'gup_fast_end', cat: 'gup' });
    const pend = c.pendingIpis;
    c.pendingIpis = [];
    for (const d of pend) d();
  }

  /** Let RCU grace periods end where no IRQs-off reader holds them up. */
  quiesce(): void {
    let oldest = Infinity;
    for (const c of this.cpus) if (c.walker && c.walker.startEpoch < oldest) oldest = c.walker.startEpoch;
    const ran = this.rcu.advance(oldest);
    this.metrics.rcuCallbacks += ran;
    if (ran) this.cost(ran * this.arch.cost.rcuCallback);
  }

  callRcu(cb: () => void): void {
    this.rcu.call(++this.tlb.epoch, cb);
  }

  /** GFP_NOWAIT allocation of a batch page; failure is injected deterministically. */
  allocBatchPage(kind: 'page' | 'table'): number {
    const n = kind === 'page' ? this.pageBatchAllocs++ : this.tableBatchAllocs++;
    const rule = kind === 'page' ? this.allocFailures.pageBatch : this.allocFailures.tableBatch;
    if (rule === 'always' || (Array.isArray(rule) && rule.includes(n))) return -1;
    return this.frames.alloc(FrameKind.Batch);
  }

  // ---------------------------------------------------------------- page-table helpers
  index(t: PageTable, addr: number): number {
    return Math.floor(addr / this.levelDiv[t.level]) % this.levelEntries[t.level];
  }
  /** 2^shift and entries per level, precomputed for index() on the fault and zap paths */
  private readonly levelDiv: number[] = [];
  private readonly levelEntries: number[] = [];

  /** Free a page-table page now (after whatever flush / grace period protects it). */
  freeTable(t: PageTable): void {
    this.checker.tableFreedOrReused(t, 'freed');
    t.state = TableState.Freed;
    this.tables.delete(t.frame);
    this.frames.free(t.frame);
    if (t.unlinkEpoch >= 0) t.owner.outstanding--;
    this.metrics.tablesFreed++;
    this.cost(this.arch.cost.tableFree);
  }

  /** Mark a table unlinked from its parent (its walk-cache entries may linger). */
  unlinkTable(t: PageTable): void {
    t.state = TableState.Unlinked;
    t.unlinkEpoch = this.tlb.epoch;
    t.owner.outstanding++;
  }

  // ---------------------------------------------------------------- operations
  /** Run one top-level operation on a CPU; RCU may make progress when it returns. */
  op<T>(name: string, cpu: number, fn: () => T): T {
    const saved = this.curCpu;
    const savedName = this.opName;
    this.curCpu = cpu;
    this.opName = name;
    try {
      return fn();
    } finally {
      this.curCpu = saved;
      this.opName = savedName;
      this.quiesce();
      for (const mm of this.mms) {
        if (mm.tlbFlushPending === 0 && mm.outstanding <= 0 && (mm.tlbFlushBatched & 0x7fff) === ((mm.tlbFlushBatched >>> 16) & 0x7fff)) this.tlb.prune(mm);
      }
    }
  }

  // ---------------------------------------------------------------- the arch context
  private makeContext(): ArchContext {
    const m = this;
    const cpuViews: readonly CpuView[] = this.cpus;
    return {
      get geometry() { return m.geometry; },
      get kconfig() { return m.kconfig; },
      get nrCpus() { return m.cpus.length; },
      cpus: cpuViews,
      currentCpu: () => m.curCpu,
      now: () => m.now,
      jiffies: () => Math.floor(m.now / 1_000_000),
      invalidate(cpu: number, mm: Mm, inv: Invalidation) {
        m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm);
      },
      invalidateAllCpus(mm: Mm, inv: Invalidation) {
        for (const c of m.cpus) m.tlb.invalidate(c.id, mm, inv, c.loadedMm === mm);
      },
      invalidateDeferred(cpu: number, mm: Mm, inv: Invalidation) {
        m.tlb.invalidate(cpu, mm, inv, m.cpus[cpu].loadedMm === mm, true);
      },
      instr(cpu: number, mnemonic: string, n = 1) {
        m.metrics.instr(cpu, mnemonic, n);
        m.cost(m.instrCost(mnemonic) * n);
      },
      counter(cpu: number, name: string, n = 1) {
        m.metrics.counter(cpu, name, n);
      },
      countFlush(cpu: number, kind: 'full' | 'ranged') {
        if (kind === 'full') m.metrics.fullFlushes++;
        else m.metrics.rangedFlushes++;
        if (cpu >= 0) {
          if (kind === 'full') m.metrics.cpus[cpu].fullFlushes++;
          else m.metrics.cpus[cpu].rangedFlushes++;
        }
      },
      sendIpi: (targets, handler, opts) => m.sendIpi(targets, handler, opts),
      syncAllCpus: (kind?: string) => m.syncAllCpus(kind),
      setLoadedMm: (cpu, mm) => m.setLoadedMm(cpu, mm),
      setLazy(cpu: number, lazy: boolean) {
        m.cpus[cpu].lazy = lazy;
      },
      mmCpumask: (mm: Mm): Cpumask => mm.cpumask,
      mmState<T>(mm: Mm, init: () => T): T {
        const key = m.arch.name;
        let s = mm.arch.get(key) as T | undefined;
        if (s === undefined) {
          s = init();
          mm.arch.set(key, s);
        }
        return s;
      },
      get tracing() { return m.tracing; },
      trace: (ev) => m.trace(ev),
      cost: (ns: number) => m.cost(ns),
      get costModel(): CostModel { return m.arch.cost; },
    };
  }
}

export { INVALIDATE_ALL };
