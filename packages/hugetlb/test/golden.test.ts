/**
 * The golden scenarios G1-G15 of hugetlb SPEC.md §7, for V0, V1 and V2, on core's generic
 * backend with config X of core SPEC.md §8.2 (MERGE_VMAS: x86's gather behaviour) unless stated, or
 * config G (no MERGE_VMAS: the arm64/riscv call pattern).
 *
 * Counters (differences over the operation):
 * - unsh / full: tables unshared / of those, went to share count 0
 * - ipis: `m.metrics.ipiBroadcasts` (tlb_remove_table_sync_one); syncs: hugetlb's own count of them
 * - flushes: hugetlb-attributable TLB flushes (arch tlb_flush calls from hugetlb code plus direct
 *   flush_hugetlb_tlb_range calls), the "flush" column of hugetlb SPEC.md §7
 * - direct: of those, direct flush_hugetlb_tlb_range calls (not tlb_flush hook calls)
 * - arch: every tlb_flush hook call of the operation (`m.metrics.archFlushes`), including
 *   tlb_finish_mmu's flush of freed page tables
 */
import { describe, expect, it } from 'vitest';
import { madvise, mprotect, munmap, walkToTable, type Machine, type Mm, type PageTable } from '@tlbsim/core';
import { checkShareInvariants, type Behaviour } from '../src/index.js';
import { B, CFG_G, CFG_X, G, M, pages2m, regions, world } from './helpers.js';

const VERSIONS: readonly Behaviour[] = ['V0', 'V1', 'V2'];
type Counters = ReturnType<ReturnType<typeof world>['counters']>;
type Exp = Partial<Counters>;

function expectCounts(d: Counters, e: Exp): void {
  const got: Partial<Counters> = {};
  for (const k of Object.keys(e) as (keyof Counters)[]) got[k] = d[k];
  expect(got).toEqual(e);
}
/** the PMD table mapping addr in mm (null if none) */
function pmdTable(m: Machine, mm: Mm, addr: number): PageTable | null {
  const t = walkToTable(m, mm, addr, 1, false);
  return t && t.level === 1 ? t : null;
}
function clean(w: ReturnType<typeof world>): void {
  expect(w.m.metrics.violations).toEqual([]);
  expect(checkShareInvariants(w.m)).toEqual([]);
}
const RO = { read: true, write: false, exec: false };

