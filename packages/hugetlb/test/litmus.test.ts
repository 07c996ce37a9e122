/**
 * The GUP-fast litmus tests of hugetlb SPEC.md §5: HUGETLB-UNSHARE-GUPFAST (3 CPUs) and
 * HUGETLB-UNSHARE-NOTLAST (4 CPUs). GUP-fast is a software walker with IRQs off; only an IPI
 * its CPU must take (and the sender waits for) makes it finish before the table is reused.
 */
import { describe, expect, it } from 'vitest';
import { mmap, munmap, pteFrame, touch, walkToTable, type Machine, type Mm, type PageTable } from '@tlbsim/core';
import { gupFastStart, type Behaviour } from '../src/index.js';
import { B, CFG_X, G, M, broadcastArch, world } from './helpers.js';

const X = B;
const VERSIONS: readonly Behaviour[] = ['V0', 'V1', 'V2'];

function pmdTable(m: Machine, mm: Mm, addr: number): PageTable {
  return walkToTable(m, mm, addr, 1, false)!;
}

/** c1 + c2 of the litmus: the last owner unmaps half its VMA, maps anonymous memory there and touches X+2M. */
function reuse(w: ReturnType<typeof world>, owner: { mm: Mm; cpu: number }): number {
  const m = w.m;
  m.op('munmap', owner.cpu, () => expect(munmap(m, owner.mm, X, 512 * M).ok).toBe(true));
  m.op('mmap', owner.cpu, () => expect(mmap(m, owner.mm, { addr: X, length: 512 * M, name: 'VMA3' }).ok).toBe(true));
  m.op('touch', owner.cpu, () => expect(touch(m, owner.mm, X + 2 * M).ok).toBe(true));
  // T[1] now points to a PTE table whose first entry maps the owner's private page A
  const q = walkToTable(m, owner.mm, X + 2 * M, 0, false)!;
  return pteFrame(q.entries[0]);
}

describe('HUGETLB-UNSHARE-GUPFAST (3 CPUs), arch TLB flush without IPIs (broadcast TLBI)', () => {
  for (const v of VERSIONS) {
    const forbidden = v === 'V0';
    it(`${v}: ${forbidden ? 'H2 reported; GUP-fast in P2 obtains P1\'s private page' : 'no finding; the sync IPI makes the walker finish before P1 can reuse T'}`, () => {
      const w = world({ behaviour: v, cpus: 3, arch: () => broadcastArch(CFG_X) });
      const { m } = w;
      const F = m.createFile('F');
      const P2 = w.proc('P2', 0, 'running'); // thread A on CPU0
      m.addThread(P2.mm, 'P2.B', 1, 'running'); // thread B on CPU1
      const P1 = w.proc('P1', 2, 'running');
      w.mapFile(P1, F, X, G);
      w.mapFile(P2, F, X, G);
      w.touchAll(P1, [X + 2 * M]); // T[1] := huge leaf of file page H
      w.touchAll(P2, [X + 2 * M]); // P2 shares T
      const T = pmdTable(m, P1.mm, X);
      expect(pmdTable(m, P2.mm, X)).toBe(T);
      expect(T.share).toBe(1);
      const H = pteFrame(T.entries[1]);
      // a1-a2: CPU0 disables IRQs and reads P2's PUD entry (-> T), then stalls
      const walk = gupFastStart(m, 0, P2.mm, X + 2 * M);
      expect(walk.table).toBe(T);
      // b1-b5: CPU1 munmaps X in P2: P2's PUD cleared, share 1 -> 0, flush (+ sync IPI in V1/V2)
      m.op('munmap', 1, () => expect(munmap(m, P2.mm, X, G).ok).toBe(true));
      expect(T.share).toBe(0);
      expect(m.cpus[0].irqsOff).toBe(forbidden);
      // c1-c2: CPU2 (P1) splits and zaps half of its VMA, maps anonymous memory, reuses T
      const A = reuse(w, P1);
      // a3-a5: CPU0 reads T[1] through the pointer it loaded, re-checks only T[1], re-enables IRQs
      const r = walk.end();
      const h2 = m.metrics.violations.filter((x) => x.hazard === 'H2');
      if (forbidden) {
        expect(h2).toHaveLength(1);
        expect(h2[0]).toMatchObject({ cpu: 0, address: X });
        expect(h2[0].what).toContain('GUP-fast walker on CPU0');
        expect(r).toMatchObject({ ok: true, frame: A, throughReusedTable: true, completedByIpi: false });
        expect(m.metrics.violations).toHaveLength(1);
      } else {
        expect(m.metrics.violations).toEqual([]);
        // the walk completed when the sync IPI arrived, with a subpage of H (benign outcome)
        expect(r).toMatchObject({ ok: true, frame: H, throughReusedTable: false, completedByIpi: true });
      }
    });
  }
});

