#!/usr/bin/env node
// The `tlbsim` command. A committed file, so that pnpm links the bin at install time even before
// the first build; the CLI itself is dist/cli.js (built by `pnpm build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('tlbsim: error: the CLI is not built yet: run `pnpm build` (or `pnpm --filter tlbsim build`) first\n');
  process.exit(2);
}
await import(cli.href);
