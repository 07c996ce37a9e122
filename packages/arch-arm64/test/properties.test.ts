/**
 * Properties of __flush_tlb_range over random ranges: the emitted operations tile the rounded
 * range exactly (ascending, no gap, no overlap), their count matches the kernel's bounds, and
 * the fall-back happens exactly at the version's limit.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Machine, tlbGatherMmu } from '@tlbsim/core';
import { MAX_TLBI_RANGE_PAGES, arm64, type Arm64Options } from '../src/index.js';
import { propertyParams, propertyTestTimeout } from '@tlbsim/core/testing';

interface Op { va: number; pages: number; range: boolean; op: string }

/** Flush [start, start + pages * 4K) as cleared PTEs and return the TLBIs (ASID fallback: null). */
function ops(opts: Arm64Options, start: number, pages: number): Op[] | null {
  const m = new Machine({ arch: arm64(opts), cpus: 2, trace: true, checker: false });
  const mm = m.createMm('A');
  m.addThread(mm, 'a', 0, 'running');
  m.op('flush', 0, () => {
    const g = tlbGatherMmu(m, mm);
    g.flushPteRange(start, pages * 0x1000);
    g.flushMmuTlbonly();
    g.finish();
  });
  const out: Op[] = [];
  for (const e of m.events) {
    if (e.name !== 'tlbi') continue;
    const a = e.args as Record<string, unknown>;
    if (a.op === 'ASIDE1IS') return null;
    out.push({ va: Number(a.va), pages: a.scale !== undefined ? Number(a.pages) : 1, range: a.scale !== undefined, op: String(a.op) });
  }
  return out;
}

function tiles(list: Op[], start: number, pages: number): boolean {
  let at = start;
  for (const o of list) {
    if (o.va !== at) return false;
    at += o.pages * 0x1000;
  }
  return at === start + pages * 0x1000;
}

describe('range operations', () => {
  it('tile the range exactly; at most 5 ops without LPA2 (4 scales + the odd page), with and without e2768b798a19 alike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TLBI_RANGE_PAGES - 1 }), fc.integer({ min: 1, max: 4096 }), fc.constantFrom('v6.6', 'v7.1'), (pages, startPage, kernel) => {
        const start = 0x40000000 + startPage * 0x1000;
        const list = ops({ tlbiRange: true, kernel: kernel as 'v7.1' }, start, pages)!;
        expect(list).not.toBeNull();
        expect(tiles(list, start, pages)).toBe(true);
        expect(list.length).toBeLessThanOrEqual(5);
        // one op per non-zero 5-bit digit above bit 0, plus the odd page
        let digits = pages & 1;
        for (let s = 0; s < 4; s++) if (Math.floor(pages / 2 ** (5 * s + 1)) % 32) digits++;
        expect(list.length).toBe(digits);
        // e2768b798a19 (6.9) puts the odd page last, 6.1-6.8 first
        if (pages & 1 && pages > 1) expect(list[kernel === 'v7.1' ? list.length - 1 : 0].range).toBe(false);
      }),
      propertyParams(150),
    );
  }, propertyTestTimeout());

  it('with LPA2: up to 15 alignment singles before the first range op, which starts 64K-aligned; at most 20 ops', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1 << 16 }), fc.integer({ min: 0, max: 4096 }), (pages, startPage) => {
        const start = 0x40000000 + startPage * 0x1000;
        const list = ops({ tlbiRange: true, lpa2: true, vaBits: 52 }, start, pages)!;
        expect(tiles(list, start, pages)).toBe(true);
        expect(list.length).toBeLessThanOrEqual(20);
        const firstRange = list.findIndex((o) => o.range);
        if (firstRange >= 0) {
          expect(list[firstRange].va % 0x10000).toBe(0);
          expect(firstRange).toBeLessThanOrEqual(15);
        }
      }),
      propertyParams(100),
    );
  }, propertyTestTimeout());

  it('without range ops: one VALE1IS per page below MAX_DVM_OPS (512), the ASID at or above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), (pages) => {
        const list = ops({}, 0x40000000, pages);
        if (pages >= 512) expect(list).toBeNull();
        else expect(list!.map((o) => o.va)).toEqual(Array.from({ length: pages }, (_, i) => 0x40000000 + i * 0x1000));
      }),
      propertyParams(60),
    );
  }, propertyTestTimeout());
});