describe('HUGETLB-UNSHARE-GUPFAST when the arch flush is itself an IPI (generic backend, x86 native style)', () => {
  it('V0: the flush IPI at the end of the zap stops the walker too: no finding (hugetlb SPEC.md §5.3)', () => {
    const w = world({ behaviour: 'V0', cpus: 3 });
    const { m } = w;
    const F = m.createFile('F');
    const P2 = w.proc('P2', 0, 'running');
    m.addThread(P2.mm, 'P2.B', 1, 'running');
    const P1 = w.proc('P1', 2, 'running');
    w.mapFile(P1, F, X, G);
    w.mapFile(P2, F, X, G);
    w.touchAll(P1, [X + 2 * M]);
    w.touchAll(P2, [X + 2 * M]);
    const H = pteFrame(pmdTable(m, P1.mm, X).entries[1]);
    const walk = gupFastStart(m, 0, P2.mm, X + 2 * M);
    m.op('munmap', 1, () => munmap(m, P2.mm, X, G));
    expect(m.cpus[0].irqsOff).toBe(false);
    reuse(w, P1);
    expect(walk.end()).toMatchObject({ ok: true, frame: H, completedByIpi: true });
    expect(m.metrics.ipiBroadcasts).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('HUGETLB-UNSHARE-NOTLAST (4 CPUs): the unsharer that is not the last sharer sends no IPI', () => {
  for (const v of VERSIONS) {
    const forbidden = v === 'V0';
    it(`${v}: ${forbidden ? 'H2 reported at P1\'s reuse' : 'no finding'}; the walker survives P3's munmap in V0 and V2`, () => {
      const w = world({ behaviour: v, cpus: 4, arch: () => broadcastArch(CFG_X) });
      const { m } = w;
      const F = m.createFile('F');
      const P3 = w.proc('P3', 0, 'running'); // CPU0: the stalled GUP-fast walker
      m.addThread(P3.mm, 'P3.B', 1, 'running'); // CPU1: P3's munmap
      const P2 = w.proc('P2', 2, 'running'); // CPU2: P2's munmap
      const P1 = w.proc('P1', 3, 'running'); // CPU3: the reuse
      for (const p of [P1, P2, P3]) w.mapFile(p, F, X, G);
      for (const p of [P1, P2, P3]) w.touchAll(p, [X + 2 * M]);
      const T = pmdTable(m, P1.mm, X);
      expect(T.share).toBe(2);
      const H = pteFrame(T.entries[1]);
      const walk = gupFastStart(m, 0, P3.mm, X + 2 * M);
      const ipis0 = m.metrics.ipiBroadcasts;
      m.op('munmap', 1, () => munmap(m, P3.mm, X, G)); // share 2 -> 1
      expect(T.share).toBe(1);
      // V2: unshared_tables only -> P3's TLB flushed, no IPI; V1: one IPI per unshare
      expect(m.metrics.ipiBroadcasts - ipis0).toBe(v === 'V1' ? 1 : 0);
      expect(m.cpus[0].irqsOff).toBe(v !== 'V1');
      m.op('munmap', 2, () => munmap(m, P2.mm, X, G)); // share 1 -> 0: the IPI in V1 and V2
      expect(T.share).toBe(0);
      expect(m.metrics.ipiBroadcasts - ipis0).toBe({ V0: 0, V1: 2, V2: 1 }[v]);
      expect(m.cpus[0].irqsOff).toBe(forbidden);
      const A = reuse(w, P1);
      const r = walk.end();
      if (forbidden) {
        const h2 = m.metrics.violations.filter((x) => x.hazard === 'H2');
        expect(h2).toHaveLength(1);
        expect(h2[0].what).toContain('GUP-fast walker on CPU0');
        expect(m.metrics.violations).toHaveLength(1);
        expect(r).toMatchObject({ ok: true, frame: A, throughReusedTable: true });
      } else {
        expect(m.metrics.violations).toEqual([]);
        expect(r).toMatchObject({ ok: true, frame: H, completedByIpi: true });
      }
    });
  }
  it('V2: a walker that finishes inside the still-shared table after P3 returns gets a page others still map (accepted gap)', () => {
    const w = world({ behaviour: 'V2', cpus: 4, arch: () => broadcastArch(CFG_X) });
    const { m } = w;
    const F = m.createFile('F');
    const P3 = w.proc('P3', 0, 'running');
    m.addThread(P3.mm, 'P3.B', 1, 'running');
    const P2 = w.proc('P2', 2, 'running');
    const P1 = w.proc('P1', 3, 'running');
    for (const p of [P1, P2, P3]) w.mapFile(p, F, X, G);
    for (const p of [P1, P2, P3]) w.touchAll(p, [X + 2 * M]);
    const T = pmdTable(m, P1.mm, X);
    const H = pteFrame(T.entries[1]);
    const walk = gupFastStart(m, 0, P3.mm, X + 2 * M);
    m.op('munmap', 1, () => munmap(m, P3.mm, X, G));
    expect(walk.end()).toMatchObject({ ok: true, frame: H, completedByIpi: false, throughReusedTable: false });
    expect(m.metrics.violations).toEqual([]);
  });
});
