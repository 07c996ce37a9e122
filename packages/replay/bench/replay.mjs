// Benchmark: `tlbsim replay` (issue #9) on the largest strace fixture, generic backend, checker on.
// Run after `pnpm build` with `node bench/replay.mjs`.
// Prints lines replayed per second for each touch rule; never asserts.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generic } from '@tlbsim/core';
import { replay } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, '..', 'test', 'fixtures', 'strace');
const MIN_MS = Number(process.env.TLBSIM_BENCH_MS ?? 2000);

const largest = readdirSync(dir)
  .filter((f) => !f.endsWith('.md') && !f.endsWith('.c'))
  .map((f) => ({ f, size: statSync(join(dir, f)).size }))
  .sort((a, b) => b.size - a.size)[0].f;
const lines = readFileSync(join(dir, largest), 'utf8').split('\n').filter(Boolean);

async function once(touch) {
  const r = await replay([{ name: largest, lines }], generic(), { touch });
  if (r.violations.length || r.divergences) throw new Error('benchmark run is wrong: ' + JSON.stringify({ violations: r.violations.length, divergences: r.divergences }));
  return r;
}

console.log(`tlbsim replay: ${largest} (${lines.length} lines), generic backend, checker on`);
for (const touch of ['all', 'written', 'none']) {
  const first = await once(touch); // warm-up (and the cpus pre-pass is part of every run below)
  let runs = 0;
  const t0 = performance.now();
  let ms = 0;
  while (ms < MIN_MS) {
    await once(touch);
    runs++;
    ms = performance.now() - t0;
  }
  const perSec = (lines.length * runs) / (ms / 1000);
  console.log(`  touch=${touch.padEnd(7)} ${Math.round(perSec).toLocaleString('en-US').padStart(10)} lines replayed per second  (${runs} runs, ${(ms / runs).toFixed(1)} ms each; ${first.syscalls} syscalls, ${first.metrics.pagesFreed} pages freed, ${first.metrics.ipis} IPIs)`);
}