describe('G1 two users, child exits', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, syncs: 0, flushes: 1, direct: 0, arch: 2 },
    V1: { unsh: 1, full: 1, ipis: 1, syncs: 1, flushes: 1, direct: 0, arch: 2 },
    V2: { unsh: 1, full: 1, ipis: 1, syncs: 1, flushes: 1, direct: 0, arch: 2 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}; P keeps T with share 0 and its 512 leaves`, () => {
      const w = world({ behaviour: v });
      const P = w.proc('P', 0);
      const F = w.m.createFile('F');
      w.mapFile(P, F, B, G);
      w.touchAll(P, pages2m(B, G));
      const C = w.forkProc(P, 'C', 1);
      w.touchAll(C, [B + 2 * M]);
      const T = pmdTable(w.m, P.mm, B)!;
      expect(T.share).toBe(1);
      expect(pmdTable(w.m, C.mm, B)).toBe(T);
      const n = w.log.length;
      const d = w.measure(() => w.exit(C));
      expectCounts(d, exp[v]);
      // the unshare flush: fullmm, cleared_pmds (+ unshared_tables in V2); then finish frees C's PUD table
      expect(w.log[n]).toMatchObject({ fullmm: true, bits: v === 'V2' ? ['cleared_pmds', 'unshared_tables'] : ['cleared_pmds'] });
      expect(w.log[n + 1].bits).toEqual(['freed_tables', 'cleared_p4ds']);
      expect(T.share).toBe(0);
      expect(T.present).toBe(512);
      expect(T.owner).toBe(P.mm);
      clean(w);
    });
  }
});

describe('G2 reporter pattern: 1200 GiB, 10 x (fork, touch 100 regions, exit), 196 CPUs', () => {
  const perExit: Record<Behaviour, number> = { V0: 0, V1: 100, V2: 1 };
  const total: Record<Behaviour, number> = { V0: 0, V1: 1000, V2: 10 };
  for (const v of VERSIONS) {
    it(`${v}: ${perExit[v]} broadcasts per child exit, ${total[v]} in total, each to 195 CPUs`, () => {
      const w = world({ behaviour: v, cpus: 196 });
      const P = w.proc('P', 0, 'running');
      const F = w.m.createFile('F');
      const base = 1024 * G;
      w.mapFile(P, F, base, 1200 * G);
      w.touchAll(P, regions(base, 1200)); // every region has a table
      const ipis0 = w.m.metrics.ipiBroadcasts;
      const idle0 = w.m.metrics.cpuCounts.ipisReceived[195];
      for (let i = 0; i < 10; i++) {
        const C = w.forkProc(P, `C${i}`, 1);
        // 100 distinct regions, different for every child
        w.touchAll(C, Array.from({ length: 100 }, (_, j) => base + ((i * 7 + j * 12) % 1200) * G + 4 * M));
        const d = w.measure(() => w.exit(C));
        expectCounts(d, { unsh: 100, full: 100, ipis: perExit[v], syncs: perExit[v], flushes: 1 });
      }
      expect(w.m.metrics.ipiBroadcasts - ipis0).toBe(total[v]);
      // CPU195 never ran anything: every IPI it received was a sync broadcast
      expect(w.m.metrics.cpuCounts.ipisReceived[195] - idle0).toBe(total[v]);
      clean(w);
    });
  }
});

describe('G3 three users, not-last rule', () => {
  const c1: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 0, ipis: 0, flushes: 1 },
    V1: { unsh: 1, full: 0, ipis: 1, flushes: 1 },
    V2: { unsh: 1, full: 0, ipis: 0, flushes: 1 },
  };
  const c2: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, flushes: 1 },
    V1: { unsh: 1, full: 1, ipis: 1, flushes: 1 },
    V2: { unsh: 1, full: 1, ipis: 1, flushes: 1 },
  };
  const total: Record<Behaviour, number> = { V0: 0, V1: 2, V2: 1 };
  for (const v of VERSIONS) {
    it(`${v}: C1 exit ${JSON.stringify(c1[v])}, C2 exit ${JSON.stringify(c2[v])}, ${total[v]} broadcasts`, () => {
      const w = world({ behaviour: v });
      const P = w.proc('P', 0);
      const F = w.m.createFile('F');
      w.mapFile(P, F, B, G);
      w.touchAll(P, [B]);
      const C1 = w.forkProc(P, 'C1', 1);
      const C2 = w.forkProc(P, 'C2', 2);
      w.touchAll(C1, [B + 2 * M]);
      w.touchAll(C2, [B + 4 * M]);
      const T = pmdTable(w.m, P.mm, B)!;
      expect(T.share).toBe(2);
      const d1 = w.measure(() => w.exit(C1));
      expectCounts(d1, c1[v]);
      expect(T.share).toBe(1);
      const d2 = w.measure(() => w.exit(C2));
      expectCounts(d2, c2[v]);
      expect(T.share).toBe(0);
      expect(d1.ipis + d2.ipis).toBe(total[v]);
      clean(w);
    });
  }
});

describe('G4 owner leaves first', () => {
  const pExit: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, flushes: 1 },
    V1: { unsh: 1, full: 1, ipis: 1, flushes: 1 },
    V2: { unsh: 1, full: 1, ipis: 1, flushes: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}: P exit ${JSON.stringify(pExit[v])}; C then zaps 512 leaves of its own T without any IPI`, () => {
      const w = world({ behaviour: v });
      const P = w.proc('P', 0);
      const F = w.m.createFile('F');
      w.mapFile(P, F, B, G);
      w.touchAll(P, pages2m(B, G));
      const C = w.forkProc(P, 'C', 1);
      w.touchAll(C, [B + 2 * M]);
      const T = pmdTable(w.m, P.mm, B)!;
      const dp = w.measure(() => w.exit(P));
      expectCounts(dp, pExit[v]);
      expect(T.share).toBe(0);
      expect(T.owner).toBe(C.mm);
      expect(T.present).toBe(512);
      const freed0 = w.m.metrics.tablesFreed;
      const dc = w.measure(() => w.exit(C));
      // entries only: no unshare, no IPI; the one flush is tlb_finish_mmu's (x86: deferred there)
      expectCounts(dc, { unsh: 0, full: 0, ipis: 0, flushes: 0, arch: 1 });
      expect(T.present).toBe(0);
      expect(T.state).toBe(3); // TableState.Freed: free_pgtables -> tlb_remove_table -> RCU
      expect(w.m.metrics.tablesFreed - freed0).toBe(2); // T and C's PUD table
      expect(w.h.stats.reuseChecks).toBe(1);
      clean(w);
    });
  }
});

