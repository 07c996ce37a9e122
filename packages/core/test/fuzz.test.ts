/**
 * Fuzzing the scenario library (issue 17): random and mutated documents, as YAML and JSON text,
 * through parseScenario and runScenario. Property: a scenario is accepted and runs, or it is
 * refused with a ScenarioError (the documented error type) naming the field; never another
 * error. A few hundred inputs in the normal run; TLBSIM_FUZZ_RUNS=N runs N per property.
 */
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ScenarioError, generic, parseScenario, runScenario } from '../src/index.js';

const RUNS = Number(process.env.TLBSIM_FUZZ_RUNS) || 150;
/** generous: a long run (TLBSIM_FUZZ_RUNS) takes as long as it needs */
const TIMEOUT = Math.max(30_000, RUNS * 100);

/** Parse then run; returns what happened, throws anything that is not a ScenarioError. */
function outcome(text: string, source: string): 'ran' | 'refused' {
  try {
    const s = parseScenario(text, source);
    runScenario(s, generic(), { checker: true }, source);
    return 'ran';
  } catch (e) {
    if (e instanceof ScenarioError) {
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.message.startsWith(`${source}: `)).toBe(true);
      return 'refused';
    }
    throw e;
  }
}

const NAMES = ['A', 'B', 't0', 't1', 't2', 'b0', 'f', 'toString', '__proto__', 'constructor', '', 'x y'];
const OPS = ['mmap', 'touch', 'munmap', 'madvise', 'mprotect', 'mremap', 'fork', 'exit', 'exit_process', 'sleep', 'run', 'spawn', 'reclaim', 'gup_fast_begin', 'gup_fast_end', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'constructor'];
const FIELDS = ['process', 'thread', 'addr', 'length', 'prot', 'shared', 'file', 'offset', 'pages', 'stride', 'write', 'advice', 'oldLength', 'newLength', 'mayMove', 'child', 'childThread', 'cpu', 'state', 'name', 'hugetlb', 'thp', 'order', 'locked', 'pfnmap'];
const BASE = 0x40000000;

/** Values a field might plausibly (or implausibly) hold; sizes stay small so a run is quick. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constantFrom(0, 1, 2, 3, 4096, 8192, 0x10000, 0x200000, BASE, BASE + 0x1000, BASE + 0x10000, -1, 0.5, 2 ** 53, 2 ** 60, Infinity, NaN),
  fc.constantFrom('4K', '64K', '2M', '0x40000000', '1G', '4KiB', 'lots', '-4K', ''),
  fc.constantFrom('r', 'rw', 'none', 'rwx', 'dontneed', 'free', 'sleeping', 'running', 'all'),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.record({ name: fc.constantFrom('b0', 'b1', 't0'), cpu: fc.constantFrom(0, 1, 3), state: fc.constantFrom('running', 'sleeping') }, { requiredKeys: ['name', 'cpu'] }),
  fc.array(fc.constantFrom(0, 1, 2), { maxLength: 3 }),
);

const op = fc.tuple(fc.constantFrom(...OPS), fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 })).map(([k, v]) => ({ [k]: v }));

/** Ops that are mostly right: the shape of a real scenario, with fields drawn from small sets. */
const goodOp = fc.oneof(
  fc.record({ mmap: fc.record({ process: fc.constantFrom('A', 'B'), addr: fc.constantFrom(BASE, BASE + 0x10000), length: fc.constantFrom('4K', '64K', '2M'), shared: fc.boolean() }, { requiredKeys: ['process', 'length'] }) }),
  fc.record({ touch: fc.record({ thread: fc.constantFrom('t0', 't1', 'b0'), addr: fc.constantFrom(BASE, BASE + 0x10000), pages: fc.integer({ min: 1, max: 16 }), write: fc.boolean() }) }),
  fc.record({ munmap: fc.record({ thread: fc.constantFrom('t0', 't1', 'b0'), addr: fc.constantFrom(BASE, BASE + 0x8000), length: fc.constantFrom('4K', '32K', '2M') }) }),
  fc.record({ mprotect: fc.record({ thread: fc.constantFrom('t0', 't1'), addr: fc.constant(BASE), length: fc.constantFrom('4K', '64K'), prot: fc.constantFrom('r', 'rw', 'none') }) }),
  fc.record({ madvise: fc.record({ thread: fc.constantFrom('t0', 't1'), addr: fc.constant(BASE), length: fc.constantFrom('4K', '64K'), advice: fc.constantFrom('dontneed', 'free') }) }),
  fc.record({ mremap: fc.record({ thread: fc.constantFrom('t0', 't1'), addr: fc.constant(BASE), oldLength: fc.constantFrom('4K', '64K'), newLength: fc.constantFrom('8K', '128K'), mayMove: fc.boolean() }) }),
  fc.record({ fork: fc.record({ thread: fc.constantFrom('t0', 't1'), child: fc.constantFrom('B', 'C'), childThread: fc.record({ name: fc.constantFrom('b0', 'b1'), cpu: fc.constantFrom(0, 1, 2), state: fc.constantFrom('running', 'sleeping') }) }) }),
  fc.record({ exit: fc.record({ thread: fc.constantFrom('t0', 't1', 'b0') }) }),
  fc.record({ exit_process: fc.record({ process: fc.constantFrom('A', 'B') }) }),
  fc.record({ sleep: fc.record({ thread: fc.constantFrom('t0', 't1', 'b0') }) }),
  fc.record({ run: fc.record({ thread: fc.constantFrom('t0', 't1', 'b0'), cpu: fc.constantFrom(0, 1, 2) }) }),
  fc.record({ spawn: fc.record({ process: fc.constantFrom('A', 'B'), thread: fc.record({ name: fc.constantFrom('t2', 't3'), cpu: fc.constantFrom(0, 1, 2), state: fc.constantFrom('running', 'sleeping') }) }) }),
  fc.record({ reclaim: fc.record({ cpu: fc.constantFrom(0, 1), file: fc.constant('f') }) }),
  fc.record({ gup_fast_begin: fc.record({ cpu: fc.constantFrom(0, 1, 2), process: fc.constantFrom('A', 'B'), addr: fc.constant(BASE) }) }),
  fc.record({ gup_fast_end: fc.record({ cpu: fc.constantFrom(0, 1, 2) }) }),
);

