/**
 * The golden scenarios of arm64 SPEC.md §11 (G1-G20), driven through core's mmu_gather:
 * a gather with the scenario's fields (or the real generic hooks that set them), then
 * tlb_flush_mmu_tlbonly on CPU0. Sequences omit the mmu notifier, as the spec does.
 */
import { describe, expect, it } from 'vitest';
import { exitThread, madvise, mmap, tlbGatherMmu, touch, type Machine, type Mm, type MmuGather } from '@tlbsim/core';
import { tlbiSequence, type Arm64Options } from '../src/index.js';
import { flushGather, hx, seqOf, setup, singles } from './helpers.js';

const ISHST = 'DSB ISHST';
const ISH = 'DSB ISH';
const asidSeq = (asid: number) => [ISHST, `TLBI ASIDE1IS asid=${asid}`, ISH];
const range = (op: string, va: number, asid: number, scale: number, num: number, ttl: number, tg = 1) =>
  `TLBI ${op} ${hx(va)} asid=${asid} tg=${tg} scale=${scale} num=${num} ttl=${ttl}`;

/** Run fn on a fresh gather (CPU0), finish it, and return the instructions. */
function withGather(m: Machine, mm: Mm, fn: (g: MmuGather) => void): string[] {
  const before = m.events.length;
  m.op('gather', 0, () => {
    const g = tlbGatherMmu(m, mm);
    fn(g);
    g.flushMmuTlbonly();
    g.finish();
  });
  return tlbiSequence(m.events.slice(before));
}

function tlbiEvents(m: Machine) {
  return m.events.filter((e) => e.name === 'tlbi').map((e) => e.args as Record<string, unknown>);
}

describe('G1 one 4K page, leaf', () => {
  for (const tlbiRange of [false, true]) {
    it(`range ${tlbiRange ? 'on' : 'off'}: DSB ISHST; TLBI VALE1IS [L3]; DSB ISH`, () => {
      const { m, mm, asid } = setup({ tlbiRange });
      expect(asid).toBe(2);
      expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x401000 })).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', ISH]);
      // operand: VA >> 12 in [43:0], TTL (TG=1 << 2 | 3) in [47:44], ASID in [63:48]
      expect(tlbiEvents(m)[0]).toMatchObject({ ttl: 7, level: 3, operand: '0x2700000000400' });
      expect(m.metrics.summary().tlbInstructions).toEqual({ 'DSB ISH': 1, 'DSB ISHST': 1, 'TLBI VALE1IS': 1 });
      expect(m.metrics.perCpu()[0].instructions['TLBI VALE1IS']).toBe(1);
      expect(m.metrics.perCpu()[1].instructions).toEqual({});
      expect(m.metrics.ipis).toBe(0);
      expect(m.metrics.rangedFlushes).toBe(1);
      expect(m.metrics.archFlushes).toBe(1);
    });
  }
});

describe('G2 16 pages (64 KiB), leaf', () => {
  it('range off: 16 x VALE1IS [L3] stepping 4K', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x410000 })).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 16, 0x1000, 2, 'L3'), ISH]);
  });
  it('range on: one RVALE1IS baddr=0x400 scale=0 num=7 ttl=3', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x410000 })).toEqual([ISHST, range('RVALE1IS', 0x400000, 2, 0, 7, 3), ISH]);
    expect(tlbiEvents(m)[0]).toMatchObject({ baddr: '0x400', pages: 16 });
  });
});

describe('G3 511 pages, just under the no-range limit', () => {
  const f = { clearedPtes: true, start: 0x400000, end: 0x5ff000 };
  it('range off: 511 x VALE1IS', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, f)).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 511, 0x1000, 2, 'L3'), ISH]);
    expect(m.metrics.tlbInstructions.get('TLBI VALE1IS')).toBe(511);
  });
  it('range on (e2768b798a19, 6.9+): scale 1 (448), scale 0 (62), then the odd page last', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x400000, 2, 1, 6, 3), range('RVALE1IS', 0x5c0000, 2, 0, 30, 3), 'TLBI VALE1IS 0x5fe000 asid=2 L3', ISH]);
  });
  it('range on, 6.1-6.8 order (before e2768b798a19): the odd page first, then scale counting up', () => {
    const { m, mm } = setup({ tlbiRange: true, kernel: 'v6.6' });
    expect(flushGather(m, mm, f)).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', range('RVALE1IS', 0x401000, 2, 0, 30, 3), range('RVALE1IS', 0x43f000, 2, 1, 6, 3), ISH]);
  });
});

