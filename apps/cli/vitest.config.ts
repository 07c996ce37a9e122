import { defineConfig } from 'vitest/config';

// The end-to-end tests spawn the built CLI (dist/cli.js): `pnpm test` runs tsup first.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
