/// <reference lib="webworker" />
/**
 * The simulator's thread: the page never blocks while a comparison runs. Each architecture's
 * result is posted as soon as it is computed.
 */
import type { RunRequest, WorkerMessage } from './protocol.js';
import { prepare, simulate } from './simulate.js';

const post = (m: WorkerMessage) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

self.onmessage = (e: MessageEvent<RunRequest>) => {
  const req = e.data;
  const t0 = performance.now();
  try {
    const { job, variants } = prepare(req);
    for (const v of variants) post(simulate(req.id, job, v, req.eventLimit));
    post({ id: req.id, type: 'done', ms: Math.round(performance.now() - t0) });
  } catch (err) {
    post({ id: req.id, type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
