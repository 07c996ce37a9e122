import { defineConfig } from 'tsup';

// Two entries: the CLI and the sweep's worker-thread script (dist/sweep-worker.js, loaded by URL).
export default defineConfig({
  entry: { cli: 'src/cli.ts', 'sweep-worker': 'src/sweep-worker.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
});
