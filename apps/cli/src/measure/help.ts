/** The paragraphs of `tlbsim measure --help` (its options are in options.ts, like every command's). */
export const MEASURE_ABOUT = `Run a workload natively on this machine (x86-64 Linux, root, tracefs) and check tlbsim's x86
prediction against what the kernel did, event by event. A small C helper (compiled once with cc
into ~/.cache/tlbsim, or $XDG_CACHE_HOME/tlbsim) runs the workload with a worker thread on CPU0
and peer threads on CPUs 1..cpus-1 (SCHED_FIFO when permitted) and writes a trace_marker line
around each operation; tlbsim records tlb:tlb_flush, ipi:ipi_send_cpu/_cpumask,
csd:csd_function_entry/exit and sched:sched_switch in a tracing instance of its own (removed
afterwards, also on Ctrl-C), takes the majority sequence of each operation over the iterations
and prints it, per CPU, beside tlbsim's for a model of this host (kernel release, pcid/invpcid/
invlpgb, PTI, paravirt flush, tlb_single_page_flush_ceiling when debugfs is readable).

Workloads: munmap, madvise-dontneed, madvise-free, mprotect, mremap (parameters pages, peer,
aligned, cpus) and exit (rss, cpus), with compare's parameters and defaults.`;

export const MEASURE_AFTER = `A run is "disturbed" when another task preempted a helper thread or sent it a TLB IPI during the
operation; disturbed runs are counted and left out of the majority. docs/measure.md explains the
events and the known differences.`;

export const MEASURE_EXIT = `Exit status: 0 every operation matches, 1 some operation differs, 2 cannot measure (one line
naming what is missing) or bad input.
`;
