import { VERSION } from './report-data.js';
import { MEASURE_HELP } from './measure/help.js';

const ARCH_HELP = `  -a, --arch SPEC        architecture variant, repeatable: x86, arm64, ppc, riscv, generic, all
                         (default: all = x86, arm64, ppc, riscv), with options NAME:key=value,key=value
                         e.g. --arch x86:invlpgb=on --arch arm64:granule=64k,tlbiRange=on
                         (tlbsim arches lists every option)
      --cost ARCH:KEY=NS  override cost figures of estimatedNs (a model estimate) for ARCH's
                         columns, repeatable: --cost x86:ipiSend=1500,INVLPG=120
                         (tlbsim arches ARCH --costs lists every figure and its source)`;
const BY_HELP = `      --by op            one table per architecture, one row per operation (a scenario's ops, a
                         workload's phases): what each caused, on which CPUs; the rows sum to the
                         totals (JSON always carries them as results[].ops[])`;
const SETUP_HELP = `      --include-setup    count each thread's first switch onto its CPU in the totals (kept apart by
                         default: it is setup, not the workload)`;
const TRACE_HELP = `      --trace FILE       write the event stream of every run to FILE (atomically)
      --trace-format F   perfetto (default; open in ui.perfetto.dev), jsonl or ftrace
                         (default by extension: .jsonl -> jsonl, .txt/.trace -> ftrace)`;

/** The same list in every --help (and the README): a script can rely on it. */
export const EXIT_HELP = `Exit status: 0 success; 1 findings (tlbsim check found something); 2 bad input (unknown name,
out-of-range value, invalid scenario, unwritable output: one line naming it); 3 not exercised
(tlbsim check found nothing, but a --bug never acted or no hazard class was checked at all); 70
internal error (a bug of ours: please report it); 130 interrupted by Ctrl-C (SIGINT), 143 by
SIGTERM (nothing partial is written).
`;

