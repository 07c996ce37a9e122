import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = ['core', 'arch-x86', 'arch-arm64', 'arch-ppc', 'arch-riscv', 'hugetlb'];
const src = (p: string) => fileURLToPath(new URL(`../../packages/${p}/src/index.ts`, import.meta.url));

/**
 * The workbench's tests: the page's state and simulation modules in Node, and the built site
 * (dist/, made by `vite build` before the tests) in headless Chromium, one file at a time with
 * timeouts sized for a loaded 2-core machine.
 */
export default defineConfig({
  resolve: { alias: pkgs.map((p) => ({ find: new RegExp(`^@tlbsim/${p}$`), replacement: src(p) })) },
  define: { __TLBSIM_VERSION__: JSON.stringify('test') },
  test: { include: ['test/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 },
});