/** Q maps `n` GiB of F at B; R (and S when users = 3) map the same and populate one page per region; Q shares them all. */
function sharedArea(v: Behaviour, n: number, users: 2 | 3, k = CFG_X) {
  const w = world({ behaviour: v, kconfig: k });
  const F = w.m.createFile('F');
  const Q = w.proc('Q', 0);
  const others = [w.proc('R', 1), ...(users === 3 ? [w.proc('S', 2)] : [])];
  for (const o of others) {
    w.mapFile(o, F, B, n * G);
    w.touchAll(o, regions(B, n, 2 * M));
  }
  w.mapFile(Q, F, B, n * G);
  w.touchAll(Q, regions(B, n, 4 * M));
  for (let r = 0; r < n; r++) expect(pmdTable(w.m, Q.mm, B + r * G)!.share).toBe(users - 1);
  return { w, F, Q, others };
}

describe('G5 munmap of 64 GiB, every table shared by 2', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 64, full: 64, ipis: 0, flushes: 1, direct: 0, arch: 1 },
    V1: { unsh: 64, full: 64, ipis: 64, flushes: 1, direct: 0, arch: 1 },
    V2: { unsh: 64, full: 64, ipis: 1, flushes: 1, direct: 0, arch: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}; the flush covers [B, B+64G) at cleared_pmds`, () => {
      const { w, Q } = sharedArea(v, 64, 2);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expectCounts(d, exp[v]);
      expect(w.log[n]).toMatchObject({ start: B, end: B + 64 * G, fullmm: false });
      expect(w.log[n].bits).toEqual(v === 'V2' ? ['cleared_pmds', 'unshared_tables'] : ['cleared_pmds']);
      clean(w);
    });
  }
  it('config G (no MERGE_VMAS): the flush moves to tlb_end_vma; V2 still broadcasts once', () => {
    for (const v of VERSIONS) {
      const { w, Q } = sharedArea(v, 64, 2, CFG_G);
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expectCounts(d, { unsh: 64, full: 64, ipis: { V0: 0, V1: 64, V2: 1 }[v], flushes: 1, arch: 1 });
      clean(w);
    }
  });
});

describe('G6 munmap of 64 GiB, every table shared by 3', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 64, full: 0, ipis: 0, flushes: 1 },
    V1: { unsh: 64, full: 0, ipis: 64, flushes: 1 },
    V2: { unsh: 64, full: 0, ipis: 0, flushes: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}`, () => {
      const { w, Q } = sharedArea(v, 64, 3);
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expectCounts(d, exp[v]);
      clean(w);
    });
  }
});

