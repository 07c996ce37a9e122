/**
 * The backend contract: everything an architecture package implements and everything core hands
 * it. A backend imports only this module's types and core's public helpers.
 *
 * The kernel's shape is kept: core models mm/mmu_gather.c and include/asm-generic/tlb.h and
 * calls the arch hook `tlb_flush(tlb)` (here {@link ArchRuntime.tlbFlush}); the arch then uses its
 * own flush primitives, IPIs or broadcast instructions, reported through {@link ArchContext}.
 */
import type { CostModel } from './cost-model.js';
import type { Geometry } from './geometry.js';
import type { Kconfig } from './kconfig.js';
import type { KernelSpec } from '../kernel/features.js';
import type { ArchMetricDocs } from '../metrics/registry.js';
import { checkOptionSpecs, type OptionSpec, type OptionValue } from './options.js';
import type { Invalidation } from '../machine/tlb.js';
import type { Cpumask, Mm } from '../machine/mm.js';
import type { TraceEvent } from '../trace/events.js';

/** Read-only view of `struct mmu_gather` as the arch `tlb_flush` sees it. */
export interface GatherView {
  readonly mm: Mm;
  readonly start: number;
  readonly end: number;
  readonly fullmm: boolean;
  readonly needFlushAll: boolean;
  readonly freedTables: boolean;
  readonly clearedPtes: boolean;
  readonly clearedPmds: boolean;
  readonly clearedPuds: boolean;
  readonly clearedP4ds: boolean;
  readonly unsharedTables: boolean;
  readonly vmaExec: boolean;
  readonly vmaHuge: boolean;
  readonly vmaPfn: boolean;
  /**
   * log2 of the hugetlb page size of the last VMA tlb_update_vma_flags saw when `vmaHuge` (0
   * otherwise); the generic tlb_flush hands it to flush_tlb_range as the VMA's hstate
   */
  readonly vmaHugeShift: number;
  /** MMU_GATHER_PAGE_SIZE: the size of the queued entries, 0 when unknown */
  readonly pageSize: number;
}

/**
 * What `flush_tlb_range(vma, ...)` reads of its VMA: VM_EXEC, VM_HUGETLB and, for a hugetlb VMA,
 * its hstate (log2 of the huge page size), which every caller in core and hugetlb supplies.
 */
export type VmaFlagsView =
  | { readonly exec: boolean; readonly hugetlb: false }
  | { readonly exec: boolean; readonly hugetlb: true; readonly hugeShift: number };

/** What a CPU looks like to a backend. */
export interface CpuView {
  readonly id: number;
  /** the mm in this CPU's MMU (null: init_mm / kernel only) */
  readonly loadedMm: Mm | null;
  /** idle or in a kernel thread while still holding `loadedMm` (lazy TLB) */
  readonly lazy: boolean;
  /** a thread of loadedMm runs user code here */
  readonly runningUser: boolean;
  /** interrupts disabled (a GUP-fast walker is inside the page tables) */
  readonly irqsOff: boolean;
  /** the mm of the thread currently running (a kernel thread has none) */
  readonly currentMm: Mm | null;
  /** the id of the thread currently running here (current->pid), null when idle */
  readonly currentTid: number | null;
}

/** An IPI as delivered to one CPU. */
export interface IpiInfo {
  /** what the handler does, e.g. `flush_tlb_func`, `tlb_remove_table_smp_sync`, `do_kernel_range_flush` */
  kind: string;
  from: number;
}

export interface SendIpiOptions {
  kind: string;
  /** the sender waits for every handler to finish (smp_call_function_many with wait=1) */
  wait: boolean;
  /** the send targeted every other online CPU (counted in `ipiBroadcasts`) */
  broadcast?: boolean;
}

/**
 * The services core provides to a backend. All effects a backend has on the simulated hardware
 * go through here, which is what lets the checker see them.
 */