describe('G4 512 pages (threshold)', () => {
  const f = { clearedPtes: true, start: 0x400000, end: 0x600000 };
  it('range off: 512 >= MAX_DVM_OPS -> flush_tlb_mm (ASIDE1IS)', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, f)).toEqual(asidSeq(2));
    expect(m.metrics.fullFlushes).toBe(1);
    expect(m.metrics.rangedFlushes).toBe(0);
  });
  it('range on: RVALE1IS scale=1 num=7', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x400000, 2, 1, 7, 3), ISH]);
  });
});

describe('G5 freeing one PTE table', () => {
  it('pte_free_tlb through the gather: non-leaf, 2M stride, no hint (range off and on)', () => {
    for (const tlbiRange of [false, true]) {
      const { m, mm } = setup({ tlbiRange });
      // the generic pte_free_tlb without a real table: cleared_pmds + freed_tables over [addr, +PAGE)
      const seq = withGather(m, mm, (g) => g.freeTableTlb(0, null, 0x40000000));
      expect(seq).toEqual(tlbiRange ? [ISHST, range('RVAE1IS', 0x40000000, 2, 1, 7, 0), ISH] : [ISHST, 'TLBI VAE1IS 0x40000000 asid=2', ISH]);
    }
  });
});

describe('G6 page tables freed across a whole 1 GiB', () => {
  const f = { clearedPmds: true, clearedPuds: true, freedTables: true, start: 0x40000000, end: 0x7fe01000 };
  it('range off: 262144 pages >= 512 * 2M / 4K -> ASIDE1IS', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, f)).toEqual(asidSeq(2));
  });
  it('range on: RVAE1IS scale=3 num=3 ttl=0', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVAE1IS', 0x40000000, 2, 3, 3, 0), ISH]);
  });
});

describe('G7 PMD-mapped THP unmap', () => {
  const f = { clearedPmds: true, start: 0x200000, end: 0x400000 };
  it('range off: one VALE1IS [L2]', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, f)).toEqual([ISHST, 'TLBI VALE1IS 0x200000 asid=2 L2', ISH]);
    expect(tlbiEvents(m)[0]).toMatchObject({ ttl: 6 });
  });
  it('range on: RVALE1IS scale=1 num=7 ttl=2', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x200000, 2, 1, 7, 2), ISH]);
  });
});

describe('G8 mixed levels in one gather', () => {
  const f = { clearedPtes: true, clearedPmds: true, start: 0x200000, end: 0x410000 };
  it('range off: 528 pages at 4K stride -> ASIDE1IS', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, f)).toEqual(asidSeq(2));
  });
  it('range on: two RVALE1IS with no level (ttl=0)', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x200000, 2, 1, 7, 0), range('RVALE1IS', 0x400000, 2, 0, 7, 0), ISH]);
  });
});

