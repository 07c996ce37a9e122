import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The CLI's tests use the built dist files: `pnpm test` runs tsup first. Every child process is
 * spawned asynchronously (test/helpers.ts `run`), so a worker's event loop never blocks and
 * vitest's RPC to the main process cannot time out behind it.
 *
 * Two projects, in two pools, so neither can starve the other:
 * - `cli`: the command tests (forks pool). What a command prints runs in the worker itself
 *   (test/helpers.ts `tlbsimIn`, dist/main.js: short runs, one at a time, each on a fresh turn of
 *   the event loop); what only a process shows spawns dist/cli.js. The tests of a file run
 *   concurrently (a spawned child's work overlaps the in-process runs) and three files at once.
 *   The dist files load natively (`server.deps.external`), as the spawned CLI loads them, without
 *   a transform per file.
 * - `e2e`: the slow whole-toolchain tests, the `new-arch` scaffold's type check, build and test
 *   run and the HTML report in headless Chromium (threads pool, one file at a time), with
 *   timeouts sized for a loaded 2-core machine.
 */
const E2E = ['test/new-arch.test.ts', 'test/report.browser.test.ts'];

/**
 * The files that take longest, started first (in this order) so none of them is left running
 * alone at the end while the other workers idle. Without it a fresh clone (no timings cached
 * yet) would start the files largest first, and these are not the largest.
 */
const SLOWEST = ['check-schedules', 'new-arch', 'sweep', 'commands', 'fuzz', 'shard', 'replay', 'replay-fuzz', 'robust', 'replay-robust', 'record', 'trace-stream'];
const rank = (s: TestSpecification) => {
  const i = SLOWEST.findIndex((n) => s.moduleId.endsWith(`/test/${n}.test.ts`));
  return i < 0 ? SLOWEST.length : i;
};
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: SlowestFirst },
    poolOptions: {
      // isolate here, not (only) in the project: the pool reads it from the root config, and without it
      // every file starts a fresh process that loads the dist files, vega and the schemas again.
      // minForks = maxForks: a shared worker that goes idle while others still run would be retired
      // by tinypool's idle timer, which can fire twice for one worker (two teardowns, the second
      // rejected: an unhandled "Terminating worker thread" that fails the run)
      forks: { maxForks: 3, minForks: 3, isolate: false },
      threads: { maxThreads: 1, minThreads: 1 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['test/**/*.test.ts'],
          exclude: E2E,
          pool: 'forks',
          // the files of a worker share one module graph: the dist files, vega and the schemas load
          // once per worker, not once per file (the CLI keeps its per-run state in each run)
          isolate: false,
          server: { deps: { external: [/\/dist\//] } },
          sequence: { concurrent: true },
          maxConcurrency: 4,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          pool: 'threads',
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
