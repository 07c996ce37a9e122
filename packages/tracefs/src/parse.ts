/**
 * A parser of ftrace's text output (the `trace` and `trace_pipe` files): one line per event,
 * `comm-pid [cpu] flags timestamp: event: fields`, into typed events. Pure: no file access.
 */

/** enum tlb_flush_reason by value, under the kernel's enumerator names */
export const TLB_FLUSH_REASON_NAMES = [
  'TLB_FLUSH_ON_TASK_SWITCH',
  'TLB_REMOTE_SHOOTDOWN',
  'TLB_LOCAL_SHOOTDOWN',
  'TLB_LOCAL_MM_SHOOTDOWN',
  'TLB_REMOTE_SEND_IPI',
  'TLB_REMOTE_WRONG_CPU',
] as const;

/** What the event's fields say, for the events this package knows. */
export type EventData =
  /** tlb:tlb_flush; pages -1 is TLB_FLUSH_ALL */
  | { kind: 'tlb_flush'; reason: number; reasonName: string; pages: number }
  /** ipi:ipi_send_cpu (one target) and ipi:ipi_send_cpumask (its mask, expanded) */
  | { kind: 'ipi_send'; targets: number[]; callsite: string; callback: string }
  /** csd:csd_function_entry / csd_function_exit; csd 0 is a local call, not an IPI */
  | { kind: 'csd_function_entry' | 'csd_function_exit'; func: string; csd: string }
  /** ftrace:print, what a trace_marker write recorded */
  | { kind: 'print'; text: string }
  /** sched:sched_switch */
  | { kind: 'sched_switch'; prevComm: string; prevPid: number; prevState: string; nextComm: string; nextPid: number }
  /** syscalls:sys_enter_NAME, printed `sys_NAME(arg: 0x..., ...)`: the argument text inside the parentheses */
  | { kind: 'sys_enter'; name: string; args: string }
  /** syscalls:sys_exit_NAME, printed `sys_NAME -> 0x...`: the return register as printed */
  | { kind: 'sys_exit'; name: string; ret: string }
  /**
   * exceptions:page_fault_user and page_fault_kernel (x86): the address and the hardware error
   * code (X86_PF_* bits); a kernel-mode fault on a user address is the kernel touching user
   * memory (put_user, copy_to_user: a forked child's set_child_tid, rseq)
   */
  | { kind: 'page_fault'; user: boolean; address: number; errorCode: number }
  /** sched:sched_process_fork (in the parent's context) */
  | { kind: 'sched_process_fork'; parentPid: number; childPid: number; childComm: string }
  /** sched:sched_process_exec; oldPid differs when a thread other than the leader called execve */
  | { kind: 'sched_process_exec'; filename: string; pid: number; oldPid: number }
  /** sched:sched_process_exit (in the exiting task's context); groupDead where the kernel prints it */
  | { kind: 'sched_process_exit'; pid: number; groupDead?: boolean }
  /** task:task_newtask (in the parent's context): the new task and its clone flags */
  | { kind: 'task_newtask'; pid: number; cloneFlags: number }
  /** csd:csd_queue_cpu: a cross-call queued for `cpu` (one per target) */
  | { kind: 'csd_queue_cpu'; cpu: number; func: string }
  /** a raw syscall, page fault or any other event: fields kept as text */
  | { kind: 'other' };

export interface FtraceEvent {
  comm: string;
  pid: number;
  /** the thread group (process) id, when the TGID column is on (options/record-tgid) */
  tgid?: number;
  cpu: number;
  /** irqs-off, need-resched, hardirq/softirq, preempt depth... ('' when the option is off) */
  flags: string;
  /** the timestamp in microseconds, as printed (sec.usec) */
  tsUs: number;
  /** the event name as printed (`tlb_flush`, `tracing_mark_write`); a syscall event's tracepoint name (`sys_enter_openat`, `sys_exit_openat`) */
  event: string;
  /** the field text after `event: ` */
  fields: string;
  data: EventData;
  /** 1-based line number in the parsed text */
  line: number;
}

/** `CPU:1 [LOST 42 EVENTS]`: the ring buffer overwrote events. */
export interface LostEvents {
  cpu: number;
  count: number;
  line: number;
}

export interface ParsedTrace {
  events: FtraceEvent[];
  lost: LostEvents[];
  /** lines that were neither comments, events nor loss notes (1-based numbers) */
  unparsed: number[];
}

// comm may hold spaces and dashes: the pid is the last -digits before the CPU column; an
// optional TGID column `( 1234)` or `(-------)` sits between them
const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,6})\s+)?(\d+)\.(\d+):\s+(?:([\w.-]+):\s?(.*)|sys_(\w+)(?:\((.*)\)| -> (\S+)))$/;
const LOST = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

/** `0-1,3` (the %*pbl cpumask format) as a list of CPUs */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) return [];
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

/**
 * `key=value` fields separated by spaces (values without spaces), as most events print them;
 * a comma ending a value is a separator (`func=flush_tlb_func, csd=...`), one inside it is not
 * (`cpumask=0-1,3`).
 */
function kv(fields: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of fields.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) m.set(tok.slice(0, eq), tok.slice(eq + 1).replace(/,$/, ''));
  }
  return m;
}