export interface ArchContext {
  readonly geometry: Geometry;
  readonly kconfig: Kconfig;
  readonly nrCpus: number;
  readonly cpus: readonly CpuView[];
  /** The CPU executing the current kernel path (the flush initiator). */
  currentCpu(): number;
  /** Simulated time in ns. */
  now(): number;
  /** Jiffies at HZ=1000 derived from `now()` (x86's once-a-second cpumask trim). */
  jiffies(): number;
  /** Executed TLB maintenance on `cpu` for `mm`: removes what it covers (checker input). */
  invalidate(cpu: number, mm: Mm, inv: Invalidation): void;
  /** Hardware broadcast (arm64 `TLBI ...IS`, ppc `tlbie`, x86 INVLPGB): every CPU, no IPI. */
  invalidateAllCpus(mm: Mm, inv: Invalidation): void;
  /**
   * Record that `cpu` will perform `inv` before it next uses `mm` (x86 tlb_gen catch-up on
   * switch, arm64 ASID rollover). Protects against H1 only while the CPU does not run mm.
   */
  invalidateDeferred(cpu: number, mm: Mm, inv: Invalidation): void;
  /** Count `n` executions of a TLB instruction on `cpu` (cpu -1: not attributable to one CPU). */
  instr(cpu: number, mnemonic: string, n?: number): void;
  /** Bump an arch counter (`interrupts.TLB`, `nr_tlb_local_flush_one`...) on `cpu`. */
  counter(cpu: number, name: string, n?: number): void;
  /**
   * instr and counter by the name's `metricId`: what a backend counts on every target of a
   * shootdown it can name by id, resolved once, instead of looking the name up per CPU.
   */
  instrById(cpu: number, id: number, n?: number): void;
  counterById(cpu: number, id: number, n?: number): void;
  /** A flush as the architecture counts it: full (whole address space) or ranged. */
  countFlush(cpu: number, kind: 'full' | 'ranged'): void;
  /**
   * Firmware interrupted `cpu` on the current CPU's behalf, without a Linux IPI (riscv SBI remote
   * fences): counted in its own row, so no table says 0 IPIs where another CPU was interrupted.
   */
  firmwareIpi(cpu: number): void;
  /** Send an IPI running `handler` on each target (deferred while the target has IRQs off). */
  sendIpi(targets: readonly number[], handler: (cpu: number) => void, opts: SendIpiOptions): void;
  /**
   * on_each_cpu_mask(mask, fn, info, wait) as kernel/smp.c's smp_call_function_many_cond runs it:
   * IPIs to the CPUs of `mask` other than the current one first, then `fn` in place on the
   * current CPU if it is in `mask`.
   */
  onEachCpuMask(mask: readonly number[], fn: (cpu: number) => void, opts: SendIpiOptions): void;
  /** The generic `tlb_remove_table_sync_one()`: a waiting no-op IPI to all other online CPUs. */
  syncAllCpus(kind?: string): void;
  /** Switch a CPU's MMU to another mm (null: init_mm) from inside arch code (x86 lazy -> init_mm). */
  setLoadedMm(cpu: number, mm: Mm | null): void;
  /** Leave lazy mode without loading anything new (cpu stays on loadedMm). */
  setLazy(cpu: number, lazy: boolean): void;
  mmCpumask(mm: Mm): Cpumask;
  /** Per-mm arch state, created on first use. */
  mmState<T>(mm: Mm, init: () => T): T;
  /** true when trace events are being recorded; test it before building an event */
  readonly tracing: boolean;
  trace(ev: Omit<TraceEvent, 'ts'>): void;
  /** Add to the run's cost estimate. */
  cost(ns: number): void;
  readonly costModel: CostModel;
}

/** Reclaim's batched unmap (`ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH`), per reclaiming task. */
export interface TlbBatch {
  /** arch_tlbbatch_add_pending(batch, mm, start, end) */
  addPending(mm: Mm, start: number, end: number): void;
  /** arch_tlbbatch_flush(batch) */
  flush(): void;
}

/**
 * The typed name of one backend's per-run internals (its state for tests, scenarios and the CLI
 * to inspect): a backend exports one key, puts `{ key, value }` in its runtime's `internals`,
 * and {@link archInternals} gives the value back with its type. Compared by identity.
 */
export interface InternalsKey<T> {
  /** the backend's name, for the error when a machine runs another one */
  readonly arch: string;
  /** carries T for the type checker only */
  readonly _type?: T;
}

/** A new key for the internals of backend `arch`, typed T. */
export function internalsKey<T>(arch: string): InternalsKey<T> {
  return Object.freeze({ arch });
}

/** The internals slot of an {@link ArchRuntime}: the value under its backend's key. */
export interface ArchInternals<T = unknown> {
  readonly key: InternalsKey<T>;
  readonly value: T;
}

/**
 * The internals of the backend `m` runs, by the backend's key (throws, naming both, when `m`
 * runs another backend). `who` names the caller in the error, e.g. `x86Internals`.
 */