describe('G9 fullmm (exit/execve)', () => {
  it('(a) freed_tables: one ASIDE1IS sequence', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, { fullmm: true, freedTables: true, clearedPmds: true })).toEqual(asidSeq(2));
  });
  it('(b) no freed tables: the hook is called but issues nothing', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, { fullmm: true, clearedPtes: true })).toEqual([]);
    expect(m.metrics.archFlushes).toBe(1);
    expect(m.metrics.tlbInstructions.size).toBe(0);
    expect(m.metrics.fullFlushes + m.metrics.rangedFlushes).toBe(0);
  });
  it('a whole exit freeing 1200 PTE tables (+3 PMD + 1 PUD): ceil(1204 / 509) = 3 ASIDE1IS', () => {
    const { m, mm, threads } = setup({}, 2);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x40000000, length: 1200 * 0x200000 }));
    m.op('touch', 0, () => {
      const failed: number[] = [];
      for (let i = 0; i < 1200; i++) if (!touch(m, mm, 0x40000000 + i * 0x200000).ok) failed.push(i);
      expect(failed, 'tables not populated').toEqual([]);
    });
    m.op('exit', 1, () => exitThread(m, threads[1]));
    const seq = seqOf(m, () => m.op('exit', 0, () => exitThread(m, threads[0])));
    expect(seq).toEqual([...asidSeq(2), ...asidSeq(2), ...asidSeq(2)]);
    expect(m.metrics.tablesFreed).toBe(1204);
    expect(m.metrics.pagesFreed).toBe(1200);
    expect(m.metrics.rcuCallbacks).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('G10 nested gathers detected at tlb_finish_mmu', () => {
  it('the page leaf flush at tlb_end_vma, then the forced fullmm + freed_tables ASIDE1IS', () => {
    const { m, mm } = setup();
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x10000 }));
    m.op('touch', 0, () => expect(touch(m, mm, 0x400000).ok).toBe(true));
    // another thread is inside its own gather on the same mm (a concurrent MADV_DONTNEED)
    let other!: MmuGather;
    m.op('other', 1, () => {
      other = tlbGatherMmu(m, mm);
    });
    const seq = seqOf(m, () => m.op('madvise', 0, () => expect(madvise(m, mm, 0x400000, 0x1000, 'dontneed').ok).toBe(true)));
    expect(seq).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', ISH, ...asidSeq(2)]);
    expect(seqOf(m, () => m.op('other', 1, () => other.finish()))).toEqual([]);
    expect(mm.tlbFlushPending).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('G11 hugetlb 64 KiB CONT_PTE unmap (4K granule)', () => {
  it('tlb_remove_huge_tlb_entry(64K) records ptes: 16 x VALE1IS [L3] / one RVALE1IS', () => {
    for (const tlbiRange of [false, true]) {
      const { m, mm } = setup({ tlbiRange });
      const seq = withGather(m, mm, (g) => g.removeHugeTlbEntry(0x10000, 0x10000000));
      expect(seq).toEqual(tlbiRange ? [ISHST, range('RVALE1IS', 0x10000000, 2, 0, 7, 3), ISH] : [ISHST, ...singles('VALE1IS', 0x10000000, 16, 0x1000, 2, 'L3'), ISH]);
    }
  });
});

describe('G12 hugetlb 32 MiB CONT_PMD unmap (4K granule)', () => {
  it('pmds over 32M: 16 x VALE1IS [L2] stepping 2M / RVALE1IS scale=2 num=3 ttl=2', () => {
    for (const tlbiRange of [false, true]) {
      const { m, mm } = setup({ tlbiRange });
      const seq = withGather(m, mm, (g) => g.removeHugeTlbEntry(0x2000000, 0x40000000));
      expect(seq).toEqual(tlbiRange ? [ISHST, range('RVALE1IS', 0x40000000, 2, 2, 3, 2), ISH] : [ISHST, ...singles('VALE1IS', 0x40000000, 16, 0x200000, 2, 'L2'), ISH]);
    }
  });
});

describe('G13 sixteen 1 GiB hugetlb pages in one gather (version-sensitive)', () => {
  const G = 2 ** 30;
  const run = (opts: Arm64Options) => {
    const { m, mm } = setup(opts);
    return withGather(m, mm, (g) => {
      for (let i = 0; i < 16; i++) g.removeHugeTlbEntry(G, 0x4000000000 + i * G);
    });
  };
  const sixteen = (hint: string | null) => [ISHST, ...singles('VALE1IS', 0x4000000000, 16, G, 2, hint), ISH];
  it('v7.1 range off: the MAX_DVM_OPS limit (2^27 pages) is not hit: 16 x VALE1IS [L1]', () => {
    expect(run({})).toEqual(sixteen('L1'));
  });
  for (const kernel of ['6.1', 'v6.12', 'v7.0'] as const) {
    it(`${kernel} range off: 2^22 pages reach the range-page limit anyway -> ASIDE1IS`, () => {
      expect(run({ kernel })).toEqual(asidSeq(2));
    });
  }
  it('the v5.9/v4.20 rows of the old model are gone: releases before 6.1 are refused by name', () => {
    expect(() => run({ kernel: 'v5.9' })).toThrow("arm64: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (kernel 5.9 is older than the oldest modelled release, 6.1)");
  });
  for (const kernel of ['6.1', 'v6.9', 'v7.1'] as const) {
    it(`${kernel} range on: 2^22 > 2^21 -> ASIDE1IS`, () => {
      expect(run({ kernel, tlbiRange: true })).toEqual(asidSeq(2));
    });
  }
});

describe('G14 unsharing a hugetlb shared PMD table', () => {
  const run = (opts: Arm64Options, share: number) => {
    const { m, mm } = setup(opts);
    const t = m.newTable(1, 0x40000000, mm);
    t.share = share;
    const seq = seqOf(m, () => m.op('unshare', 0, () => {
      const g = tlbGatherMmu(m, mm);
      g.unsharePmdPtdesc(t, 0x40000000); // huge_pmd_unshare -> tlb_unshare_pmd_ptdesc
      g.flushUnsharedTables(); // huge_pmd_unshare_flush
      g.finish();
    }));
    return { m, seq };
  };
  it('v7.1 range off: 262144 pages at 2M stride hit the limit -> ASIDE1IS, then the sync IPI', () => {
    const { m, seq } = run({}, 1);
    expect(seq).toEqual(asidSeq(2));
    expect(m.metrics.ipis).toBe(3);
    expect(m.metrics.ipiBroadcasts).toBe(1);
  });
  it('v7.1 range on: non-leaf RVAE1IS scale=3 num=3 with level 2 (unshared does not change the level)', () => {
    const { m, seq } = run({ tlbiRange: true }, 1);
    expect(seq).toEqual([ISHST, range('RVAE1IS', 0x40000000, 2, 3, 3, 2), ISH]);
    expect(m.metrics.ipis).toBe(3);
  });
  it('not the last sharer: the same TLBIs and no IPI', () => {
    const { m, seq } = run({ tlbiRange: true }, 2);
    expect(seq).toEqual([ISHST, range('RVAE1IS', 0x40000000, 2, 3, 3, 2), ISH]);
    expect(m.metrics.ipis).toBe(0);
  });
  it('v7.0 (before c2ff4764e03e): leaf-only RVALE1IS, which leaves the PUD walk-cache entry', () => {
    const { m, seq } = run({ tlbiRange: true, kernel: 'v7.0' }, 1);
    expect(seq).toEqual([ISHST, range('RVALE1IS', 0x40000000, 2, 3, 3, 2), ISH]);
    expect(m.metrics.ipis).toBe(3);
  });
});

describe('G15 64K granule, 100 pages, leaf', () => {
  const f = { clearedPtes: true, start: 0x10000000, end: 0x10640000 };
  it('range off: 100 x VALE1IS, TTL 0b1111, the 4K-unit VA field steps by 16', () => {
    const { m, mm } = setup({ granule: '64k' });
    expect(flushGather(m, mm, f)).toEqual([ISHST, ...singles('VALE1IS', 0x10000000, 100, 0x10000, 2, 'L3'), ISH]);
    const ev = tlbiEvents(m);
    expect(ev.every((a) => a.ttl === 15)).toBe(true);
    expect(ev[0].operand).toBe('0x2f00000010000');
    expect(ev[1].operand).toBe('0x2f00000010010');
  });
  it('range on: 100 = 64 + 36: RVALE1IS tg=3 scale=1 num=0, scale=0 num=17', () => {
    const { m, mm } = setup({ granule: '64k', tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x10000000, 2, 1, 0, 3, 3), range('RVALE1IS', 0x10400000, 2, 0, 17, 3, 3), ISH]);
  });
});

