import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ArchVariant } from './arches.js';
import type { EngineOptions, Job, Outcome } from './engine.js';
import { intOpt } from './args.js';
import { UsageError } from './errors.js';

export interface Task {
  id: number;
  job: Job;
  variant: ArchVariant;
  opts: EngineOptions;
}
export type TaskReply = { id: number; result: Outcome } | { id: number; error: string; usage: boolean };

export const defaultJobs = () => Math.max(1, availableParallelism());
export const MAX_JOBS = 1024;

/**
 * --jobs N: at most one worker per core, since each is a whole simulator that only competes for
 * the cores beyond that (256 workers on 2 cores took 68 s and 4.6 GB where 2 took 9 s and 157 MB);
 * --force-jobs lifts the cap up to MAX_JOBS.
 */
export function jobsOf(given: string | undefined, force: boolean): number {
  const cores = defaultJobs();
  const n = intOpt('--jobs', given, cores, 1, MAX_JOBS);
  if (n > cores && !force) throw new UsageError(`--jobs ${n} is more than the ${cores} core${cores > 1 ? 's' : ''} of this machine: more workers only compete for them (add --force-jobs to start ${n} anyway)`);
  return n;
}

/** Workers of the pool that is running, so Ctrl-C can stop them. */
const live = new Set<Worker>();
export function terminateWorkers(): void {
  for (const w of live) void w.terminate();
  live.clear();
}

/**
 * Run every task on a pool of `jobs` worker threads; results come back in task order whatever
 * order the workers finish in, so the output does not depend on scheduling.
 */
export function runPool(tasks: readonly Task[], jobs: number, onProgress: (done: number) => void = () => {}): Promise<Outcome[]> {
  const results: Outcome[] = new Array(tasks.length);
  if (tasks.length === 0) return Promise.resolve(results);
  const n = Math.max(1, Math.min(jobs, tasks.length));
  const url = new URL('./sweep-worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const workers: Worker[] = [];
    const stop = () => {
      for (const w of workers) {
        live.delete(w);
        void w.terminate();
      }
    };
    const feed = (w: Worker) => {
      if (next < tasks.length) w.postMessage(tasks[next++]);
    };
    // one worker per turn of the event loop: a signal handler can run between two starts
    const start = (i: number) => {
      if (failed || i >= n || next >= tasks.length) return;
      const w = new Worker(url);
      workers.push(w);
      live.add(w);
      w.on('message', (r: TaskReply) => {
        if (failed) return;
        if ('error' in r) {
          failed = true;
          stop();
          reject(r.usage ? new UsageError(r.error) : new Error(r.error));
          return;
        }
        results[r.id] = r.result;
        onProgress(++done);
        if (done === tasks.length) {
          stop();
          resolve(results);
        } else feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stop();
        reject(e);
      });
      feed(w);
      setImmediate(() => start(i + 1));
    };
    start(0);
  });
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(total: number, label: string): { tick: (done: number) => void; end: () => void } {
  const tty = process.stderr.isTTY;
  if (!tty) return { tick: () => {}, end: () => {} };
  const draw = (done: number) => {
    const cols = process.stderr.columns || 80;
    const width = Math.max(10, Math.min(40, cols - label.length - 20));
    const full = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total}`);
  };
  draw(0);
  return { tick: draw, end: () => process.stderr.write('\r\x1b[K') };
}
