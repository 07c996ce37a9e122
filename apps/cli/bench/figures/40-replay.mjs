#!/usr/bin/env node
// tlbsim replay's speed: lines replayed per second on the largest strace fixture, per architecture.
// Each architecture replays the file as `tlbsim replay FILE --arch A` does (one backend, its
// inputs streamed and read twice: a pass counting the threads, then the replay on a new machine),
// repeatedly for about a second after a warm-up, in CPU time (user + system: what a shared
// machine's load does not inflate), in 3 rounds (BENCH_ROUNDS) taking each architecture's best.
// Then the whole command on every architecture, wall time including Node's start-up. The figure
// is the slowest architecture's rate. BENCH_LONG_LINES=N also replays a synthetic trace of N lines (the
// fixture's lines repeated, each copy's mappings at their own addresses) on the four
// architectures, with its time and the process's peak RSS. Run with `pnpm bench` (after a build).
// BENCH_FILE=path replays another file; BENCH_SECONDS=N; BENCH_WARMUP_SECONDS=N.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay } from '@tlbsim/replay';
import { x86 } from '@tlbsim/arch-x86';
import { arm64 } from '@tlbsim/arch-arm64';
import { ppc } from '@tlbsim/arch-ppc';
import { riscv } from '@tlbsim/arch-riscv';
import { fileInputs } from '../../dist/main.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const DIRS = [fileURLToPath(new URL('../../../../packages/replay/test/fixtures/strace/', import.meta.url)), fileURLToPath(new URL('../../test/fixtures/strace/', import.meta.url))];
const lineCount = (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).length;

function largestFixture() {
  const files = DIRS.flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => f.endsWith('.txt')).map((f) => join(d, f));
    } catch {
      return [];
    }
  });
  if (!files.length) throw new Error('no strace fixture found');
  return files.map((f) => ({ f, n: lineCount(f) })).sort((a, b) => b.n - a.n)[0].f;
}

const file = process.env.BENCH_FILE ?? largestFixture();
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
// read as the command reads it (each replay opens the file afresh), named as the report names it
const inputs = fileInputs([file]).inputs.map((inp) => ({ ...inp, name: basename(file) }));
const input = () => inputs;
const ARCHES = { x86, arm64, ppc, riscv };
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
let slowest = Infinity;

const first = await replay(input(), x86());
console.log(`tlbsim replay: ${basename(file)} (${first.lines} lines, ${first.syscalls} syscalls, ${first.threads} threads on ${first.cpus.length} CPUs, touch=all)`);
console.log(`${'arch'.padEnd(6)}  ${'lines replayed per second'.padStart(25)}  ${'ms per replay'.padStart(13)}  runs  (best of ${Number(process.env.BENCH_ROUNDS ?? 3)} rounds)`);
// warm-up: every architecture replays for BENCH_WARMUP_SECONDS (4) of CPU before any is timed: the
// figure is the steady rate a long trace replays at (the JIT optimises the replay loop over its
// first hundred or so runs, and what runs once per replay only after several hundred: --trace-opt
// showed compilations until about the 700th replay of one architecture; a 1M-line trace is
// thousands of this file), and the first architecture timed does not pay alone for compiling the
// code all four share
const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 4);
// one backend per architecture, as `tlbsim replay FILE --arch A` makes one for its whole trace
// (a fresh machine still for every replay: the replay makes it)
const BACKENDS = Object.fromEntries(Object.entries(ARCHES).map(([name, make]) => [name, make()]));
for (const backend of Object.values(BACKENDS)) {
  const t = process.cpuUsage();
  for (let i = 0; i < 2 || cpuMs(t) < warmup * 1000; i++) await replay(input(), backend);
}
// BENCH_ROUNDS (3) rounds, each timing every architecture in turn for BENCH_SECONDS of CPU; an
// architecture's rate is its best round (as the munmap figure takes the best of 3): a burst of
// other work on a shared machine slows one round, not the figure
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const best = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, backend] of Object.entries(BACKENDS)) {
    let runs = 0;
    let lines = 0;
    const t0 = process.cpuUsage();
    let ms = 0;
    while (ms < seconds * 1000 || runs < 5) {
      const r = await replay(input(), backend);
      if (r.metrics.violations !== 0) throw new Error(`${name}: the checker found something`);
      lines += r.lines;
      runs++;
      ms = cpuMs(t0);
    }
    const rate = (lines / ms) * 1000;
    (best[name] ??= []).push({ rate, ms: ms / runs, runs });
  }
}
for (const [name, got] of Object.entries(best)) {
  const b = got.reduce((x, y) => (y.rate > x.rate ? y : x));
  slowest = Math.min(slowest, b.rate);
  const all = got.map((g) => Math.round(g.rate / 1000)).join(', ');
  console.log(`${name.padEnd(6)}  ${Math.round(b.rate).toLocaleString('en-US').padStart(25)}  ${b.ms.toFixed(2).padStart(13)}  ${b.runs}  (rounds: ${all}k)`);
}

const t0 = process.hrtime.bigint();
const r = spawnSync(process.execPath, [cli, 'replay', file, '--arch', 'all', '--format', 'csv'], { encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  process.exit(1);
}
console.log(`tlbsim replay ${basename(file)} --arch all (the whole command, Node start-up included): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
console.log(`FIGURE: replay lines/s per arch: ${Math.round(slowest)}`);

const LONG = Number(process.env.BENCH_LONG_LINES ?? 0);
if (LONG > 0) {
  // each copy of the fixture 64 GiB below the one before (16 apart, then again): copies that
  // live at once never overlap, and every address stays in the user half
  const base = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const shift = (line, k) => line.replace(/0x([0-9a-f]{6,})/g, (_, h) => {
    const a = BigInt('0x' + h);
    const d = BigInt(k % 16) << 36n;
    return '0x' + (a > d ? a - d : a).toString(16);
  });
  async function* synthetic() {
    for (let n = 0, k = 0; n < LONG; k++) for (const l of base) if (n++ < LONG) yield shift(l, k);
  }
  for (const [name, make] of Object.entries(ARCHES)) {
    const t = process.cpuUsage();
    const w = performance.now();
    const r = await replay([{ name: `synthetic-${LONG}`, lines: synthetic }], make());
    console.log(`long trace ${name}: ${r.lines.toLocaleString('en-US')} lines in ${(cpuMs(t) / 1000).toFixed(1)} s CPU (${((performance.now() - w) / 1000).toFixed(1)} s wall), ${r.divergences} divergences, ${r.metrics.violations} findings, peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  }
}