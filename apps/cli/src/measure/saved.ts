/**
 * A measurement on disk (--save DIR, --from DIR): the raw kernel trace, tlbsim's trace and
 * prediction, and what was run on which host, so it can be compared again without root.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toFtrace } from '@tlbsim/core';
import { formatTlbFlush } from '@tlbsim/arch-x86';
import { UsageError } from '../errors.js';
import { writeAtomic } from '../io.js';
import type { Params } from '../workloads/index.js';
import type { HostRaw } from './host.js';
import type { Prediction } from './predict.js';

export const FILES = { meta: 'measure.json', kernel: 'kernel.trace', tlbsim: 'tlbsim.trace', prediction: 'tlbsim.json' } as const;

export interface SavedMeta {
  tlbsim: string;
  workload: string;
  params: Params;
  iterations: number;
  fifo: string;
  host: HostRaw;
  /** the helper's command line */
  command: string[];
}

export interface Saved {
  meta: SavedMeta;
  trace: string;
  prediction: Pick<Prediction, 'label' | 'phases'>;
}

export function save(dir: string, s: Saved, events: Prediction['events']): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`--save ${dir}: cannot create the directory: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  writeAtomic(join(dir, FILES.kernel), s.trace);
  writeAtomic(join(dir, FILES.tlbsim), `# tlbsim ${s.prediction.label}: one iteration of ${s.meta.workload}\n` + toFtrace(events, { ftrace: formatTlbFlush }));
  writeAtomic(join(dir, FILES.prediction), JSON.stringify(s.prediction, null, 2) + '\n');
  writeAtomic(join(dir, FILES.meta), JSON.stringify(s.meta, null, 2) + '\n');
}

function readIn(dir: string, f: string): string {
  try {
    return readFileSync(join(dir, f), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--from ${dir}: cannot read ${f}: ${code === 'ENOENT' ? 'no such file (not a directory written by tlbsim measure --save?)' : (e as Error).message}`);
  }
}

function parseJson(dir: string, f: string): unknown {
  const text = readIn(dir, f);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--from ${dir}: ${f} is not valid JSON: ${(e as Error).message}`);
  }
}

export function load(dir: string): Saved {
  const meta = parseJson(dir, FILES.meta) as SavedMeta;
  if (typeof meta !== 'object' || meta === null || typeof meta.workload !== 'string' || typeof meta.params !== 'object' || typeof meta.host !== 'object' || typeof meta.iterations !== 'number') {
    throw new UsageError(`--from ${dir}: ${FILES.meta} lacks workload, params, iterations or host`);
  }
  const prediction = parseJson(dir, FILES.prediction) as Saved['prediction'];
  if (typeof prediction !== 'object' || prediction === null || !Array.isArray(prediction.phases)) {
    throw new UsageError(`--from ${dir}: ${FILES.prediction} has no phases[]`);
  }
  return { meta, trace: readIn(dir, FILES.kernel), prediction };
}