/** The typed data of one event's fields. */
export function parseFields(event: string, fields: string): EventData {
  switch (event) {
    case 'tlb_flush': {
      // pages:%ld reason:%s (%d)
      const m = /^pages:(-?\d+) reason:.*\((\d+)\)\s*$/.exec(fields);
      if (!m) return { kind: 'other' };
      const reason = Number(m[2]);
      return { kind: 'tlb_flush', pages: Number(m[1]), reason, reasonName: TLB_FLUSH_REASON_NAMES[reason] ?? `reason ${reason}` };
    }
    case 'ipi_send_cpu':
    case 'ipi_send_cpumask': {
      const f = kv(fields);
      const targets = event === 'ipi_send_cpu' ? (f.has('cpu') ? [Number(f.get('cpu'))] : []) : parseCpuList(f.get('cpumask') ?? '');
      return { kind: 'ipi_send', targets, callsite: f.get('callsite') ?? '', callback: f.get('callback') ?? '' };
    }
    case 'csd_function_entry':
    case 'csd_function_exit': {
      const f = kv(fields);
      return { kind: event, func: f.get('func') ?? '', csd: f.get('csd') ?? '' };
    }
    case 'tracing_mark_write':
    case 'print':
      return { kind: 'print', text: fields.replace(/\n$/, '') };
    case 'sched_switch': {
      const m = /^prev_comm=(.*) prev_pid=(\d+) prev_prio=-?\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=-?\d+$/.exec(fields);
      if (!m) return { kind: 'other' };
      return { kind: 'sched_switch', prevComm: m[1], prevPid: Number(m[2]), prevState: m[3], nextComm: m[4], nextPid: Number(m[5]) };
    }
    case 'page_fault_user':
    case 'page_fault_kernel': {
      const f = kv(fields);
      const address = Number(f.get('address'));
      const errorCode = Number(f.get('error_code'));
      if (!Number.isFinite(address) || !Number.isFinite(errorCode)) return { kind: 'other' };
      return { kind: 'page_fault', user: event === 'page_fault_user', address, errorCode };
    }
    case 'sched_process_fork': {
      const m = /^comm=.* pid=(\d+) child_comm=(.*) child_pid=(\d+)$/.exec(fields);
      return m ? { kind: 'sched_process_fork', parentPid: Number(m[1]), childComm: m[2], childPid: Number(m[3]) } : { kind: 'other' };
    }
    case 'sched_process_exec': {
      const m = /^filename=(.*) pid=(\d+) old_pid=(\d+)$/.exec(fields);
      return m ? { kind: 'sched_process_exec', filename: m[1], pid: Number(m[2]), oldPid: Number(m[3]) } : { kind: 'other' };
    }
    case 'sched_process_exit': {
      const m = /^comm=.* pid=(\d+) prio=-?\d+(?: group_dead=(\w+))?/.exec(fields);
      if (!m) return { kind: 'other' };
      return { kind: 'sched_process_exit', pid: Number(m[1]), ...(m[2] !== undefined ? { groupDead: m[2] === 'true' } : {}) };
    }
    case 'task_newtask': {
      const m = /^pid=(\d+) comm=.* clone_flags=([0-9a-fA-F]+) oom_score_adj=/.exec(fields);
      return m ? { kind: 'task_newtask', pid: Number(m[1]), cloneFlags: parseInt(m[2], 16) } : { kind: 'other' };
    }
    case 'csd_queue_cpu': {
      const f = kv(fields);
      return f.has('cpu') ? { kind: 'csd_queue_cpu', cpu: Number(f.get('cpu')), func: f.get('func') ?? '' } : { kind: 'other' };
    }
    default:
      return { kind: 'other' };
  }
}

/** One line as an event (undefined for comments, blank lines and anything else). */
export function parseLine(text: string, line = 0): FtraceEvent | undefined {
  const m = LINE.exec(text);
  if (!m) return undefined;
  const sec = m[6];
  const frac = m[7];
  // sec.usec as printed (the mono/local/global clocks print 6 decimals; more are truncated)
  const tsUs = Number(sec) * 1e6 + Number(frac.length === 6 ? frac : frac.slice(0, 6).padEnd(6, '0'));
  const tgid = m[3] !== undefined && m[3][0] !== '-' ? Number(m[3]) : undefined;
  const sys = m[10];
  let event: string;
  let fields: string;
  let data: EventData;
  if (sys !== undefined) {
    // the syscall events print `sys_NAME(args)` on entry and `sys_NAME -> ret` on exit
    const ret = m[12];
    if (ret !== undefined) {
      event = `sys_exit_${sys}`;
      fields = ret;
      data = { kind: 'sys_exit', name: sys, ret };
    } else {
      event = `sys_enter_${sys}`;
      fields = m[11];
      data = { kind: 'sys_enter', name: sys, args: fields };
    }
  } else {
    event = m[8];
    fields = m[9];
    data = parseFields(event, fields);
  }
  // one object shape for every event (no spreads: this runs once per line)
  return { comm: m[1], pid: Number(m[2]), tgid, cpu: Number(m[4]), flags: m[5] ?? '', tsUs, event, fields, data, line };
}

/** Every line of a trace. Events keep the file's order (per CPU ordered by time). */
export function parseTrace(text: string): ParsedTrace {
  const events: FtraceEvent[] = [];
  const lost: LostEvents[] = [];
  const unparsed: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '' || l.startsWith('#')) continue;
    const ev = parseLine(l, i + 1);
    if (ev) {
      events.push(ev);
      continue;
    }
    const lm = LOST.exec(l.trim());
    if (lm) lost.push({ cpu: Number(lm[1]), count: Number(lm[2]), line: i + 1 });
    else unparsed.push(i + 1);
  }
  return { events, lost, unparsed };
}
