/**
 * The metric registry: what every number tlbsim reports means, its unit, and the kernel's own
 * counterpart (a /proc/interrupts row, a /proc/vmstat name, a tracepoint) or "model only".
 *
 * Core defines the metrics every backend produces; each backend describes the per-CPU counters and
 * TLB instruction mnemonics it adds (`ArchBackend.metricDocs`), as asm-generic gives the default
 * and an architecture adds its own. `metricRegistry()` merges both into one list.
 */
import type { RunMetrics } from './metrics.js';

/** What a metric counts. */
export type MetricUnit =
  | 'operations'
  | 'IPIs'
  | 'flushes'
  | 'instructions'
  | 'pages'
  | 'page tables'
  | 'callbacks'
  | 'batches'
  | 'interrupts'
  | 'calls'
  | 'ns (model estimate)'
  | 'findings';

/** The description of one metric, counter or instruction. */
export interface MetricDoc {
  readonly unit: MetricUnit;
  /** one sentence: what is counted, and when */
  readonly definition: string;
  /** where the kernel reports the same thing, or 'model only' */
  readonly kernel: string;
}

/** What a backend adds to the registry: its per-CPU counters and its instruction mnemonics. */
export interface ArchMetricDocs {
  readonly counters: Readonly<Record<string, MetricDoc>>;
  readonly instructions: Readonly<Record<string, MetricDoc>>;
}

/** Where a metric appears in a result. */
export type MetricScope = 'run' | 'cpu' | 'run+cpu';

/** One registry row. `key` is the name tables and `-e` use. */
export interface MetricDef extends MetricDoc {
  /** `ipis`, `tlbInstructions.INVLPG`, `counters.interrupts.TLB`, `ipisReceived` */
  readonly key: string;
  /** in the run totals (`metrics`), per CPU (`cpus[]`), or both */
  readonly scope: MetricScope;
  /** backends that produce it ('all' for core's own) */
  readonly backends: 'all' | readonly string[];
}

type CoreRunKey = Exclude<keyof RunMetrics, 'tlbInstructions' | 'flushesBy'>;