describe('G7 mixed VMA: intermediate flushes do not eat the IPI', () => {
  /** Q maps (3 + excl) GiB: regions 0-2 shared with R, the rest exclusive and fully populated */
  const run = (v: Behaviour, excl: number) => {
    const w = world({ behaviour: v });
    const F = w.m.createFile('F');
    const Q = w.proc('Q', 0);
    const R = w.proc('R', 1);
    const n = 3 + excl;
    w.mapFile(R, F, B, 3 * G);
    w.touchAll(R, regions(B, 3));
    w.mapFile(Q, F, B, n * G);
    w.touchAll(Q, regions(B, 3, 2 * M));
    w.touchAll(Q, pages2m(B + 3 * G, excl * G));
    const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, n * G)));
    clean(w);
    return { w, d };
  };
  const exp7: Record<Behaviour, Exp> = {
    V0: { unsh: 3, full: 3, ipis: 0, flushes: 1, arch: 2 },
    V1: { unsh: 3, full: 3, ipis: 3, flushes: 1, arch: 2 },
    V2: { unsh: 3, full: 3, ipis: 1, flushes: 1, arch: 2 },
  };
  for (const v of VERSIONS) {
    it(`${v}, 7 exclusive regions (3584 folios, no forced flush): ${JSON.stringify(exp7[v])}`, () => {
      const { w, d } = run(v, 7);
      expectCounts(d, exp7[v]);
      expect(w.m.metrics.forcedFlushes).toBe(0);
      // the in-call flush: hull [B, B+10G) with cleared_pmds; then finish with the 7 freed PMD tables
      expect(w.log.at(-2)).toMatchObject({ start: B, end: B + 10 * G });
      expect(w.log.at(-1)!.bits).toEqual(['freed_tables', 'cleared_puds']);
    });
  }
  // 20 exclusive regions = 10 240 folios: the page batch is full at the 9678th, forcing a flush
  // that clears unshared_tables; fully_unshared_tables survives it, so V2 still sends one IPI.
  const exp20: Record<Behaviour, Exp> = {
    V0: { unsh: 3, full: 3, ipis: 0, flushes: 2, arch: 3 },
    V1: { unsh: 3, full: 3, ipis: 3, flushes: 2, arch: 3 },
    V2: { unsh: 3, full: 3, ipis: 1, flushes: 1, arch: 2 },
  };
  for (const v of VERSIONS) {
    it(`${v}, 20 exclusive regions (batch limit hit): ${JSON.stringify(exp20[v])}`, () => {
      const { w, d } = run(v, 20);
      expectCounts(d, exp20[v]);
      expect(w.m.metrics.forcedFlushes).toBe(1);
    });
  }
});

describe('G8 one munmap spanning two VMAs of two files', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 8, full: 8, ipis: 0, flushes: 2, arch: 2 },
    V1: { unsh: 8, full: 8, ipis: 8, flushes: 2, arch: 2 },
    V2: { unsh: 8, full: 8, ipis: 2, flushes: 2, arch: 2 },
  };
  for (const k of [['X', CFG_X], ['G', CFG_G]] as const) {
    for (const v of VERSIONS) {
      it(`${v} config ${k[0]}: ${JSON.stringify(exp[v])} (one flush point per VMA)`, () => {
        const w = world({ behaviour: v, kconfig: k[1] });
        const F1 = w.m.createFile('F1');
        const F2 = w.m.createFile('F2');
        const Q = w.proc('Q', 0);
        const R = w.proc('R', 1);
        for (const p of [R, Q]) {
          w.mapFile(p, F1, B, 4 * G);
          w.mapFile(p, F2, B + 4 * G, 4 * G);
          w.touchAll(p, regions(B, 8, p === R ? 0 : 2 * M));
        }
        const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 8 * G)));
        expectCounts(d, exp[v]);
        clean(w);
      });
    }
  }
});

