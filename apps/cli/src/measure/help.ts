export const MEASURE_HELP = `Usage: tlbsim measure --workload NAME [--set KEY=VALUE]... [--iterations N] [--save DIR] [options]
       tlbsim measure --from DIR [options]

Run a workload natively on this machine (x86-64 Linux, root, tracefs) and check tlbsim's x86
prediction against what the kernel did, event by event. A small C helper (compiled once with cc
into ~/.cache/tlbsim, or $XDG_CACHE_HOME/tlbsim) runs the workload with a worker thread on CPU0
and peer threads on CPUs 1..cpus-1 (SCHED_FIFO when permitted) and writes a trace_marker line
around each operation; tlbsim records tlb:tlb_flush, ipi:ipi_send_cpu/_cpumask,
csd:csd_function_entry/exit and sched:sched_switch in a tracing instance of its own (removed
afterwards, also on Ctrl-C), takes the majority sequence of each operation over the iterations
and prints it, per CPU, beside tlbsim's for a model of this host (kernel release, pcid/invpcid/
invlpgb, PTI, paravirt flush, tlb_single_page_flush_ceiling when debugfs is readable).

Workloads: munmap, madvise-dontneed, madvise-free, mprotect, mremap (parameters pages, peer,
aligned, cpus) and exit (rss, cpus), with compare's parameters and defaults.

Options:
  -w, --workload NAME    the workload (tlbsim workloads NAME lists its parameters)
  -s, --set KEY=VALUE    a workload parameter, repeatable (cpus at most this machine's CPUs)
  -n, --iterations N     native repetitions (default 25); each operation's majority is compared
      --sched fifo|other     fifo (default): worker and peers SCHED_FIFO when permitted; other:
                         never (to see what other tasks do to a measurement)
      --save DIR         keep the raw kernel trace (kernel.trace), tlbsim's trace (tlbsim.trace,
                         tlbsim.json) and what ran (measure.json) in DIR
      --from DIR         compare a saved measurement again (no root or tracefs needed)
  -f, --format F         text (default) or json (phases[] with name, kernel, tlbsim, match,
                         agreement)
  -o, --out FILE         write the output to FILE (atomically)

A run is "disturbed" when another task preempted a helper thread or sent it a TLB IPI during the
operation; disturbed runs are counted and left out of the majority. docs/measure.md explains the
events and the known differences.

Examples:
  sudo tlbsim measure --workload munmap --set pages=8
  sudo tlbsim measure --workload mprotect --set peer=sleep --iterations 50 --save m1
  tlbsim measure --from m1 --format json

Exit status: 0 every operation matches, 1 some operation differs, 2 cannot measure (one line
naming what is missing) or bad input.
`;
