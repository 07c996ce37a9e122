/** Scenario `machine.kernel`, `machine.features` and the `wait` op (docs/scenarios.md). */
import { describe, expect, it } from 'vitest';
import { generic, parseScenario, runScenario, ScenarioError, type Machine } from '../src/index.js';

const base = (machine: string, ops = '  - wait: 1s\n') => `machine: ${machine}\nprocesses: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops:\n${ops}`;
const err = (text: string): ScenarioError => {
  try {
    parseScenario(text, 's.yaml');
  } catch (e) {
    return e as ScenarioError;
  }
  throw new Error('parsed');
};

describe('machine.kernel and machine.features', () => {
  it('are kept and reach the machine', () => {
    const s = parseScenario(base("{ cpus: 1, kernel: '6.15', features: ['-madvise-dontneed-one-gather'] }"), 's.yaml');
    expect(s.machine).toEqual({ cpus: 1, kernel: '6.15', features: ['-madvise-dontneed-one-gather'] });
    let label = '';
    runScenario(s, generic(), { setup: (m) => (label = m.kernel.label) });
    expect(label).toBe('6.15 -43c4cfde7e37');
  });
  it('the run options override them (the command line wins)', () => {
    const s = parseScenario(base("{ cpus: 1, kernel: '6.15' }"), 's.yaml');
    let label = '';
    runScenario(s, generic(), { kernel: '6.1', setup: (m) => (label = m.kernel.label) });
    expect(label).toBe('6.1');
  });
  it('refuses a release older than 6.1 and an unknown feature, naming the field', () => {
    expect(err(base("{ cpus: 1, kernel: '5.15' }")).message).toBe('s.yaml: machine.kernel: kernel 5.15 is older than the oldest modelled release, 6.1');
    expect(err(base("{ cpus: 1, features: ['+nope'] }")).message).toBe("s.yaml: machine.features: unknown kernel feature 'nope' (tlbsim kernels lists them)");
    expect(err(base('{ cpus: 1, kernel: 6.10 }')).message).toBe("s.yaml: machine.kernel: write the release in quotes ('6.1'): as a number 6.10 would read as 6.1");
  });
});

describe('the wait op', () => {
  it('advances the clock by the duration given', () => {
    const s = parseScenario(base('{ cpus: 1 }', '  - wait: 1s\n  - wait: 250ms\n  - wait: 20us\n  - wait: 500ns\n'), 's.yaml');
    expect(s.ops.map((o) => o.args)).toEqual([1e9, 2.5e8, 2e4, 500]);
    let machine: Machine | undefined;
    const r = runScenario(s, generic(), { setup: (m) => { machine = m; } });
    expect(machine!.now).toBe(1e9 + 2.5e8 + 2e4 + 500);
    expect(r.ops.map((o) => [o.op, o.ok])).toEqual([['wait', true], ['wait', true], ['wait', true], ['wait', true]]);
    expect(r.metrics.estimatedNs).toBe(0); // waiting costs the workload nothing
  });
  it('refuses a number without a unit, a bad unit and a duration out of range', () => {
    expect(err(base('{ cpus: 1 }', '  - wait: 1000\n')).message).toBe('s.yaml: ops[0].wait: 1000 has no unit: write e.g. 1s, 250ms, 20us or 500ns');
    expect(err(base('{ cpus: 1 }', '  - wait: 1h\n')).message).toBe('s.yaml: ops[0].wait: "1h" is not a duration (write e.g. 1s, 250ms, 20us or 500ns)');
    expect(err(base('{ cpus: 1 }', '  - wait: 2h\n')).message).toMatch(/is not a duration/);
    expect(err(base('{ cpus: 1 }', '  - wait: 3601s\n')).message).toBe('s.yaml: ops[0].wait: 3601s must be a whole number of nanoseconds from 1ns to 3600s');
    expect(err(base('{ cpus: 1 }', '  - wait: 0.5ns\n')).message).toBe('s.yaml: ops[0].wait: 0.5ns must be a whole number of nanoseconds from 1ns to 3600s');
  });
});
