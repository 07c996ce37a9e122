/**
 * When a fault may share a PMD table (want_pmd_share, page_table_shareable, hugetlb SPEC.md §2), and
 * the unshare callers not covered by the golden scenarios: rmap, fork of private mappings,
 * mprotect splits, core's mremap, and hugetlb_unshare_all_pmds.
 */
import { describe, expect, it } from 'vitest';
import { Machine, generic, mmap, mprotect, mremap, munmap, walkToTable, type Mm, type PageTable } from '@tlbsim/core';
import { checkShareInvariants, gupFastStart, hstatesFor, installHugetlb } from '../src/index.js';
import { B, CFG_X, G, M, broadcastArch, regions, world } from './helpers.js';

function pmdTable(m: Machine, mm: Mm, addr: number): PageTable | null {
  const t = walkToTable(m, mm, addr, 1, false);
  return t && t.level === 1 ? t : null;
}

describe('want_pmd_share / page_table_shareable', () => {
  /** R maps F at B (1 GiB) and touches it; Q maps with `q` and touches; returns Q's table share */
  function attempt(q: { addr?: number; len?: number; shared?: boolean; write?: boolean; pgoff?: number; locked?: boolean; lockless?: boolean }, k = CFG_X) {
    const w = world({ behaviour: 'V2', kconfig: k });
    const F = w.m.createFile('F');
    const R = w.proc('R', 1);
    const Q = w.proc('Q', 0);
    w.mapFile(R, F, B, 2 * G);
    w.touchAll(R, [B, B + G]);
    const at = q.addr ?? B;
    w.m.op('mmap', 0, () => expect(mmap(w.m, Q.mm, { addr: at, length: q.len ?? G, file: F, hugetlb: true, shared: q.shared ?? true, write: q.write ?? true, pgoff: q.pgoff, locked: q.locked }).ok).toBe(true));
    if (q.lockless) w.h.dropVmaLock(Q.mm.findVma(at)!);
    w.touchAll(Q, [at], false);
    expect(checkShareInvariants(w.m)).toEqual([]);
    return { shares: w.h.stats.tablesShared, w };
  }
  it('MAP_SHARED, same file offset, same alignment, whole PUD region: shares', () => {
    expect(attempt({}).shares).toBe(1);
  });
  it('the same file offset at another 1 GiB-aligned address shares too (only pmd_index must match)', () => {
    expect(attempt({ addr: B + 8 * G }).shares).toBe(1);
  });
  it('a different offset in the file maps another PUD region of R: shares that table', () => {
    const { shares, w } = attempt({ addr: B + 8 * G, pgoff: G / 4096 });
    expect(shares).toBe(1);
    void w;
  });
  it('MAP_PRIVATE never shares (no VM_MAYSHARE)', () => {
    expect(attempt({ shared: false }).shares).toBe(0);
  });
  it('a VMA that does not cover the whole PUD region never shares', () => {
    expect(attempt({ len: 512 * M }).shares).toBe(0);
  });
  it('different protection (PROT_READ vs RW) never shares', () => {
    expect(attempt({ write: false }).shares).toBe(0);
  });
  it('VM_LOCKED on only one side is allowed', () => {
    expect(attempt({ locked: true }).shares).toBe(1);
  });
  it('no hugetlb VMA lock (allocation failed) never shares', () => {
    expect(attempt({ lockless: true }).shares).toBe(0);
  });
  it('misaligned mapping (pmd_index differs) never shares', () => {
    // Q covers a whole PUD region, but its file offset 2M sits at pmd_index 0 where R has it at 1
    const { shares } = attempt({ addr: B + 4 * G, len: G, pgoff: (2 * M) / 4096 });
    expect(shares).toBe(0);
  });
  it('without ARCH_WANT_HUGE_PMD_SHARE nothing shares, and V0 hugetlb_unshare_pmds still flushes on a split', () => {
    expect(attempt({}, {}).shares).toBe(0);
    const w = world({ behaviour: 'V0', kconfig: {} });
    const Q = w.proc('Q', 0);
    w.mapFile(Q, w.m.createFile('F'), B, G);
    w.touchAll(Q, [B]);
    const d = w.measure(() => w.m.op('munmap', 0, () => w.m.hugetlb!.split!(w.m, Q.mm, Q.mm.findVma(B)!, B + 512 * M)));
    expect(d).toMatchObject({ unsh: 0, direct: 1, flushes: 1 });
  });
});

