import { defineConfig } from 'tsup';

// Three entries: the CLI, the sweep's worker-thread script (dist/sweep-worker.js, loaded by URL)
// and the dispatcher without the process around it (dist/main.js: the tests' in-process runs).
export default defineConfig({
  entry: { cli: 'src/cli.ts', 'sweep-worker': 'src/sweep-worker.ts', main: 'src/main.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
