// Benchmark: tlbsim populating then munmapping 1,048,576 4 KiB pages of one mm on 2 CPUs with a
// second thread running and the checker on, side by side with the real kernel doing the same.
// Run with `pnpm bench` (node --expose-gc). Prints ratios, never asserts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, generic, mmap, munmap, touch } from '../dist/index.js';

const PAGES = Number(process.env.TLBSIM_BENCH_PAGES ?? 1048576);
const REPS = 3;
const here = dirname(fileURLToPath(import.meta.url));
const gc = globalThis.gc ?? (() => {});
const mem = () => {
  gc();
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

function runTlbsim() {
  const before = mem();
  const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 2 });
  const mm = m.createMm('bench');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  const len = PAGES * 4096;
  const base = 0x10000000000;
  m.op('mmap', 0, () => mmap(m, mm, { addr: base, length: len }));
  const t0 = performance.now();
  m.op('populate', 0, () => {
    for (let a = base; a < base + len; a += 4096) touch(m, mm, a);
  });
  const populateMs = performance.now() - t0;
  const heapPerPage = (mem() - before) / PAGES;
  const t1 = performance.now();
  const r = m.op('munmap', 0, () => munmap(m, mm, base, len));
  const munmapMs = performance.now() - t1;
  if (!r.ok || m.metrics.violations.length || m.metrics.pagesFreed !== PAGES) throw new Error('benchmark run is wrong: ' + JSON.stringify(m.metrics.summary()));
  return { populateMs, munmapMs, heapPerPage };
}

function runKernel() {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('which', [c]).status === 0);
  if (!cc) return { reason: 'no C compiler on this machine' };
  const bin = join(mkdtempSync(join(tmpdir(), 'tlbsim-bench-')), 'munmap_kernel');
  execFileSync(cc, ['-O2', '-o', bin, join(here, 'munmap_kernel.c')]);
  if (!existsSync(bin)) return { reason: 'compile failed' };
  const out = execFileSync(bin, [String(PAGES), String(REPS)], { encoding: 'utf8' });
  return { munmapMs: Number(out.trim()) * 1000 };
}

const sim = [];
for (let i = 0; i < REPS; i++) sim.push(runTlbsim());
const best = sim.reduce((a, b) => (b.munmapMs < a.munmapMs ? b : a));
const k = runKernel();
console.log(`tlbsim: populate ${PAGES} pages ${best.populateMs.toFixed(1)} ms, munmap ${best.munmapMs.toFixed(1)} ms (best of ${REPS}, checker on)`);
if (k.munmapMs !== undefined) console.log(`kernel: munmap ${PAGES} populated pages ${k.munmapMs.toFixed(1)} ms (best of ${REPS})`);
console.log(`munmap-1M tlbsim/kernel ratio: ${k.munmapMs !== undefined ? (best.munmapMs / k.munmapMs).toFixed(2) : `n/a (${k.reason})`}`);
console.log(`munmap-1M heap bytes per page: ${best.heapPerPage.toFixed(1)}`);
