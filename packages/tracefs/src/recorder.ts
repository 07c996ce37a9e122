/**
 * One recorder for every tlbsim command that records the kernel: preflight (one-line refusal),
 * a session with the events that exist of those asked for, the work run between tracing on and
 * off, every setting restored afterwards (also on an exception, exit or Ctrl-C: the session's
 * hooks). `recordProcessTree` builds on it: a program and the processes and threads it starts,
 * followed with set_event_pid and the event-fork option, streamed from trace_pipe.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { preflight, PreflightError } from './preflight.js';
import { TraceSession, type EventSpec } from './session.js';

export interface RecorderOptions {
  /** events that must exist (`subsystem/event`, or a whole `subsystem`) */
  events: readonly (string | EventSpec)[];
  /** events recorded when this kernel has them, left out otherwise */
  optionalEvents?: readonly (string | EventSpec)[];
  /** refuse on any other architecture (process.arch names) */
  arch?: string;
  bufferSizeKb?: number;
  clock?: string;
  /** trace options to set (file names under options/, e.g. `event-fork`) */
  options?: Readonly<Record<string, string>>;
  beforeClose?: () => void;
  /** for tests: the tracefs mount point and preflight probe */
  root?: string;
}

const specOf = (e: string | EventSpec): EventSpec => (typeof e === 'string' ? { name: e } : e);

/** The events of `names` this tracefs has (a subsystem counts when its directory has `enable`). */
export function presentEvents(root: string, names: readonly string[]): string[] {
  return names.filter((n) => existsSync(join(root, 'events', n, 'enable')));
}

/**
 * Preflight, open a session with the events, run `work` (which starts tracing when it is ready)
 * and close the session, whatever happens. Returns what `work` returns and the events recorded.
 * Refusals are PreflightError (one line), tracefs failures TracefsError.
 */
export async function withRecording<T>(o: RecorderOptions, work: (s: TraceSession, events: string[]) => Promise<T>): Promise<T> {
  const required = o.events.map(specOf);
  const pf = await preflight({ events: required.map((e) => e.name), ...(o.arch ? { arch: o.arch } : {}) });
  const root = o.root ?? pf.root;
  const wanted = (o.optionalEvents ?? []).map(specOf);
  const present = new Set(presentEvents(root, wanted.map((e) => e.name)));
  const events = [...required, ...wanted.filter((e) => present.has(e.name))];
  let session: TraceSession | undefined;
  try {
    session = TraceSession.open({ root, events, bufferSizeKb: o.bufferSizeKb, clock: o.clock, beforeClose: o.beforeClose });
    for (const [opt, value] of Object.entries(o.options ?? {})) {
      if (!existsSync(session.path(join('options', opt)))) throw new PreflightError(`trace option ${opt} is absent (${session.path('options')})`);
      session.set(join('options', opt), value);
    }
    return await work(session, events.map((e) => e.name));
  } finally {
    session?.close();
  }
}

export interface TreeRecording {
  /** the program's exit status (128 + signal number when a signal ended it) */
  status: number;
  /** the pid the program ran as (the root of the recorded tree) */
  pid: number;
  /** events the ring buffer overwrote, per CPU (trace_pipe reports them inline as well) */
  lost: Map<number, number>;
  events: string[];
  cpus: number;
}

export interface TreeOptions extends RecorderOptions {
  command: readonly string[];
  /** every piece of trace text, in order (the header first) */
  onText: (text: string) => void;
}

function processState(pid: number): string | undefined {
  try {
    // `pid (comm) S ...`: the state follows the last parenthesis
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** The number of CPUs with a buffer (the `#P:` of the trace header). */
function possibleCpus(root: string): number {
  let n = 0;
  while (existsSync(join(root, 'per_cpu', `cpu${n}`))) n++;
  return Math.max(1, n);
}

/**
 * Record `command` and every process and thread it starts: the program is started stopped (a
 * shell that stops itself before it execs the command), its pid goes into set_event_pid with
 * event-fork on (children join the filter as they are forked), tracing starts, the program
 * continues. trace_pipe is streamed to `onText` after a header that gives the CPU count (`#P:`)
 * and the root pid, until the program has exited.
 */
export async function recordProcessTree(o: TreeOptions): Promise<TreeRecording> {
  let child: ReturnType<typeof spawn> | undefined;
  const kill = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const options = { 'event-fork': '1', 'record-tgid': '1', ...(o.options ?? {}) };
  return withRecording({ ...o, options, beforeClose: () => { kill(); o.beforeClose?.(); } }, async (s, events) => {
    const cpus = possibleCpus(s.dir);
    const c = spawn('/bin/sh', ['-c', 'kill -STOP $$; exec "$@"', 'tlbsim-record', ...o.command], { stdio: 'inherit' });
    child = c;
    const exited = new Promise<number>((resolve, reject) => {
      c.on('error', reject);
      c.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? signalNumber(sig) : 0)));
    });
    const pid = c.pid!;
    // wait until it has stopped itself (or gone)
    for (let i = 0; i < 2000 && processState(pid) !== 'T' && c.exitCode === null; i++) await new Promise((r) => setTimeout(r, 2));
    s.set('set_event_pid', String(pid));
    o.onText(`# tracer: nop\n#\n# entries-in-buffer/entries-written: 0/0   #P:${cpus}\n# tlbsim record: root=${pid} command=${JSON.stringify(o.command)} events=${events.join(',')}\n#\n`);
    const p = s.pipe(o.onText);
    s.start();
    process.kill(pid, 'SIGCONT');
    const status = await exited;
    // tracing off, the reader ended, then what it had not consumed yet read from `trace`
    s.stop();
    await p.stop();
    const rest = s.read().split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    if (rest.length) o.onText(`${rest.join('\n')}\n`);
    const lost = s.overruns([...Array(cpus).keys()]);
    return { status, pid, lost, events, cpus };
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
