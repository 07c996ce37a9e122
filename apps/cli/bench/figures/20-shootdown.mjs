#!/usr/bin/env node
// One TLB shootdown per iteration: map 8 anonymous pages, write each, munmap them, with a second
// thread of the process spinning in user mode on the other CPU. The real kernel runs the loop in
// bench/native/shootdown_kernel.c (threads pinned to CPUs 0 and 1); tlbsim simulates the same loop
// on x86 with 2 CPUs (the checker on). Both in CPU time per iteration of the looping thread, best
// of BENCH_REPS (3) alternate runs of BENCH_SHOOTDOWN_ITER (20000) iterations.
import { Machine, mmap, munmap, touch } from '@tlbsim/core';
import { x86 } from '@tlbsim/arch-x86';
import { compile, cpuMsSince, runNative } from '../lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const ITER = Number(process.env.BENCH_SHOOTDOWN_ITER ?? 20000);
const PAGES = 8;

function sim(iter) {
  const m = new Machine({ arch: x86(), cpus: 2 });
  const mm = m.createMm('loop');
  m.addThread(mm, 'looper', 0, 'running');
  m.addThread(mm, 'spinner', 1, 'running');
  const len = PAGES * 4096;
  const t = process.cpuUsage();
  for (let i = 0; i < iter; i++) {
    const r = m.op('mmap', 0, () => mmap(m, mm, { length: len }));
    for (let a = r.addr; a < r.addr + len; a += 4096) m.op('touch', 0, () => touch(m, mm, a));
    m.op('munmap', 0, () => munmap(m, mm, r.addr, len));
  }
  const ms = cpuMsSince(t);
  if (m.metrics.violations.length || m.metrics.pagesFreed !== iter * PAGES) throw new Error('benchmark run is wrong: ' + JSON.stringify(m.metrics.summary()));
  return { usPerIter: (ms * 1000) / iter, ipisPerIter: m.metrics.ipis / iter };
}

const helper = compile('shootdown_kernel', ['-pthread']);
sim(2000); // warm-up
let s = { usPerIter: Infinity };
let k = null;
for (let r = 0; r < REPS; r++) {
  const x = sim(ITER);
  if (x.usPerIter < s.usPerIter) s = x;
  if (helper.bin) {
    const [cpu, wall, ipis] = runNative(helper.bin, [ITER]);
    if (!k || cpu < k.cpu) k = { cpu, wall, ipis };
  }
}
console.log(`tlbsim x86, 2 CPUs: ${s.usPerIter.toFixed(2)} us CPU per iteration, ${s.ipisPerIter.toFixed(2)} IPIs per iteration (best of ${REPS} x ${ITER}, checker on)`);
if (k) console.log(`kernel: ${(k.cpu * 1e6).toFixed(2)} us CPU per iteration (${(k.wall * 1e6).toFixed(2)} us wall), ${k.ipis < 0 ? 'TLB shootdowns not readable' : `${k.ipis.toFixed(2)} TLB shootdowns on CPU 1 per iteration`}`);
else console.log(`kernel side not run: ${helper.reason}`);
console.log(`FIGURE: shootdown-8 tlbsim/kernel ratio: ${k ? (s.usPerIter / (k.cpu * 1e6)).toFixed(2) : `n/a (${helper.reason})`}`);
