import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { issueMessage, orderIssues, scenarioSchema, type Scenario } from './schema.js';

/** A scenario that cannot run: `path` names the field (e.g. `ops[3].munmap.addr`). */
export class ScenarioError extends Error {
  constructor(readonly path: string, readonly detail: string, readonly source?: string) {
    super(`${source ? source + ': ' : ''}${path ? path + ': ' : ''}${detail}`);
    this.name = 'ScenarioError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

/** Parse JSON or YAML text (by file name, else by content) into a validated scenario. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  const json = /\.json$/i.test(source) || (!/\.ya?ml$/i.test(source) && text.trimStart().startsWith('{'));
  try {
    raw = json ? JSON.parse(text) : parseYaml(text, { intAsBigInt: false });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      throw new ScenarioError('', `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}`, source);
    }
    throw new ScenarioError('', `invalid JSON: ${(e as Error).message}`, source);
  }
  return validateScenario(raw, source);
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
