import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const SCHEMA_DIR = fileURLToPath(new URL('../schema/', import.meta.url));

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (not on a terminal, NO_COLOR unset) and capture everything. */
export function tlbsim(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Ran {
  const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env };
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI in the background (for Ctrl-C tests). */
export function tlbsimAsync(args: string[], cwd?: string) {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run the CLI on a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
export function tlbsimOnTty(args: string[], env: Record<string, string | undefined> = {}): string {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: undefined, ...env }, encoding: 'utf8' });
  return r.stdout;
}

export const tmp = () => mkdtempSync(join(tmpdir(), 'tlbsim-test-'));
export const fixture = (name: string) => join(FIXTURES, name);

/** A one-line error: no stack trace, names the thing, exit status 2. */
export function expectUsageError(r: Ran): string {
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected a one-line error, got:\n${r.stderr}`);
  if (/\n\s+at |\.ts:\d+|\.js:\d+/.test(r.stderr)) throw new Error(`stack trace in:\n${r.stderr}`);
  if (!lines[0].startsWith('tlbsim: error: ')) throw new Error(`unexpected error line: ${lines[0]}`);
  return lines[0];
}

// ----------------------------------------------------------------------------- JSON Schema
// A validator for the subset of JSON Schema 2020-12 that schema/*.json use: type, enum, required,
// properties, additionalProperties, items, minimum, maximum, $ref (local and to a sibling file).

type Schema = Record<string, unknown>;
const files = new Map<string, Schema>();
function load(file: string): Schema {
  let s = files.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Schema;
    files.set(file, s);
  }
  return s;
}

function resolveRef(ref: string, file: string): { schema: Schema; file: string } {
  const [f, frag] = ref.split('#');
  const target = f ? f : file;
  let node: unknown = load(target);
  for (const part of (frag ?? '').split('/').filter(Boolean)) node = (node as Record<string, unknown>)[part];
  if (!node) throw new Error(`unresolved $ref ${ref}`);
  return { schema: node as Schema, file: target };
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(v: unknown, schemaFile: string): string[] {
  const errors: string[] = [];
  const walk = (x: unknown, s: Schema, file: string, path: string) => {
    if (s.$ref) {
      const r = resolveRef(s.$ref as string, file);
      walk(x, r.schema, r.file, path);
    }
    if (s.type) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      const t = typeOf(x);
      if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) errors.push(`${path}: expected ${types.join('|')}, got ${t}`);
    }
    if (s.enum && !(s.enum as unknown[]).includes(x)) errors.push(`${path}: ${JSON.stringify(x)} not in enum`);
    if (typeof x === 'number') {
      if (typeof s.minimum === 'number' && x < s.minimum) errors.push(`${path}: ${x} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && x > s.maximum) errors.push(`${path}: ${x} > ${s.maximum}`);
    }
    if (typeOf(x) === 'object') {
      const o = x as Record<string, unknown>;
      for (const k of (s.required as string[]) ?? []) if (!(k in o)) errors.push(`${path}: missing ${k}`);
      const props = (s.properties as Record<string, Schema>) ?? {};
      for (const [k, val] of Object.entries(o)) {
        if (props[k]) walk(val, props[k], file, `${path}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`);
        else if (typeof s.additionalProperties === 'object') walk(val, s.additionalProperties as Schema, file, `${path}.${k}`);
      }
    }
    if (Array.isArray(x) && s.items) x.forEach((e, i) => walk(e, s.items as Schema, file, `${path}[${i}]`));
  };
  walk(v, load(schemaFile), schemaFile, '$');
  return errors;
}
