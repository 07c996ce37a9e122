#!/usr/bin/env node
// munmap of N populated 4 KiB pages: tlbsim (one mm on 2 CPUs with a second thread running, the
// checker on) side by side with the real kernel (bench/native/munmap_kernel.c), at 256K, 1M and 4M
// pages; and the heap tlbsim holds per simulated page once they are populated. Both sides are
// timed in CPU time (user + system), alternately, best of BENCH_REPS (3) each. The kernel side
// needs 4 KiB x N of RAM: it runs up to BENCH_KERNEL_MAX_PAGES (1M) pages, so 4M shows tlbsim's
// cost per page only. Run with `pnpm bench` (node --expose-gc).
import { Machine, generic, mmap, munmap, touch } from '@tlbsim/core';
import { compile, cpuMsSince, runNative } from '../lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const KERNEL_MAX = Number(process.env.BENCH_KERNEL_MAX_PAGES ?? 1048576);
const SIZES = (process.env.BENCH_MUNMAP_PAGES ?? '262144,1048576,4194304').split(',').map(Number);
const gc = globalThis.gc ?? (() => {});
const heap = () => {
  gc();
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

function sim(pages) {
  const before = heap();
  const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 2 });
  const mm = m.createMm('bench');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  const len = pages * 4096;
  const base = 0x10000000000;
  m.op('mmap', 0, () => mmap(m, mm, { addr: base, length: len }));
  m.op('populate', 0, () => {
    for (let a = base; a < base + len; a += 4096) touch(m, mm, a);
  });
  const heapPerPage = (heap() - before) / pages;
  const t = process.cpuUsage();
  const r = m.op('munmap', 0, () => munmap(m, mm, base, len));
  const ms = cpuMsSince(t);
  if (!r.ok || m.metrics.violations.length || m.metrics.pagesFreed !== pages || m.checker.checks.H1 !== pages) throw new Error('benchmark run is wrong: ' + JSON.stringify(m.metrics.summary()));
  return { ms, heapPerPage };
}

const helper = compile('munmap_kernel');
sim(65536); // warm-up: the first sizes should not pay for the JIT compiling the paths
const label = (n) => (n >= 1048576 ? `${n / 1048576}M` : `${n / 1024}K`);
const figures = [];
for (const pages of SIZES) {
  const kernel = helper.bin && pages <= KERNEL_MAX;
  let simBest = Infinity;
  let kBest = Infinity;
  let heapPerPage = -Infinity;
  for (let r = 0; r < REPS; r++) {
    const s = sim(pages);
    if (s.ms < simBest) simBest = s.ms;
    // the largest of the reps: a rep whose "before" still held the previous rep's memory (freed
    // while this one populated) reads low, even below zero
    heapPerPage = Math.max(heapPerPage, s.heapPerPage);
    if (kernel) kBest = Math.min(kBest, runNative(helper.bin, [pages])[0] * 1000);
  }
  const ns = (ms) => ((ms * 1e6) / pages).toFixed(0);
  const k = kernel ? `kernel ${kBest.toFixed(1)} ms (${ns(kBest)} ns/page)` : `kernel not run (${helper.reason ?? `more than BENCH_KERNEL_MAX_PAGES=${KERNEL_MAX} pages`})`;
  console.log(`munmap ${label(pages).padStart(4)} pages: tlbsim ${simBest.toFixed(1)} ms (${ns(simBest)} ns/page), ${k}; tlbsim heap ${heapPerPage.toFixed(1)} bytes/page (time: best of ${REPS}, CPU time, checker on; heap: largest of the reps)`);
  if (kernel) console.log(`  munmap-${label(pages)} tlbsim/kernel ratio: ${(simBest / kBest).toFixed(2)}`);
  if (pages === 1048576) {
    figures.push(`munmap-1M tlbsim/kernel ratio: ${kernel ? (simBest / kBest).toFixed(2) : `n/a (${helper.reason ?? 'kernel side not run'})`}`);
    figures.push(`munmap-1M heap bytes per page: ${heapPerPage.toFixed(1)}`);
  }
}
for (const f of figures) console.log(`FIGURE: ${f}`);
