import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { x86 } from '@tlbsim/arch-x86';
import { replaySync } from '../src/index.js';
it('probe', () => {
  const lines = readFileSync(process.env.TRACE ?? '/tmp/i22-t1.trace', 'utf8').split('\n');
  const t0 = Date.now();
  const r = replaySync([{ name: 't', lines }], x86());
  console.log(Date.now() - t0, 'ms', r.cpus.length, r.syscalls, r.failures, r.skippedCount, r.divergences, r.implied, r.threads, r.processes, r.flushes, r.ipis, JSON.stringify(r.flushesBy));
  console.log(JSON.stringify(r.recording, null, 0));
  console.log(r.skipped.slice(0, 10));
}, 120000);
