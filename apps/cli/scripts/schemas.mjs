// Write schema/*.schema.json from the zod schemas (src/schemas.ts, built into dist/schemas.js).
// Run after a schema change: pnpm --filter tlbsim schemas (test/schemas.test.ts checks they are fresh).
import { writeFileSync } from 'node:fs';
import { schemaFiles } from '../dist/schemas.js';

for (const [file, text] of Object.entries(schemaFiles())) writeFileSync(new URL(`../schema/${file}`, import.meta.url), text);
