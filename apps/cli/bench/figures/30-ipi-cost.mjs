#!/usr/bin/env node
// Time per simulated IPI delivery for will-it-scale tlb_flush2 on x86 at 128 CPUs over the same at 8
// CPUs, both runs in this process (`tlbsim compare --workload tlb_flush2 --set cpus=N --arch x86
// --format json`, checker on, output captured). A model whose per-CPU work is proportional to the
// IPIs delivered keeps the ratio near 1. Times are CPU time (user + system) of this process, which a
// shared machine's load does not inflate as it does wall time. Run with `pnpm bench` after a build.
// BENCH_IPI_BIG=N replaces 128; BENCH_IPI_HUGE=1024 also runs that many CPUs and reports memory.
// The ratio is the time per IPI as the issue defines it (run time over IPIs delivered); at 8 CPUs
// the work around the IPIs weighs more (the run's fixed costs among them), so what the IPIs added
// between the two runs is printed too, and the run at BIG CPUs in CPU seconds (issue 20's target).
import { runCaptured } from '../../dist/main.js';

const SMALL = 8;
const BIG = Number(process.env.BENCH_IPI_BIG ?? 128);
const HUGE = process.env.BENCH_IPI_HUGE ? Number(process.env.BENCH_IPI_HUGE) : undefined;

const cpuMs = (u) => (u.user + u.system) / 1000;

async function perIpi(cpus) {
  const argv = ['compare', '--workload', 'tlb_flush2', '--set', `cpus=${cpus}`, '--arch', 'x86', '--format', 'json'];
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  const r = await runCaptured(argv);
  const ms = cpuMs(process.cpuUsage(t0));
  const wall = performance.now() - w0;
  if (r.code !== 0) throw new Error(`tlbsim ${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
  const run = JSON.parse(r.stdout).results[0];
  if (run.metrics.violations !== 0) throw new Error(`tlb_flush2 cpus=${cpus}: the checker found something`);
  const ipis = run.metrics.ipis;
  return { cpus, ms, wall, ipis, nsPerIpi: (ms * 1e6) / ipis, rss: process.memoryUsage().rss };
}

const show = (x) => console.log(`tlb_flush2 x86 cpus=${String(x.cpus).padEnd(4)} ${x.ipis.toLocaleString('en-US').padStart(12)} IPIs  ${x.ms.toFixed(0).padStart(7)} ms CPU (${x.wall.toFixed(0)} ms wall)  ${x.nsPerIpi.toFixed(0).padStart(6)} ns CPU per IPI  rss ${(x.rss / 2 ** 20).toFixed(0)} MiB`);

await perIpi(SMALL); // warm-up: the JIT compiles the paths both runs share
const small = await perIpi(SMALL);
show(small);
const big = await perIpi(BIG);
show(big);
if (HUGE) show(await perIpi(HUGE));
// what each further IPI cost: the time the bigger run added over the IPIs it added. An upper bound:
// the bigger run also has more threads doing operations, and both runs' fixed costs cancel (per
// operation they do not: a per-operation difference came out negative, the small run's fixed costs
// spread over fewer operations)
const added = ((big.ms - small.ms) * 1e6) / (big.ipis - small.ipis);
console.log(`each IPI the ${BIG}-CPU run added over the ${SMALL}-CPU run: ${added.toFixed(0)} ns CPU (the added operations included)`);
console.log(`FIGURE: ipi-cost ${BIG}/${SMALL} cpus ratio: ${(big.nsPerIpi / small.nsPerIpi).toFixed(2)}`);
// issue 20's target: the run at BIG CPUs in CPU seconds, at most a tenth of what a build of 7cff965
// (the start) takes on the same machine
console.log(`FIGURE: ipi-cost ${BIG} cpus CPU s: ${(big.ms / 1000).toFixed(2)}`);
