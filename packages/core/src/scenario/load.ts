/// <reference path="./js-yaml.d.ts" />
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import type { z } from 'zod';
import { issueMessage, LIMITS, orderIssues, scenarioSchema, type Scenario } from './schema.js';

/** A scenario that cannot run: `path` names the field (e.g. `ops[3].munmap.addr`). */
export class ScenarioError extends Error {
  readonly detail: string;
  /** the same mistake on every architecture: a report names none of them */
  sameOnEveryArch = false;
  constructor(readonly path: string, detail: string, readonly source?: string) {
    // one line whatever the input held: a key or a parser's excerpt may carry a newline
    const d = oneLine(detail);
    super(`${source ? source + ': ' : ''}${path ? oneLine(path) + ': ' : ''}${d}`);
    this.detail = d;
    this.name = 'ScenarioError';
  }
}

/** Control characters written as escapes (`\n`, `\u0000`), so a message stays on one line. */
export function oneLine(s: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

/**
 * Parse JSON or YAML text (by file name, else by content) into a validated scenario.
 * YAML goes through js-yaml's core schema (YAML 1.2: no custom tags such as `!!js/function`,
 * duplicate keys refused): an order of magnitude faster and smaller than the `yaml` package on
 * 10^5-10^6 ops. JSON is held to the same rules (a BOM is dropped, duplicate keys refused).
 */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  // a byte-order mark says how the text is encoded, it is not part of it
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const json = /\.json$/i.test(source) || (!/\.ya?ml$/i.test(source) && text.trimStart().startsWith('{'));
  const raw = json ? parseJson(text, source) : parseYamlText(text, source);
  checkShape(raw, source);
  return validateScenario(raw, source);
}

function parseJson(text: string, source: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError('', `invalid JSON: ${(e as Error).message}`, source);
  }
  const dup = duplicateJsonKey(text);
  if (dup) throw new ScenarioError('', `invalid JSON at line ${dup.line}, column ${dup.col}: duplicate key "${dup.key}"`, source);
  return raw;
}

function parseYamlText(text: string, source: string): unknown {
  try {
    return loadYaml(text, { schema: CORE_SCHEMA, filename: source });
  } catch (e) {
    if (e instanceof YAMLException) {
      const pos = e.mark && e.mark.line >= 0 ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
      throw new ScenarioError('', `invalid YAML${pos}: ${e.reason}`, source);
    }
    if (e instanceof RangeError) throw new ScenarioError('', `invalid YAML: nested too deeply (a scenario needs ${LIMITS.depth} levels at most)`, source);
    throw e;
  }
}

/**
 * Limits on the raw document before the schema walks it: nesting depth, the number of values
 * once YAML aliases are expanded (an alias bomb), and the op count (refused before any op is
 * validated).
 */
function checkShape(raw: unknown, source: string): void {
  const sizes = new WeakMap<object, number>();
  const size = (v: unknown, depth: number): number => {
    if (v === null || typeof v !== 'object') return 1;
    if (depth > LIMITS.depth) throw new ScenarioError('', `nested deeper than ${LIMITS.depth} levels (a scenario needs a few)`, source);
    const known = sizes.get(v);
    if (known !== undefined) return known;
    let n = 1;
    for (const c of Array.isArray(v) ? v : Object.values(v)) {
      n += size(c, depth + 1);
      if (n > LIMITS.values) throw new ScenarioError('', `more than ${LIMITS.values} values (with YAML aliases expanded): too large to be a scenario`, source);
    }
    sizes.set(v, n);
    return n;
  };
  const ops = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).ops : undefined;
  if (Array.isArray(ops) && ops.length > LIMITS.ops) throw new ScenarioError('ops', `${ops.length} ops: at most ${LIMITS.ops} are allowed`, source);
  size(raw, 0);
}