describe('G16 16K granule, 2048 pages (32 MiB), leaf', () => {
  const f = { clearedPtes: true, start: 0x10000000, end: 0x12000000 };
  it('range off: 2048 >= MAX_DVM_OPS (2048) -> ASIDE1IS', () => {
    const { m, mm } = setup({ granule: '16k' });
    expect(flushGather(m, mm, f)).toEqual(asidSeq(2));
  });
  it('range on: RVALE1IS tg=2 scale=2 num=0', () => {
    const { m, mm } = setup({ granule: '16k', tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x10000000, 2, 2, 0, 3, 2), ISH]);
  });
});

describe('G17 the range-op ceiling (4K, range on)', () => {
  const eight = { clearedPtes: true, start: 0x100000000, end: 0x300000000 };
  it('(a) exactly 2^21 pages: from 73301e464a72 (6.10) one RVALE1IS scale=3 num=31; 6.1-6.9 (>=) ASIDE1IS', () => {
    for (const kernel of ['6.10', '7.1']) {
      const a = setup({ tlbiRange: true, kernel });
      expect(flushGather(a.m, a.mm, eight)).toEqual([ISHST, range('RVALE1IS', 0x100000000, 2, 3, 31, 3), ISH]);
    }
    for (const kernel of ['6.1', 'v6.6', '6.9']) {
      const b = setup({ tlbiRange: true, kernel });
      expect(flushGather(b.m, b.mm, eight)).toEqual(asidSeq(2));
    }
  });
  it('(b) 8 GiB + 4 KiB: ASIDE1IS in every version', () => {
    for (const kernel of ['6.1', 'v6.6', 'v6.9', 'v6.13', 'v7.1'] as const) {
      const { m, mm } = setup({ tlbiRange: true, kernel });
      expect(flushGather(m, mm, { ...eight, end: 0x300001000 })).toEqual(asidSeq(2));
    }
  });
});

