/**
 * A tracing session: enable a list of events (with optional filters), size the ring buffer, set
 * the clock, write trace_marker, read the trace, and put back every setting it changed when it
 * closes, also on an exception, on process exit and on SIGINT/SIGTERM.
 *
 * By default the session records in its own tracing instance (instances/NAME, created and
 * removed by the session), so the top-level buffer other tools use is never touched; with
 * `instance: null` it records at the top level and restores each file it wrote.
 * File I/O is synchronous on purpose: the restore must also run from an `exit` handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EventSpec {
  /** `subsystem/event`, e.g. `tlb/tlb_flush`, `syscalls/sys_enter_openat` */
  name: string;
  /** an ftrace filter expression, e.g. `common_pid == 123 || common_pid == 124` */
  filter?: string;
}

export interface SessionOptions {
  /** the tracefs mount point (default /sys/kernel/tracing) */
  root?: string;
  /** a tracing instance to create and remove (default `tlbsim-PID`); null: the top level */
  instance?: string | null;
  events: readonly EventSpec[];
  /** ring buffer size per CPU in KiB */
  bufferSizeKb?: number;
  /** trace_clock; `mono` keeps the CPUs' timestamps comparable */
  clock?: string;
  /**
   * Called first when the session closes (also from a signal or exit handler): end the processes
   * that hold the instance's files open (a helper writing trace_marker), or its removal fails.
   */
  beforeClose?: () => void;
}

/** Why a tracefs write failed: the file and the system's message. */
export class TracefsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracefsError';
  }
}

const open = new Set<TraceSession>();
let hooked = false;

function restoreAll(): void {
  for (const s of [...open]) s.close();
}

/** The exit hook and signal handlers, installed once while any session is open. */
function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', restoreAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      restoreAll();
      // alone: end the process as the signal would; otherwise the other handlers decide
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    // first in line, so the restore happens even if a later handler exits at once
    process.prependListener(sig, onSignal);
  }
}

function readSetting(file: string): string {
  const t = readFileSync(file, 'utf8');
  return t.replace(/\n$/, '');
}

export class TraceSession {
  /** the directory whose files this session writes (the instance's, or the root) */
  readonly dir: string;
  readonly root: string;
  readonly instance: string | null;
  /** settings to put back, in the order they were changed */
  private readonly saved: { file: string; value: string }[] = [];
  private closed = false;
  /** trace_pipe readers still running (each holds the instance open until it ends) */
  private readonly pipes = new Set<ChildProcess>();
  /** only an instance this session made is removed (never another session's) */
  private created = false;

  private readonly beforeClose?: () => void;

  private constructor(o: SessionOptions) {
    this.beforeClose = o.beforeClose;
    this.root = o.root ?? '/sys/kernel/tracing';
    this.instance = o.instance === undefined ? `tlbsim-${process.pid}` : o.instance;
    this.dir = this.instance === null ? this.root : join(this.root, 'instances', this.instance);
  }

