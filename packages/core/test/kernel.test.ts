import { describe, expect, it } from 'vitest';
import {
  KernelError, MAINLINE_RELEASE, Machine, defineKernelFeatures, findKernelFeature, formatRelease, generic,
  kernelFeatures, parseRelease, releaseCarries, resolveKernel,
} from '../src/index.js';

const [backported, late] = defineKernelFeatures([
  { id: 'feed0000aa', name: 'test-backported', title: 'a change backported to 6.18.13', mainline: '6.19', backports: { '6.18': 13 }, packages: ['core'] },
  { id: 'feed0000bb', name: 'test-late', title: 'a change of 7.0', mainline: '7.0', packages: ['core'] },
] as const);

describe('kernel releases', () => {
  it('parses mainline and stable releases alike, with or without v', () => {
    expect(parseRelease('v6.15')).toEqual({ major: 6, minor: 15, patch: 0 });
    expect(parseRelease('6.18.44')).toEqual({ major: 6, minor: 18, patch: 44 });
    expect(formatRelease(parseRelease('mainline'))).toBe(MAINLINE_RELEASE);
  });
  it('refuses a release older than 6.1 by naming the oldest', () => {
    expect(() => parseRelease('5.15')).toThrow(new KernelError('kernel 5.15 is older than the oldest modelled release, 6.1'));
    expect(() => parseRelease('7.9')).toThrow(/newer than the newest modelled release/);
    expect(() => parseRelease('six')).toThrow(/not a kernel release: 'six'/);
  });
  it('a stable release carries a backport from its patch level on', () => {
    expect(releaseCarries(parseRelease('6.18'), backported)).toBe(false);
    expect(releaseCarries(parseRelease('6.18.12'), backported)).toBe(false);
    expect(releaseCarries(parseRelease('6.18.13'), backported)).toBe(true);
    expect(releaseCarries(parseRelease('6.19'), backported)).toBe(true);
    expect(releaseCarries(parseRelease('6.12.99'), backported)).toBe(false);
  });
  it('+ID adds and -ID removes a feature, by id, prefix or name', () => {
    const k = resolveKernel('6.1', ['+feed0000aa', '-test-late']);
    expect(k.has(backported)).toBe(true);
    expect(k.has(late)).toBe(false);
    expect(k.label).toBe('6.1 +feed0000aa -feed0000bb');
    expect(resolveKernel('7.1', ['-feed0000']).has(backported)).toBe(false);
    expect(findKernelFeature('test-late')).toBe(late);
    expect(() => resolveKernel('7.1', ['nope'])).toThrow(/must start with \+ \(add\) or - \(remove\)/);
    expect(() => resolveKernel('7.1', ['+nope'])).toThrow(/unknown kernel feature 'nope'/);
  });
  it('lists features oldest release first', () => {
    const ids = kernelFeatures().map((f) => f.id);
    expect(ids.indexOf('feed0000aa')).toBeLessThan(ids.indexOf('feed0000bb'));
  });
  it('a machine models mainline unless told, and resolves the release it is given', () => {
    expect(new Machine({ arch: generic(), cpus: 1 }).kernel.label).toBe(MAINLINE_RELEASE);
    const m = new Machine({ arch: generic(), cpus: 1, kernel: '6.18.13', features: ['-feed0000aa'] });
    expect(m.kernel.label).toBe('6.18.13 -feed0000aa');
    expect(m.kernel.has(backported)).toBe(false);
  });
});
