/**
 * The page allocator's packed layout (core SPEC.md §1, memory layout): its size per frame, and
 * that the small count fields with their overflow Maps behave exactly like plain arrays.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FOLIO_ANON, FOLIO_DIRTY, FrameKind, Frames } from '../src/index.js';
import { propertyParams, propertyTestTimeout } from '../src/testing/index.js';

/** The reference: one plain typed array per field (refcount Int32, mapcount Uint16), LIFO reuse. */
class PlainFrames {
  refcount = new Int32Array(4096);
  mapcount = new Uint16Array(4096);
  kind = new Uint8Array(4096);
  flags = new Uint8Array(4096);
  order = new Map<number, number>();
  free: number[] = [];
  next = 1;
  alloc(kind: number, order: number): number {
    const f = order === 0 && this.free.length ? this.free.pop()! : this.next;
    if (f === this.next) this.next += 1 << order;
    for (let i = 0; i < 1 << order; i++) {
      this.kind[f + i] = kind;
      this.refcount[f + i] = 0;
      this.mapcount[f + i] = 0;
      this.flags[f + i] = 0;
    }
    if (order) this.order.set(f, order);
    this.refcount[f] = 1;
    return f;
  }
  release(f: number): void {
    const order = this.order.get(f) ?? 0;
    this.order.delete(f);
    for (let i = 0; i < 1 << order; i++) this.kind[f + i] = FrameKind.Free;
    if (order === 0) this.free.push(f);
  }
}

const COUNT = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.integer({ min: -70000, max: 70000 }), fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 255, 256, 65535, 65536));
const DELTA = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -40, max: 40 }), fc.constantFrom(1, -1, 2 ** 31 - 1));
const op = fc.oneof(
  fc.record({ o: fc.constant('alloc' as const), kind: fc.constantFrom(FrameKind.Data, FrameKind.Table, FrameKind.Batch), order: fc.constantFrom(0, 0, 0, 1, 2) }),
  fc.record({ o: fc.constant('free' as const), i: fc.nat() }),
  fc.record({ o: fc.constantFrom('setRef' as const, 'setMap' as const), i: fc.nat(), v: COUNT }),
  fc.record({ o: fc.constantFrom('addRef' as const, 'addMap' as const), i: fc.nat(), v: DELTA }),
  fc.record({ o: fc.constantFrom('setFlags' as const, 'addFlags' as const), i: fc.nat(), v: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ o: fc.constant('dropRef' as const), i: fc.nat() }),
  fc.record({ o: fc.constant('zapMapcount' as const), i: fc.nat(), dirty: fc.boolean() }),
);