/** The first key repeated within one object of valid JSON text, with its position. */
export function duplicateJsonKey(text: string): { key: string; line: number; col: number } | undefined {
  // one set of keys per open object (null for an array); a string right after `{` or `,` in an
  // object is a key
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      if (expectKey) {
        const lit = text.slice(start, i + 1);
        const key = escaped ? (JSON.parse(lit) as string) : lit.slice(1, -1);
        const keys = stack[stack.length - 1]!;
        if (keys.has(key)) {
          const before = text.slice(0, start);
          const line = before.split('\n').length;
          return { key, line, col: start - before.lastIndexOf('\n') };
        }
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d /* } ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

export function validateScenario(raw: unknown, source = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) throw fromZod(r.error, raw, source);
  const s = r.data;
  checkReferences(s, source);
  return s;
}

function fromZod(err: z.ZodError, raw: unknown, source: string): ScenarioError {
  const is = orderIssues(err.issues)[0];
  // op issues were already put in words (with the op's own input) by the op schema
  return new ScenarioError(formatPath(is.path), is.code === 'custom' ? is.message : issueMessage(is, raw), source);
}

/** Names must resolve and be unique; CPUs must exist; one running thread per CPU. */
function checkReferences(s: Scenario, source: string): void {
  const fail = (path: string, msg: string): never => {
    throw new ScenarioError(path, msg, source);
  };
  const procs = new Set<string>();
  const threads = new Set<string>();
  const files = new Set(s.files.map((f) => f.name));
  const runningOn = new Map<number, string>();
  s.processes.forEach((p, i) => {
    if (procs.has(p.name)) fail(`processes[${i}].name`, `duplicate process name "${p.name}"`);
    procs.add(p.name);
    p.threads.forEach((t, j) => {
      const path = `processes[${i}].threads[${j}]`;
      if (threads.has(t.name)) fail(`${path}.name`, `duplicate thread name "${t.name}"`);
      threads.add(t.name);
      if (t.cpu >= s.machine.cpus) fail(`${path}.cpu`, `CPU ${t.cpu} does not exist (the machine has ${s.machine.cpus} CPUs: 0-${s.machine.cpus - 1})`);
      if (t.state === 'running') {
        const other = runningOn.get(t.cpu);
        if (other) fail(`${path}.state`, `CPU ${t.cpu} already runs thread "${other}"`);
        runningOn.set(t.cpu, t.name);
      }
    });
  });
  const cpuOk = (path: string, cpu: number) => {
    if (cpu >= s.machine.cpus) fail(path, `CPU ${cpu} does not exist (the machine has ${s.machine.cpus} CPUs)`);
  };
  s.ops.forEach((o, i) => {
    const base = `ops[${i}].${o.op}`;
    const a = o.args as Record<string, unknown>;
    if (typeof a.thread === 'string' && o.op !== 'spawn' && !threads.has(a.thread)) fail(`${base}.thread`, `unknown thread "${a.thread}"`);
    if (typeof a.process === 'string' && !procs.has(a.process)) fail(`${base}.process`, `unknown process "${a.process}"`);
    if (typeof a.file === 'string' && !files.has(a.file)) fail(`${base}.file`, `unknown file "${a.file}" (declare it under files:)`);
    if (typeof a.cpu === 'number') cpuOk(`${base}.cpu`, a.cpu);
    if (o.op === 'fork') {
      if (procs.has(o.args.child)) fail(`${base}.child`, `process "${o.args.child}" already exists`);
      procs.add(o.args.child);
      if (threads.has(o.args.childThread.name)) fail(`${base}.childThread.name`, `duplicate thread name "${o.args.childThread.name}"`);
      threads.add(o.args.childThread.name);
      cpuOk(`${base}.childThread.cpu`, o.args.childThread.cpu);
    }
    if (o.op === 'spawn') {
      if (threads.has(o.args.thread.name)) fail(`${base}.thread.name`, `duplicate thread name "${o.args.thread.name}"`);
      threads.add(o.args.thread.name);
      cpuOk(`${base}.thread.cpu`, o.args.thread.cpu);
    }
  });
}
