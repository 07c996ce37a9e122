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
 * Run every task on `jobs` lanes: this thread and jobs - 1 worker threads (tinypool), each lane
 * taking the next task as it finishes one. Results come back in task order whatever lane ran
 * them and whenever, so the output does not depend on scheduling; each reply of this thread's
 * lane is copied as a worker's is (structured clone), so the output is the same either way. This
 * thread runs one task per turn of the event loop (the workers' replies and the progress bar are
 * taken in between) and starts at once: a worker loads the whole simulator first, which costs
 * more than many a sweep (with a worker per core, a sweep of 64 small runs took longer on 2
 * cores than on one thread alone). The first task that fails stops every lane and is the error.
 */
export async function runPool(tasks: readonly Task[], jobs: number, onProgress: (done: number) => void = () => {}): Promise<Outcome[]> {
  if (tasks.length === 0) return [];
  const lanes = Math.max(1, Math.min(jobs, tasks.length));
  const out: Outcome[] = new Array<Outcome>(tasks.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const finish = (i: number, r: TaskReply) => {
    out[i] = resultOf(r);
    onProgress(++done);
  };
  const lane = (run: () => Promise<void>) =>
    run().catch((e: unknown) => {
      failed = true;
      throw e;
    });
  const here = async () => {
    for (;;) {
      await new Promise((res) => setImmediate(res));
      if (failed || next >= tasks.length) return;
      const i = next++;
      finish(i, structuredClone(runTask(tasks[i])));
    }
  };
  if (lanes === 1) {
    await lane(here);
    return out;
  }
  // loaded when a sweep runs: the other commands start without it (replay runs in a 16 MiB heap)
  const { default: Pool } = await import('tinypool');
  const workers = lanes - 1;
  // two tasks handed to each worker at a time: it starts the second as soon as it ends the first,
  // not when this thread has ended its own task and read the reply
  const pool = new Pool({ filename: new URL('./sweep-worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers, concurrentTasksPerWorker: 2, maxQueue: 2 * workers });
  live.add(pool);
  const worker = async () => {
    while (!failed && next < tasks.length) {
      const i = next++;
      finish(i, (await pool.run(tasks[i])) as TaskReply);
    }
  };
  try {
    await Promise.all([lane(here), ...Array.from({ length: 2 * workers }, () => lane(worker))]);
    return out;
  } finally {
    live.delete(pool);
    await pool.destroy();
  }
}
