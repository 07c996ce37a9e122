// Issue 17: scenario inputs that used to crash (exit 70) or pass without a word.
import { describe, expect, it } from 'vitest';
import { ScenarioError, generic, parseScenario, runScenario, type ArchBackend } from '../src/index.js';

function parseErr(text: string, source = 'x.yaml'): ScenarioError {
  try {
    parseScenario(text, source);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

function runErr(text: string): ScenarioError {
  const s = parseScenario(text, 'x.yaml');
  try {
    runScenario(s, generic(), {}, 'x.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

/** generic() with every switchMm call recorded as "cpu:prev->next". */
function recording(): { arch: ArchBackend; switches: string[] } {
  const g = generic();
  const switches: string[] = [];
  const arch: ArchBackend = {
    ...g,
    create(ctx) {
      const rt = g.create(ctx);
      return {
        ...rt,
        switchMm(cpu, prev, next) {
          switches.push(`${cpu}:${prev?.name ?? '-'}->${next.name}`);
          rt.switchMm(cpu, prev, next);
        },
      };
    },
  };
  return { arch, switches };
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

const twoOnCpu0 = (ops: string, second = 'A') => `
machine: { cpus: 2 }
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 } ]
${second === 'A' ? '' : `  - name: ${second}\n    threads: []\n`}ops:
  - spawn: { process: ${second}, thread: { name: t1, cpu: 0, state: sleeping } }
  - mmap: { process: A, addr: 0x40000000, length: 64K }
  - mmap: { process: ${second}, addr: 0x50000000, length: 64K }
${ops}`;

describe('a sleeping thread whose CPU runs another thread makes a system call: context switch', () => {
  it('munmap by t1: t0 is switched out, switch_mm loads t1\'s mm, then t0 is switched back in', () => {
    const { arch, switches } = recording();
    const s = parseScenario(twoOnCpu0(`  - munmap: { thread: t1, addr: 0x50000000, length: 64K }\n  - munmap: { thread: t0, addr: 0x40000000, length: 64K }\n`, 'B'));
    const r = runScenario(s, arch);
    expect(r.ops.map((o) => [o.op, o.ok])).toEqual([['spawn', true], ['mmap', true], ['mmap', true], ['munmap', true], ['munmap', true]]);
    // the initial switch-in of t0, then t1 in (A -> B), then t0 back (B -> A)
    expect(switches).toEqual(['0:-->A', '0:A->B', '0:B->A']);
  });
  it('threads of one process: the switch keeps the mm (switchMm with prev === next)', () => {
    const { arch, switches } = recording();
    const r = runScenario(parseScenario(twoOnCpu0(`  - munmap: { thread: t1, addr: 0x40000000, length: 64K }\n`)), arch);
    expect(r.ops.every((o) => o.ok)).toBe(true);
    expect(switches).toEqual(['0:-->A', '0:A->A']);
  });
  it('exit of such a thread: switched in, then it exits; exit_process of the other process too', () => {
    const r = runScenario(parseScenario(twoOnCpu0(`  - exit: { thread: t1 }\n  - exit_process: { process: A }\n`, 'B')), generic());
    expect(r.ops.map((o) => o.op)).toEqual(['spawn', 'mmap', 'mmap', 'exit', 'exit_process']);
    expect(r.metrics.pagesFreed).toBe(0);
  });
});

describe('fork and spawn refuse a running thread on a busy CPU, with the field path', () => {
  it('fork with childThread on the CPU the parent runs on', () => {
    const e = runErr(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n  - fork: { thread: t0, child: B, childThread: { name: b0, cpu: 0 } }\n`);
    expect(e.message).toBe('x.yaml: ops[0].fork.childThread.cpu: CPU 0 already runs thread "t0" (give the child another CPU or state: sleeping)');
  });
  it('fork with a sleeping child thread on that CPU is fine', () => {
    const r = runScenario(parseScenario(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n  - fork: { thread: t0, child: B, childThread: { name: b0, cpu: 0, state: sleeping } }\n  - exit: { thread: b0 }\n`), generic());
    expect(r.ops.map((o) => o.ok)).toEqual([true, true]);
  });
  it('spawn (unchanged)', () => {
    const e = runErr(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n  - spawn: { process: A, thread: { name: t1, cpu: 0 } }\n`);
    expect(e.path).toBe('ops[0].spawn.thread.cpu');
  });
});

describe('ops that make no sense are refused, not silently accepted', () => {
  it('gup_fast_end with no gup_fast_begin on that CPU', () => {
    const e = runErr(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n  - gup_fast_end: { cpu: 1 }\n`);
    expect(e.path).toBe('ops[0].gup_fast_end.cpu');
    expect(e.detail).toBe('CPU 1 has no GUP-fast walk in progress (gup_fast_begin first)');
  });
  for (const op of ['mmap: { process: A, length: 4K }', 'spawn: { process: A, thread: { name: t9, cpu: 1 } }', 'gup_fast_begin: { cpu: 1, process: A, addr: 0 }', 'exit_process: { process: A }']) {
    it(`${op.split(':')[0]} on an exited process`, () => {
      const e = runErr(`processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n  - exit: { thread: t0 }\n  - ${op}\n`);
      expect(e.path).toBe(`ops[1].${op.split(':')[0]}.process`);
      expect(e.detail).toBe('process "A" has exited (all its threads exited)');
    });
  }
});

const oneOp = (field: string) => `processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops: [ { mmap: { process: A, ${field} } } ]\n`;

describe('YAML and JSON are read by the same rules', () => {
  it('YAML that does not parse is reported as YAML with its position', () => {
    expect(parseErr('ops: [\n  - a: 1\n', 'y.yaml').message).toMatch(/^y\.yaml: invalid YAML at line 2, column 3: missed comma between flow collection entries$/);
    expect(parseErr('a: [1\n', 'noext').message).toMatch(/^noext: invalid YAML at line \d+, column \d+: /);
  });
  it('duplicate keys are refused in YAML and in JSON', () => {
    expect(parseErr('name: a\nname: b\nprocesses: []\nops: []\n', 'd.yaml').message).toBe('d.yaml: invalid YAML at line 2, column 1: duplicated mapping key');
    expect(parseErr('{"processes": [{"name": "A"}], "ops": [], "processes": []}', 'd.json').message).toBe('d.json: invalid JSON at line 1, column 43: duplicate key "processes"');
    expect(parseErr('{"ops": [{"sleep": {"thread": "t0", "thr\\u0065ad": "t1"}}]}', 'd.json').message).toBe('d.json: invalid JSON at line 1, column 37: duplicate key "thread"');
  });
  it('the same key in different objects is no duplicate', () => {
    const s = parseScenario('{"processes": [{"name": "A", "threads": [{"name": "t0", "cpu": 0}]}, {"name": "B"}], "ops": [{"sleep": {"thread": "t0"}}, {"run": {"thread": "t0", "cpu": 0}}]}', 'ok.json');
    expect(s.ops.map((o) => o.op)).toEqual(['sleep', 'run']);
  });
  it('a byte-order mark is dropped in both', () => {
    const y = parseScenario('\uFEFF' + oneOp('length: 4K'), 'b.yaml');
    const j = parseScenario('\uFEFF{"processes": [{"name": "A"}], "ops": [{"mmap": {"process": "A", "length": "4K"}}]}', 'b.json');
    expect([y.ops[0].args, j.ops[0].args].map((a) => (a as unknown as { length: number }).length)).toEqual([4096, 4096]);
  });
  it('custom tags such as !!js/function are refused, not warned about', () => {
    expect(parseErr(oneOp('length: !!js/function "function () { return 1 }"'), 't.yaml').message).toMatch(/^t\.yaml: invalid YAML at line 2, column \d+: unknown tag !<tag:yaml\.org,2002:js\/function>/);
  });
  it('an alias bomb is refused by size, deep nesting by depth', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    expect(parseErr(bomb + 'processes: []\nops: []\n', 'bomb.yaml').message).toBe('bomb.yaml: more than 16000000 values (with YAML aliases expanded): too large to be a scenario');
    expect(parseErr(`description: ${'['.repeat(40)}${']'.repeat(40)}\nprocesses: []\nops: []\n`, 'deep.yaml').message).toBe('deep.yaml: nested deeper than 32 levels (a scenario needs a few)');
    expect(parseErr(`{"description": ${'['.repeat(100000)}${']'.repeat(100000)}, "ops": []}`, 'deep.json').message).toBe('deep.json: nested deeper than 32 levels (a scenario needs a few)');
    expect(parseErr(`description: ${'['.repeat(100000)}${']'.repeat(100000)}\n`, 'deeper.yaml').message).toBe('deeper.yaml: invalid YAML at line 1, column 113: nesting exceeded maxDepth (100)');
  });
  it('more ops than the limit are refused before any op is validated', () => {
    const e = parseErr(`{"processes": [{"name": "A"}], "ops": [${Array(1_000_001).fill('0').join(',')}]}`, 'big.json');
    expect(e.message).toBe('big.json: ops: 1000001 ops: at most 1000000 are allowed');
  });
});

describe('number fields say what they expected', () => {
  const cases: [string, string][] = [
    ['length: .inf', 'Infinity is not a finite number'],
    ['length: -.inf', '-Infinity is not a finite number'],
    ['length: .nan', 'NaN is not a finite number'],
    ['length: null', 'expected a number (4096, 0x1000 or 4K), got null'],
    ['length: []', 'expected a number (4096, 0x1000 or 4K), got an array'],
    ['length: true', 'expected a number (4096, 0x1000 or 4K), got a boolean (true)'],
    ['length: 1152921504606846976', '1152921504606847000 is too large (at most 2^53 - 1; no mapping is longer than 2^46 bytes)'],
    ['length: -4096', '-4096 is negative'],
    ['length: 4096.5', '4096.5 is not an integer'],
    ['length: 4K, shared: 1', 'expected a boolean, got a number (1)'],
  ];
  for (const [field, msg] of cases) {
    it(field, () => {
      const e = parseErr(oneOp(field));
      expect(e.path).toBe(field.includes('shared') ? 'ops[0].mmap.shared' : 'ops[0].mmap.length');
      expect(e.detail).toBe(msg);
    });
  }
  it('a thread cpu of .inf', () => {
    const e = parseErr('processes: [ { name: A, threads: [ { name: t0, cpu: .inf } ] } ]\nops: []\n');
    expect([e.path, e.detail]).toEqual(['processes[0].threads[0].cpu', 'Infinity is not a finite number']);
  });
});

describe('an error message is one line whatever the input holds', () => {
  it('a JSON parser excerpt with a newline', () => {
    const e = parseErr('{"machine":{"cpus":1,""\nseed":0}}', 'n.json');
    expect(e.message.includes('\n')).toBe(false);
    expect(e.message).toMatch(/^n\.json: invalid JSON: .*\\n/);
  });
  it('an op name with control characters', () => {
    const e = parseErr('{"processes": [{"name": "A"}], "ops": [{"to\\nString\\u0000": {}}]}', 'c.json');
    expect(e.message).toBe('c.json: ops[0].to\\nString\\u0000: unknown op "to\\nString\\u0000"; valid ops: mmap, touch, munmap, madvise, mprotect, mremap, fork, exit, exit_process, sleep, run, spawn, reclaim, gup_fast_begin, gup_fast_end, wait');
  });
});
