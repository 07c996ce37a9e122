/**
 * The closed-form counts of hugetlb SPEC.md §4.8, checked over random numbers of VMAs, PUD regions,
 * sharers and operations (fast-check).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { munmap } from '@tlbsim/core';
import { checkShareInvariants, type Behaviour } from '../src/index.js';
import { B, CFG_G, CFG_X, G, M, world } from './helpers.js';
import { propertyParams, propertyTestTimeout } from '@tlbsim/core/testing';

const behaviour = fc.constantFrom<Behaviour>('V0', 'V1', 'V2');

describe('hugetlb SPEC.md §4.8: Q exits or munmaps its hugetlb VMAs; region r of VMA j has u users (0: Q has no table there)', () => {
  it('unsh, full, IPIs and hugetlb flushes follow the closed forms for V0, V1 and V2', () => {
    fc.assert(
      fc.property(
        behaviour,
        // per VMA, per 1 GiB region: users of Q's table (0 = never touched by Q)
        fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom<'exit' | 'munmap'>('exit', 'munmap'),
        fc.constantFrom<'X' | 'G'>('X', 'G'),
        (v, layout, op, cfg) => {
          const w = world({ behaviour: v, kconfig: cfg === 'X' ? CFG_X : CFG_G });
          const Q = w.proc('Q', 0);
          const helpers = [1, 2, 3].map((c) => w.proc(`H${c}`, c));
          let base = B;
          const bases: number[] = [];
          for (const regions of layout) {
            const F = w.m.createFile(`F${bases.length}`);
            bases.push(base);
            for (const hp of helpers) w.mapFile(hp, F, base, regions.length * G);
            w.mapFile(Q, F, base, regions.length * G);
            regions.forEach((u, r) => {
              for (let k = 0; k < u - 1; k++) w.touchAll(helpers[k], [base + r * G + (k + 1) * 2 * M]);
              if (u >= 1) w.touchAll(Q, [base + r * G]);
            });
            base += regions.length * G;
          }
          expect(checkShareInvariants(w.m)).toEqual([]);
          const all = layout.flat();
          const d = w.measure(() => {
            if (op === 'exit') w.exit(Q);
            else w.m.op('munmap', 0, () => expect(munmap(w.m, Q.mm, B, base - B).ok).toBe(true));
          });
          const unsh = all.filter((u) => u >= 2).length;
          const full = all.filter((u) => u === 2).length;
          const vmasWithFull = layout.filter((rs) => rs.some((u) => u === 2)).length;
          const vmasWithUnshare = layout.filter((rs) => rs.some((u) => u >= 2)).length;
          const vmasWithAnything = layout.filter((rs) => rs.some((u) => u >= 1)).length;
          expect(d.unsh).toBe(unsh);
          expect(d.full).toBe(full);
          // V0: 0 · V1: one per shared table · V2: one per VMA that made a table exclusive
          expect(d.ipis).toBe({ V0: 0, V1: unsh, V2: vmasWithFull }[v]);
          expect(d.syncs).toBe(d.ipis);
          // one hugetlb flush per VMA that unshared (config G, munmap: tlb_end_vma flushes any VMA with work)
          expect(d.flushes).toBe(cfg === 'G' && op === 'munmap' ? vmasWithAnything : vmasWithUnshare);
          expect(d.direct).toBe(0);
          expect(w.m.metrics.violations).toEqual([]);
          expect(checkShareInvariants(w.m)).toEqual([]);
        },
      ),
      propertyParams(150, 0x5eed),
    );
  }, propertyTestTimeout());
});

describe('hugetlb SPEC.md §4.8: fork()+exit() of M children, each touching K of the parent\'s N regions', () => {
  it('V0: 0 · V1: M·K · V2: M when each table has 2 users, 0 when a third user stays', () => {
    fc.assert(
      fc.property(
        behaviour,
        fc.integer({ min: 1, max: 6 }), // N
        fc.integer({ min: 1, max: 4 }), // M
        fc.integer({ min: 1, max: 6 }), // K (capped at N)
        fc.boolean(), // a third sharer stays attached to every table
        (v, n, nChildren, k0, third) => {
          const k = Math.min(k0, n);
          const w = world({ behaviour: v });
          const P = w.proc('P', 0);
          const F = w.m.createFile('F');
          w.mapFile(P, F, B, n * G);
          w.touchAll(P, Array.from({ length: n }, (_, r) => B + r * G));
          if (third) {
            const E = w.forkProc(P, 'E', 3);
            w.touchAll(E, Array.from({ length: n }, (_, r) => B + r * G + 2 * M));
          }
          let ipis = 0;
          let unsh = 0;
          for (let i = 0; i < nChildren; i++) {
            const C = w.forkProc(P, `C${i}`, 1 + (i % 2));
            w.touchAll(C, Array.from({ length: k }, (_, j) => B + ((i + j) % n) * G + 4 * M));
            const d = w.measure(() => w.exit(C));
            expect(d.ipis).toBe({ V0: 0, V1: k, V2: third ? 0 : 1 }[v]);
            expect(d.flushes).toBe(1);
            ipis += d.ipis;
            unsh += d.unsh;
          }
          expect(unsh).toBe(nChildren * k);
          expect(ipis).toBe({ V0: 0, V1: nChildren * k, V2: third ? 0 : nChildren }[v]);
          expect(w.m.metrics.violations).toEqual([]);
          expect(checkShareInvariants(w.m)).toEqual([]);
        },
      ),
      propertyParams(100, 0x4b8),
    );
  }, propertyTestTimeout());
});
