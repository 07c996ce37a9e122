import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = ['core', 'arch-x86', 'arch-arm64', 'arch-ppc', 'arch-riscv', 'hugetlb', 'replay', 'tracefs'];
const src = (p: string, entry = 'index.ts') => fileURLToPath(new URL(`./packages/${p}/src/${entry}`, import.meta.url));

/**
 * The vitest config every library package uses: tests run against the workspace sources of the
 * sibling packages (no build needed). Exact-match patterns, so `@tlbsim/core/conformance` is not
 * read as a path under `@tlbsim/core`.
 */
export const packageTestConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@tlbsim\/core\/conformance$/, replacement: src('core', 'conformance/index.ts') },
      ...pkgs.map((p) => ({ find: new RegExp(`^@tlbsim/${p}$`), replacement: src(p) })),
    ],
  },
  test: { include: ['test/**/*.test.ts'] },
});