describe('G9 mprotect unshares', () => {
  // V2: hugetlb_change_protection runs its own gather inside mprotect's live gather, so its
  // tlb_finish_mmu sees mm_tlb_flush_nested() and adds a full flush (arch 2): kernel behaviour,
  // which an earlier reading of G9 ("tlb_finish_mmu flushes nothing") left out (hugetlb SPEC.md §9).
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 4, full: 4, ipis: 0, flushes: 1, direct: 1, arch: 0 },
    V1: { unsh: 4, full: 4, ipis: 4, flushes: 1, direct: 1, arch: 0 },
    V2: { unsh: 4, full: 4, ipis: 1, flushes: 1, direct: 0, arch: 2 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}; afterwards Q refaults read-only into private tables`, () => {
      const { w, Q, others } = sharedArea(v, 4, 2);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('mprotect', 0, () => expect(mprotect(w.m, Q.mm, B, 4 * G, RO).ok).toBe(true)));
      expectCounts(d, exp[v]);
      if (v === 'V2') {
        expect(w.log[n]).toMatchObject({ start: B, end: B + 4 * G, fullmm: false, vmaHuge: true, bits: ['cleared_pmds', 'unshared_tables'] });
        expect(w.log[n + 1]).toMatchObject({ fullmm: true, bits: ['freed_tables'] });
      }
      const shared0 = w.h.stats.tablesShared;
      w.touchAll(Q, [B + 4 * M], false);
      expect(w.h.stats.tablesShared).toBe(shared0); // flags differ from R's: page_table_shareable fails
      expect(pmdTable(w.m, Q.mm, B)).not.toBe(pmdTable(w.m, others[0].mm, B));
      expect(pmdTable(w.m, Q.mm, B)!.share).toBe(0);
      clean(w);
    });
  }
});

describe('G10 mprotect with nothing to do', () => {
  // V2 flushes nothing itself, but its gather's tlb_finish_mmu is nested in mprotect's (see G9)
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 0, ipis: 0, flushes: 1, direct: 1, arch: 0 },
    V1: { unsh: 0, ipis: 0, flushes: 1, direct: 1, arch: 0 },
    V2: { unsh: 0, ipis: 0, flushes: 0, direct: 0, arch: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}, never touched: ${JSON.stringify(exp[v])}`, () => {
      const w = world({ behaviour: v });
      const Q = w.proc('Q', 0);
      w.mapFile(Q, w.m.createFile('F'), B, 4 * G);
      const d = w.measure(() => w.m.op('mprotect', 0, () => mprotect(w.m, Q.mm, B, 4 * G, RO)));
      expectCounts(d, exp[v]);
      clean(w);
    });
    it(`${v}, tables present but every entry none: ${JSON.stringify(exp[v])}`, () => {
      const w = world({ behaviour: v });
      const Q = w.proc('Q', 0);
      w.mapFile(Q, w.m.createFile('F'), B, 4 * G);
      w.touchAll(Q, regions(B, 4));
      w.m.op('madvise', 0, () => expect(madvise(w.m, Q.mm, B, 4 * G, 'dontneed').ok).toBe(true));
      expect(pmdTable(w.m, Q.mm, B)!.present).toBe(0);
      const d = w.measure(() => w.m.op('mprotect', 0, () => mprotect(w.m, Q.mm, B, 4 * G, RO)));
      expectCounts(d, exp[v]);
      clean(w);
    });
  }
});