describe('Frames', () => {
  it('holds 2 bytes per frame plus at most 1/8 growth slack and the free list', () => {
    const fr = new Frames();
    const n = 1 << 20;
    for (let i = 0; i < n; i++) fr.alloc(i % 512 === 0 ? FrameKind.Table : FrameKind.Data);
    expect(fr.allocated).toBe(n);
    // frame 0 is reserved; the words grow to the first size past the last frame
    expect(fr.capacity).toBeGreaterThan(n);
    expect(fr.capacity).toBeLessThanOrEqual(Math.ceil((n + 1) * 1.125));
    expect(fr.heapBytes()).toBe(2 * fr.capacity + 256 * 4);
    expect(fr.heapBytes() / n).toBeLessThan(2.26);
    expect(fr.spilled).toBe(0);
  });

  it('keeps refcount an Int32 and mapcount a Uint16 past the small fields, and gives the Map back', () => {
    const fr = new Frames();
    const f = fr.alloc(FrameKind.Data);
    fr.setFlags(f, FOLIO_ANON | FOLIO_DIRTY);
    for (let i = 0; i < 300; i++) {
      fr.addRefcount(f, 1);
      fr.addMapcount(f, 1);
    }
    expect([fr.refcountOf(f), fr.mapcountOf(f), fr.flagsOf(f), fr.kindOf(f), fr.spilled]).toEqual([301, 300, FOLIO_ANON | FOLIO_DIRTY, FrameKind.Data, 2]);
    for (let i = 0; i < 300; i++) fr.addMapcount(f, -1);
    expect([fr.mapcountOf(f), fr.spilled]).toEqual([0, 1]);
    expect(fr.addMapcount(f, -1)).toBe(65535);
    expect(fr.addRefcount(f, 2 ** 31 - 302)).toBe(2 ** 31 - 1);
    expect(fr.addRefcount(f, 1)).toBe(-(2 ** 31));
    fr.setRefcount(f, 0);
    fr.setMapcount(f, 0);
    expect([fr.refcountOf(f), fr.mapcountOf(f), fr.flagsOf(f), fr.spilled]).toEqual([0, 0, FOLIO_ANON | FOLIO_DIRTY, 0]);
  });

  it('refuses folio flags that have no bit in the word', () => {
    const fr = new Frames();
    const f = fr.alloc(FrameKind.Data);
    expect(() => fr.setFlags(f, 16)).toThrow(`folio flags 0x10 of frame ${f}: only the FOLIO_* bits exist`);
  });

  it('matches one plain array per field over random operations', { timeout: propertyTestTimeout() }, () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const fr = new Frames();
        const ref = new PlainFrames();
        const live: number[] = [];
        const same = () => {
          let spilled = 0;
          for (let f = 1; f < ref.next; f++) {
            expect([fr.kindOf(f), fr.flagsOf(f), fr.refcountOf(f), fr.mapcountOf(f)]).toEqual([ref.kind[f], ref.flags[f], ref.refcount[f], ref.mapcount[f]]);
            spilled += Number(ref.refcount[f] < 0 || ref.refcount[f] > 30) + Number(ref.mapcount[f] > 30);
          }
          expect(fr.spilled).toBe(spilled);
        };
        for (const x of ops) {
          if (x.o === 'alloc') {
            const f = fr.alloc(x.kind, x.order);
            expect(f).toBe(ref.alloc(x.kind, x.order));
            live.push(f);
            continue;
          }
          if (!live.length) continue;
          const f = live[x.i % live.length];
          switch (x.o) {
            case 'free':
              live.splice(live.indexOf(f), 1);
              fr.free(f);
              ref.release(f);
              break;
            case 'setRef':
              fr.setRefcount(f, x.v);
              ref.refcount[f] = x.v;
              break;
            case 'setMap':
              fr.setMapcount(f, x.v);
              ref.mapcount[f] = x.v;
              break;
            case 'addRef':
              ref.refcount[f] += x.v;
              expect(fr.addRefcount(f, x.v)).toBe(ref.refcount[f]);
              break;
            case 'addMap':
              ref.mapcount[f] += x.v;
              expect(fr.addMapcount(f, x.v)).toBe(ref.mapcount[f]);
              break;
            case 'setFlags':
              fr.setFlags(f, x.v);
              ref.flags[f] = x.v;
              break;
            case 'addFlags':
              fr.addFlags(f, x.v);
              ref.flags[f] |= x.v;
              break;
            case 'dropRef': {
              if (ref.order.has(f)) break; // order-0 frames only (the caller's all-order-0 path)
              // the fused put_page: what addRefcount(-1) and, at 0 on a data frame, releaseKind do; or nothing
              const r = ref.refcount[f];
              const d = fr.dropRef(f);
              if (r < 1 || r > 30 || (r === 1 && ref.kind[f] !== FrameKind.Data)) expect(d).toBe(-1);
              else {
                expect(d).toBe(r === 1 ? 1 : 0);
                ref.refcount[f]--;
                if (r === 1) {
                  ref.kind[f] = FrameKind.Free;
                  live.splice(live.indexOf(f), 1);
                  ref.free.push(f);
                  fr.listReleased(Int32Array.of(f), Int32Array.of(0), 1);
                }
              }
              break;
            }
            case 'zapMapcount': {
              const skip = x.dirty && !(ref.flags[f] & FOLIO_ANON);
              expect(fr.zapMapcount(f, x.dirty)).toBe(!skip);
              if (!skip) ref.mapcount[f]--;
              break;
            }
          }
          same();
        }
        same();
      }),
      propertyParams(300),
    );
  });
});
