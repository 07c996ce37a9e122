/**
 * The JSON Schemas in schema/ are generated from the zod schemas (src/schemas.ts; core's scenario
 * schemas for scenario.schema.json): they must be fresh, and the scenario schema must accept what
 * tlbsim accepts and flag what it refuses, so an editor tells the truth.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { FIXTURES, SCHEMA_DIR, tlbsimIn, validate } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMAS = new URL('../dist/schemas.js', import.meta.url).href;
const yaml = (f: string) => load(readFileSync(f, 'utf8'));

describe('JSON Schemas generated from the zod schemas', () => {
  it('schema/ holds exactly what src/schemas.ts generates (pnpm --filter tlbsim schemas rewrites it)', async () => {
    const { schemaFiles } = (await import(SCHEMAS)) as { schemaFiles: () => Record<string, string> };
    const files = schemaFiles();
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(Object.keys(files).sort());
    for (const [f, text] of Object.entries(files)) expect(readFileSync(join(SCHEMA_DIR, f), 'utf8'), `${f} is stale: run pnpm --filter tlbsim schemas`).toBe(text);
  });
  it('the package publishes the scenario schema, and docs/scenarios.md names it with the yaml-language-server modeline', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schema');
    const doc = readFileSync(join(ROOT, 'docs/scenarios.md'), 'utf8');
    expect(doc).toContain('# yaml-language-server: $schema=https://unpkg.com/tlbsim/schema/scenario.schema.json');
    expect(readFileSync(join(ROOT, 'docs/examples/munmap.yaml'), 'utf8').split('\n')[2]).toBe('# yaml-language-server: $schema=../../apps/cli/schema/scenario.schema.json');
  });
  it('every scenario tlbsim runs validates; the ones it refuses for their shape do not', async () => {
    const good = ['two-threads.yaml', 'two-threads.json', 'stale-mprotect.yaml', 'touch-only.yaml'].map((f) => join(FIXTURES, f));
    good.push(join(ROOT, 'docs/examples/munmap.yaml'));
    for (const f of good) {
      expect((await tlbsimIn(['run', f, '--arch', 'generic', '--format', 'json'])).code, f).toBe(0);
      expect(validate(f.endsWith('.json') ? JSON.parse(readFileSync(f, 'utf8')) : yaml(f), 'scenario.schema.json'), f).toEqual([]);
    }
    // the README's example runs on every default architecture (4K and 64K pages alike)
    const readme = await tlbsimIn(['run', join(ROOT, 'docs/examples/munmap.yaml'), '--format', 'csv']);
    expect([readme.code, readme.stderr]).toEqual([0, '']);
    expect(readme.stdout).toMatch(/,pagesFreed,8,8,1,8$/m);
    // the example of docs/scenarios.md, which shows every kind of field
    const doc = readFileSync(join(ROOT, 'docs/scenarios.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)![1];
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=https://unpkg.com/tlbsim/schema/scenario.schema.json');
    expect(validate(load(example), 'scenario.schema.json')).toEqual([]);
    // an unknown field and too many CPUs: refused by tlbsim and flagged by the schema
    expect(validate(yaml(join(FIXTURES, 'unknown-field.yaml')), 'scenario.schema.json').length).toBeGreaterThan(0);
    expect(validate(yaml(join(FIXTURES, 'too-many-cpus.yaml')), 'scenario.schema.json')).toEqual(['$.machine.cpus: must be <= 1024']);
  });
  it('the scenario schema knows every op, sizes written with units, and nothing else', () => {
    const base = { processes: [{ name: 'A', threads: [{ name: 't', cpu: 0 }] }] };
    const ok = (ops: unknown[]) => validate({ ...base, ops }, 'scenario.schema.json');
    expect(ok([{ mmap: { process: 'A', addr: '0x40000000', length: '2M' } }, { munmap: { thread: 't', addr: 0x40000000, length: '1MiB' } }])).toEqual([]);
    expect(ok([{ mmap: { process: 'A', length: '2 furlongs' } }]).length).toBeGreaterThan(0);
    expect(ok([{ mmap: { process: 'A', length: 4096 }, munmap: { thread: 't', addr: 0, length: 4096 } }]).length).toBeGreaterThan(0);
    expect(ok([{ nmap: { process: 'A', length: 4096 } }]).length).toBeGreaterThan(0);
    expect(validate({ ...base, ops: [], machine: { cpus: 2, seed: 1 } }, 'scenario.schema.json')).toEqual(['$.machine: must NOT have additional properties (seed)']);
    expect(validate({ $schema: 'scenario.schema.json', ...base, ops: [] }, 'scenario.schema.json')).toEqual([]);
  });
});