describe('G11 VMA split by a partial munmap', () => {
  const exp2: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, flushes: 1, direct: 1, arch: 0 },
    V1: { unsh: 1, full: 1, ipis: 1, flushes: 1, direct: 1, arch: 0 },
    V2: { unsh: 1, full: 1, ipis: 1, flushes: 1, direct: 0, arch: 1 },
  };
  const exp3: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 0, ipis: 0, flushes: 1 },
    V1: { unsh: 1, full: 0, ipis: 1, flushes: 1 },
    V2: { unsh: 1, full: 0, ipis: 0, flushes: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}: u=2 ${JSON.stringify(exp2[v])}, u=3 ${JSON.stringify(exp3[v])}; the pieces never share again`, () => {
      for (const users of [2, 3] as const) {
        const { w, Q } = sharedArea(v, 1, users);
        const n = w.log.length;
        const d = w.measure(() => w.m.op('munmap', 0, () => expect(munmap(w.m, Q.mm, B + 512 * M, 2 * M).ok).toBe(true)));
        expectCounts(d, users === 2 ? exp2[v] : exp3[v]);
        if (v === 'V2') expect(w.log[n]).toMatchObject({ start: B, end: B + G, bits: ['cleared_pmds', 'unshared_tables'] });
        expect(Q.mm.vmas.filter((x) => x.flags.hugetlb).map((x) => [x.start - B, x.end - B])).toEqual([[0, 512 * M], [514 * M, G]]);
        const shared0 = w.h.stats.tablesShared;
        w.touchAll(Q, [B, B + 600 * M]);
        expect(w.h.stats.tablesShared).toBe(shared0);
        clean(w);
      }
    });
  }
});

describe('G12 mremap of a shared region', () => {
  const D = B + 8 * G;
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, flushes: 1, direct: 1, arch: 0 },
    V1: { unsh: 1, full: 1, ipis: 1, flushes: 1, direct: 1, arch: 0 },
    V2: { unsh: 1, full: 1, ipis: 1, flushes: 1, direct: 0, arch: 1 },
  };
  const move = (w: ReturnType<typeof world>, Q: { mm: Mm; cpu: number }) =>
    w.m.op('mremap', Q.cpu, () => {
      const r = w.h.mremapHugetlb(Q.mm, B, G, G, { mayMove: true, fixed: D });
      expect(r).toMatchObject({ ok: true, addr: D, moved: true });
    });
  for (const v of VERSIONS) {
    it(`${v}, all 512 entries present: ${JSON.stringify(exp[v])}; nothing moved`, () => {
      const { w, Q } = sharedArea(v, 1, 2);
      w.touchAll(Q, pages2m(B, G));
      const d = w.measure(() => move(w, Q));
      expectCounts(d, exp[v]);
      expect(walkToTable(w.m, Q.mm, D, 1, false)).toBe(null); // the region was not moved
      // refaulting at D re-shares R's table (same file offset, same alignment)
      w.touchAll(Q, [D]);
      expect(pmdTable(w.m, Q.mm, D)!.share).toBe(1);
      clean(w);
    });
    it(`${v}, only B+100M present: walks 50 none entries, then the same counts`, () => {
      const w = world({ behaviour: v });
      const F = w.m.createFile('F');
      const Q = w.proc('Q', 0);
      const R = w.proc('R', 1);
      w.mapFile(R, F, B, G);
      w.touchAll(R, [B + 100 * M]);
      w.mapFile(Q, F, B, G);
      w.touchAll(Q, [B + 100 * M], false); // shares R's table, maps the same entry
      expect(pmdTable(w.m, Q.mm, B)!.share).toBe(1);
      const d = w.measure(() => move(w, Q));
      expectCounts(d, exp[v]);
      clean(w);
    });
    it(`${v}, a shared table with every entry none stays attached; munmap of the old range unshares it`, () => {
      const { w, Q } = sharedArea(v, 1, 2);
      const T = pmdTable(w.m, Q.mm, B)!;
      // the faults that shared T failed to instantiate pages (e.g. beyond i_size): T is empty
      T.entries.fill(0);
      T.present = 0;
      const d = w.measure(() => move(w, Q));
      // V0/V1 still flush the old range directly; V2 flushes nothing in the move. The munmap of the
      // old range then unshares T (its own flush point).
      const moveFlush = { V0: { direct: 1 }, V1: { direct: 1 }, V2: { direct: 0 } }[v];
      expectCounts(d, { unsh: 1, full: 1, ipis: { V0: 0, V1: 1, V2: 1 }[v], flushes: 1 + moveFlush.direct, ...moveFlush });
      clean(w);
    });
  }
  it('u=3: V2 sends no IPI', () => {
    const { w, Q } = sharedArea('V2', 1, 3);
    const d = w.measure(() => move(w, Q));
    expectCounts(d, { unsh: 1, full: 0, ipis: 0, flushes: 1 });
    clean(w);
  });
});

describe('G13 punch hole with three users', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 2, full: 1, ipis: 0, arch: 3 },
    V1: { unsh: 2, full: 1, ipis: 2, arch: 3 },
    V2: { unsh: 2, full: 1, ipis: 1, arch: 3 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}; P1 and P2 lose the whole 1 GiB region, the page is freed`, () => {
      const w = world({ behaviour: v });
      const F = w.m.createFile('F');
      const P = [w.proc('P1', 0), w.proc('P2', 1), w.proc('P3', 2)];
      P.forEach((p, i) => w.mapFile(p, F, B + i * 4 * G, G));
      P.forEach((p, i) => w.touchAll(p, [B + i * 4 * G + 10 * M, B + i * 4 * G + 20 * M]));
      const T = pmdTable(w.m, P[0].mm, B)!;
      expect(T.share).toBe(2);
      const freed0 = w.m.metrics.pagesFreed;
      const d = w.measure(() => w.m.op('fallocate', 0, () => expect(w.h.punchHole(F, 10 * M, 2 * M).ok).toBe(true)));
      expectCounts(d, exp[v]);
      // per VMA: two unshares with their flush points, the third clears one leaf (flushed at finish)
      expect(d.flushes).toBe(2);
      expect(w.m.metrics.pagesFreed - freed0).toBe(1);
      expect(pmdTable(w.m, P[0].mm, B)).toBe(null);
      expect(pmdTable(w.m, P[1].mm, B + 4 * G)).toBe(null);
      expect(pmdTable(w.m, P[2].mm, B + 8 * G)).toBe(T);
      expect(T.owner).toBe(P[2].mm);
      expect(T.present).toBe(1); // the page at 20M
      clean(w);
    });
  }
  it('config G: the third flush moves to tlb_end_vma (3 hugetlb flushes)', () => {
    const w = world({ behaviour: 'V2', kconfig: CFG_G });
    const F = w.m.createFile('F');
    const P = [w.proc('P1', 0), w.proc('P2', 1), w.proc('P3', 2)];
    P.forEach((p, i) => w.mapFile(p, F, B + i * 4 * G, G));
    P.forEach((p, i) => w.touchAll(p, [B + i * 4 * G + 10 * M]));
    const d = w.measure(() => w.m.op('fallocate', 0, () => w.h.punchHole(F, 10 * M, 2 * M)));
    expectCounts(d, { unsh: 2, full: 1, ipis: 1, flushes: 3, arch: 3 });
    clean(w);
  });
});