/** The metrics core counts for every backend, in the order results list them. */
export const CORE_METRICS: Readonly<Record<CoreRunKey, MetricDoc & { scope: MetricScope }>> = {
  flushes: {
    unit: 'flushes',
    scope: 'run',
    definition: 'TLB flush operations of every kernel path: calls of an arch flush entry point (the gather\'s tlb_flush, flush_tlb_range/page/mm, pmdp flushes, batched unmap), the sum of flushesBy.*; context-switch flushes are not operations of their own',
    kernel: 'x86: one or more tlb:tlb_flush events per operation (one per CPU that flushes)',
  },
  archFlushes: {
    unit: 'calls',
    scope: 'run',
    definition: "of flushes, the gather's tlb_flush calls (tlb_flush_mmu_tlbonly with a non-empty range): flushesBy.tlb_flush, kept for library users",
    kernel: 'model only',
  },
  ipis: {
    unit: 'IPIs',
    scope: 'run',
    definition: 'inter-processor interrupts delivered: every target CPU of every cross-call counts one',
    kernel: 'sum over CPUs of the /proc/interrupts row the cross-call uses (x86 CAL, arm64 IPI1/"Function call interrupts", riscv IPI1); ipi:ipi_send_cpu/ipi_send_cpumask tracepoints',
  },
  firmwareIpis: {
    unit: 'interrupts',
    scope: 'run',
    definition: 'interruptions of other CPUs that firmware delivered instead of a Linux IPI (riscv SBI remote fences): not in ipis, which counts Linux cross-calls',
    kernel: 'model only (firmware; not in /proc/interrupts)',
  },
  ipiBroadcasts: {
    unit: 'operations',
    scope: 'run',
    definition: 'cross-calls sent to every other online CPU rather than to an mm_cpumask (tlb_remove_table_sync_one, the hugetlb unshare IPI)',
    kernel: 'ipi:ipi_send_cpumask with an all-CPUs mask',
  },
  fullFlushes: {
    unit: 'flushes',
    scope: 'run+cpu',
    definition: 'TLB invalidations of a whole address space (or the whole TLB) executed on a CPU, as the backend reports them; includes context-switch flushes',
    kernel: 'x86: tlb:tlb_flush with pages:-1; /proc/vmstat nr_tlb_local_flush_all (local part)',
  },
  rangedFlushes: {
    unit: 'flushes',
    scope: 'run+cpu',
    definition: 'TLB invalidations of an address range (one or more pages) executed on a CPU, as the backend reports them',
    kernel: 'x86: tlb:tlb_flush with pages >= 1',
  },
  pagesFreed: {
    unit: 'pages',
    scope: 'run',
    definition: "base pages of user memory returned to the page allocator (after the flush that covers them), counted in each architecture's PAGE_SIZE",
    kernel: 'model only (the kernel frees them in free_pages_and_swap_cache / folio_put)',
  },
  tablesFreed: {
    unit: 'page tables',
    scope: 'run',
    definition: 'page-table pages (PTE, PMD, PUD, P4D tables) freed back to the allocator, after the RCU grace period where the table is freed through RCU',
    kernel: 'model only (pagetable_dtor + free in tlb_remove_table / __tlb_remove_table)',
  },
  rcuCallbacks: {
    unit: 'callbacks',
    scope: 'run',
    definition: 'RCU callbacks run that free page tables (tlb_remove_table_rcu for a batch, or one per table on the single-table fallback)',
    kernel: 'model only (rcu:rcu_invoke_callback shows them among all RCU callbacks)',
  },
  batchPagesAllocated: {
    unit: 'batches',
    scope: 'run',
    definition: 'mmu_gather_batch pages allocated by tlb_next_batch beyond the batch embedded in the gather',
    kernel: 'model only',
  },
  forcedFlushes: {
    unit: 'flushes',
    scope: 'run',
    definition: 'gather flushes forced in the middle of a range because the page batches were full and no new batch could be added (tlb_next_batch failed: the MAX_GATHER_BATCH_COUNT cap or a failed allocation)',
    kernel: 'model only',
  },
  estimatedNs: {
    unit: 'ns (model estimate)',
    scope: 'run',
    definition: "a model estimate of the time spent: every counted IPI, instruction, page free, table free and RCU callback times the backend's cost figure (tlbsim arches --costs), rounded to 3 significant figures; not a measurement",
    kernel: 'model only',
  },
  violations: {
    unit: 'findings',
    scope: 'run',
    definition: "the checker's findings: a page or page table freed while some CPU could still use a stale translation of it (H1/H2), a permission reduction returning before every CPU lost the old permission (H3), or a kernel warning condition (H4)",
    kernel: 'model only',
  },
};

/** Per-CPU metrics core keeps for every backend besides those in CORE_METRICS with scope run+cpu. */
export const CORE_CPU_METRICS: Readonly<Record<string, MetricDoc>> = {
  ipisReceived: {
    unit: 'IPIs',
    definition: 'inter-processor interrupts this CPU took',
    kernel: "this CPU's column of the /proc/interrupts row the cross-call uses",
  },
  firmwareIpisReceived: {
    unit: 'interrupts',
    definition: 'interruptions firmware delivered to this CPU on another CPU\'s behalf (riscv SBI remote fences)',
    kernel: 'model only',
  },
};

