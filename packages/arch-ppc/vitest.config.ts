import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the workspace sources of sibling packages (no build needed).
const src = (p: string) => fileURLToPath(new URL(`../${p}/src/index.ts`, import.meta.url));
export default defineConfig({
  resolve: {
    alias: {
      '@tlbsim/core': src('core'),
      '@tlbsim/arch-x86': src('arch-x86'),
      '@tlbsim/arch-arm64': src('arch-arm64'),
      '@tlbsim/arch-ppc': src('arch-ppc'),
      '@tlbsim/hugetlb': src('hugetlb'),
    },
  },
  test: { include: ['test/**/*.test.ts'] },
});
