import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = ['core', 'arch-x86', 'arch-arm64', 'arch-ppc', 'arch-riscv', 'hugetlb', 'replay', 'tracefs'];
const src = (p: string, entry = 'index.ts') => fileURLToPath(new URL(`./packages/${p}/src/${entry}`, import.meta.url));

/**
 * The vitest config every library package uses: tests run against the workspace sources of the
 * sibling packages (no build needed). Exact-match patterns, so `@tlbsim/core/conformance` and
 * `@tlbsim/core/testing` are not read as paths under `@tlbsim/core`.
 */
export const packageTestConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@tlbsim\/core\/conformance$/, replacement: src('core', 'conformance/index.ts') },
      { find: /^@tlbsim\/core\/testing$/, replacement: src('core', 'testing/index.ts') },
      ...pkgs.map((p) => ({ find: new RegExp(`^@tlbsim/${p}$`), replacement: src(p) })),
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The files of a package share one module graph (no per-file re-import of the sources: that
    // was most of the run time). Safe because the simulator keeps no run state at module level:
    // every run's state lives in its Machine (the backends' per-run state inside create()); the
    // module-level pools (spare page batches, freed tables' entry arrays, a scratch index array)
    // hold only storage that belongs to no live gather or table.
    isolate: false,
  },
});