/** The kernel functions `flushesBy` names: the arch flush entry points the generic mm code calls. */
export const FLUSH_FUNCTIONS: Readonly<Record<string, MetricDoc>> = {
  tlb_flush: { unit: 'flushes', definition: "the gather's flush (tlb_flush_mmu_tlbonly): munmap, exit, MADV_DONTNEED, free_pgtables, forced flushes of full batches", kernel: 'model only' },
  flush_tlb_range: { unit: 'flushes', definition: 'a range flush outside the gather: mprotect (change_protection), mremap moves, hugetlb flush_hugetlb_tlb_range', kernel: 'model only' },
  flush_tlb_page: { unit: 'flushes', definition: 'a one-page flush: ptep_clear_flush (reclaim without batching, copy-on-write breaks)', kernel: 'model only' },
  flush_tlb_mm: { unit: 'flushes', definition: "a whole-mm flush: fork write-protecting the parent's pages (dup_mmap)", kernel: 'model only' },
  flush_pmd_tlb_range: { unit: 'flushes', definition: 'a PMD-range flush of a huge entry: pmdp_invalidate (THP split, mprotect of a THP, MADV_FREE, move_huge_pmd)', kernel: 'model only' },
  flush_tlb_kernel_range: { unit: 'flushes', definition: 'a kernel-address range flush', kernel: 'model only' },
  arch_tlbbatch_flush: { unit: 'flushes', definition: "try_to_unmap_flush of reclaim's batched unmap (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH)", kernel: 'model only' },
  arch_flush_tlb_batched_pending: { unit: 'flushes', definition: 'flush_tlb_batched_pending: an mm operation waits for a batched flush reclaim still owes (zap, mprotect, mremap)', kernel: 'model only' },
};

/** A backend as the registry needs it (its name and what it documents). */
export interface MetricSource {
  readonly name: string;
  readonly metricDocs?: ArchMetricDocs;
}

/**
 * Every metric the given backends can produce: core's first, then instructions, then counters,
 * then workload statistics (`groups`: e.g. `{ hugetlb: HUGETLB_METRIC_DOCS }` gives `hugetlb.*`).
 */
export function metricRegistry(backends: readonly MetricSource[], groups: Readonly<Record<string, Readonly<Record<string, MetricDoc>>>> = {}): MetricDef[] {
  const out: MetricDef[] = [];
  for (const [key, d] of Object.entries(CORE_METRICS)) out.push({ key, unit: d.unit, definition: d.definition, kernel: d.kernel, scope: d.scope, backends: 'all' });
  for (const [key, d] of Object.entries(CORE_CPU_METRICS)) out.push({ key, ...d, scope: 'cpu', backends: 'all' });
  for (const [fn, d] of Object.entries(FLUSH_FUNCTIONS)) out.push({ key: `flushesBy.${fn}`, ...d, scope: 'run', backends: 'all' });
  const merged = (pick: (d: ArchMetricDocs) => Readonly<Record<string, MetricDoc>>, prefix: string) => {
    const rows = new Map<string, { doc: MetricDoc; backends: string[] }>();
    for (const b of backends) {
      const docs = b.metricDocs ? pick(b.metricDocs) : {};
      for (const [name, doc] of Object.entries(docs)) {
        const row = rows.get(name);
        // two backends that share a mnemonic or counter name share its first description
        if (row) row.backends.push(b.name);
        else rows.set(name, { doc, backends: [b.name] });
      }
    }
    for (const name of [...rows.keys()].sort()) {
      const { doc, backends: bs } = rows.get(name)!;
      out.push({ key: prefix + name, ...doc, scope: 'run+cpu', backends: bs });
    }
  };
  merged((d) => d.instructions, 'tlbInstructions.');
  merged((d) => d.counters, 'counters.');
  for (const [g, docs] of Object.entries(groups)) {
    for (const [name, doc] of Object.entries(docs)) out.push({ key: `${g}.${name}`, ...doc, scope: 'run', backends: 'all' });
  }
  return out;
}

/**
 * The registry row for a key as results and tables spell it: run keys (`ipis`,
 * `tlbInstructions.X`, `counters.X`) and per-CPU keys (`ipisReceived`, `instructions.X`, a bare
 * counter name).
 */
export function findMetric(registry: readonly MetricDef[], key: string): MetricDef | undefined {
  const byKey = (k: string) => registry.find((d) => d.key === k);
  return byKey(key) ?? (key.startsWith('instructions.') ? byKey('tlbInstructions.' + key.slice(13)) : undefined) ?? byKey('counters.' + key);
}
