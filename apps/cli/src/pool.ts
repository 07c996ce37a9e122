import { availableParallelism } from 'node:os';
import type Tinypool from 'tinypool';
import type { ArchVariant } from './arches.js';
import type { EngineOptions, Job, Outcome } from './engine.js';
import { intOpt } from './args.js';
import { UsageError } from './errors.js';
import runTask from './sweep-worker.js';

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

/** The pools running, so Ctrl-C can stop their workers. */
const live = new Set<Tinypool>();
export function terminateWorkers(): void {
  for (const p of live) void p.destroy();
  live.clear();
}

/** A task's reply as the sweep uses it: its result, or its error thrown again in this thread. */
function resultOf(r: TaskReply): Outcome {
  if ('error' in r) throw r.usage ? new UsageError(r.error) : new Error(r.error);
  return r.result;
}

/**
 * Run every task on a pool of `jobs` worker threads (tinypool); results come back in task order
 * whatever order the workers finish in, so the output does not depend on scheduling. The first
 * task that fails stops the pool and is the error. With one worker the tasks run in this thread
 * instead, one per turn of the event loop: a worker would load the whole simulator again first,
 * which costs more than many a sweep. Each reply is copied as a worker's would be (structured
 * clone), so the output is the same either way.
 */
export async function runPool(tasks: readonly Task[], jobs: number, onProgress: (done: number) => void = () => {}): Promise<Outcome[]> {
  if (tasks.length === 0) return [];
  const n = Math.max(1, Math.min(jobs, tasks.length));
  if (n === 1) {
    const out: Outcome[] = [];
    for (const t of tasks) {
      await new Promise((res) => setImmediate(res));
      out.push(resultOf(structuredClone(runTask(t))));
      onProgress(out.length);
    }
    return out;
  }
  // loaded when a sweep runs: the other commands start without it (replay runs in a 16 MiB heap)
  const { default: Pool } = await import('tinypool');
  const pool = new Pool({ filename: new URL('./sweep-worker.js', import.meta.url).href, minThreads: n, maxThreads: n, maxQueue: tasks.length });
  live.add(pool);
  let done = 0;
  try {
    return await Promise.all(
      tasks.map(async (t) => {
        const r = resultOf((await pool.run(t)) as TaskReply);
        onProgress(++done);
        return r;
      }),
    );
  } finally {
    live.delete(pool);
    await pool.destroy();
  }
}
