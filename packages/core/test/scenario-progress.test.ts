import { describe, expect, it } from 'vitest';
import { generic, parseScenario, runScenario } from '../src/index.js';

describe('RunOptions.onOp (the CLI progress line)', () => {
  it('is called after each op with the ops done, and within a long touch with the fraction done', () => {
    const s = parseScenario(
      'machine: {cpus: 1}\nprocesses: [{name: A, threads: [{name: t, cpu: 0}]}]\nops:\n' +
        '  - mmap: {process: A, addr: 0x40000000, length: 512M}\n  - touch: {thread: t, addr: 0x40000000, pages: 131072}\n  - munmap: {thread: t, addr: 0x40000000, length: 512M}\n',
      'p.yaml',
    );
    const calls: number[] = [];
    runScenario(s, generic(), { onOp: (d) => calls.push(d) });
    expect(calls).toEqual([1, 1 + 65535 / 131072, 1 + 131071 / 131072, 2, 3]);
  });
});
