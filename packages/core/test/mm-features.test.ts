/**
 * The generic mm features of the kernel axis (kernel/mm-features.ts, core SPEC.md §12.1): what
 * each changes, with exact counts.
 */
import { describe, expect, it } from 'vitest';
import { Machine, generic, madvise, mmap, touch, type Mm } from '../src/index.js';

const S = 0x40000000;
const P = 4096;
const MB2 = 2 ** 21;

/** two anonymous VMAs of 4 touched pages, 2 MiB apart; MADV_* over both in one call */
function twoVmas(kernel: string, advice: 'dontneed' | 'free', kconfig = { MMU_GATHER_MERGE_VMAS: true }, features: string[] = []): { flushes: number; m: Machine; A: Mm } {
  const m = new Machine({ arch: generic({ kconfig }), cpus: 2, kernel, features });
  const A = m.createMm('A');
  m.addThread(A, 'A0', 0, 'running');
  m.addThread(A, 'A1', 1, 'running');
  m.op('mmap', 0, () => {
    mmap(m, A, { addr: S, length: 4 * P });
    mmap(m, A, { addr: S + MB2, length: 4 * P, write: false });
  });
  m.op('touch', 0, () => { for (const b of [S, S + MB2]) for (let i = 0; i < 4; i++) touch(m, A, b + i * P, { write: b === S }); });
  const f = m.metrics.summary().flushes;
  m.op('madvise', 0, () => madvise(m, A, S, MB2 + 4 * P, advice));
  return { flushes: m.metrics.summary().flushes - f, m, A };
}

describe('43c4cfde7e37 madvise-dontneed-one-gather', () => {
  it('MERGE_VMAS: one flush for two VMAs from 6.16, one per VMA before', () => {
    expect(twoVmas('6.16', 'dontneed').flushes).toBe(1);
    expect(twoVmas('6.15', 'dontneed').flushes).toBe(2);
    expect(twoVmas('7.1', 'dontneed', { MMU_GATHER_MERGE_VMAS: true }).flushes).toBe(1);
  });
  it('removing it from 7.1 gives the per-VMA flushes back', () => {
    const r = twoVmas('7.1', 'dontneed', { MMU_GATHER_MERGE_VMAS: true }, ['-madvise-dontneed-one-gather']);
    expect(r.m.kernel.label).toBe('7.1 -43c4cfde7e37');
    expect(r.flushes).toBe(2);
  });
  it('without MERGE_VMAS each VMA flushes at tlb_end_vma either way', () => {
    expect(twoVmas('6.16', 'dontneed', { MMU_GATHER_MERGE_VMAS: false }).flushes).toBe(2);
    expect(twoVmas('6.15', 'dontneed', { MMU_GATHER_MERGE_VMAS: false }).flushes).toBe(2);
  });
});

describe('01bef02bf930 madvise-free-one-gather', () => {
  it('MERGE_VMAS: one flush for two VMAs from 6.16, one per VMA before', () => {
    expect(twoVmas('6.16', 'free').flushes).toBe(1);
    expect(twoVmas('6.15', 'free').flushes).toBe(2);
  });
});
