/**
 * The hash MMU in a pseries guest (ppc SPEC.md §3.3): no tlbie or tlbiel in the guest, the
 * hypervisor removes the HPTEs (H_REMOVE, H_BULK_REMOVE of up to 4). Hash, 64K pages: a PTE
 * table maps 16M, a THP is 16M (256 sub-pages).
 */
import { describe, expect, it } from 'vitest';
import { mmap, mprotect, munmap, touch } from '@tlbsim/core';
import { K64, M16, S, capture, instr, pages, rig, running } from './helpers.js';

const PSERIES = { mmu: 'hash', platform: 'pseries' } as const;
const RO = { read: true, write: false, exec: false };
const hpte = (va: number) => `hpte_invalidate va=0x${va.toString(16)}`;
const bulk = (n: number) => `hcall H_BULK_REMOVE entries=${n}`;

function guest(opts = {}, cpus = [0], n = 200) {
  const r = rig({ ...PSERIES, ...opts });
  running(r, cpus);
  const { m, mm } = r;
  m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M16 }));
  m.op('touch', 0, () => { for (const a of pages(S, n)) touch(m, mm, a); });
  return r;
}

describe('pseries hash guest: pSeries_lpar_flush_hash_range', () => {
  it.each([[[0]], [[0, 1]]])('zap of 200 PTEs on CPUs %j: batches of 192 and 8 = 48 + 2 H_BULK_REMOVE, no tlbie/tlbiel/ptesync', (cpus) => {
    const r = guest({}, cpus);
    const { m, mm } = r;
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 200 * K64)));
    const all = pages(S, 200);
    expect(f.seq).toEqual([
      ...all.slice(0, 192).map(hpte), ...Array.from({ length: 48 }, () => bulk(4)),
      ...all.slice(192).map(hpte), bulk(4), bulk(4),
    ]);
    expect(instr(m)).toEqual({ 'hcall H_BULK_REMOVE': 50 });
    expect(m.metrics.perCpu()[0].counters).toMatchObject({
      'hcall.H_BULK_REMOVE': 50, 'hcall.H_REMOVE': 0, hpte_invalidate: 200, hash_batch_flush: 2, tlbie: 0, tlbiel: 0, tlbie_fixup: 0,
    });
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });
  it('a batch of 5: one H_BULK_REMOVE of 4, one of 1', () => {
    const r = guest({}, [0], 5);
    const f = capture(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.mm, S, 5 * K64)));
    expect(f.seq).toEqual([...pages(S, 5).map(hpte), bulk(4), bulk(1)]);
  });
  it('one entry (flush_hash_page): one H_REMOVE, not a bulk call', () => {
    const r = guest({}, [0], 1);
    const f = capture(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.mm, S, K64)));
    expect(f.seq).toEqual([hpte(S), 'hcall H_REMOVE entries=1']);
    expect(instr(r.m)).toEqual({ 'hcall H_REMOVE': 1 });
  });
  it('bulk_remove=off (no FW_FEATURE_BULK_REMOVE): one H_REMOVE per HPTE, 200', () => {
    const r = guest({ bulkRemove: false });
    r.m.op('munmap', 0, () => munmap(r.m, r.mm, S, 200 * K64));
    expect(instr(r.m)).toEqual({ 'hcall H_REMOVE': 200 });
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('POWER9 in the guest: the errata default to ERAT+STQ (cputable), but no tlbie means no fix-up', () => {
    const r = guest({ cpu: 'power9' }, [0, 1], 4);
    expect(r.m.arch.options.p9Errata).toBe('erat+stq');
    r.m.op('munmap', 0, () => munmap(r.m, r.mm, S, 4 * K64));
    expect(instr(r.m)).toEqual({ 'hcall H_BULK_REMOVE': 1 });
  });
});

describe('pseries hash guest: pSeries_lpar_hugepage_invalidate', () => {
  const thp = (opts = {}) => {
    const r = rig({ ...PSERIES, ...opts });
    running(r, [0]);
    r.m.op('mmap', 0, () => mmap(r.m, r.mm, { addr: S, length: M16 }));
    r.m.op('touch', 0, () => touch(r.m, r.mm, S, { thp: true }));
    r.m.op('mprotect', 0, () => mprotect(r.m, r.mm, S, M16, RO));
    return r;
  };
  it('mprotect of a THP: 256 sub-pages in 21 groups of 12 and one of 4 = 21 x 3 + 1 = 64 H_BULK_REMOVE', () => {
    const r = thp();
    expect(instr(r.m)).toEqual({ 'hcall H_BULK_REMOVE': 64 });
    expect(r.m.metrics.perCpu()[0].counters.hpte_invalidate).toBe(256);
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('bulk_remove=off: 256 H_REMOVE', () => {
    expect(instr(thp({ bulkRemove: false }).m)).toEqual({ 'hcall H_REMOVE': 256 });
  });
});
