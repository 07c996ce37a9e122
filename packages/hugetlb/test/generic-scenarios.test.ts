/**
 * core SPEC.md §10 golden scenarios S15 (hugetlb shared-PMD unshare on munmap, configs G and X, with
 * 2 and 3 sharers) and S17 (zap_page_range_single on a private hugetlb VMA: the gather restart).
 */
import { describe, expect, it } from 'vitest';
import { GENERIC_KCONFIG, MmuGather, munmap, zapPageRangeSingle, type Kconfig } from '@tlbsim/core';
import { checkShareInvariants, type Behaviour } from '../src/index.js';
import { CFG_G, CFG_X, G, M, world } from './helpers.js';

const V = 0x40000000;

/** Q maps [V, V + n GiB) MAP_SHARED; `users - 1` other processes map and populate the same file at the same VA. */
function s15World(v: Behaviour, k: Partial<Kconfig>, users: number, n = 1) {
  const w = world({ behaviour: v, kconfig: k });
  const F = w.m.createFile('F');
  const others = Array.from({ length: users - 1 }, (_, i) => w.proc(`R${i}`, i + 1));
  for (const o of others) {
    w.mapFile(o, F, V, n * G);
    w.touchAll(o, Array.from({ length: n }, (_, r) => V + r * G));
  }
  const Q = w.proc('Q', 0);
  w.mapFile(Q, F, V, n * G);
  w.touchAll(Q, Array.from({ length: n }, (_, r) => V + r * G + 2 * M));
  return { w, Q };
}

describe('S15 hugetlb shared-PMD unshare on munmap (V2: January 2026)', () => {
  for (const [name, k] of [['G', CFG_G], ['X', CFG_X]] as const) {
    it(`config ${name}, 2 sharers: 1 flush [0x40000000, 0x80000000) cleared_pmds+unshared_tables (VM_HUGETLB), then 1 sync IPI; finish flushes nothing`, () => {
      const { w, Q } = s15World('V2', k, 2);
      const n = w.log.length;
      const ipis0 = w.m.metrics.ipiBroadcasts;
      w.m.op('munmap', 0, () => expect(munmap(w.m, Q.mm, V, G).ok).toBe(true));
      expect(w.log.slice(n)).toEqual([
        { start: 0x40000000, end: 0x80000000, bits: ['cleared_pmds', 'unshared_tables'], fullmm: false, vmaExec: false, vmaHuge: true, pageSize: w.log[n].pageSize, pagesFreedBefore: w.log[n].pagesFreedBefore, tablesFreedBefore: w.log[n].tablesFreedBefore },
      ]);
      expect(w.m.metrics.ipiBroadcasts - ipis0).toBe(1);
      expect(w.h.stats.tablesFullyUnshared).toBe(1);
      expect(Q.mm.tlbFlushPending).toBe(0);
      expect(w.m.metrics.violations).toEqual([]); // no tlb_finish_mmu warning either
      expect(checkShareInvariants(w.m)).toEqual([]);
    });
    it(`config ${name}, 3 sharers (share count 2 -> 1): 1 flush, no IPI`, () => {
      const { w, Q } = s15World('V2', k, 3);
      const n = w.log.length;
      const ipis0 = w.m.metrics.ipiBroadcasts;
      w.m.op('munmap', 0, () => munmap(w.m, Q.mm, V, G));
      expect(w.log.length - n).toBe(1);
      expect(w.log[n].bits).toEqual(['cleared_pmds', 'unshared_tables']);
      expect(w.m.metrics.ipiBroadcasts - ipis0).toBe(0);
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`config ${name}, a 4 GiB region (4 shared tables): V2 1 flush and 1 IPI; before 2026 (V1) one IPI per table`, () => {
      for (const [v, ipis] of [['V2', 1], ['V1', 4], ['V0', 0]] as const) {
        const { w, Q } = s15World(v, k, 2, 4);
        const n = w.log.length;
        const ipis0 = w.m.metrics.ipiBroadcasts;
        w.m.op('munmap', 0, () => munmap(w.m, Q.mm, V, 4 * G));
        expect(w.log.length - n).toBe(1);
        expect(w.log[n]).toMatchObject({ start: V, end: V + 4 * G });
        expect(w.m.metrics.ipiBroadcasts - ipis0).toBe(ipis);
        expect(w.m.metrics.violations).toEqual([]);
      }
    });
  }
});

describe('S17 zap_page_range_single on a private hugetlb VMA (gather restart)', () => {
  for (const [name, k] of [['G', {}], ['X', { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true }]] as const) {
    it(`config ${name}: 1 flush [0x40000000, 0x40400000) cleared_pmds with VM_HUGETLB, the 2 huge folios freed by the inner tlb_finish_mmu`, () => {
      const w = world({ behaviour: 'V2', kconfig: { ...GENERIC_KCONFIG, ...k } });
      const P = w.proc('P', 0);
      const F = w.m.createFile('F');
      w.mapFile(P, F, V, 4 * M, { shared: false });
      w.touchAll(P, [V, V + 2 * M]);
      const vma = P.mm.findVma(V)!;
      const n = w.log.length;
      const freed0 = w.m.metrics.pagesFreed;
      // observe every tlb_finish_mmu: the pending count it starts with and the pages freed by it
      const finishes: { pending: number; freed: number }[] = [];
      const realFinish = MmuGather.prototype.finish;
      MmuGather.prototype.finish = function (this: MmuGather) {
        const before = w.m.metrics.pagesFreed;
        const pending = this.mm.tlbFlushPending;
        realFinish.call(this);
        finishes.push({ pending, freed: w.m.metrics.pagesFreed - before });
      };
      try {
        w.m.op('zap', 0, () => zapPageRangeSingle(w.m, P.mm, vma, V, 4 * M));
      } finally {
        MmuGather.prototype.finish = realFinish;
      }
      // the inner finish (hugetlb restart) frees both folios; the caller's finish has nothing left
      expect(finishes).toEqual([{ pending: 1, freed: 2 }, { pending: 1, freed: 0 }]);
      expect(w.log.slice(n)).toEqual([
        { start: 0x40000000, end: 0x40400000, bits: ['cleared_pmds'], fullmm: false, vmaExec: false, vmaHuge: true, pageSize: w.log[n].pageSize, pagesFreedBefore: freed0, tablesFreedBefore: w.log[n].tablesFreedBefore },
      ]);
      expect(w.m.metrics.pagesFreed - freed0).toBe(2);
      expect(P.mm.tlbFlushPending).toBe(0);
      expect(w.h.stats.tablesUnshared).toBe(0);
      expect(w.m.metrics.ipiBroadcasts).toBe(0);
      expect(w.m.metrics.violations).toEqual([]);
    });
  }
});
