import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The built dispatcher (src/main.ts) for in-process runs: the same code the CLI runs. */
const MAIN = new URL('../dist/main.js', import.meta.url).href;
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const SCHEMA_DIR = fileURLToPath(new URL('../schema/', import.meta.url));

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** kill the child (SIGKILL) and fail after this long; sized for a loaded 2-core machine */
  timeoutMs?: number;
  /** send this signal after that many ms, if the child still runs (a child that blocks: a FIFO) */
  kill?: [NodeJS.Signals, number];
  /**
   * send this signal once the child has used that many ms of CPU: it is then in its work, however
   * slowly a busy machine started it (a fixed delay alone misses a fast child there)
   */
  killAfterCpu?: [NodeJS.Signals, number];
}

/**
 * The working directory children start in unless told: the worker's at start, whatever directory
 * an in-process run (`tlbsimIn` with `cwd`) is in at that moment.
 */
const START_CWD = process.cwd();

/** One child process's default time limit: long enough for the slowest CLI call on a busy machine. */
export const CHILD_TIMEOUT_MS = 90_000;

/**
 * Run a command asynchronously and capture everything. Tests never use the *Sync child-process
 * calls: they block the worker's event loop, so vitest's RPC to the main process times out on a
 * loaded machine. A child that outlives `timeoutMs` is killed and the promise rejects naming it.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  const timeoutMs = opts.timeoutMs ?? CHILD_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? START_CWD, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const signal = opts.kill;
    const late = signal ? setTimeout(() => child.kill(signal[0]), signal[1]) : undefined;
    const cpu = opts.killAfterCpu;
    if (cpu) killWhenBusy(child, cpu[0], cpu[1]);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(late);
      const r = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms: ${cmd} ${args.join(' ')}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`));
      else resolve(r);
    });
  });
}

/** Run the built CLI (not on a terminal, NO_COLOR unset) and capture everything. */
export function tlbsim(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<Ran> {
  const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env };
  return run(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs });
}

type RunCaptured = (argv: readonly string[], opts?: { cwd?: string; stdin?: string }) => Promise<{ code: number; stdout: string; stderr: string }>;
let runCaptured: Promise<RunCaptured> | undefined;

/**
 * Run a command line of the built CLI in this worker (dist/main.js `runCaptured`) and capture its
 * exit status and output: what `tlbsim(args)` shows, without starting a node process (the start
 * costs more than most commands). Runs are serialised and each starts on a fresh turn of the event
 * loop, so the worker's RPC is served between them; keep each one short (small parameters).
 * A sweep runs here too (its tinypool workers start from this worker). For what only a real
 * process shows (signals, terminals, the environment, exit codes of the process itself, memory
 * limits) use `tlbsim`. `stdin` is the run's standard input (`tlbsim run -`; empty when not
 * given).
 */
export async function tlbsimIn(args: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<Ran> {
  runCaptured ??= import(MAIN).then((m: { runCaptured: RunCaptured }) => m.runCaptured);
  const r = await (await runCaptured)(args, opts);
  return { ...r, signal: null };
}

/** Start the CLI in the background (for Ctrl-C tests). */
export function tlbsimAsync(args: string[], cwd?: string): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: cwd ?? START_CWD, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Resolve once the child has spent `cpuMs` of CPU time (utime + stime of /proc/PID/stat, at
 * 100 ticks a second): it is then in its work, however slowly a loaded machine started it (a
 * fixed wall-clock delay is not enough there).
 */
export async function busyFor(child: ChildProcess, cpuMs: number, timeoutMs = CHILD_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the CLI exited before it had run ${cpuMs} ms`);
    let stat = '';
    try {
      stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    } catch {
      // not started yet
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f.length > 13 && (Number(f[11]) + Number(f[12])) * 10 >= cpuMs) return;
    if (Date.now() > deadline) throw new Error(`the CLI did not run ${cpuMs} ms of CPU within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * Send `signal` to `child` once it has used `cpuMs` of CPU, from a watcher process of its own
 * (sh, reading /proc/PID/stat): the signal is sent on time even while this worker's event loop is
 * busy with an in-process run, so a short child cannot finish before a late signal reaches it.
 */
export function killWhenBusy(child: ChildProcess, signal: NodeJS.Signals, cpuMs: number): void {
  const watch = 'p=$1; ms=$2; while [ -r /proc/$p/stat ]; do t=$(awk \'{print $14+$15}\' /proc/$p/stat 2>/dev/null); if [ -n "$t" ] && [ $((t*10)) -ge $ms ]; then kill -s $3 $p; exit 0; fi; sleep 0.02; done; exit 1';
  const w = spawn('sh', ['-c', watch, 'watch', String(child.pid), String(cpuMs), signal.replace(/^SIG/, '')], { stdio: 'ignore' });
  w.on('error', () => {});
  child.on('close', () => w.kill('SIGKILL'));
}

/** The exit code of a background child, or the signal that ended it. */
export function exited(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((res) => child.on('close', (c, s) => res(c ?? s)));
}

/** Run the CLI on a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
export async function tlbsimOnTty(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: undefined, ...env } });
  return r.stdout;
}

export const tmp = () => mkdtempSync(join(tmpdir(), 'tlbsim-test-'));

/** Run a shell tool (mkfifo, ln...) asynchronously; rejects unless it exits 0. */
export const sh = (cmd: string, args: string[]): Promise<void> =>
  new Promise<void>((res, rej) => spawn(cmd, args, { stdio: 'ignore' }).on('close', (c) => (c === 0 ? res() : rej(new Error(`${cmd} exited ${c}`)))));
export const fixture = (name: string) => join(FIXTURES, name);

/** A one-line error: no stack trace, names the thing, exit status 2. */
export function expectUsageError(r: Ran): string {
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected a one-line error, got:\n${r.stderr}`);
  if (/\n\s+at |\.ts:\d+|\.js:\d+/.test(r.stderr)) throw new Error(`stack trace in:\n${r.stderr}`);
  if (!lines[0].startsWith('tlbsim: error: ')) throw new Error(`unexpected error line: ${lines[0]}`);
  return lines[0];
}

// ----------------------------------------------------------------------------- JSON Schema
// The generated schema/*.schema.json (src/schemas.ts), checked with Ajv (JSON Schema 2020-12).

let ajv: Ajv2020 | undefined;
function schemas(): Ajv2020 {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    for (const f of readdirSync(SCHEMA_DIR)) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as object);
  }
  return ajv;
}

/** What is wrong with `v` as a document of schema/`schemaFile` (`$.path: message`); [] when valid. */
export function validate(v: unknown, schemaFile: string): string[] {
  const check = schemas().getSchema(`https://github.com/tlbsim/tlbsim/apps/cli/schema/${schemaFile}`);
  if (!check) throw new Error(`no schema ${schemaFile} in ${SCHEMA_DIR}`);
  return check(v) ? [] : (check.errors ?? []).map((e) => `$${e.instancePath.replace(/\//g, '.')}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