describe('hstates', () => {
  it('x86-64 generic geometry: 2 MiB at the PMD level (shareable), 1 GiB at the PUD level', () => {
    const m = new Machine({ arch: generic({ kconfig: { ARCH_WANT_HUGE_PMD_SHARE: true } }), cpus: 1 });
    const h = installHugetlb(m);
    expect(h.hstates.map((x) => [x.name, x.level, x.contig, x.shareable])).toEqual([
      ['hugepages-2048kB', 1, 1, true],
      ['hugepages-1048576kB', 2, 1, false],
    ]);
    expect(h.behaviour).toBe('V2');
  });
  it('arm64-4K sizes: 64K = 16 contiguous PTEs, 32M = 16 contiguous PMDs; only 2M shares', () => {
    const m = new Machine({ arch: generic({ kconfig: { ARCH_WANT_HUGE_PMD_SHARE: true } }), cpus: 1 });
    const hs = hstatesFor(m.geometry, [64 * 1024, 2 * M, 32 * M, G], m.kconfig);
    expect(hs.map((x) => [x.size, x.level, x.contig, x.shareable])).toEqual([
      [64 * 1024, 0, 16, false], [2 * M, 1, 1, true], [32 * M, 1, 16, false], [G, 2, 1, false],
    ]);
  });
  it('rejects an unknown behaviour', () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    expect(() => installHugetlb(m, { behaviour: 'V9' as never })).toThrow(/unknown hugetlb behaviour/);
  });
});

describe('rmap: try_to_unmap of a file hugetlb folio (hugetlb SPEC.md §4.5)', () => {
  for (const [v, ipis] of [['V0', 0], ['V1', 1], ['V2', 1]] as const) {
    it(`${v}: Q's mapping goes with an unshare (${ipis} IPI), R's exclusive entry with huge_ptep_clear_flush`, () => {
      const w = world({ behaviour: v });
      const F = w.m.createFile('F');
      const R = w.proc('R', 1);
      const Q = w.proc('Q', 0);
      // R first: it owns the table, Q shares it (u=2)
      w.mapFile(R, F, B, G);
      w.touchAll(R, [B + 2 * M]);
      w.mapFile(Q, F, B, G);
      w.touchAll(Q, [B + 2 * M]);
      const frame = F.pages.get(2 * M / 4096)!;
      const d = w.measure(() => w.m.op('try_to_unmap', 2, () => expect(w.h.tryToUnmap(F, 2 * M / 4096)).toBe(2)));
      // R is visited first: its table is shared, so R unshares; Q then owns it and clears the entry
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis, flushes: v === 'V2' ? 2 : 2, direct: v === 'V2' ? 1 : 2 });
      expect(w.m.frames.mapcountOf(frame)).toBe(0);
      expect(w.m.frames.refcountOf(frame)).toBe(1); // the page cache's reference
      expect(w.m.metrics.violations).toEqual([]);
      expect(checkShareInvariants(w.m)).toEqual([]);
    });
  }
});

describe('fork of a MAP_PRIVATE hugetlb VMA (copy_hugetlb_page_range)', () => {
  it('copies the entries write-protected in both; the first write in each breaks COW; nothing is shared', () => {
    const w = world({ behaviour: 'V2' });
    const P = w.proc('P', 0, 'running');
    w.mapFile(P, w.m.createFile('F'), B, G, { shared: false });
    w.touchAll(P, [B, B + 2 * M]);
    const f = (mm: Mm, a: number) => walkToTable(w.m, mm, a, 1, false)!.entries[(a % G) / (2 * M)];
    expect(f(P.mm, B) & 2).toBe(2); // writable after the write fault
    const C = w.forkProc(P, 'C', 1);
    expect(f(P.mm, B) & 2).toBe(0);
    expect(f(C.mm, B) & 2).toBe(0);
    expect(pmdTable(w.m, C.mm, B)).not.toBe(pmdTable(w.m, P.mm, B));
    w.touchAll(C, [B]); // COW copy in the child
    w.touchAll(P, [B]); // the parent is the only mapper now: reuse
    expect(f(P.mm, B) >>> 6).not.toBe(f(C.mm, B) >>> 6);
    expect(w.h.stats.cowFlushes).toBe(1);
    expect(w.h.stats.tablesShared).toBe(0);
    w.exit(C);
    w.exit(P);
    expect(w.m.metrics.violations).toEqual([]);
  });
});

describe('mprotect of part of a shared 1 GiB VMA: the split unshares first (hugetlb_split)', () => {
  for (const [v, ipis, arch, direct] of [['V0', 0, 0, 2], ['V1', 1, 0, 2], ['V2', 1, 3, 0]] as const) {
    it(`${v}: one unshare at the split (${ipis} IPI), then change_protection of the right half finds nothing shared`, () => {
      const w = world({ behaviour: v });
      const F = w.m.createFile('F');
      const R = w.proc('R', 1);
      const Q = w.proc('Q', 0);
      for (const p of [R, Q]) {
        w.mapFile(p, F, B, G);
        w.touchAll(p, [B + (p === R ? 0 : 600 * M)]);
      }
      const d = w.measure(() => w.m.op('mprotect', 0, () => expect(mprotect(w.m, Q.mm, B + 512 * M, 512 * M, { read: true, write: false, exec: false }).ok).toBe(true)));
      // V2: the split's gather (flush + nested finish) and change_protection's gather (nested finish)
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis, direct, arch });
      // a second mprotect of the same range: no new split, nothing to unshare
      const d2 = w.measure(() => w.m.op('mprotect', 0, () => mprotect(w.m, Q.mm, B + 512 * M, 512 * M, { read: true, write: true, exec: false })));
      expect(d2).toMatchObject({ unsh: 0, ipis: 0, direct: v === 'V2' ? 0 : 1 });
      expect(w.m.metrics.violations).toEqual([]);
      expect(checkShareInvariants(w.m)).toEqual([]);
    });
  }
});