const doc = (ops: fc.Arbitrary<unknown>) =>
  fc.record({
    machine: fc.record({ cpus: fc.constantFrom(1, 2, 3) }),
    files: fc.constant([{ name: 'f' }]),
    processes: fc.constant([
      { name: 'A', threads: [{ name: 't0', cpu: 0 }, { name: 't1', cpu: 1, state: 'sleeping' }] },
      { name: 'B', threads: [] },
    ]),
    ops: fc.array(ops, { maxLength: 14 }),
  });

/** Set one place of a document (by a path of indices into its keys) to a value. */
function mutate(d: unknown, path: number[], v: unknown): unknown {
  if (!path.length || d === null || typeof d !== 'object') return v;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(d) ? [...d] : { ...(d as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (!keys.length) return copy;
  const k = keys[path[0] % keys.length];
  (copy as Record<string, unknown>)[k] = mutate((copy as Record<string, unknown>)[k], path.slice(1), v);
  return copy;
}

const asText = (d: unknown, yaml: boolean) => (yaml ? dump(d, { noRefs: true }) : JSON.stringify(d));

/** Edits of the text itself: a character inserted, deleted or replaced somewhere. */
const textEdit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...'{}[]:,-"\'&*!#\n\t \\x0\uFEFF'.split('')));
function editText(t: string, [at, how, ch]: [number, string, string]): string {
  const i = t.length ? at % t.length : 0;
  if (how === 'insert') return t.slice(0, i) + ch + t.slice(i);
  if (how === 'delete') return t.slice(0, i) + t.slice(i + 1);
  return t.slice(0, i) + ch + t.slice(i + 1);
}

describe('parseScenario and runScenario throw only ScenarioError', { timeout: TIMEOUT }, () => {
  it('well-formed scenarios of plausible ops (as YAML and JSON)', async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(doc(goodOp), fc.boolean(), async (d, yaml) => {
        if (outcome(asText(d, yaml), yaml ? 'fuzz.yaml' : 'fuzz.json') === 'ran') ran++;
      }),
      { numRuns: RUNS },
    );
    expect(ran).toBeGreaterThan(0);
  });
  it('ops with random names and fields', async () => {
    await fc.assert(fc.asyncProperty(doc(fc.oneof(goodOp, op)), fc.boolean(), async (d, yaml) => void outcome(asText(d, yaml), yaml ? 'fuzz.yaml' : 'fuzz.json')), { numRuns: RUNS });
  });
  it('documents with one place replaced by a random value', async () => {
    await fc.assert(
      fc.asyncProperty(doc(goodOp), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), value, fc.boolean(), async (d, path, v, yaml) => void outcome(asText(mutate(d, path, v), yaml), yaml ? 'fuzz.yaml' : 'fuzz.json')),
      { numRuns: RUNS },
    );
  });
  it('texts with characters inserted, deleted or replaced', async () => {
    await fc.assert(
      fc.asyncProperty(doc(goodOp), fc.array(textEdit, { minLength: 1, maxLength: 4 }), fc.constantFrom('fuzz.yaml', 'fuzz.json', 'fuzz'), async (d, edits, source) => {
        let t = asText(d, source !== 'fuzz.json');
        for (const e of edits) t = editText(t, e);
        outcome(t, source);
      }),
      { numRuns: RUNS },
    );
  });
  it('arbitrary JSON values and strings', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v) ?? ''), fc.string()), fc.constantFrom('fuzz.yaml', 'fuzz.json', 'fuzz'), async (t, source) => void outcome(t, source)), { numRuns: RUNS });
  });
});
