/**
 * Worker-thread entry of `tlbsim sweep`: runs the (job, variant) tasks the pool sends and posts
 * each result back. Every task is independent and deterministic.
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from './engine.js';
import type { Task, TaskReply } from './pool.js';

parentPort!.on('message', (t: Task) => {
  let reply: TaskReply;
  try {
    reply = { id: t.id, result: runJob(t.job, t.variant, t.opts).result };
  } catch (e) {
    const err = e as Error;
    reply = { id: t.id, error: err.message, usage: err.name === 'UsageError' || err.name === 'ScenarioError' };
  }
  parentPort!.postMessage(reply);
});
