/**
 * The allocator's run forms (the populate loop's Frames.mapAnonPtes, the batch free's
 * freeEach and releaseKind + listReleased) leave exactly the state their one-frame forms leave:
 * the same frames for the same entries, the same words, counters and free-list order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLIO_ANON, FrameKind, Frames } from '../src/index.js';
import { mkPte } from '../src/machine/pte.js';
import { propertyParams } from '../src/testing/index.js';

/** Every observable of frames 0..n: kind, flags, refcount, mapcount; and the counters. */
function state(fr: Frames, n: number): number[] {
  const r = [fr.allocated, fr.freedTotal, fr.spilled];
  for (let f = 0; f < n; f++) r.push(fr.kindOf(f), fr.flagsOf(f), fr.refcountOf(f), fr.mapcountOf(f));
  return r;
}

/** The next `k` order-0 allocations (what the free list hands out, in order). */
function nextFrames(fr: Frames, k: number): number[] {
  return Array.from({ length: k }, () => fr.alloc(FrameKind.Data));
}

const step = fc.record({
  // entries of a 64-entry table: 0 = absent, else present with some frame
  present: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  room: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 70 })),
  frees: fc.integer({ min: 0, max: 40 }),
});

describe('Frames run forms', () => {
  it('mapAnonPtes maps each absent entry as alloc + FOLIO_ANON + mapcount 1 would, until room runs out', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        const a = new Frames();
        const b = new Frames();
        const live: number[] = [];
        for (const s of steps) {
          const ea = new Int32Array(64);
          const eb = new Int32Array(64);
          for (let i = 0; i < 64; i++) if (s.present[i]) ea[i] = eb[i] = mkPte(5, 0);
          const bits = 4;
          const stop = a.mapAnonPtes(ea, 0, 64, bits, s.room);
          // the one-frame form: the populate loop as it was
          let i = 0;
          for (let n = 0; i < 64; i++) {
            if (eb[i] !== 0) continue;
            if (n >= s.room) break;
            const f = b.alloc(FrameKind.Data);
            b.setFlags(f, FOLIO_ANON);
            b.setMapcount(f, 1);
            eb[i] = mkPte(f, bits);
            live.push(f);
            n++;
          }
          expect(stop).toBe(i);
          expect([...ea]).toEqual([...eb]);
          // free some of what is live, the same ones in the same order in both
          for (let k = 0; k < s.frees && live.length; k++) {
            const f = live.splice((k * 7) % live.length, 1)[0];
            a.free(f);
            b.free(f);
          }
          expect(state(a, 600)).toEqual(state(b, 600));
        }
        expect(nextFrames(a, 20)).toEqual(nextFrames(b, 20));
      }),
      propertyParams(100),
    );
  });

  it('freeEach and releaseKind + listReleased free the frames of a batch as free() one by one does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), fc.array(fc.nat(), { maxLength: 600 }), (count, picks) => {
        const mk = () => {
          const fr = new Frames();
          const frames = new Int32Array(count);
          for (let k = 0; k < count; k++) frames[k] = fr.alloc(FrameKind.Data);
          return { fr, frames };
        };
        // slots freed: distinct indices, in the order picked
        const idx = Int32Array.from(new Set(picks.map((p) => p % count)));
        const one = mk();
        for (const k of idx) one.fr.free(one.frames[k]);
        const each = mk();
        each.fr.freeEach(each.frames, idx, idx.length);
        const split = mk();
        expect(split.fr.allOrder0).toBe(true);
        for (const k of idx) split.fr.releaseKind(split.frames[k]);
        split.fr.listReleased(split.frames, idx, idx.length);
        const want = state(one.fr, count + 2);
        expect(state(each.fr, count + 2)).toEqual(want);
        expect(state(split.fr, count + 2)).toEqual(want);
        expect(each.fr.heapBytes()).toBe(one.fr.heapBytes());
        expect(split.fr.heapBytes()).toBe(one.fr.heapBytes());
        const next = nextFrames(one.fr, idx.length + 2);
        expect(nextFrames(each.fr, idx.length + 2)).toEqual(next);
        expect(nextFrames(split.fr, idx.length + 2)).toEqual(next);
      }),
      propertyParams(200),
    );
  });
});
