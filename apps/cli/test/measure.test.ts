import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '@tlbsim/tracefs';
import { comparePhases, majority } from '../src/measure/compare.js';
import { interpretHost, kernelOf } from '../src/measure/host.js';
import { cutPhases } from '../src/measure/phases.js';
import { measureParams, predict } from '../src/measure/predict.js';
import { load } from '../src/measure/saved.js';
import { fixture, tlbsimIn } from './helpers.js';

const rec = (name: string) => fixture(join('measure', name));
const SEND8 = ['TLB_REMOTE_SEND_IPI pages=8', 'IPI -> 1', 'TLB_LOCAL_MM_SHOOTDOWN pages=8'];
const RECV8 = ['IPI <- flush_tlb_func', 'TLB_REMOTE_SHOOTDOWN pages=8'];

/** The built CLI's dispatcher in this worker: what `tlbsim measure` prints and its exit status (a saved measurement or a refusal; nothing here runs natively). */
const tlbsim = (args: string[]) => tlbsimIn(args);

describe('cutPhases on a recording (munmap, 8 pages, spinning peer, 25 iterations)', () => {
  const runs = cutPhases(parseTrace(load(rec('munmap-8-spin')).trace), 2);

  it('finds each operation of each iteration, in order', () => {
    expect(runs).toHaveLength(75);
    expect(runs.slice(0, 4).map((r) => [r.iteration, r.name])).toEqual([[0, 'mmap'], [0, 'touch'], [0, 'munmap'], [1, 'mmap']]);
    expect(runs.every((r) => r.disturbed.length === 0 && r.unmodelled.length === 0)).toBe(true);
  });

  it('keeps the flushes and IPIs per CPU, dropping the local csd call', () => {
    const m = runs.filter((r) => r.name === 'munmap');
    expect(m).toHaveLength(25);
    for (const r of m) expect(r.steps).toEqual({ 0: SEND8, 1: RECV8 });
    expect(runs.filter((r) => r.name !== 'munmap').every((r) => Object.keys(r.steps).length === 0)).toBe(true);
  });
});

describe('cutPhases flags disturbed runs', () => {
  const runs = cutPhases(parseTrace(load(rec('munmap-8-spin-other-loaded')).trace), 2).filter((r) => r.name === 'munmap');

  it('a spinning peer found off its CPU: the kernel then sends no IPI', () => {
    const off = runs.filter((r) => r.disturbed.some((d) => /spinning thread \d+ was off its CPU/.test(d)));
    expect(off).toHaveLength(127);
    // no IPI when the peer's CPU runs another mm: mm_cpumask keeps the bit, should_flush_tlb says no
    const noIpi = off.filter((r) => !r.steps[1]);
    expect(noIpi.filter((r) => r.steps[0].join(';') === 'TLB_REMOTE_SEND_IPI pages=8;TLB_LOCAL_MM_SHOOTDOWN pages=8')).toHaveLength(94);
    // ...except the once-a-second trimming flush, which IPIs the stale CPU to clear its bit
    expect(off.filter((r) => r.steps[1]).map((r) => [r.iteration, r.steps])).toEqual([[90, { 0: SEND8, 1: ['IPI <- flush_tlb_func', 'TLB_REMOTE_WRONG_CPU pages=0'] }]]);
    // after which the flushes stay local until the peer runs on CPU1 again (iteration 123)
    const local = noIpi.filter((r) => r.steps[0].join(';') === 'TLB_LOCAL_MM_SHOOTDOWN pages=8').map((r) => r.iteration);
    expect(local).toEqual(Array.from({ length: 32 }, (_, i) => 91 + i));
    const clean = runs.filter((r) => r.disturbed.length === 0);
    expect(clean).toHaveLength(72);
    expect(clean.every((r) => r.steps[1]?.join(';') === RECV8.join(';'))).toBe(true);
  });

  it('the majority is taken over the undisturbed runs only', () => {
    const [c] = comparePhases([{ name: 'munmap', steps: { 0: SEND8, 1: RECV8 } }], runs);
    expect(c.match).toBe(true);
    expect(c.agreement).toEqual({ agreed: 72, runs: 200, disturbed: 128, other: 0 });
    // over all runs the disturbed sequence would have won
    expect(majority(runs)!.steps).toEqual({ 0: ['TLB_REMOTE_SEND_IPI pages=8', 'TLB_LOCAL_MM_SHOOTDOWN pages=8'] });
  });
});