export const HELP: Record<string, string> = {
  measure: MEASURE_HELP,
  main: `tlbsim ${VERSION}: simulate Linux mmu_gather / TLB shootdowns across architectures

Usage: tlbsim <command> [options]        (tlbsim <command> --help for details)

Commands:
  compare     run a built-in workload on each architecture, metrics side by side
  run         run a scenario file (YAML or JSON) on each architecture
  check       run the hazard checker; exit 1 when it finds anything, 3 when it checked nothing
  sweep       vary one workload parameter, in parallel; CSV/JSON, SVG plot, HTML report
  merge       combine the shard files of a sweep run in slices (sweep --shard K/N) into its output
  workloads   list the built-in workloads with every parameter and default
  arches      list the architectures with their options, defaults and Kconfig
  metrics     what every metric means: unit, definition, kernel counterpart, backends
  new-arch    scaffold a new architecture backend package (packages/arch-NAME)
  replay      replay an strace of a real program's memory system calls on each architecture
  measure     run a workload natively and check tlbsim's x86 prediction against the kernel's trace

Examples:
  tlbsim compare --workload munmap --set pages=64
  tlbsim compare --workload munmap --arch x86 --arch x86:invlpgb=on --format markdown
  tlbsim run scenario.yaml --trace run.json
  tlbsim check --workload munmap --bug free-pages-before-flush
  tlbsim sweep --workload munmap --vary pages=1,8,32,64,512 --plot ipis.svg --report sweep.html
  tlbsim replay trace.txt --arch x86 --arch arm64

${EXIT_HELP}`,
  compare: `Usage: tlbsim compare --workload NAME [--set KEY=VALUE]... [--arch SPEC]... [options]

Run one built-in workload on each architecture variant and print the metrics side by side:
one column per variant, one row per metric (per-CPU detail in --format json).

Options:
  -w, --workload NAME    the workload (tlbsim workloads lists them)
  -s, --set KEY=VALUE    set a workload parameter, repeatable (e.g. --set pages=64 --set peer=sleep)
${ARCH_HELP}
${SETUP_HELP}
${BY_HELP}
  -f, --format F         table (default), json, csv or markdown
  -o, --out FILE         write the output to FILE (atomically) instead of stdout
${TRACE_HELP}

Examples:
  tlbsim compare --workload munmap --set pages=64
  tlbsim compare --workload madvise-dontneed --set peer=sleep --set cpus=8 --format json
  tlbsim compare --workload exit --set threads=4 --set cpus=4 --arch x86 --arch arm64:tlbiRange=on
  tlbsim compare --workload hugetlb-share --set sharers=2 --set hugetlb=V1 --arch x86

${EXIT_HELP}`,
  run: `Usage: tlbsim run SCENARIO.{yaml,json} [--arch SPEC]... [options]

Run a scenario file on each architecture variant. docs/scenarios.md describes the format (machine,
files, processes, ops) with an example of every operation; docs/examples/munmap.yaml is a small one.
Mistakes are refused with the field path, exit 2.

Options:
${ARCH_HELP}
${SETUP_HELP}
${BY_HELP}
  -f, --format F         table (default), json, csv or markdown
  -o, --out FILE         write the output to FILE (atomically) instead of stdout
      --hugetlb V        hugetlb behaviour for hugetlb mappings: V0, V1 or V2 (default V2)
${TRACE_HELP}

Examples:
  tlbsim run scenario.yaml
  tlbsim run scenario.json --arch x86 --trace trace.json
  tlbsim run scenario.yaml --arch x86 --trace flush.txt --trace-format ftrace

${EXIT_HELP}`,
  check: `Usage: tlbsim check (SCENARIO | --workload NAME [--set KEY=VALUE]...) [--bug NAME]... [options]

Run the hazard checker (stale translations after free H1, page-table use after free H2, stale
permissions H3, kernel warnings H4). Each finding is explained: the CPU, the address, what was
freed, the operation, the flush that should have covered it, the cached translation that outlived
it and the events that led there. The checker reports one finding per CPU per freed batch (or per
mprotect/fork) and counts the pages it folds into it ("4 findings shown, 8 pages affected").
Each run says, per hazard class and per --bug, whether it was exercised and how often.

check exits 0 when nothing is found (every --bug acted, some hazard class was checked), 1 on
findings, 3 "not exercised" when nothing is found but a --bug never acted in some run (e.g.
free-tables-without-flush where no page table is freed) or a run checked no hazard class at all.

Options:
  -w, --workload NAME    a built-in workload instead of a scenario file
  -s, --set KEY=VALUE    set a workload parameter, repeatable
      --bug NAME         re-create a known kernel bug, repeatable:
                           free-pages-before-flush    free gathered pages before the TLB flush
                           free-tables-without-flush  free page tables with no flush or RCU grace period
                                                      (needs a workload that frees tables: --set aligned=true)
                           skip-mprotect-flush        mprotect records no flush for reduced permissions
${ARCH_HELP}
${SETUP_HELP}
  -f, --format F         text (default) or json
  -o, --out FILE         write the report to FILE (atomically) instead of stdout
      --hugetlb V        (scenarios) hugetlb behaviour: V0, V1 or V2 (default V2)
${TRACE_HELP}

Examples:
  tlbsim check --workload munmap
  tlbsim check --workload munmap --bug free-pages-before-flush --arch x86
  tlbsim check --workload mprotect --bug skip-mprotect-flush --format json
  tlbsim check scenario.yaml

${EXIT_HELP}`,
  sweep: `Usage: tlbsim sweep --workload NAME --vary KEY=V1,V2,... [--set KEY=VALUE]... [--arch SPEC]... [options]

Run a workload for each value of one parameter on each architecture variant, in parallel on all
cores (worker threads), with a progress bar on stderr when it is a terminal.

Options:
  -w, --workload NAME    the workload
      --vary KEY=VALUES  the parameter to vary: a list (1,2,4,8), a range (1..16, 0..64:8 with a
                         step) or a doubling range (1..1024*2)
  -s, --set KEY=VALUE    fix another parameter, repeatable
${ARCH_HELP}
${SETUP_HELP}
  -f, --format F         csv (default: one row per value and variant) or json
  -o, --out FILE         write the data to FILE (atomically) instead of stdout
      --plot FILE.svg    an SVG line chart: --metric against the varied parameter, one line per variant
      --metric NAME      the metric to plot (default ipis; any of packages/core/SPEC.md §3, or tlbInstructions.X)
      --report FILE.html one self-contained HTML page with the tables and charts
  -j, --jobs N           worker threads (default: one per core; at most one per core unless
                         --force-jobs, up to 1024)
      --force-jobs       allow --jobs above the number of cores
      --shard K/N        run only the K-th of N interleaved slices of the values (value j when
                         j mod N = K-1) and write a shard file; tlbsim merge turns the N shard files
                         into this sweep's output (docs/sweeps.md: a CI matrix, a Slurm array)

Examples:
  tlbsim sweep --workload munmap --vary pages=1..1024*2 --plot ipis.svg
  tlbsim sweep --workload munmap --vary cpus=2,4,8,16 --set peer=spin --format json --out sweep.json
  tlbsim sweep --workload tlb_flush2 --vary threads=1..8 --set cpus=8 --report tlb_flush2.html

${EXIT_HELP}`,
  merge: `Usage: tlbsim merge SHARD... [--format csv|json] [--out FILE] [--plot FILE.svg] [--report FILE.html]

Combine the shard files of one sweep (tlbsim sweep ... --shard K/N --out FILE, run for every K from
1 to N, on any machines) into exactly what the sweep prints run whole: the same CSV or JSON, byte
for byte, and its plot and report drawn from the merged data. Every shard must be given once, all
written by the same tlbsim from the same sweep (workload, --vary, --set, --arch, --cost,
--include-setup). See docs/sweeps.md.

Options:
  -f, --format F         csv (default) or json, as tlbsim sweep
  -o, --out FILE         write the data to FILE (atomically) instead of stdout
      --plot FILE.svg    an SVG line chart of --metric against the varied parameter
      --metric NAME      the metric to plot (default ipis)
      --report FILE.html one self-contained HTML page with the tables and charts

Examples:
  tlbsim sweep --workload munmap --vary pages=1..1024*2 --shard 1/2 --out shard-1.json
  tlbsim sweep --workload munmap --vary pages=1..1024*2 --shard 2/2 --out shard-2.json
  tlbsim merge shard-1.json shard-2.json --plot ipis.svg --out sweep.csv

${EXIT_HELP}`,
  workloads: `Usage: tlbsim workloads [NAME] [--format text|json|markdown]

List the built-in workloads: what each does, every parameter with its default and range.

Examples:
  tlbsim workloads
  tlbsim workloads munmap
  tlbsim workloads --format json

${EXIT_HELP}`,
  metrics: `Usage: tlbsim metrics [KEY...] [--arch NAME] [--format text|json|markdown]

What every number tlbsim prints means: each metric, TLB instruction and per-CPU counter with its
unit, a one-sentence definition, its kernel counterpart (a /proc/interrupts row, a /proc/vmstat
name, a tracepoint) or "model only", and which backends produce it. docs/metrics.md is this
command's markdown output.

Options:
  -a, --arch NAME        only the metrics this architecture produces
  -f, --format F         text (default), json or markdown

Examples:
  tlbsim metrics
  tlbsim metrics ipis counters.interrupts.TLB
  tlbsim metrics --arch arm64 --format markdown

${EXIT_HELP}`,
  arches: `Usage: tlbsim arches [NAME] [--costs] [--format text|json|markdown]

List the architectures: label, page size, every option with its default and values, and the
Kconfig symbols each backend selects. --costs lists the cost model instead: every figure (ns)
estimatedNs multiplies by its count, with its source; --cost ARCH:KEY=NS overrides one.

Examples:
  tlbsim arches
  tlbsim arches arm64
  tlbsim arches x86 --costs
  tlbsim arches --format json

${EXIT_HELP}`,
  'new-arch': `Usage: tlbsim new-arch NAME [--dir WORKSPACE]

Scaffold packages/arch-NAME: package.json, tsup config, the backend factory with every hook of the
contract documented in place (doing what the kernel's generic code does), a conformance test file,
a README and a changeset; the package joins the changesets fixed group. It builds and passes the
shared conformance suite out of the box. --dir names the workspace root (default: the nearest
directory above the current one holding pnpm-workspace.yaml).

Examples:
  tlbsim new-arch loongarch
  tlbsim new-arch s390 --dir ~/src/tlbsim

${EXIT_HELP}`,
  replay: `Usage: tlbsim replay FILE... [--arch SPEC]... [--touch all|none|written] [--cpus N] [--strict] [options]

Replay what a real program did to its memory, as strace recorded it, on each architecture
variant: the metrics side by side as in tlbsim compare, then the trace lines (call sites) that
sent the most IPIs and executed the most TLB instructions on each variant. FILE is the output of
  strace -f -tt -e trace=memory,process -o FILE PROGRAM
(also without -tt or -f; with strace -ff give every FILE.PID file). Files are streamed.

strace shows no page faults, so the replay assumes which pages were touched (--touch); the
report states the assumption. Calls that failed in the trace (= -1 ENOMEM) are counted, not
applied. A line that cannot be replayed is skipped and reported with its FILE:LINE (on stderr;
in the json document), with the count at the end.

Options:
${ARCH_HELP}
      --touch RULE       which pages the program is assumed to have touched before they are
                         unmapped or changed: all (default: every accessible anonymous or
                         writable private page), written (writable ones only) or none
      --cpus N           simulated CPUs (default: as many as the trace has threads alive at
                         once, at most 64; more threads than CPUs share them)
      --strict           an unparseable line is an error (exit 2, naming FILE:LINE), not skipped
  -f, --format F         table (default), json, csv or markdown
  -o, --out FILE         write the output to FILE (atomically) instead of stdout
${TRACE_HELP}

Same inputs give byte-identical output. The json document is compare's plus a "replay" section
(files, lines, syscalls, failures, skipped lines, the assumption) and each result's "callSites"
(the top 10 by IPIs and by TLB instructions; table and markdown show 5).

Examples:
  strace -f -tt -e trace=memory,process -o trace.txt ./myprogram
  tlbsim replay trace.txt
  tlbsim replay trace.txt --arch x86 --arch x86:invlpgb=on --touch written --format markdown
  tlbsim replay trace.txt --cpus 8 --strict --format json --out replay.json
  tlbsim replay trace.* --arch arm64 --trace replay.json     (the files of strace -ff -o trace)

${EXIT_HELP}`,
};
