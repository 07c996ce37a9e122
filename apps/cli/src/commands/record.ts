/**
 * tlbsim record [-o FILE] -- CMD ARGS... (issue #22): run a program with the kernel's own
 * tracepoints recording it and every process and thread it starts, for `tlbsim replay`.
 * Exit status: 0 recorded (the program's own status is reported), 2 cannot record / bad input.
 */
import { PreflightError, TracefsError, recordProcessTree } from '@tlbsim/tracefs';
import { parse, str } from '../args.js';
import { UsageError } from '../errors.js';
import { commandHelp } from '../help.js';
import { checkOutputs, openAtomic, type AtomicStream } from '../io.js';

/** The memory and process system calls replay models (each has sys_enter_* and sys_exit_*). */
export const RECORDED_SYSCALLS = [
  'mmap', 'munmap', 'mremap', 'mprotect', 'pkey_mprotect', 'madvise', 'process_madvise', 'brk', 'shmat', 'shmdt',
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group',
] as const;

/** Without these nothing can be replayed. */
export const REQUIRED_EVENTS = [
  'syscalls/sys_enter_mmap', 'syscalls/sys_exit_mmap', 'syscalls/sys_enter_munmap', 'syscalls/sys_exit_munmap',
  'sched/sched_switch', 'sched/sched_process_fork', 'sched/sched_process_exec', 'sched/sched_process_exit',
] as const;

/**
 * Recorded where this kernel has them: the other calls (fork and vfork exist on x86 only), the
 * page faults (x86's exceptions:page_fault_user, and page_fault_kernel for the kernel's own
 * accesses to user memory), the clone flags of every new task
 * (task:task_newtask; clone3's flags are not in its tracepoint), and for the comparison the
 * kernel's flushes and IPIs (x86's tlb:tlb_flush, ipi:*, csd:*).
 */
export const OPTIONAL_EVENTS = [
  ...RECORDED_SYSCALLS.flatMap((s) => [`syscalls/sys_enter_${s}`, `syscalls/sys_exit_${s}`]).filter((e) => !(REQUIRED_EVENTS as readonly string[]).includes(e)),
  'exceptions/page_fault_user', 'exceptions/page_fault_kernel', 'task/task_newtask', 'tlb/tlb_flush',
  // the wakeups of the reader of this very recording (irq_work to the ring buffer's waiters) are left out
  ...['ipi/ipi_send_cpu', 'ipi/ipi_send_cpumask'].map((name) => ({ name, filter: 'callback.function != rb_wake_up_waiters' })),
  'csd',
];

export const DEFAULT_RECORD_FILE = 'tlbsim.trace';


export async function recordCommand(argv: string[]): Promise<number> {
  const dd = argv.indexOf('--');
  const own = dd < 0 ? argv : argv.slice(0, dd);
  const { values, positionals } = parse('record', own);
  if (values.help) {
    process.stdout.write(commandHelp('record'));
    return 0;
  }
  if (positionals.length) throw new UsageError(`tlbsim record takes the program after "--": tlbsim record [-o FILE] -- ${positionals.join(' ')}`);
  const command = dd < 0 ? [] : argv.slice(dd + 1);
  if (!command.length) throw new UsageError('tlbsim record needs the program to record: tlbsim record [-o FILE] -- CMD ARGS...');
  const out = str(values, 'out') ?? DEFAULT_RECORD_FILE;
  checkOutputs({ '--out': out });
  if (process.platform !== 'linux') throw new UsageError(`record: cannot record: not Linux (this is ${process.platform})`);
  // opened once recording has begun: a refusal leaves nothing behind
  let file: AtomicStream | undefined;
  let lines = 0;
  try {
    const r = await recordProcessTree({
      command,
      events: REQUIRED_EVENTS,
      optionalEvents: OPTIONAL_EVENTS,
      bufferSizeKb: 16384,
      clock: 'mono',
      onText: (t) => {
        for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) lines++;
        file ??= openAtomic(out);
        file.write(t);
      },
    });
    file ??= openAtomic(out);
    await file.commit();
    const lost = [...r.lost.values()].reduce((a, b) => a + b, 0);
    const faults = r.events.includes('exceptions/page_fault_user') ? '' : '; no page-fault tracepoint: replay assumes which pages were touched';
    process.stderr.write(`tlbsim record: ${out}: ${lines} lines, ${r.cpus} CPUs, pid ${r.pid}, the program exited with ${r.status}${lost ? `; ${lost} events lost (the ring buffer overran)` : ''}${faults}\n`);
    return 0;
  } catch (e) {
    file?.abort();
    if (e instanceof PreflightError) throw new UsageError(`record: cannot record: ${e.message}`);
    if (e instanceof TracefsError) throw new UsageError(`record: ${e.message}`);
    throw e;
  }
}
