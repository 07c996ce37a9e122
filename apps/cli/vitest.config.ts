import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tests spawn the built CLI (dist/cli.js): `pnpm test` runs tsup first. Every child
 * process is spawned asynchronously (test/helpers.ts `run`), so a worker's event loop never blocks
 * and vitest's RPC to the main process cannot time out behind it.
 *
 * Two projects, in two pools, so neither can starve the other:
 * - `cli`: the command tests (forks pool). The work happens in the child processes, so the tests
 *   of a file run concurrently and the three files run at once.
 * - `e2e`: the slow whole-toolchain tests, the `new-arch` scaffold's type check, build and test
 *   run and the HTML report in headless Chromium (threads pool, one file at a time), with
 *   timeouts sized for a loaded 2-core machine.
 */
const E2E = ['test/new-arch.test.ts', 'test/report.browser.test.ts'];

export default defineConfig({
  test: {
    poolOptions: {
      forks: { maxForks: 3, minForks: 1 },
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
