/**
 * Every option of every command, defined once: its spelling, its value and its help text. The
 * parser (args.ts), every command's --help (help.ts) and docs/cli.md are generated from this table
 * and from COMMANDS (commands-table.ts), so a paragraph such as --arch's is written here only.
 * Adding an option is one entry here and its id in the `options` of the commands (or of a group
 * below) that take it.
 */

export interface OptionDef {
  /** the long name, as typed after `--` */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** repeatable: the values are collected in order */
  multiple?: boolean;
  /** the value's placeholder in the help (`--arch SPEC`) */
  arg?: string;
  /** the help text; a line break starts an indented continuation line */
  help: string;
}

const ARCH_SPEC_HELP = `architecture variant, repeatable: x86, arm64, ppc, riscv, generic, all
(default: all = x86, arm64, ppc, riscv), with options NAME:key=value,key=value
e.g. --arch x86:invlpgb=on --arch arm64:granule=64k,tlbiRange=on
(tlbsim arches lists every option)`;

export const OPTIONS = {
  workload: { name: 'workload', short: 'w', type: 'string', arg: 'NAME', help: 'the workload (tlbsim workloads lists them)' },
  set: { name: 'set', short: 's', type: 'string', multiple: true, arg: 'KEY=VALUE', help: 'set a workload parameter, repeatable (e.g. --set pages=64 --set peer=sleep)' },
  arch: { name: 'arch', short: 'a', type: 'string', multiple: true, arg: 'SPEC', help: ARCH_SPEC_HELP },
  archName: { name: 'arch', short: 'a', type: 'string', arg: 'NAME', help: 'only the metrics this architecture produces' },
  cost: {
    name: 'cost',
    type: 'string',
    multiple: true,
    arg: 'ARCH:KEY=NS',
    help: `override cost figures of estimatedNs (a model estimate) for ARCH's
columns, repeatable: --cost x86:ipiSend=1500,INVLPG=120
(tlbsim arches ARCH --costs lists every figure and its source)`,
  },
  'include-setup': {
    name: 'include-setup',
    type: 'boolean',
    help: `count each thread's first switch onto its CPU in the totals (kept apart by
default: it is setup, not the workload)`,
  },
  by: {
    name: 'by',
    type: 'string',
    arg: 'op',
    help: `one table per architecture, one row per operation (a scenario's ops, a
workload's phases): what each caused, on which CPUs; the rows sum to the
totals (JSON always carries them as results[].ops[])`,
  },
  metrics: {
    name: 'metrics',
    short: 'e',
    type: 'string',
    multiple: true,
    arg: 'LIST',
    help: `only these rows, as perf stat -e: names or globs, comma-separated,
repeatable (-e ipis,flushes -e 'tlbInstructions.*'; a group name such as
counters stands for counters.*; tlbsim metrics lists the names)`,
  },
  all: { name: 'all', type: 'boolean', help: 'also the rows that are zero or absent in every column (hidden by default)' },
  'per-cpu': {
    name: 'per-cpu',
    short: 'A',
    type: 'boolean',
    help: `one table per variant with a column per CPU (as perf stat -A): what
each CPU executed, took and counted`,
  },
  baseline: {
    name: 'baseline',
    type: 'string',
    arg: 'VARIANT',
    help: `print every other column as its ratio to this column (an --arch SPEC or
its name, e.g. --baseline x86): 2.00x is twice the baseline's count`,
  },
  format: { name: 'format', short: 'f', type: 'string', arg: 'F', help: '' },
  out: { name: 'out', short: 'o', type: 'string', arg: 'FILE', help: 'write the output to FILE (atomically) instead of stdout (- is stdout)' },
  trace: {
    name: 'trace',
    type: 'string',
    arg: 'FILE',
    help: `write the event stream of every run to FILE as it happens (memory does not
grow with the trace; FILE appears complete at the end, or not at all)`,
  },
  'trace-limit': {
    name: 'trace-limit',
    type: 'string',
    arg: 'N',
    help: `record the first N events of each run, then stop recording (noted on
stderr and in the file)`,
  },
  'trace-format': {
    name: 'trace-format',
    type: 'string',
    arg: 'F',
    help: `perfetto (default; open in ui.perfetto.dev), jsonl or ftrace
(default by extension: .jsonl -> jsonl, .txt/.trace -> ftrace)`,
  },
  kernel: {
    name: 'kernel',
    type: 'string',
    arg: 'LIST',
    help: `the Linux release modelled: 6.1 to 7.1 or a stable one (6.18.44), default
mainline; a comma list (6.1,6.6,6.12,6.18,7.1) gives one column per
architecture and release (tlbsim kernels lists releases and features)`,
  },
  feature: {
    name: 'feature',
    type: 'string',
    multiple: true,
    arg: '+ID',
    help: `add one kernel change (a backport), --feature=-ID removes one (a revert);
repeatable; ID is a commit id or name from tlbsim kernels`,
  },
  changes: {
    name: 'changes',
    type: 'boolean',
    help: `with a --kernel list: for each metric that differs between adjacent
releases, the kernel feature(s) responsible (docs/kernels.md: how)`,
  },
  hugetlb: {
    name: 'hugetlb',
    type: 'string',
    arg: 'V',
    help: `(scenarios) hugetlb unshare behaviour V0, V1 or V2, overriding the kernel's
(default: the kernel's: V0 before 1013af4f58, V1, V2 with 8ce720d5bd)`,
  },
  bug: {
    name: 'bug',
    type: 'string',
    multiple: true,
    arg: 'NAME',
    help: `re-create a known kernel bug, repeatable:
  free-pages-before-flush    free gathered pages before the TLB flush
  free-tables-without-flush  free page tables with no flush or RCU grace period
                             (needs a workload that frees tables: --set aligned=true)
  skip-mprotect-flush        mprotect records no flush for reduced permissions`,
  },
  schedules: {
    name: 'schedules',
    type: 'string',
    arg: 'N',
    help: `explore N seeded schedules per variant: concurrent actors (GUP-fast walkers,
context switches, reclaim, a driver revoking PFNMAP memory, timer ticks) placed
at interleaving points of the kernel paths; each distinct finding once, with the
first seed that showed it and the shortest schedule that still produces it.
Even seeds 0, 2, ... below twice the number of single placements are the single
placements, so enough schedules from seed 0 cover them all (docs/exploration.md).
Without it check runs the one canonical schedule (no concurrent actor), as
compare and run always do`,
  },
  seed: { name: 'seed', type: 'string', arg: 'S', help: 'the first seed of --schedules (default 0); --schedules 1 --seed S replays one' },
  vary: {
    name: 'vary',
    type: 'string',
    multiple: true,
    arg: 'KEY=VALUES',
    help: `the parameter to vary: a list (1,2,4,8), a range (1..16, 0..64:8 with a
step) or a doubling range (1..1024*2)`,
  },
  plot: {
    name: 'plot',
    type: 'string',
    arg: 'FILE.svg',
    help: `an SVG line chart: --metric against the varied parameter, one line per
variant that has the metric (variants with equal values share one); SVG only`,
  },
  metric: { name: 'metric', type: 'string', arg: 'NAME', help: 'the metric to plot (default ipis; any of packages/core/SPEC.md §3, or tlbInstructions.X)' },
  report: {
    name: 'report',
    type: 'string',
    arg: 'FILE.html',
    help: `one self-contained HTML page: which architecture is cheapest per metric,
then a chart and a table per metric, grouped by topic`,
  },
  jobs: {
    name: 'jobs',
    short: 'j',
    type: 'string',
    arg: 'N',
    help: `runs at once: this thread and N-1 worker threads (default: one per
core; at most one per core unless --force-jobs, up to 1024)`,
  },
  shard: {
    name: 'shard',
    type: 'string',
    arg: 'K/N',
    help: `run only the K-th of N interleaved slices of the values (value j when
j mod N = K-1) and write a shard file; tlbsim merge turns the N shard files
into this sweep's output (docs/sweeps.md: a CI matrix, a Slurm array)`,
  },
  'force-jobs': { name: 'force-jobs', type: 'boolean', help: 'allow --jobs above the number of cores' },
  touch: {
    name: 'touch',
    type: 'string',
    arg: 'RULE',
    help: `which pages the program is assumed to have touched before they are
unmapped or changed: all (default: every accessible anonymous or
writable private page), written (writable ones only) or none`,
  },
  cpus: {
    name: 'cpus',
    type: 'string',
    arg: 'N',
    help: `simulated CPUs (default: as many as the trace has threads alive at
once, at most 64; more threads than CPUs share them)`,
  },
  pid: {
    name: 'pid',
    type: 'string',
    arg: 'PID',
    help: `a kernel recording: replay only the process tree rooted at PID (for
system-wide recordings; default: tlbsim record's root, else every task)`,
  },
  strict: { name: 'strict', type: 'boolean', help: 'an unparseable line is an error (exit 2, naming FILE:LINE), not skipped' },
  costs: { name: 'costs', type: 'boolean', help: 'list the cost model instead: every figure (ns) with its source' },
  dir: { name: 'dir', type: 'string', arg: 'WORKSPACE', help: 'the workspace root (default: the nearest directory above holding pnpm-workspace.yaml)' },
  iterations: { name: 'iterations', short: 'n', type: 'string', arg: 'N', help: "native repetitions (default 25); each operation's majority is compared" },
  sched: {
    name: 'sched',
    type: 'string',
    arg: 'fifo|other',
    help: `fifo (default): worker and peers SCHED_FIFO when permitted; other:
never (to see what other tasks do to a measurement)`,
  },
  save: {
    name: 'save',
    type: 'string',
    arg: 'DIR',
    help: `keep the raw kernel trace (kernel.trace), tlbsim's trace (tlbsim.trace,
tlbsim.json) and what ran (measure.json) in DIR`,
  },
  from: { name: 'from', type: 'string', arg: 'DIR', help: 'compare a saved measurement again (no root or tracefs needed)' },
  color: { name: 'color', type: 'string', arg: 'WHEN', help: 'auto (default: on a terminal without NO_COLOR or TERM=dumb, or with FORCE_COLOR), always or never' },
  help: { name: 'help', short: 'h', type: 'boolean', help: 'this help' },
} as const satisfies Record<string, OptionDef>;

export type OptionId = keyof typeof OPTIONS;

/** Every command takes these (listed once, in the main help). */
export const GLOBAL_OPTIONS: readonly OptionId[] = ['color', 'help'];

/** An option of a command, with the command's own help text where it differs. */
export type OptionUse = OptionId | readonly [OptionId, string];

/** The --arch columns and their cost overrides. */
export const ARCH_GROUP: readonly OptionUse[] = ['arch', 'cost'];
/** The kernel modelled: a release (or a list of them, one column each) and feature changes. */
export const KERNEL_GROUP: readonly OptionUse[] = ['kernel', 'feature'];
/** Which rows and columns a metrics table shows (compare, run, replay). */
export const VIEW_GROUP: readonly OptionUse[] = ['metrics', 'all', 'per-cpu', 'baseline'];
/** The event trace of compare, run, check and replay. */
export const TRACE_GROUP: readonly OptionUse[] = ['trace', 'trace-format', 'trace-limit'];
/** A built-in workload with its parameters. */
export const WORKLOAD_GROUP: readonly OptionUse[] = ['workload', 'set'];