describe('comparePhases on the recordings', () => {
  const compare = (name: string) => {
    const s = load(rec(name));
    return comparePhases(s.prediction.phases, cutPhases(parseTrace(s.trace), s.meta.params.cpus as number));
  };

  it('munmap with a sleeping peer: no IPI at all, as tlbsim predicts', () => {
    const c = compare('munmap-8-sleep');
    expect(c.map((p) => [p.name, p.match])).toEqual([['mmap', true], ['touch', true], ['munmap', true]]);
    expect(c[2].kernel).toEqual({ 0: ['TLB_REMOTE_SEND_IPI pages=8', 'TLB_LOCAL_MM_SHOOTDOWN pages=8'] });
  });

  it('munmap with a sleeping peer, aligned: only the first run IPIs the stale CPU, then flushes stay local', () => {
    const s = load(rec('munmap-8-sleep-aligned'));
    const runs = cutPhases(parseTrace(s.trace), 2).filter((r) => r.name === 'munmap');
    const [c] = comparePhases(s.prediction.phases.filter((p) => p.name === 'munmap'), runs);
    expect(c.match).toBe(true);
    expect(c.kernel).toEqual({ 0: ['TLB_LOCAL_MM_SHOOTDOWN pages=8'] });
    expect(c.agreement).toEqual({ agreed: 24, runs: 25, disturbed: 0, other: 1 });
    // freed page tables: every CPU in mm_cpumask gets the IPI; CPU1 runs another mm and drops its bit
    expect(runs[0].steps).toEqual({ 0: SEND8, 1: ['IPI <- flush_tlb_func', 'TLB_REMOTE_WRONG_CPU pages=0'] });
    expect(c.variants).toEqual([{ steps: runs[0].steps, runs: 1 }]);
  });

  it('mremap: the moved region is unmapped with an 8-page flush, tlbsim flushes all (the model frees its page table)', () => {
    const c = compare('mremap-8-spin');
    expect(c.map((p) => [p.name, p.match])).toEqual([['mmap', true], ['touch', true], ['mremap', true], ['munmap', false]]);
    expect(c[3].agreement).toEqual({ agreed: 25, runs: 25, disturbed: 0, other: 0 });
    expect(c[3].differences).toEqual([
      { cpu: 0, kernel: SEND8, tlbsim: ['TLB_REMOTE_SEND_IPI pages=all', 'IPI -> 1', 'TLB_LOCAL_MM_SHOOTDOWN pages=all'] },
      { cpu: 1, kernel: RECV8, tlbsim: ['IPI <- flush_tlb_func', 'TLB_REMOTE_SHOOTDOWN pages=all'] },
    ]);
  });

  it('exit: another process takes CPU1 after its thread exits, so the final flush finds the wrong CPU', () => {
    const c = compare('exit-64');
    expect(c.map((p) => [p.name, p.match, p.agreement.agreed, p.agreement.disturbed, p.agreement.other])).toEqual([
      ['mmap', true, 25, 0, 0],
      ['touch', true, 25, 0, 0],
      ['exit', false, 14, 25, 0],
      ['exit#2', false, 17, 0, 8],
    ]);
    expect(c[2].disturbances.reduce((n, d) => n + d.runs, 0)).toBe(25);
    expect(c[2].disturbances.every((d) => / ran after measure-helper- left \(the model idles the CPU\)$/.test(d.reason))).toBe(true);
    expect(c[3].kernel[1]).toEqual(['IPI <- flush_tlb_func', 'TLB_REMOTE_WRONG_CPU pages=0']);
    expect(c[3].tlbsim[1]).toEqual(['IPI <- flush_tlb_func', 'TLB_FLUSH_ON_TASK_SWITCH pages=0']);
  });
});

describe('the prediction and the host facts', () => {
  const facts = interpretHost(load(rec('munmap-8-spin')).meta.host);

  it('models the recording host from its saved facts', () => {
    expect(facts.options).toEqual({ kernel: 'v6.15', pcid: true, invpcid: true, invlpgb: false, pti: false, paravirt: 'kvm' });
    expect(facts.used).toHaveLength(6);
    expect(kernelOf('6.14.2').kernel).toBe('v6.14');
    expect(kernelOf('5.15.0-91-generic').kernel).toBe('v6.13');
    expect(kernelOf('4.19.0').note).toMatch(/older than 5\.13/);
  });

  it('predicts one steady-state iteration, cut into its operations', () => {
    const p = predict('munmap', measureParams('munmap', ['pages=8'], 2), facts);
    expect(p.label).toBe('x86-64 v6.15 (PCID, no PTI, KVM PV flush)');
    expect(p.phases).toEqual([
      { name: 'mmap', steps: {} },
      { name: 'touch', steps: {} },
      { name: 'munmap', steps: { 0: SEND8, 1: RECV8 } },
    ]);
    const e = predict('exit', measureParams('exit', [], 2), facts);
    expect(e.phases.map((x) => x.name)).toEqual(['mmap', 'touch', 'exit', 'exit#2']);
  });
});

