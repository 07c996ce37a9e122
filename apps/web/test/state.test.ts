import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, parseHash, splitArches, toHash } from '../src/state.js';
import { prepare, simulate } from '../src/simulate.js';

describe('the URL fragment is the whole state', () => {
  it('round-trips a workload comparison', () => {
    const s = parseHash('#workload=munmap&pages=64&cpus=4&arch=x86,arm64:tlbiRange=on,granule=64k,ppc&kernel=6.1');
    expect(s).toEqual({ workload: 'munmap', params: { pages: '64', cpus: '4' }, arches: ['x86', 'arm64:tlbiRange=on,granule=64k', 'ppc'], kernel: '6.1', scenario: null });
    expect(parseHash(toHash(s))).toEqual(s);
  });
  it('an empty fragment is the default comparison', () => {
    expect(parseHash('')).toEqual(DEFAULT_STATE);
    expect(toHash(DEFAULT_STATE)).toBe('#workload=munmap&pages=64&cpus=4&arch=x86%2Carm64%2Cppc%2Criscv');
  });
  it('a scenario travels as its text', () => {
    const s = { ...DEFAULT_STATE, scenario: 'machine: { cpus: 2 }\n' };
    expect(parseHash(toHash(s)).scenario).toBe('machine: { cpus: 2 }\n');
  });
  it('splits --arch specs at architecture names only', () => {
    expect(splitArches('x86:pti=on,pcid=off,riscv')).toEqual(['x86:pti=on,pcid=off', 'riscv']);
  });
});

describe('the worker computes what tlbsim compare computes', () => {
  it('munmap of 64 pages on 4 CPUs: x86 flushes everything on each CPU (past the 33-page ceiling), one IPI to each of the 3 others', () => {
    const { job, variants } = prepare({ id: 1, job: { kind: 'workload', workload: 'munmap', sets: ['pages=64', 'cpus=4'] }, arches: ['x86'], kernel: '', eventLimit: 10 });
    const r = simulate(1, job, variants[0], 10);
    const v = Object.fromEntries(r.metrics.map((m) => [m.key, m.value]));
    expect([v.ipis, v.fullFlushes, v.violations]).toEqual([3, 4, 0]);
    expect(r.events).toHaveLength(10);
    expect(r.droppedEvents).toBeGreaterThan(0);
  });
  it('the kernel is the machine\'s (as --kernel): hugetlb follows it too, 6.1 sends no unshare broadcast, mainline one', () => {
    const broadcasts = (kernel: string) => {
      const { job, variants } = prepare({ id: 1, job: { kind: 'workload', workload: 'hugetlb-share', sets: ['gib=4'] }, arches: ['x86'], kernel, eventLimit: 0 });
      return simulate(1, job, variants[0], 0).metrics.find((m) => m.key === 'ipiBroadcasts')?.value;
    };
    expect([broadcasts('6.1'), broadcasts('6.18'), broadcasts('')]).toEqual([0, 4, 1]);
    expect(() => broadcasts('5.15')).toThrow('kernel 5.15: kernel 5.15 is older than the oldest modelled release, 6.1');
  });
  it('a bad input is the CLI\'s error', () => {
    expect(() => prepare({ id: 1, job: { kind: 'workload', workload: 'munmpa', sets: [] }, arches: ['x86'], kernel: '', eventLimit: 10 })).toThrow(/^unknown workload "munmpa" \(did you mean "munmap"\?\)/);
  });
});
