import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ArchVariant } from './arches.js';
import type { EngineOptions, Job, Outcome } from './engine.js';
import { UsageError } from './errors.js';

export interface Task {
  id: number;
  job: Job;
  variant: ArchVariant;
  opts: EngineOptions;
}
export type TaskReply = { id: number; result: Outcome } | { id: number; error: string; usage: boolean };

export const defaultJobs = () => Math.max(1, availableParallelism());

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
    for (let i = 0; i < n; i++) {
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
    }
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