export function archInternals<T>(m: { readonly arch: { readonly name: string }; readonly runtime: ArchRuntime }, key: InternalsKey<T>, who = `${key.arch} internals`): T {
  const i = m.runtime.internals;
  if (i && i.key === key) return i.value as T;
  if (m.arch.name !== key.arch) throw new Error(`${who}: the machine runs arch '${m.arch.name}', not '${key.arch}'`);
  throw new Error(`${who}: the '${key.arch}' runtime has no internals under this key`);
}

/** The per-run instance of a backend: its hooks bound to one machine. */
export interface ArchRuntime {
  /** this run's backend state for inspection (per run: created inside `create()`), see {@link archInternals} */
  readonly internals?: ArchInternals;
  /**
   * The arch `tlb_flush(tlb)`. Omit to get the kernel's generic default (asm-generic/tlb.h),
   * which calls {@link flushTlbMm} / {@link flushTlbRange}.
   */
  tlbFlush?(g: GatherView): void;
  /** flush_tlb_mm(mm) */
  flushTlbMm(mm: Mm): void;
  /** flush_tlb_range(vma, start, end) */
  flushTlbRange(mm: Mm, start: number, end: number, vma: VmaFlagsView): void;
  /** flush_tlb_page(vma, addr) */
  flushTlbPage(mm: Mm, addr: number): void;
  /** arch_supports_page_table_move(): mremap may move whole PTE tables (default true) */
  supportsPageTableMove?(): boolean;
  /** arch_tlbbatch_should_defer(mm): may reclaim defer this mm's flush into the batch (default true) */
  tlbbatchShouldDefer?(mm: Mm): boolean;
  /** flush_cache_range(vma, start, end): a no-op on x86, arm64, riscv, powerpc and s390 */
  flushCacheRange?(mm: Mm, start: number, end: number): void;
  /** flush_tlb_kernel_range(start, end) */
  flushTlbKernelRange?(start: number, end: number): void;
  /** tlb_needs_table_invalidate() (default true) */
  needsTableInvalidate?(): boolean;
  /**
   * tlb_remove_table_sync_one() under MMU_GATHER_RCU_TABLE_FREE (core skips it otherwise).
   * Default: ctx.syncAllCpus().
   */
  tlbRemoveTableSyncOne?(): void;
  /** pte_needs_flush(old, new) for mprotect (default: always true) */
  pteNeedsFlush?(oldPte: number, newPte: number): boolean;
  /** huge_pmd_needs_flush(old, new) for change_huge_pmd (default: pteNeedsFlush, else true) */
  hugePmdNeedsFlush?(oldPmd: number, newPmd: number): boolean;
  /**
   * flush_pmd_tlb_range(vma, start, end): what pmdp_invalidate issues when a THP's PMD is
   * invalidated (split, MADV_FREE, mremap's move_huge_pmd, change_huge_pmd). Default: the generic
   * alias of flush_tlb_range (with the VMA's flags).
   */
  flushPmdTlbRange?(mm: Mm, start: number, end: number, vma: VmaFlagsView): void;
  /**
   * pmdp_invalidate_ad in change_huge_pmd. Omit for the generic one (pmdp_invalidate, so
   * flush_pmd_tlb_range at once); x86 defines its own, which does not flush.
   */
  pmdpInvalidateAd?(mm: Mm, addr: number, vma: VmaFlagsView): void;
  /** a new mm exists (mm_alloc / init_new_context) */
  initMm?(mm: Mm): void;
  /**
   * A present entry changed outside the gather's zap path (pte_update -> hpte_need_flush on
   * powerpc hash): mprotect's change_pte_range/change_huge_pmd, fork's write-protect, mremap's
   * move_ptes. `level` 0 = PTE, 1 = PMD leaf.
   */
  pteUpdate?(mm: Mm, addr: number, oldPte: number, newPte: number, level: number): void;
  /**
   * Whether pmdp_huge_get_and_clear_full in zap_huge_pmd also calls flush_pmd_tlb_range at once
   * (`full` = tlb->fullmm). Default false (the generic one only clears); book3s64 radix: unless full.
   */
  pmdpHugeClearFullFlushes?(full: boolean): boolean;
  /**
   * A table entry of `mm`'s page tables was written: set_pmd (`level` 1, the entry points to a PTE
   * table), set_pud (2), set_p4d (3), set_pgd (4), from p?d_populate (`present` true: table
   * allocation at fault and fork, mremap's table move, a THP split's pmd_populate) or p?d_clear
   * (`present` false: free_pgtables, the old slot of a moved table). asm-generic: a plain store,
   * nothing to do; arm64 issues its page-table barriers here.
   */
  setTableEntry?(mm: Mm, level: number, present: boolean): void;
  /** arch_enter_lazy_mmu_mode / arch_leave_lazy_mmu_mode around a PTE-table loop on `cpu` */
  enterLazyMmu?(cpu: number): void;
  leaveLazyMmu?(cpu: number): void;
  /** __tlb_remove_tlb_entry(tlb, ptep, addr) (ppc hash queues an HPTE invalidation) */
  removeTlbEntry?(g: GatherView, addr: number): void;
  /**
   * switch_mm_irqs_off: `cpu` is about to run a thread of `next` (null: a kernel thread that
   * does not borrow an mm). Core has already updated loadedMm and mm_cpumask when this returns
   * unless the backend changed them. `prev` is the mm loaded before.
   */
  switchMm(cpu: number, prev: Mm | null, next: Mm): void;
  /** enter_lazy_tlb: the CPU went idle or to a kernel thread while holding `mm`. */
  enterLazy?(cpu: number, mm: Mm): void;
  /** Observe each IPI delivery (x86 counts `interrupts.CAL`). */
  onIpi?(cpu: number, ipi: IpiInfo): void;
  /** ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: a new batch for one reclaim pass. */
  createTlbBatch?(): TlbBatch;
  /** arch_flush_tlb_batched_pending(mm) */
  flushTlbBatchedPending?(mm: Mm): void;
  /** The mm is being destroyed (free ASIDs, global ASIDs...). */
  destroyMm?(mm: Mm): void;
  /** Format an event this backend emitted as an ftrace text line, or undefined. */
  ftrace?(ev: TraceEvent): string | undefined;
}

