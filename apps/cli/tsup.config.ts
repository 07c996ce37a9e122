import { defineConfig } from 'tsup';

// Four entries: the CLI, the sweep's worker-thread script (dist/sweep-worker.js, loaded by URL),
// the dispatcher without the process around it (dist/main.js: the tests' in-process runs) and the
// JSON Schemas' generator (dist/schemas.js: scripts/schemas.mjs writes schema/, a test compares).
export default defineConfig({
  entry: { cli: 'src/cli.ts', 'sweep-worker': 'src/sweep-worker.ts', main: 'src/main.ts', schemas: 'src/schemas.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
