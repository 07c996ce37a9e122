/**
 * Every command's usage, description, options and examples, defined once: `tlbsim --help`,
 * `tlbsim COMMAND --help`, the parser's option list (args.ts) and docs/cli.md are generated from
 * this table and from OPTIONS (options.ts).
 */
import { VERSION } from './report-data.js';
import { ARCH_GROUP, KERNEL_GROUP, GLOBAL_OPTIONS, OPTIONS, TRACE_GROUP, VIEW_GROUP, WORKLOAD_GROUP, type OptionDef, type OptionId, type OptionUse } from './options.js';
import { MEASURE_ABOUT, MEASURE_AFTER, MEASURE_EXIT } from './measure/help.js';

/** The same list in every --help (and the README): a script can rely on it. */
export const EXIT_HELP = `Exit status: 0 success; 1 findings (tlbsim check found something); 2 bad input (unknown name,
out-of-range value, invalid scenario, unwritable output: one line naming it); 3 not exercised
(tlbsim check found nothing, but a --bug never acted or no hazard class was checked at all); 70
internal error (a bug of ours: please report it); 130 interrupted by Ctrl-C (SIGINT), 143 by
SIGTERM (nothing partial is written).
`;

export interface CommandDef {
  /** one line in the main help's command list */
  summary: string;
  usage: string;
  about: string;
  options: readonly OptionUse[];
  /** --format's values, the default first */
  formats?: readonly string[];
  /** what --format's help adds after the values */
  formatNote?: string;
  /** paragraphs after the options */
  after?: string;
  examples: readonly string[];
  exit?: string;
}

const TABLE_FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
const LIST_FORMATS = ['text', 'json', 'markdown'] as const;