  /** Open a session with tracing off and the buffer empty; call start() to record. */
  static open(o: SessionOptions): TraceSession {
    const s = new TraceSession(o);
    hookProcess();
    open.add(s);
    try {
      if (s.instance !== null) {
        const d = s.dir;
        if (existsSync(d)) throw new TracefsError(`tracing instance ${d} already exists (another session?)`);
        try {
          mkdirSync(d);
          s.created = true;
        } catch (e) {
          throw new TracefsError(`cannot create tracing instance ${d}: ${(e as Error).message}`);
        }
      }
      s.set('tracing_on', '0');
      if (s.instance === null) s.set('current_tracer', 'nop');
      if (o.clock) s.set('trace_clock', o.clock);
      if (o.bufferSizeKb) s.set('buffer_size_kb', String(o.bufferSizeKb));
      for (const e of o.events) {
        const base = join('events', e.name);
        if (!existsSync(join(s.dir, base, 'enable'))) throw new TracefsError(`tracepoint ${e.name} is absent (${join(s.dir, base)})`);
        if (e.filter !== undefined) s.set(join(base, 'filter'), e.filter);
        s.set(join(base, 'enable'), '1');
      }
      s.clear();
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** Write `value` to a file of this session's directory, remembering the old value once. */
  set(file: string, value: string): void {
    const path = join(this.dir, file);
    if (!this.saved.some((x) => x.file === file)) {
      let old: string;
      try {
        old = readSetting(path);
      } catch (e) {
        throw new TracefsError(`cannot read ${path}: ${(e as Error).message}`);
      }
      this.saved.push({ file, value: normalize(file, old) });
    }
    try {
      writeFileSync(path, value);
    } catch (e) {
      throw new TracefsError(`cannot write "${value}" to ${path}: ${(e as Error).message}`);
    }
  }

  /** The path of a file of this session (e.g. trace_marker for a helper process to write). */
  path(file: string): string {
    return join(this.dir, file);
  }

  start(): void {
    writeFileSync(this.path('tracing_on'), '1');
  }

  stop(): void {
    writeFileSync(this.path('tracing_on'), '0');
  }

  /** Empty the ring buffer. */
  clear(): void {
    writeFileSync(this.path('trace'), '');
  }

  /** Write a trace_marker line (appears as `tracing_mark_write: TEXT`). */
  mark(text: string): void {
    writeFileSync(this.path('trace_marker'), text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The whole buffer as text (the `trace` file: non-consuming, needs tracing stopped to be stable). */
  read(): string {
    return readFileSync(this.path('trace'), 'utf8');
  }

  /**
   * Stream the trace as it is recorded: trace_pipe (consuming what it reads) is read by a `cat`
   * child, so no blocked read ever holds one of node's threads, and each chunk of text goes to
   * `onText`. `stop()` lets the reader drain, ends it and resolves when it has gone. For long
   * recordings that would overrun the buffer; `read()` suits short ones.
   */
  pipe(onText: (text: string) => void): { stop: () => Promise<void> } {
    const c = spawn('cat', [this.path('trace_pipe')], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.pipes.add(c);
    c.stdout!.setEncoding('utf8');
    c.stdout!.on('data', (t: string) => onText(t));
    const gone = new Promise<void>((resolve) => {
      c.on('close', () => {
        this.pipes.delete(c);
        resolve();
      });
      c.on('error', () => resolve());
    });
    const stop = async () => {
      // what is already in the buffer reaches `cat` within its next read
      await new Promise((r) => setTimeout(r, 50));
      c.kill('SIGTERM');
      await gone;
    };
    return { stop };
  }

  /** Events lost per CPU (the overrun counters of per_cpu/cpuN/stats). */
  overruns(cpus: readonly number[]): Map<number, number> {
    const r = new Map<number, number>();
    for (const c of cpus) {
      try {
        const t = readFileSync(this.path(`per_cpu/cpu${c}/stats`), 'utf8');
        r.set(c, Number(/^overrun: (\d+)/m.exec(t)?.[1] ?? 0));
      } catch {
        r.set(c, 0);
      }
    }
    return r;
  }

  /** Put back every setting (newest change first) and remove the instance. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    const errors: string[] = [];
    try {
      this.beforeClose?.();
    } catch (e) {
      errors.push(`beforeClose: ${(e as Error).message}`);
    }
    // an open trace_pipe keeps the instance busy
    for (const c of this.pipes) c.kill('SIGKILL');
    const put = (file: string, value: string) => {
      try {
        writeFileSync(join(this.dir, file), value);
      } catch (e) {
        errors.push(`${join(this.dir, file)}: ${(e as Error).message}`);
      }
    };
    // tracing off first, so restoring does not itself record
    if (this.saved.some((x) => x.file === 'tracing_on')) put('tracing_on', '0');
    for (const { file, value } of [...this.saved].reverse()) {
      // an instance's own settings go with it; its events are switched off before it goes
      if (this.instance !== null && !file.endsWith('/enable')) continue;
      put(file, value);
    }
    if (this.created && existsSync(this.dir)) {
      const err = removeInstance(this.dir);
      if (err) errors.push(`cannot remove tracing instance ${this.dir}: ${err}`);
    }
    if (errors.length) process.emitWarning(`tlbsim tracefs: could not restore: ${errors.join('; ')}`);
  }
}

/**
 * rmdir an instance; EBUSY while a process that just got killed still holds one of its files
 * open, so retry for up to a second (synchronously: this may run in an exit handler).
 */
function removeInstance(dir: string): string | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EBUSY' || i >= 100) return (e as Error).message;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/**
 * What to write back to restore a file whose current text is `old`: buffer_size_kb reads
 * `7 (expanded: 1408)` before the buffer is first used, trace_clock `[local] global ...`, a
 * filter `none`, current_tracer its name.
 */
export function normalize(file: string, old: string): string {
  // not yet expanded: the size it expands to is the one in effect for any recording
  if (file === 'buffer_size_kb') return /expanded: (\d+)/.exec(old)?.[1] ?? /^\d+/.exec(old)?.[0] ?? old;
  if (file === 'trace_clock') return /\[(\S+)\]/.exec(old)?.[1] ?? old;
  if (file.endsWith('/filter')) return old.trim() === 'none' ? '0' : old;
  return old.trim();
}
