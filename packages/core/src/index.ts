/**
 * @tlbsim/core: the Linux mmu_gather engine, the simulated machine, the mm operations that drive
 * the gather, the hazard checker, metrics and traces, and the backend contract.
 */
export * from './arch/contract.js';
export * from './arch/cost-model.js';
export * from './arch/geometry.js';
export * from './arch/kconfig.js';
export * from './arch/options.js';
export * from './kernel/index.js';
export * from './explore/index.js';
export { generic, type GenericOptions } from './arch/generic.js';
export { asmGenericTlb, gatherBits, genericTlbFlush, tlbGetUnmapShift, type TlbHooks } from './arch/asm-generic-tlb.js';
export { INVALIDATE_ALL, TlbModel, type Invalidation } from './machine/tlb.js';
export { Machine, MAX_CPUS, prng, type MachineOptions, type BugOptions, type AllocFailures } from './machine/machine.js';
export { bugInjection, type BugInjection, type FlushMmuSteps } from './machine/bugs.js';
export * from './machine/tlb-flush-batched.js';
export { Cpu, type Thread, type ThreadState, type Walker } from './machine/cpu.js';
export { Cpumask, Mm, type Vma, type VmaFlags, type SimFile } from './machine/mm.js';
export { PageTable, TableState } from './machine/page-table.js';
export { Frames, FrameKind, FOLIO_ANON, FOLIO_DIRTY, FOLIO_LAZYFREE } from './machine/frames.js';
export * from './machine/pte.js';
export { MmuGather, tlbGatherMmu, tlbGatherMmuVma, type FlushCause } from './gather/mmu-gather.js';
export { PageBatch, MMU_GATHER_BUNDLE, maxGatherBatch, maxGatherBatchCount } from './gather/page-batch.js';
export { TableBatch, maxTableBatch } from './gather/table-batch.js';
export { Checker, stampNow, HAZARDS, HAZARD_CHECKS, BUG_ACTS, type ClearStamp, type Hazard, type BugKey, type Exercise, type HazardExercise } from './check/checker.js';
export { Metrics, roundSignificant, type RunMetrics, type CpuMetrics, type Violation, type CachedEntry } from './metrics/metrics.js';
export * from './metrics/registry.js';
export { metricId } from './metrics/per-cpu.js';
export * from './trace/events.js';
export * from './mm/errors.js';
export { mmap, splitVmaAt, type MmapArgs, type MmapResult } from './mm/mmap.js';
export { touch, type TouchArgs } from './mm/fault.js';
export { populateVmaRange } from './mm/populate.js';
export type { HugetlbHooks } from './machine/hugetlb-hooks.js';
export { munmap, detachVmas, clearPtes, USER_PGTABLES_CEILING } from './mm/munmap.js';
export { exitMmap, exitThread, mmdrop } from './mm/exit.js';
export { madvise, zapPageRangeSingle, zapPageRangeSingleBatched, type Advice } from './mm/madvise.js';
export { mprotect, changeProtection, reduces, type Prot, type Reduction } from './mm/mprotect.js';
/** movePageTables (move_page_tables): for front ends that replay an mremap to an address they were given (@tlbsim/replay). */
export { mremap, movePageTables, type MremapResult } from './mm/mremap.js';
export { fork } from './mm/fork.js';
export { reclaimFilePages, flushTlbBatchedPending, type ReclaimResult } from './mm/reclaim.js';
export { unmapVmas, unmapSingleVma, unmapPageRange, zapPteRange, type ZapDetails } from './mm/zap.js';
export { freePgtables, freePgdRange } from './mm/free-pgtables.js';
export { walkToTable, lookupEntry, childLevel, entrySize, clearEntry, setEntry, ptlStamp } from './mm/pgtable.js';
export { clearTableEntry } from './machine/pgtable-pages.js';
export { walkPmdRange, findPmd, ACTION_AGAIN, type PmdWalkOps } from './mm/pagewalk.js';
export { toJsonl, jsonlLine } from './trace/jsonl.js';
export { toFtrace, formatTlbFlush, ftraceLine, FTRACE_HEADER, FTRACE_NO_EVENTS } from './trace/ftrace.js';
export { toPerfetto, perfettoProcess, perfettoEvents, perfettoTail, PERFETTO_HEAD, type ChromeEvent } from './trace/perfetto.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export { scenarioSchema, opSchemas, OP_NAMES, LIMITS, didYouMean, editDistance, addrSchema, type Scenario, type Op, type OpName } from './scenario/schema.js';
export { parseScenario, validateScenario, ScenarioError, formatPath, oneLine } from './scenario/load.js';
export { runScenario, collect, opMetrics, protOf, type RunResult, type RunOptions, type OpOutcome, type OpMetrics } from './scenario/run.js';
export { doWpPage, mapZeroPage, usesZeroPage, ZERO_PAGE_FRAME } from './mm/wp-fault.js';
export { execve, execMmap, bprmMmInit, relocateVmaDown, type ExecStack } from './mm/exec.js';
export { doFaultAround, faultsAround, FAULT_AROUND_BYTES } from './mm/fault-around.js';
