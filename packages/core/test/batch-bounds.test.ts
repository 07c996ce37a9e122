/**
 * The checker's per-batch fast path with the bounds a page batch keeps as slots are queued
 * (a superset of the freed slots' own): the same findings and counts as with the exact bounds,
 * whatever the TLB model holds; and the bounds a gather keeps cover every slot it queued.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Machine, generic, mmap, munmap, touch } from '../src/index.js';
import { bitMask, bitNames, gatherBits } from '../src/arch/asm-generic-tlb.js';
import type { GatherView } from '../src/arch/contract.js';
import { PageBatch } from '../src/gather/page-batch.js';
import { propertyParams } from '../src/testing/index.js';

const PS = 4096;
const inv = fc.record({
  cpu: fc.integer({ min: 0, max: 1 }),
  start: fc.integer({ min: 0, max: 64 }),
  len: fc.integer({ min: 1, max: 64 }),
  stride: fc.constantFrom(1, 2, 4),
  leaf: fc.boolean(),
  deferred: fc.boolean(),
});
const slot = fc.record({ page: fc.integer({ min: 0, max: 63 }), shift: fc.constantFrom(12, 13, 21), at: fc.integer({ min: 0, max: 12 }) });

function machine() {
  const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true } }), cpus: 2 });
  const mm = m.createMm('p');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  return { m, mm };
}

describe('page batch bounds', () => {
  it('pagesFreed with a superset of the exact bounds answers as with none', () => {
    let found = 0;
    fc.assert(
      fc.property(fc.array(inv, { maxLength: 12 }), fc.array(slot, { minLength: 1, maxLength: 20 }), fc.nat(8), fc.nat(8), fc.nat(3), (invs, slots, wLo, wHi, wEp) => {
        const runs = [false, true].map((kept) => {
          const { m, mm } = machine();
          const t0 = m.tlb.epoch;
          const b = new PageBatch(32, -1);
          const stamps: number[] = [];
          for (const v of invs) {
            m.tlb.invalidate(v.cpu, mm, { start: v.start * PS, end: (v.start + v.len) * PS, stride: v.stride * PS, leaf: v.leaf, walk: !v.leaf }, true, v.deferred);
            stamps.push(m.tlb.epoch);
          }
          const idx = new Int32Array(slots.length);
          slots.forEach((s, k) => {
            const t = s.at === 0 || stamps.length === 0 ? t0 : stamps[(s.at - 1) % stamps.length];
            b.frame[k] = k + 1;
            b.addr[k] = s.page * PS;
            b.sizeShift[k] = s.shift;
            b.epoch[k] = t;
            b.cover(s.page * PS, s.page * PS + 2 ** s.shift, t, s.shift);
            idx[k] = k;
          });
          // wider still, as pages queued but not freed would make them
          b.cover(b.lo - wLo * PS, b.hi + wHi * PS, b.maxEpoch + wEp, wLo % 2 ? 12 : 21);
          m.checker.pagesFreed(mm, idx, slots.length, b.addr, b.sizeShift, b.epoch, undefined, kept ? b : undefined);
          return { v: m.metrics.violations.map((x) => [x.cpu, x.address, x.affected, x.what, x.flush]), e: m.checker.exercised() };
        });
        expect(runs[1]).toEqual(runs[0]);
        if (runs[0].v.length) found++;
      }),
      propertyParams(300),
    );
    // the property saw batches with stale translations, not only cleared ones
    expect(found).toBeGreaterThan(0);
  });

  it("a gather's batches keep bounds that cover every slot queued", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ page: fc.integer({ min: 0, max: 1500 }), n: fc.integer({ min: 1, max: 600 }) }), { minLength: 1, maxLength: 4 }), (zaps) => {
        const { m, mm } = machine();
        const base = 0x7f0000000000;
        const len = 2100 * PS;
        m.op('mmap', 0, () => mmap(m, mm, { addr: base, length: len }));
        m.op('touch', 0, () => {
          for (let a = base; a < base + len; a += PS) touch(m, mm, a);
        });
        // watch every batch the checker is handed: its kept bounds hold each freed slot
        const c = m.checker;
        const orig = c.pagesFreed.bind(c);
        let seen = 0;
        c.pagesFreed = (mm2, idx, count, addr, sh, ep, g, kept) => {
          if (kept) {
            for (let k = 0; k < count; k++) {
              const i = idx[k];
              expect(addr[i]).toBeGreaterThanOrEqual(kept.lo);
              expect(addr[i] + 2 ** sh[i]).toBeLessThanOrEqual(kept.hi);
              expect(ep[i]).toBeLessThanOrEqual(kept.maxEpoch);
              expect(sh[i]).toBeGreaterThanOrEqual(kept.minShift);
              seen++;
            }
          }
          orig(mm2, idx, count, addr, sh, ep, g, kept);
        };
        for (const z of zaps) m.op('munmap', 0, () => munmap(m, mm, base + z.page * PS, z.n * PS));
        expect(m.metrics.violations).toEqual([]);
        expect(seen).toBe(m.metrics.pagesFreed);
      }),
      propertyParams(30),
    );
  });

  it("a flush note's bit mask names exactly the gather's set flags, by their kernel names, in order", () => {
    const keys = [
      ['fullmm', 'fullmm'], ['needFlushAll', 'need_flush_all'], ['freedTables', 'freed_tables'], ['clearedPtes', 'cleared_ptes'],
      ['clearedPmds', 'cleared_pmds'], ['clearedPuds', 'cleared_puds'], ['clearedP4ds', 'cleared_p4ds'], ['unsharedTables', 'unshared_tables'],
    ] as const;
    for (let set = 0; set < 256; set++) {
      const g = Object.fromEntries(keys.map(([k], b) => [k, (set & (1 << b)) !== 0])) as unknown as GatherView;
      const want = keys.filter((_, b) => set & (1 << b)).map(([, name]) => name);
      expect(gatherBits(g)).toEqual(want);
      expect(bitNames(bitMask(g))).toBe(want.join(','));
    }
  });
});
