import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generic, type Kconfig } from '@tlbsim/core';
import { replay, replaySync, type ReplayInput } from '../src/index.js';
import { CONFIG_G, CONFIG_P, CONFIG_X } from './helpers.js';

const dir = new URL('./fixtures/strace/', import.meta.url);
const read = (name: string): ReplayInput => ({ name, lines: readFileSync(new URL(name, dir), 'utf8').split('\n').filter(Boolean) });
const ffFiles = readdirSync(dir).filter((f) => /^threads-ff\.\d+$/.test(f)).sort();

/**
 * Every captured fixture (see fixtures/strace/README.md). The parse counts do not depend on the
 * backend; they were checked against the files with grep: syscalls = lines that are neither
 * `<unfinished ...>` starts nor `+++`/`---` lines; failures = lines with `= -1 E`.
 */
const FIXTURES: { name: string; inputs: () => ReplayInput[]; lines: number; syscalls: number; failures: number; skipped: number; threads: number; processes: number; implied: number }[] = [
  // node: 6 worker threads (clone3 CLONE_VM|CLONE_THREAD); 19 MADV_DONTFORK lines are ignored with a reason
  { name: 'node.txt', inputs: () => [read('node.txt')], lines: 252, syscalls: 228, failures: 0, skipped: 19, threads: 7, processes: 1, implied: 2 },
  { name: 'python.txt (no -tt)', inputs: () => [read('python.txt')], lines: 55, syscalls: 54, failures: 0, skipped: 0, threads: 1, processes: 1, implied: 2 },
  // cc: vfork + execve of cc1 and as; 8 execve ENOENT while searching PATH for as
  { name: 'cc.txt', inputs: () => [read('cc.txt')], lines: 166, syscalls: 155, failures: 8, skipped: 0, threads: 2, processes: 3, implied: 6 },
  // the pthread program: 4 workers, one ENOMEM mmap, one fork
  { name: 'threads.txt', inputs: () => [read('threads.txt')], lines: 192, syscalls: 117, failures: 1, skipped: 0, threads: 5, processes: 2, implied: 2 },
  // the same program without -f: 4 untraced threads and 1 untraced child
  { name: 'threads-nof.txt (no -f, no -tt)', inputs: () => [read('threads-nof.txt')], lines: 36, syscalls: 34, failures: 1, skipped: 5, threads: 1, processes: 2, implied: 2 },
  // the same program with -ff: one file per thread, merged by timestamp
  { name: 'threads-ff.* (-ff)', inputs: () => ffFiles.map(read), lines: 124, syscalls: 117, failures: 1, skipped: 0, threads: 5, processes: 2, implied: 2 },
];

const CONFIGS: [string, Partial<Kconfig>][] = [['G', CONFIG_G], ['X', CONFIG_X], ['P', CONFIG_P]];

describe('captured strace fixtures', () => {
  it('the -ff set has one file per thread', () => {
    expect(ffFiles.length).toBe(6);
  });
  for (const f of FIXTURES) {
    for (const [cname, k] of CONFIGS) {
      it(`${f.name} on generic config ${cname}: parsed and replayed, the checker finds nothing`, () => {
        const r = replaySync(f.inputs(), generic({ kconfig: k }));
        expect(r.violations).toEqual([]);
        expect(r.metrics.violations).toBe(0);
        expect({ lines: r.lines, syscalls: r.syscalls, failures: r.failures, skipped: r.skippedCount, threads: r.threads, processes: r.processes })
          .toEqual({ lines: f.lines, syscalls: f.syscalls, failures: f.failures, skipped: f.skipped, threads: f.threads, processes: f.processes });
        expect(r.cpus.length).toBe(f.threads);
        expect(r.divergences).toBe(0);
        // only the RELRO mprotects of the program and of ld.so, per program image, hit ranges execve had mapped
        expect(r.implied).toBe(f.implied);
        expect(r.metrics.pagesFreed).toBeGreaterThan(0);
        expect(r.metrics.archFlushes).toBeGreaterThan(0);
      });
    }
  }
  it('the async driver gives the same result as the sync one', async () => {
    const a = replaySync([read('node.txt')], generic());
    const b = await replay([{ name: 'node.txt', lines: () => (async function* () { yield* read('node.txt').lines as string[]; })() }], generic());
    expect(b).toEqual(a);
  });
  it('multi-threaded fixtures send IPIs; single-threaded ones do not', () => {
    expect(replaySync([read('node.txt')], generic()).metrics.ipis).toBeGreaterThan(0);
    expect(replaySync([read('threads.txt')], generic()).metrics.ipis).toBeGreaterThan(0);
    expect(replaySync([read('python.txt')], generic()).metrics.ipis).toBe(0);
  });
});