describe('G14 MADV_DONTNEED of one page in a shared region', () => {
  const exp: Record<Behaviour, Exp> = {
    V0: { unsh: 1, full: 1, ipis: 0, flushes: 1, arch: 1 },
    V1: { unsh: 1, full: 1, ipis: 1, flushes: 1, arch: 1 },
    V2: { unsh: 1, full: 1, ipis: 1, flushes: 1, arch: 1 },
  };
  for (const v of VERSIONS) {
    it(`${v}: ${JSON.stringify(exp[v])}, flush range [B, B+1G)`, () => {
      const { w, Q } = sharedArea(v, 1, 2);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('madvise', 0, () => expect(madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed').ok).toBe(true)));
      expectCounts(d, exp[v]);
      expect(w.log[n]).toMatchObject({ start: B, end: B + G });
      clean(w);
    });
    it(`${v}: 5 rounds of DONTNEED + refault, u=2 and u=3`, () => {
      for (const users of [2, 3] as const) {
        const { w, Q } = sharedArea(v, 1, users);
        const d = w.measure(() => {
          for (let i = 0; i < 5; i++) {
            w.m.op('madvise', 0, () => madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed'));
            w.touchAll(Q, [B + 4 * M]); // re-shares the table
          }
        });
        const ipis = { V0: 0, V1: 5, V2: users === 2 ? 5 : 0 }[v];
        expectCounts(d, { unsh: 5, full: users === 2 ? 5 : 0, ipis });
        clean(w);
      }
    });
  }
  it('u=3: V2 sends no IPI', () => {
    const { w, Q } = sharedArea('V2', 1, 3);
    const d = w.measure(() => w.m.op('madvise', 0, () => madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed')));
    expectCounts(d, { unsh: 1, full: 0, ipis: 0, flushes: 1 });
    clean(w);
  });
});

describe('G15 sizes that never share', () => {
  const ARM64_4K_SIZES = [64 * 1024, 2 * M, 32 * M, G];
  const cases = [
    { name: '(a) 1 GiB pages', size: G, bits: 'cleared_puds', sizes: undefined, len: 2 * G, kconfig: CFG_X },
    { name: '(b) 64 KiB contiguous-PTE pages', size: 64 * 1024, bits: 'cleared_ptes', sizes: ARM64_4K_SIZES, len: G, kconfig: CFG_G },
    { name: '(c) 32 MiB contiguous-PMD pages', size: 32 * M, bits: 'cleared_pmds', sizes: ARM64_4K_SIZES, len: G, kconfig: CFG_G },
  ];
  for (const c of cases) {
    for (const v of VERSIONS) {
      it(`${v} ${c.name}: no sharing, unsh 0, IPIs 0; the child zaps its own entries (${c.bits})`, () => {
        const w = world({ behaviour: v, kconfig: c.kconfig, hugePageSizes: c.sizes });
        const P = w.proc('P', 0);
        const F = w.m.createFile('F');
        w.mapFile(P, F, B, c.len, { hugeSize: c.size });
        w.touchAll(P, [B, B + c.size]);
        const C = w.forkProc(P, 'C', 1);
        expect(walkToTable(w.m, C.mm, B, 2, false)).toBe(null); // MAP_SHARED: fork copies no tables
        w.touchAll(C, [B, B + c.size]);
        expect(w.h.stats.tablesShared).toBe(0);
        const n = w.log.length;
        const d = w.measure(() => w.exit(C));
        expectCounts(d, { unsh: 0, full: 0, ipis: 0 });
        expect(w.log[n].bits).toContain(c.bits);
        clean(w);
      });
    }
  }
});