describe('tlbsim measure --from', () => {
  it('prints the kernel beside tlbsim with MATCH and the agreement, exit 0', async () => {
    const r = await tlbsim(['measure', '--from', rec('munmap-8-spin')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('tlbsim measure munmap: cpus=2 pages=8 peer=spin aligned=false; 25 iterations, worker and peers SCHED_FIFO');
    expect(lines.slice(lines.indexOf('') + 1)).toEqual([
      'phase   CPU  kernel (majority)               tlbsim                          result',
      'mmap    -    (none)                          (none)                          MATCH (25/25 agreed)',
      'touch   -    (none)                          (none)                          MATCH (25/25 agreed)',
      'munmap  0    TLB_REMOTE_SEND_IPI pages=8     TLB_REMOTE_SEND_IPI pages=8     MATCH (25/25 agreed)',
      '             IPI -> 1                        IPI -> 1',
      '             TLB_LOCAL_MM_SHOOTDOWN pages=8  TLB_LOCAL_MM_SHOOTDOWN pages=8',
      '        1    IPI <- flush_tlb_func           IPI <- flush_tlb_func',
      '             TLB_REMOTE_SHOOTDOWN pages=8    TLB_REMOTE_SHOOTDOWN pages=8',
      '',
      '3 of 3 phases MATCH.',
      '',
    ]);
  });

  it('json: phases[] with name, kernel, tlbsim, match, agreement; exit 1 when a phase differs', async () => {
    const r = await tlbsim(['measure', '--from', rec('mremap-8-spin'), '--format', 'json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.match).toBe(false);
    expect(d.phases.map((p: { name: string }) => p.name)).toEqual(['mmap', 'touch', 'mremap', 'munmap']);
    expect(d.phases[3]).toMatchObject({
      name: 'munmap',
      match: false,
      agreement: { agreed: 25, runs: 25, disturbed: 0, other: 0 },
      kernel: [{ cpu: 0, events: SEND8 }, { cpu: 1, events: RECV8 }],
    });
    expect(d.phases[3].tlbsim[0].events[0]).toBe('TLB_REMOTE_SEND_IPI pages=all');
  });

  it('is byte-identical run to run', async () => {
    const [a, b] = await Promise.all([tlbsim(['measure', '--from', rec('exit-64')]), tlbsim(['measure', '--from', rec('exit-64')])]);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('\nexit: 13 runs disturbed: CPU1: esbuild ran after measure-helper- left (the model idles the CPU)\n');
  });
});

describe('tlbsim measure refuses bad input in one line, exit 2', () => {
  const cases: [string[], string][] = [
    [['--workload', 'reclaim'], 'tlbsim: error: workload reclaim has no native equivalent to measure; measurable workloads: munmap, madvise-dontneed, madvise-free, mprotect, mremap, exit'],
    [['--workload', 'munmpa'], 'tlbsim: error: unknown workload "munmpa" (did you mean "munmap"?)'],
    [['--workload', 'munmap', '--set', 'iterations=3'], 'tlbsim: error: measure: give the repetitions as --iterations N, not --set iterations=N'],
    [['--workload', 'munmap', '--set', 'cpus=64'], "tlbsim: error: measure: cpus=64 is more than this machine's"],
    [['--workload', 'munmap', '--iterations', '0'], 'tlbsim: error: --iterations must be an integer from 1 to 10000, got "0"'],
    [['--from', '/nonexistent-tlbsim-dir'], 'tlbsim: error: --from /nonexistent-tlbsim-dir: cannot read measure.json: no such file'],
    [['--from', 'x', '--workload', 'munmap'], 'tlbsim: error: --from x compares a saved measurement: --workload cannot be given with it'],
    [[], 'tlbsim: error: tlbsim measure needs --workload NAME'],
  ];
  for (const [args, start] of cases) {
    it(args.join(' ') || '(nothing)', async () => {
      const r = await tlbsim(['measure', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.startsWith(start)).toBe(true);
    });
  }
});

it('the recordings README names the command of every recording', () => {
  const readme = readFileSync(fixture('measure/README.md'), 'utf8');
  for (const d of ['munmap-8-spin', 'munmap-8-sleep', 'munmap-8-sleep-aligned', 'mremap-8-spin', 'exit-64', 'munmap-8-spin-other-loaded']) {
    expect(readme).toContain(`--save apps/cli/test/fixtures/measure/${d}\``);
  }
});
