import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the workspace sources of sibling packages (no build needed).
const src = (p: string, entry = 'index.ts') => fileURLToPath(new URL(`../${p}/src/${entry}`, import.meta.url));
export default defineConfig({
  resolve: {
    // exact-match patterns, so that '@tlbsim/core/conformance' is not read as a path under '@tlbsim/core'
    alias: [
      { find: /^@tlbsim\/core\/conformance$/, replacement: src('core', 'conformance/index.ts') },
      { find: /^@tlbsim\/core$/, replacement: src('core') },
      { find: /^@tlbsim\/arch-x86$/, replacement: src('arch-x86') },
      { find: /^@tlbsim\/arch-arm64$/, replacement: src('arch-arm64') },
      { find: /^@tlbsim\/arch-ppc$/, replacement: src('arch-ppc') },
      { find: /^@tlbsim\/hugetlb$/, replacement: src('hugetlb') },
    ],
  },
  test: { include: ['test/**/*.test.ts'] },
});