describe('mremap(2) through core on a hugetlb VMA', () => {
  it('shrinking unmaps the tail (the split unshares), growing is -EINVAL, unaligned is -EINVAL', () => {
    const w = world({ behaviour: 'V2' });
    const F = w.m.createFile('F');
    const R = w.proc('R', 1);
    const Q = w.proc('Q', 0);
    for (const p of [R, Q]) {
      w.mapFile(p, F, B, G);
      w.touchAll(p, [B]);
    }
    expect(w.m.op('mremap', 0, () => mremap(w.m, Q.mm, B, G, 2 * G))).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(w.m.op('mremap', 0, () => mremap(w.m, Q.mm, B + 4096, 4096, 4096))).toMatchObject({ ok: false, errno: 'EINVAL' });
    const d = w.measure(() => expect(w.m.op('mremap', 0, () => mremap(w.m, Q.mm, B, G, 512 * M))).toMatchObject({ ok: true, addr: B, moved: false }));
    expect(d).toMatchObject({ unsh: 1, full: 1, ipis: 1 });
    expect(Q.mm.findVma(B)!.end).toBe(B + 512 * M);
    expect(w.m.metrics.violations).toEqual([]);
  });
  it('MREMAP_FIXED of an exclusive region moves the entries and flushes the old range once', () => {
    for (const [v, arch, direct] of [['V0', 0, 1], ['V2', 1, 0]] as const) {
      const w = world({ behaviour: v });
      const Q = w.proc('Q', 0);
      const F = w.m.createFile('F');
      w.mapFile(Q, F, B, G);
      w.touchAll(Q, regions(B, 1, 6 * M));
      const D = B + 16 * G;
      const d = w.measure(() => w.m.op('mremap', 0, () => expect(w.h.mremapHugetlb(Q.mm, B, G, G, { mayMove: true, fixed: D })).toMatchObject({ ok: true, addr: D })));
      // the move's flush, plus tlb_finish_mmu of the old range's munmap freeing the empty PMD table
      expect(d).toMatchObject({ unsh: 0, ipis: 0, direct, arch: arch + 1 });
      const t = pmdTable(w.m, Q.mm, D)!;
      expect(t.present).toBe(1);
      expect(t.entries[3]).not.toBe(0);
      expect(pmdTable(w.m, Q.mm, B)).toBe(null);
      expect(w.m.metrics.violations).toEqual([]);
    }
  });
});

describe('hugetlb_unshare_all_pmds (userfaultfd WP registration)', () => {
  it('unshares every shared PUD region of the VMA in one gather: V2 one flush, one IPI', () => {
    const w = world({ behaviour: 'V2' });
    const F = w.m.createFile('F');
    const R = w.proc('R', 1);
    const Q = w.proc('Q', 0);
    for (const p of [R, Q]) {
      w.mapFile(p, F, B, 4 * G);
      w.touchAll(p, regions(B, 4, p === R ? 0 : 2 * M));
    }
    const d = w.measure(() => w.m.op('uffd', 0, () => w.h.unshareAllPmds(Q.mm, Q.mm.findVma(B)!)));
    expect(d).toMatchObject({ unsh: 4, full: 4, ipis: 1, flushes: 1, arch: 1 });
    expect(w.m.metrics.violations).toEqual([]);
  });
});

describe('checkReuse: false', () => {
  it('turns the reuse check off: the V0 litmus of hugetlb SPEC.md §5.3 is then silent', () => {
    for (const checkReuse of [true, false]) {
      const w = world({ behaviour: 'V0', cpus: 3, checkReuse, arch: () => broadcastArch(CFG_X) });
      const F = w.m.createFile('F');
      const P2 = w.proc('P2', 0, 'running');
      w.m.addThread(P2.mm, 'P2.B', 1, 'running');
      const P1 = w.proc('P1', 2, 'running');
      w.mapFile(P1, F, B, G);
      w.mapFile(P2, F, B, G);
      w.touchAll(P1, [B + 2 * M]);
      w.touchAll(P2, [B + 2 * M]);
      const walk = gupFastStart(w.m, 0, P2.mm, B + 2 * M);
      w.m.op('munmap', 1, () => munmap(w.m, P2.mm, B, G));
      w.m.op('munmap', 2, () => munmap(w.m, P1.mm, B, 512 * M));
      walk.end();
      expect(w.m.metrics.violations).toHaveLength(checkReuse ? 1 : 0);
      expect(w.h.stats.reuseChecks).toBe(1);
    }
  });
});
