import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the workspace sources of sibling packages (no build needed).
const src = (p: string) => fileURLToPath(new URL(`../${p}/src/index.ts`, import.meta.url));
export default defineConfig({
  resolve: {
    alias: {
      // must precede '@tlbsim/core', which would otherwise match it as a path prefix
      '@tlbsim/core/conformance': fileURLToPath(new URL('../core/src/conformance/index.ts', import.meta.url)),
      '@tlbsim/core': src('core'),
      '@tlbsim/arch-x86': src('arch-x86'),
      '@tlbsim/arch-arm64': src('arch-arm64'),
      '@tlbsim/arch-ppc': src('arch-ppc'),
      '@tlbsim/hugetlb': src('hugetlb'),
      '@tlbsim/arch-riscv': src('arch-riscv'),
    },
  },
  test: { include: ['test/**/*.test.ts'] },
});
