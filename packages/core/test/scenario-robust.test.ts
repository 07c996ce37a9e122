// Issue 17: scenario inputs that used to crash (exit 70) or pass without a word.
import { describe, expect, it } from 'vitest';
import { ScenarioError, parseScenario } from '../src/index.js';

function parseErr(text: string, source = 'x.yaml'): ScenarioError {
  try {
    parseScenario(text, source);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('op names inherited from Object are unknown ops', () => {
  for (const k of ['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'constructor']) {
    it(k, () => {
      const e = parseErr(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops: [ { mmap: { process: A, length: 4K } }, { ${k}: { thread: t0 } } ]\n`);
      expect(e.path).toBe(`ops[1].${k}`);
      expect(e.detail).toMatch(new RegExp(`^unknown op "${k}"; valid ops: mmap, touch,`));
    });
  }
});