export const COMMAND_DEFS = {
  compare: {
    summary: 'run a built-in workload on each architecture, metrics side by side',
    usage: 'tlbsim compare --workload NAME [--set KEY=VALUE]... [--arch SPEC]... [options]',
    about: `Run one built-in workload on each architecture variant and print the metrics side by side:
one column per variant, one row per metric (per-CPU detail with -A, or in --format json). Rows
that are zero in every column are hidden (--all shows them; csv and json keep every row).`,
    options: [...WORKLOAD_GROUP, ...ARCH_GROUP, ...KERNEL_GROUP, 'changes', 'include-setup', 'by', ...VIEW_GROUP, 'format', 'out', ...TRACE_GROUP],
    formats: TABLE_FORMATS,
    examples: [
      'tlbsim compare --workload munmap --set pages=64',
      'tlbsim compare --workload munmap -e ipis,flushes,tlbInstructions.* --baseline x86',
      'tlbsim compare --workload madvise-dontneed --set peer=sleep --set cpus=8 --format json',
      'tlbsim compare --workload exit --set threads=4 --set cpus=4 --arch x86 --arch arm64:tlbiRange=on -A',
      'tlbsim compare --workload hugetlb-share --set sharers=2 --set hugetlb=V1 --arch x86',
      'tlbsim compare --workload madvise-dontneed --kernel 6.15,6.16 --changes --arch x86',
    ],
  },
  run: {
    summary: 'run a scenario file (YAML or JSON) on each architecture',
    usage: 'tlbsim run SCENARIO.{yaml,json} [--arch SPEC]... [options]',
    about: `Run a scenario file on each architecture variant (- reads it from stdin). docs/scenarios.md
describes the format (machine, files, processes, ops) with an example of every operation;
docs/examples/munmap.yaml is a small one. Mistakes are refused with the field path, exit 2.`,
    options: [...ARCH_GROUP, ...KERNEL_GROUP, 'changes', 'include-setup', 'by', ...VIEW_GROUP, 'format', 'out', 'hugetlb', ...TRACE_GROUP],
    formats: TABLE_FORMATS,
    examples: [
      'tlbsim run scenario.yaml',
      'tlbsim run scenario.json --arch x86 --trace trace.json',
      'tlbsim run scenario.yaml --arch x86 --trace flush.txt --trace-format ftrace',
      'generate-scenario | tlbsim run - --format json -o -',
    ],
  },
  check: {
    summary: 'run the hazard checker; exit 1 when it finds anything, 3 when it checked nothing',
    usage: 'tlbsim check (SCENARIO | --workload NAME [--set KEY=VALUE]...) [--bug NAME]... [options]',
    about: `Run the hazard checker (stale translations after free H1, page-table use after free H2, stale
permissions H3, kernel warnings H4). Each finding is explained: the CPU, the address, what was
freed, the operation, the flush that should have covered it, the cached translation that outlived
it and the events that led there. The checker reports one finding per CPU per freed batch (or per
mprotect/fork) and counts the pages it folds into it ("4 findings shown, 8 pages affected").
Each run says, per hazard class and per --bug, whether it was exercised and how often.
SCENARIO - reads the scenario from stdin.

check exits 0 when nothing is found (every --bug acted, some hazard class was checked), 1 on
findings, 3 "not exercised" when nothing is found but a --bug never acted in some run (e.g.
free-tables-without-flush where no page table is freed) or a run checked no hazard class at all.`,
    options: [['workload', 'a built-in workload instead of a scenario file'], 'set', 'bug', ...ARCH_GROUP, ...KERNEL_GROUP, 'include-setup', 'format', ['out', 'write the report to FILE (atomically) instead of stdout (- is stdout)'], 'hugetlb', 'schedules', 'seed', ...TRACE_GROUP],
    formats: ['text', 'json'],
    examples: [
      'tlbsim check --workload munmap',
      'tlbsim check --workload munmap --bug free-pages-before-flush --arch x86',
      'tlbsim check --workload mprotect --bug skip-mprotect-flush --format json',
      'tlbsim check scenario.yaml',
      'tlbsim check --workload hugetlb-share --set op=munmap --set hugetlb=V0 --set cpus=3 --arch arm64 --schedules 100',
      'tlbsim check --workload hugetlb-share --set op=munmap --set hugetlb=V0 --set cpus=3 --arch arm64 --schedules 1 --seed 32',
      'tlbsim check docs/examples/mremap-file.yaml --feature=-eb66ae030829 --arch arm64 --schedules 100',
    ],
  },
  sweep: {
    summary: 'vary one workload parameter, in parallel; CSV/JSON, SVG plot, HTML report',
    usage: 'tlbsim sweep --workload NAME --vary KEY=V1,V2,... [--set KEY=VALUE]... [--arch SPEC]... [options]',
    about: `Run a workload for each value of one parameter on each architecture variant, in parallel on all
cores (worker threads), with a progress line on stderr when it is a terminal.`,
    options: ['workload', 'vary', ['set', 'fix another parameter, repeatable'], ...ARCH_GROUP, ...KERNEL_GROUP, 'include-setup', 'format', ['out', 'write the data to FILE (atomically) instead of stdout (- is stdout)'], 'plot', 'metric', 'report', 'jobs', 'force-jobs', 'shard'],
    formats: ['csv', 'json'],
    formatNote: 'csv: one row per value and variant, with the workload and its parameters; on stdout unless --out, and not at all when only --plot/--report are given without it',
    examples: [
      'tlbsim sweep --workload munmap --vary pages=1..1024*2 --plot ipis.svg',
      'tlbsim sweep --workload munmap --vary cpus=2,4,8,16 --set peer=spin --format json --out sweep.json',
      'tlbsim sweep --workload tlb_flush2 --vary threads=1..8 --set cpus=8 --report tlb_flush2.html',
      'tlbsim sweep --workload hugetlb-share --vary kernel=6.1,6.12,6.18,7.1 --arch x86',
      'tlbsim sweep --workload munmap --vary pages=1..1024*2 --shard 1/2 --out shard-1.json',
    ],
  },
  workloads: {
    summary: 'list the built-in workloads, one line each; NAME for its parameters',
    usage: 'tlbsim workloads [NAME] [--format text|json|markdown]',
    about: `List the built-in workloads, one line each; with NAME (or --format json or markdown), what each
does and every parameter with its default and range.`,
    options: ['format'],
    formats: LIST_FORMATS,
    examples: ['tlbsim workloads', 'tlbsim workloads munmap', 'tlbsim workloads --format json'],
  },
  arches: {
    summary: 'list the architectures with their options, defaults and Kconfig',
    usage: 'tlbsim arches [NAME] [--costs] [--format text|json|markdown]',
    about: `List the architectures: label, page size, every option with its default and values, and the
Kconfig symbols each backend selects. --costs lists the cost model instead: every figure (ns)
estimatedNs multiplies by its count, with its source; --cost ARCH:KEY=NS overrides one.`,
    options: ['costs', 'format'],
    formats: LIST_FORMATS,
    examples: ['tlbsim arches', 'tlbsim arches arm64', 'tlbsim arches x86 --costs', 'tlbsim arches --format json'],
  },
  metrics: {
    summary: 'what every metric means: unit, definition, kernel counterpart, backends',
    usage: 'tlbsim metrics [KEY...] [--arch NAME] [--format text|json|markdown]',
    about: `What every number tlbsim prints means: each metric, TLB instruction and per-CPU counter with its
unit, a one-sentence definition, its kernel counterpart (a /proc/interrupts row, a /proc/vmstat
name, a tracepoint) or "model only", and which backends produce it. docs/metrics.md is this
command's markdown output.`,
    options: ['archName', 'format'],
    formats: LIST_FORMATS,
    examples: ['tlbsim metrics', 'tlbsim metrics ipis counters.interrupts.TLB', 'tlbsim metrics --arch arm64 --format markdown'],
  },
  'new-arch': {
    summary: 'scaffold a new architecture backend package (packages/arch-NAME)',
    usage: 'tlbsim new-arch NAME [--dir WORKSPACE]',
    about: `Scaffold packages/arch-NAME: package.json, tsup config, the backend factory with every hook of the
contract documented in place (doing what the kernel's generic code does), a conformance test file,
a README and a changeset; the package joins the changesets fixed group. It builds and passes the
shared conformance suite out of the box.`,
    options: ['dir'],
    examples: ['tlbsim new-arch loongarch', 'tlbsim new-arch s390 --dir ~/src/tlbsim'],
  },
  replay: {
    summary: "replay a real program's memory system calls (strace, or tlbsim record) on each architecture",
    usage: 'tlbsim replay FILE... [--arch SPEC]... [--touch all|none|written] [--cpus N] [--pid PID] [--strict] [options]',
    about: `Replay what a real program did to its memory on each architecture variant: the metrics side by
side as in tlbsim compare, then the trace lines (call sites) that sent the most IPIs and executed
the most TLB instructions on each variant. FILE is the output of
  strace -f -tt -e trace=memory,process -o FILE PROGRAM
(also without -tt or -f; with strace -ff give every FILE.PID file; - reads stdin), or a kernel
recording (ftrace text as /sys/kernel/tracing/trace prints it: tlbsim record's, or one made by
hand with the same events; recognised by its content; FILE.gz is decompressed). Files are
streamed.

strace shows no page faults, so the replay assumes which pages were touched (--touch); the
report states the assumption. A kernel recording with exceptions:page_fault_user (and _kernel) needs no
assumption: each fault is replayed (the zero page, copy-on-write and their flushes included),
threads run, block and idle as sched_switch shows, on as many CPUs as the recording had; on x86
the kernel's own flushes and IPIs of the same run (tlb:tlb_flush, ipi, csd), never an input, are
shown next to the prediction per system call and for page faults. Calls that failed in the trace (= -1 ENOMEM) are counted, not
applied. A line that cannot be replayed is skipped and reported with its FILE:LINE (on stderr;
in the json document), with the count at the end.`,
    options: [...ARCH_GROUP, 'touch', 'cpus', 'pid', 'strict', ...VIEW_GROUP, 'format', 'out', ...TRACE_GROUP],
    formats: TABLE_FORMATS,
    after: `Same inputs give byte-identical output. The json document is compare's plus a "replay" section
(files, lines, syscalls, failures, skipped lines, the assumption) and each result's "callSites"
(the top 10 by IPIs and by TLB instructions; table and markdown show 5).`,
    examples: [
      'strace -f -tt -e trace=memory,process -o trace.txt ./myprogram',
      'tlbsim replay trace.txt',
      'tlbsim replay trace.txt --arch x86 --arch x86:invlpgb=on --touch written --format markdown',
      'tlbsim replay trace.txt --cpus 8 --strict --format json --out replay.json',
      'tlbsim replay trace.* --arch arm64 --trace replay.json     (the files of strace -ff -o trace)',
      'strace -f -e trace=memory,process -o /dev/stdout ./myprogram 2>/dev/null | tlbsim replay -',
      'tlbsim record -o prog.trace -- ./myprogram && tlbsim replay prog.trace --arch x86',
    ],
  },
  measure: {
    summary: "run a workload natively and check tlbsim's x86 prediction against the kernel's trace",
    usage: `tlbsim measure --workload NAME [--set KEY=VALUE]... [--iterations N] [--save DIR] [options]
       tlbsim measure --from DIR [options]`,
    about: MEASURE_ABOUT,
    options: [
      ['workload', 'the workload (tlbsim workloads NAME lists its parameters)'],
      ['set', "a workload parameter, repeatable (cpus at most this machine's CPUs)"],
      'iterations',
      'sched',
      'save',
      'from',
      'format',
      ['out', 'write the output to FILE (atomically) (- is stdout)'],
    ],
    formats: ['text', 'json'],
    formatNote: 'json: phases[] with name, kernel, tlbsim, match, agreement',
    after: MEASURE_AFTER,
    examples: ['sudo tlbsim measure --workload munmap --set pages=8', 'sudo tlbsim measure --workload mprotect --set peer=sleep --iterations 50 --save m1', 'tlbsim measure --from m1 --format json'],
    exit: MEASURE_EXIT,
  },
  kernels: {
    summary: 'the modelled kernel releases and the kernel features (commit, release, backports)',
    usage: 'tlbsim kernels [--format text|json|markdown]',
    about: `The kernel releases tlbsim models (6.1 to mainline 7.1; any stable release of a modelled series,
e.g. 6.18.44, is accepted by --kernel) and the feature table: each behaviour change a package
models by release, with its commit id, the mainline release that first carried it, the stable
releases it was backported to, what it changes and the packages it changes. --feature +ID / -ID
takes the id (or an 8+ digit prefix) or the name. docs/kernels.md is this command's markdown.`,
    options: ['format'],
    formats: LIST_FORMATS,
    examples: ['tlbsim kernels', 'tlbsim kernels --format markdown > docs/kernels.md'],
  },
  record: {
    summary: 'run a program with the kernel\'s tracepoints recording it, for tlbsim replay',
    usage: 'tlbsim record [-o FILE] -- CMD ARGS...',
    about: `Run CMD with the kernel's own tracepoints recording it and every process and thread it starts
(set_event_pid with the event-fork option), for tlbsim replay: the memory and process system
calls (syscalls:sys_enter_*/sys_exit_* of mmap, munmap, mremap, mprotect, pkey_mprotect, madvise,
process_madvise, brk, shmat, shmdt, clone, clone3, fork, vfork, execve, execveat, exit,
exit_group), exceptions:page_fault_user and page_fault_kernel, sched:sched_switch,
sched:sched_process_fork/exec/exit, task:task_newtask, and where the kernel has them
tlb:tlb_flush, ipi:* and csd:* (x86), which replay compares its prediction with. Linux with
tracefs, as root (or CAP_SYS_ADMIN and CAP_DAC_OVERRIDE). It records in its own tracing instance
and puts back every setting it changed, also on Ctrl-C; when it cannot record it says why in one
line (exit 2).`,
    options: [['out', 'the recording (default tlbsim.trace; FILE.gz is gzip-compressed), written atomically when the program has exited']],
    examples: ["tlbsim record -o json.trace.gz -- python3 -c 'import json'", 'tlbsim replay json.trace.gz --arch x86'],
  },
  merge: {
    summary: 'combine the shard files of a sweep run in slices (sweep --shard K/N) into its output',
    usage: 'tlbsim merge SHARD... [--format csv|json] [--out FILE] [--plot FILE.svg] [--report FILE.html]',
    about: `Combine the shard files of one sweep (tlbsim sweep ... --shard K/N --out FILE, run for every K from
1 to N, on any machines) into exactly what the sweep prints run whole: the same CSV or JSON, byte
for byte, and its plot and report drawn from the merged data. Every shard must be given once, all
written by the same tlbsim from the same sweep (workload, --vary, --set, --arch, --cost,
--include-setup). See docs/sweeps.md.`,
    options: ['format', ['out', 'write the data to FILE (atomically) instead of stdout (- is stdout)'], 'plot', 'metric', 'report'],
    formats: ['csv', 'json'],
    examples: [
      'tlbsim sweep --workload munmap --vary pages=1..1024*2 --shard 1/2 --out shard-1.json',
      'tlbsim sweep --workload munmap --vary pages=1..1024*2 --shard 2/2 --out shard-2.json',
      'tlbsim merge shard-1.json shard-2.json --plot ipis.svg --out sweep.csv',
    ],
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof COMMAND_DEFS;
export const COMMAND_NAMES = Object.keys(COMMAND_DEFS) as CommandName[];

/** The definition and help text of one option as a command uses it. */
export function optionOf(use: OptionUse, cmd?: CommandDef): OptionDef {
  const [id, text] = typeof use === 'string' ? [use as OptionId, undefined] : use;
  const def: OptionDef = OPTIONS[id];
  if (text !== undefined) return { ...def, help: text };
  if (id === 'format' && cmd?.formats) return { ...def, help: formatHelp(cmd.formats, cmd.formatNote) };
  return def;
}

function formatHelp(formats: readonly string[], note?: string): string {
  const [first, ...rest] = formats;
  const list = rest.length > 1 ? `, ${rest.slice(0, -1).join(', ')} or ${rest[rest.length - 1]}` : rest.length ? ` or ${rest[0]}` : '';
  return `${first} (default)${list}${note ? ` (${note})` : ''}`;
}

/** The options a command accepts: its own, then the global ones. */
export function commandOptions(name: CommandName): OptionDef[] {
  const cmd: CommandDef = COMMAND_DEFS[name];
  return [...cmd.options, ...GLOBAL_OPTIONS].map((u) => optionOf(u, cmd));
}

const COLUMN = 25;
const WIDTH = 116;

/** A line cut at spaces into lines of at most `width` characters (its indent kept on each). */
function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)![0];
  const out: string[] = [];
  let cur = '';
  for (const w of line.trim().split(' ')) {
    if (cur && indent.length + cur.length + 1 + w.length > width) {
      out.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(indent + cur);
  return out;
}

/** `  -a, --arch SPEC        text`, continuation lines under the text. */
export function optionLines(o: OptionDef): string {
  const left = `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
  const pad = left.length <= COLUMN - 2 ? left.padEnd(COLUMN) : `${left}  `;
  const [first, ...more] = o.help.split('\n').flatMap((l) => wrap(l, WIDTH - COLUMN));
  return [pad + first, ...more.map((l) => ' '.repeat(COLUMN) + l)].join('\n');
}

/** `tlbsim COMMAND --help` */
export function commandHelp(name: CommandName): string {
  const c: CommandDef = COMMAND_DEFS[name];
  const opts = c.options.map((u) => optionLines(optionOf(u, c))).join('\n');
  return `Usage: ${c.usage}

${c.about}

Options:
${opts}
${c.after ? `\n${c.after}\n` : ''}
Examples:
${c.examples.map((e) => `  ${e}`).join('\n')}

${c.exit ?? EXIT_HELP}`;
}

/** `tlbsim --help` */
export function mainHelp(): string {
  const w = Math.max(...COMMAND_NAMES.map((n) => n.length)) + 3;
  return `tlbsim ${VERSION}: simulate Linux mmu_gather / TLB shootdowns across architectures

Usage: tlbsim <command> [options]        (tlbsim <command> --help for details)

Commands:
${COMMAND_NAMES.map((n) => `  ${n.padEnd(w)}${COMMAND_DEFS[n].summary}`).join('\n')}

Options of every command:
${GLOBAL_OPTIONS.map((id) => optionLines(OPTIONS[id])).join('\n')}

Examples:
  tlbsim compare --workload munmap --set pages=64
  tlbsim compare --workload munmap --arch x86 --arch x86:invlpgb=on --format markdown
  tlbsim compare --workload hugetlb-share --kernel 6.1,6.6,6.12,6.18,7.1 --changes
  tlbsim run scenario.yaml --trace run.json
  tlbsim check --workload munmap --bug free-pages-before-flush
  tlbsim sweep --workload munmap --vary pages=1,8,32,64,512 --plot ipis.svg --report sweep.html
  tlbsim replay trace.txt --arch x86 --arch arm64

${EXIT_HELP}`;
}

/** docs/cli.md: every command's help, generated (a test keeps it fresh). */
export function cliMarkdown(): string {
  const parts = COMMAND_NAMES.map((n) => `## tlbsim ${n}\n\n\`\`\`text\n${commandHelp(n).replace(/\n+$/, '')}\n\`\`\`\n`);
  return `# The tlbsim command line\n\nGenerated by \`tlbsim help --format markdown\` from apps/cli/src/options.ts and apps/cli/src/help.ts; a test keeps it fresh.\n\n\`\`\`text\n${mainHelp().replace(/\n+$/, '')}\n\`\`\`\n\n${parts.join('\n')}`;
}
