/**
 * Worker-thread entry of `tlbsim sweep` (a tinypool worker): runs one (job, variant) task and
 * returns its result, or its error as data (a usage error stays one, across the thread). Every
 * task is independent and deterministic.
 */
import { runJob } from './engine.js';
import type { Task, TaskReply } from './pool.js';

export default function runTask(t: Task): TaskReply {
  try {
    return { id: t.id, result: runJob(t.job, t.variant, t.opts).result };
  } catch (e) {
    const err = e as Error;
    return { id: t.id, error: err.message, usage: err.name === 'UsageError' || err.name === 'ScenarioError' };
  }
}
