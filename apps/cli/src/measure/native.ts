/**
 * The native helper: compiled once with the system C compiler into a cache directory keyed by
 * the tlbsim version and the source's hash, then run as a child process (never synchronously).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/** helper.c next to dist/ (the built CLI) or two levels up (the sources, under tests) */
export function helperSource(): string {
  for (const rel of ['../native/measure-helper.c', '../../native/measure-helper.c']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('measure: native/measure-helper.c is missing from the installation');
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'tlbsim');
}

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
let hooked = false;
/** A child must not outlive tlbsim (Ctrl-C, SIGTERM, an error). */
function track(c: ChildProcess): void {
  children.add(c);
  c.on('exit', () => children.delete(c));
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const ch of children) ch.kill('SIGKILL');
  });
}

/** Kill every child still running (synchronous: for exit and signal handlers). */
export function killChildren(): void {
  for (const ch of children) ch.kill('SIGKILL');
}

function runChild(cmd: string, args: string[], onLine?: (line: string, c: ChildProcess) => void, timeoutMs = 120_000): Promise<Done> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(c);
    let stdout = '';
    let stderr = '';
    let partial = '';
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.stdout!.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      stdout += s;
      partial += s;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        onLine?.(line, c);
      }
    });
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    c.stdin!.on('error', () => {});
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The compiled helper (compiling it on first use). */
export async function buildHelper(version: string): Promise<string> {
  const src = helperSource();
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const bin = join(dir, `measure-helper-${version}-${hash}`);
  if (existsSync(bin)) return bin;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`measure: cannot create the cache directory ${dir}: ${(e as Error).message}`);
  }
  const tmp = `${bin}.${process.pid}.tmp`;
  let r: Done;
  try {
    r = await runChild('cc', ['-O2', '-pthread', '-o', tmp, src]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('measure: no C compiler (cc is not on PATH); install gcc or clang');
    throw e;
  }
  if (r.code !== 0) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new UsageError(`measure: cc failed to compile ${src}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }
  renameSync(tmp, bin);
  // builds of other versions or sources are never used again
  for (const f of readdirSync(dir)) {
    if (/^measure-helper-.*[0-9a-f]{16}$/.test(f) && join(dir, f) !== bin) {
      try {
        unlinkSync(join(dir, f));
      } catch {
        /* another tlbsim may be using it right now */
      }
    }
  }
  return bin;
}

export interface HelperRun {
  fifo: string;
  tids: number[];
  stdout: string;
}

/**
 * Run the helper: `onReady` is called once it has set up (tracing starts there), then it is told
 * to go. Exit status and stderr are checked.
 */
export async function runHelper(bin: string, args: string[], onReady: () => void): Promise<HelperRun> {
  let fifo = '';
  let tids: number[] = [];
  let failure: unknown;
  const r = await runChild(bin, args, (line, c) => {
    if (line.startsWith('fifo ')) fifo = line.slice(5);
    else if (line.startsWith('tids ')) tids = line.slice(5).split(',').map(Number);
    else if (line === 'ready') {
      try {
        onReady();
        c.stdin!.write('go\n');
      } catch (e) {
        failure = e;
        c.kill('SIGKILL');
      }
    }
  });
  if (failure) throw failure;
  if (r.code !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : r.stderr.trim().split('\n')[0] || `exit status ${r.code}`;
    throw new UsageError(`measure: the native helper failed: ${why}`);
  }
  return { fifo, tids, stdout: r.stdout };
}