/**
 * An architecture backend: what a factory such as `x86({ pcid: true })` returns.
 */
export interface ArchBackend {
  /** short name used on the command line: `x86`, `arm64`, `ppc`, `generic` */
  readonly name: string;
  /** human label including the options that matter: `x86-64 (PCID, no PTI)` */
  readonly label: string;
  /** the resolved options (defaults filled in), for reports */
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly optionSpecs: readonly OptionSpec[];
  readonly kconfig: Kconfig;
  readonly geometry: Geometry;
  /** hugetlb page sizes (bytes) this configuration offers (hstates) */
  readonly hugePageSizes: readonly number[];
  /**
   * false when the MMU never walks the Linux page tables (powerpc hash: the hashed page table is
   * separate; sparc64): no paging-structure caches can point into a freed table. Default true.
   */
  readonly walksPageTables?: boolean;
  /** Transparent huge pages at PMD level */
  readonly thpPmdSize: number;
  readonly cost: CostModel;
  /** names of per-CPU counters this backend keeps, created at 0 for every CPU */
  readonly perCpuCounters: readonly string[];
  /** what each counter and instruction mnemonic this backend reports means (the metric registry) */
  readonly metricDocs?: ArchMetricDocs;
  /**
   * The kernel this configuration models (release and feature changes). Absent: the backend
   * does not vary by release, and the machine's kernel is the one it models.
   */
  readonly kernel?: KernelSpec;
  /**
   * The same configuration for another kernel (`new Machine({ kernel })`, `--kernel`). A backend
   * whose own `kernel` option was given explicitly keeps it: that option overrides the machine's.
   */
  withKernel?(kernel: KernelSpec): ArchBackend;
  /** Bind the backend to a machine. */
  create(ctx: ArchContext): ArchRuntime;
}

/**
 * Declare a backend (every factory returns through it): checks that its option specs are
 * coherent (unique names and aliases, each default allowed by its spec) and that `options`
 * holds exactly the specs' options in spec order, so listings, labels and reports agree.
 * Returns `b` itself, typed (unstorage's `defineDriver` style).
 */
export function defineArch<B extends ArchBackend>(b: B): B {
  checkOptionSpecs(b.name, b.optionSpecs);
  const names = b.optionSpecs.filter((s) => s.kind !== 'cost').map((s) => s.name);
  const keys = Object.keys(b.options);
  if (names.join(',') !== keys.join(',')) {
    throw new Error(`${b.name}: options (${keys.join(', ')}) differ from the option specs (${names.join(', ')})`);
  }
  return b;
}