describe('G18 errata and KPTI multipliers (3 pages, leaf, range off)', () => {
  const f = { clearedPtes: true, start: 0x400000, end: 0x403000 };
  const p = (i: number, asid = 2) => `TLBI VALE1IS ${hx(0x400000 + i * 0x1000)} asid=${asid} L3`;
  const count = (seq: string[], prefix: string) => seq.filter((s) => s.startsWith(prefix)).length;
  it('(a) REPEAT_TLBI v7.0+: one trailing TLBI VALE1IS, XZR; DSB ISH (4 TLBI, 3 DSB)', () => {
    for (const kernel of ['v7.0', 'v7.1'] as const) {
      const { m, mm } = setup({ repeatTlbi: true, kernel });
      const seq = flushGather(m, mm, f);
      expect(seq).toEqual([ISHST, p(0), p(1), p(2), ISH, 'TLBI VALE1IS xzr', ISH]);
      expect(tlbiEvents(m)[3]).toMatchObject({ operand: '0x0', asid: 0 });
    }
  });
  it('(a) REPEAT_TLBI up to v6.19: each TLBI becomes TLBI; DSB ISH; TLBI (6 TLBI, 5 DSB)', () => {
    const { m, mm } = setup({ repeatTlbi: true, kernel: 'v6.19' });
    expect(flushGather(m, mm, f)).toEqual([ISHST, p(0), ISH, p(0), p(1), ISH, p(1), p(2), ISH, p(2), ISH]);
  });
  it('(b) KPTI: every user-ASID op twice, kernel ASID then the odd user ASID (6 TLBI)', () => {
    const { m, mm, asid } = setup({ kpti: true });
    expect(asid).toBe(2);
    expect(flushGather(m, mm, f)).toEqual([ISHST, p(0), p(0, 3), p(1), p(1, 3), p(2), p(2, 3), ISH]);
    expect(tlbiEvents(m)[1]).toMatchObject({ user: true, operand: '0x3700000000400' });
    // the ASID fallback is doubled too
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x600000 })).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', 'TLBI ASIDE1IS asid=3', ISH]);
  });
  it('(c) both, up to v6.19: 12 TLBI and 8 DSB; from v7.0: 7 TLBI (the XZR op has no twin) and 3 DSB', () => {
    const old = setup({ kpti: true, repeatTlbi: true, kernel: 'v6.19' });
    const s1 = flushGather(old.m, old.mm, f);
    expect([count(s1, 'TLBI'), count(s1, 'DSB')]).toEqual([12, 8]);
    expect(old.m.metrics.summary().tlbInstructions).toEqual({ 'DSB ISH': 7, 'DSB ISHST': 1, 'TLBI VALE1IS': 12 });
    const neu = setup({ kpti: true, repeatTlbi: true });
    const s2 = flushGather(neu.m, neu.mm, f);
    expect([count(s2, 'TLBI'), count(s2, 'DSB')]).toEqual([7, 3]);
    expect(s2.slice(-3)).toEqual([ISH, 'TLBI VALE1IS xzr', ISH]);
  });
});

describe('G19 LPA2 alignment prefix (4K, range on, LPA2)', () => {
  const f = { clearedPtes: true, start: 0x10002000, end: 0x1002a000 };
  it('14 single ops up to 64K alignment, then RVALE1IS baddr=VA>>16 for 26 pages', () => {
    const { m, mm } = setup({ tlbiRange: true, lpa2: true, vaBits: 52 });
    expect(flushGather(m, mm, f)).toEqual([ISHST, ...singles('VALE1IS', 0x10002000, 14, 0x1000, 2, 'L3'), range('RVALE1IS', 0x10010000, 2, 0, 12, 3), ISH]);
    expect(tlbiEvents(m)[14]).toMatchObject({ baddr: '0x1001', pages: 26 });
  });
  it('without LPA2 the same range is one RVALE1IS scale=0 num=19', () => {
    const { m, mm } = setup({ tlbiRange: true });
    expect(flushGather(m, mm, f)).toEqual([ISHST, range('RVALE1IS', 0x10002000, 2, 0, 19, 3), ISH]);
  });
});
