/**
 * Test helpers shared by every package's tests (`@tlbsim/core/testing`): a generic backend that
 * records each tlb_flush hook call, the change of the metrics over a step, and the run budget of
 * the fast-check properties. Nothing here is part of the simulator; it only observes a Machine.
 */
import { generic } from '../arch/generic.js';
import { gatherBits, genericTlbFlush } from '../arch/asm-generic-tlb.js';
import type { ArchBackend, GatherView } from '../arch/contract.js';
import { GENERIC_KCONFIG, type Kconfig } from '../arch/kconfig.js';
import type { Machine } from '../machine/machine.js';

/** One call of the arch tlb_flush hook, as the generic layer made it. */
export interface FlushRec {
  start: number;
  end: number;
  /** the gather's flush bits, without fullmm/need_flush_all (recorded as their own fields) */
  bits: string[];
  fullmm: boolean;
  vmaExec: boolean;
  vmaHuge: boolean;
  pageSize: number;
  /** pages and tables freed before this flush */
  pagesFreedBefore: number;
  tablesFreedBefore: number;
}

/** the flush bits of a gather, without fullmm/need_flush_all (a FlushRec has them as fields) */
export const bitsOf = (g: GatherView): string[] => gatherBits(g).filter((b) => b !== 'fullmm' && b !== 'need_flush_all');

/** The FlushRec of one tlb_flush call on `m`. */
export function flushRec(g: GatherView, m: Machine): FlushRec {
  return {
    start: g.start, end: g.end, bits: bitsOf(g), fullmm: g.fullmm, vmaExec: g.vmaExec, vmaHuge: g.vmaHuge,
    pageSize: g.pageSize, pagesFreedBefore: m.metrics.pagesFreed, tablesFreedBefore: m.metrics.tablesFreed,
  };
}

/**
 * The generic backend with Kconfig `k` (over GENERIC_KCONFIG), recording every tlb_flush hook call
 * in `log` and then flushing as the generic tlb_flush does. `hugePageSizes` replaces its hstates.
 */
export function recordingArch(k: Partial<Kconfig>, log: FlushRec[], getMachine: () => Machine, hugePageSizes?: number[]): ArchBackend {
  const base = generic({ kconfig: { ...GENERIC_KCONFIG, ...k } });
  return {
    ...base,
    hugePageSizes: hugePageSizes ?? base.hugePageSizes,
    create(ctx) {
      const rt = base.create(ctx);
      return {
        ...rt,
        tlbFlush(g) {
          log.push(flushRec(g, getMachine()));
          genericTlbFlush(rt, ctx.kconfig, g);
        },
      };
    },
  };
}

/** `a - b` per key, keeping only the keys that changed (a key missing from `b` counts as 0). */
export function diffCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const r: Record<string, number> = {};
  for (const k of Object.keys(a)) {
    const d = a[k] - (b[k] ?? 0);
    if (d !== 0) r[k] = d;
  }
  return r;
}

/** The TLB instructions executed while `fn` runs, per mnemonic (only those it executed). */
export function instructionsDuring(m: Machine, fn: () => void): Record<string, number> {
  const before = m.metrics.tlbInstructions.record();
  fn();
  return diffCounts(m.metrics.tlbInstructions.record(), before);
}

type Summary = ReturnType<Machine['metrics']['summary']>;
type PerCpu = ReturnType<Machine['metrics']['perCpu']>[number];

/** What one step changed: the machine-wide counters, and per CPU. */
export interface MetricsDelta {
  archFlushes: number;
  ipis: number;
  ipiBroadcasts: number;
  fullFlushes: number;
  rangedFlushes: number;
  rcuCallbacks: number;
  tablesFreed: number;
  pagesFreed: number;
  /** instructions summed over CPUs (including those not attributable to one CPU), changed only */
  instr: Record<string, number>;
  cpu: {
    instr: Record<string, number>;
    /** the backend's per-CPU counters, changed only */
    counters: Record<string, number>;
    /** every per-CPU counter's change, zeros included */
    allCounters: Record<string, number>;
    ipis: number;
    full: number;
    ranged: number;
  }[];
  /** the trace events recorded during the step (empty unless the machine traces) */
  events: Machine['events'];
}

/** Run `fn` and return what it changed. */
export function measure(m: Machine, fn: () => void): MetricsDelta {
  const s0: Summary = m.metrics.summary();
  const c0: PerCpu[] = m.metrics.perCpu();
  const ev0 = m.events.length;
  fn();
  const s1 = m.metrics.summary();
  const c1 = m.metrics.perCpu();
  return {
    archFlushes: s1.archFlushes - s0.archFlushes,
    ipis: s1.ipis - s0.ipis,
    ipiBroadcasts: s1.ipiBroadcasts - s0.ipiBroadcasts,
    fullFlushes: s1.fullFlushes - s0.fullFlushes,
    rangedFlushes: s1.rangedFlushes - s0.rangedFlushes,
    rcuCallbacks: s1.rcuCallbacks - s0.rcuCallbacks,
    tablesFreed: s1.tablesFreed - s0.tablesFreed,
    pagesFreed: s1.pagesFreed - s0.pagesFreed,
    instr: diffCounts(s1.tlbInstructions, s0.tlbInstructions),
    cpu: c1.map((c, i) => ({
      instr: diffCounts(c.instructions, c0[i].instructions),
      counters: diffCounts(c.counters, c0[i].counters),
      allCounters: Object.fromEntries(Object.keys(c.counters).map((k) => [k, c.counters[k] - (c0[i].counters[k] ?? 0)])),
      ipis: c.ipisReceived - c0[i].ipisReceived,
      full: c.fullFlushes - c0[i].fullFlushes,
      ranged: c.rangedFlushes - c0[i].rangedFlushes,
    })),
    events: m.events.slice(ev0),
  };
}

/**
 * How many runs a fast-check property makes: `TLBSIM_PROPERTY_RUNS=N` sets it for every property
 * (run them harder, or quicker), otherwise each property's own default.
 */
export function propertyRuns(defaultRuns: number): number {
  const v = globalThis.process?.env?.TLBSIM_PROPERTY_RUNS;
  if (v === undefined || v === '') return defaultRuns;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`TLBSIM_PROPERTY_RUNS must be a whole number of runs from 1, got "${v}"`);
  return n;
}

/**
 * The time budget of one property, in ms: fast-check stops generating new runs after it
 * (`interruptAfterTimeLimit`), so however many runs TLBSIM_PROPERTY_RUNS asks for, a property
 * ends before its test's timeout (`propertyTestTimeout`). The runs already made must pass. A
 * property runs synchronously and blocks its worker's event loop meanwhile, so the budget stays
 * well below vitest's 60 s RPC timeout.
 */
export const PROPERTY_TIME_LIMIT_MS = 20_000;

/** The vitest timeout of a test that asserts one property: its budget plus room to finish the last run. */
export const propertyTestTimeout = (budgetMs = PROPERTY_TIME_LIMIT_MS): number => budgetMs + 60_000;

/**
 * fast-check parameters for a property: the run count (TLBSIM_PROPERTY_RUNS or `numRuns`), the
 * seed (none: fast-check picks one and prints it on failure), and the time budget. Interrupted runs do not fail the property (`markInterruptAsFailure`
 * false): the budget bounds the work, it is not a speed assertion.
 */
export function propertyParams(numRuns: number, seed?: number, budgetMs = PROPERTY_TIME_LIMIT_MS) {
  return { numRuns: propertyRuns(numRuns), ...(seed === undefined ? {} : { seed }), interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false };
}
