#!/usr/bin/env node
// The sweep's parallel speed-up: wall time of a 64-point sweep (x 4 architectures = 256 runs) with
// --jobs 1 (this thread alone), then on all cores (this thread and a worker per other core), and
// their ratio. A worker loads and warms up the whole simulator first: a sweep of a second or two
// gains nothing from it, so the figure's sweep is one of about 15 s. Run with `pnpm bench` (after a
// build). BENCH_POINTS=N (64).
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const points = Number(process.env.BENCH_POINTS ?? 64);
const args = ['sweep', '--workload', 'tlb_flush2', '--vary', `pages=500..${500 * points}:500`, '--arch', 'all', '--format', 'csv'];

function time(jobs) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args, '--jobs', String(jobs)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  return { ms, out: r.stdout };
}

const cores = availableParallelism();
const load = loadavg()[0];
console.log(`sweep of ${points} points x ${4} architectures: tlbsim ${args.join(' ')}`);
const one = time(1);
const all = time(cores);
if (one.out !== all.out) {
  console.error('outputs differ between 1 and all workers');
  process.exit(1);
}
console.log(`--jobs 1:        ${one.ms.toFixed(0)} ms`);
console.log(`${`--jobs ${cores}:`.padEnd(17)}${all.ms.toFixed(0)} ms`);
console.log(`speed-up (--jobs 1 / --jobs ${cores} wall time): ${(one.ms / all.ms).toFixed(2)}x on ${cores} cores`);
console.log(`FIGURE: sweep speed-up on ${cores} cores: ${(one.ms / all.ms).toFixed(2)}`);
// the load before the sweeps ran (after them it counts their own workers)
if (load > 0.5) console.log(`note: load average ${load.toFixed(2)} before the sweeps ran; the ratio is meaningful on an otherwise idle machine`);
