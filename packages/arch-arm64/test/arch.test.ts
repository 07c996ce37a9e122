/** The factory: options, validation, geometry, Kconfig, costs, and the non-gather flush primitives. */
import { describe, expect, it } from 'vitest';
import { Machine, mmap, type Mm } from '@tlbsim/core';
import { DEFAULTS, KERNEL_RELEASES, OPTION_SPECS, arm64, arm64Internals, type Arm64Options, type Arm64Runtime } from '../src/index.js';
import { flushGather, seqOf, setup, singles } from './helpers.js';

const ISHST = 'DSB ISHST';
const ISH = 'DSB ISH';
const M = 2 ** 20;
const G = 2 ** 30;

describe('options', () => {
  it('defaults: 4K granule, 48-bit VA, no TLBIRANGE/LPA2/KPTI/errata, kernel v7.1', () => {
    const a = arm64();
    expect(a.name).toBe('arm64');
    expect(a.options).toEqual({ granule: '4k', vaBits: 48, tlbiRange: false, ttl: true, lpa2: false, kpti: false, repeatTlbi: false, asidBits: 16, kernel: 'v7.1', ptReclaim: false });
    expect(a.options).toEqual(DEFAULTS);
    expect(a.label).toBe('arm64 (4K, 48-bit VA, v7.1)');
    expect(arm64({ granule: '16k', tlbiRange: true, kpti: true, kernel: 'v6.12' }).label).toBe('arm64 (16K, 48-bit VA, TLBIRANGE, KPTI, v6.12)');
  });

  it('every option has a spec, and every spec with choices lists its default', () => {
    expect(OPTION_SPECS.map((s) => s.name)).toEqual(['granule', 'vaBits', 'tlbiRange', 'ttl', 'lpa2', 'kpti', 'repeatTlbi', 'asidBits', 'kernel', 'ptReclaim', 'cost']);
    for (const s of OPTION_SPECS) if (s.choices) expect(s.choices).toContain(s.default);
    expect(OPTION_SPECS.find((s) => s.name === 'kernel')!.choices).toEqual(KERNEL_RELEASES);
  });

  const COST_KEYS = 'ipiSend, ipiPerTarget, instructions, defaultInstruction, pageFree, tableFree, rcuCallback, sources';
  const bad: [Arm64Options, string][] = [
    [{ foo: 1 } as unknown as Arm64Options, "arm64: unknown option 'foo' (valid options: granule, vaBits, tlbiRange, ttl, lpa2, kpti, repeatTlbi, asidBits, kernel, ptReclaim, cost)"],
    [{ granule: '8k' as never }, "arm64: option 'granule' must be one of '4k', '16k', '64k' (got '8k'; did you mean '4k'?)"],
    [{ tlbiRange: 'yes' as never }, "arm64: option 'tlbiRange' must be one of true, false (got 'yes')"],
    [{ asidBits: 12 as never }, "arm64: option 'asidBits' must be one of 8, 16 (got 12)"],
    [{ kernel: 'v4.19' }, "arm64: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (kernel 4.19 is older than the oldest modelled release, 6.1)"],
    [{ kernel: '7.2' }, "arm64: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (kernel 7.2 is newer than the newest modelled release, 7.1)"],
    [{ kernel: 'latest' }, "arm64: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (not a kernel release: 'latest' (expected e.g. 6.1, 6.18.44 or mainline))"],
    [{ vaBits: 47 }, "arm64: option 'vaBits' must be one of 39, 48, 52 with granule '4k' (got 47)"],
    [{ granule: '16k', vaBits: 39 }, "arm64: option 'vaBits' must be one of 47, 48, 52 with granule '16k' (got 39)"],
    // the two-level configurations (16k/36, 64k/42) are not among the choices: core's walkers need 3+ levels
    [{ granule: '64k', vaBits: 42 }, "arm64: option 'vaBits' must be one of 39, 47, 48, 52 (got 42)"],
    [{ vaBits: 52 }, "arm64: option 'vaBits' must be one of 39, 48 without lpa2 (52-bit VA with the 4k granule needs lpa2: true; without FEAT_LPA2 the kernel runs with a 48/47-bit VA)"],
    [{ lpa2: true }, "arm64: option 'lpa2' must be false with vaBits 48 (LPA2 is in use only with vaBits 52)"],
    [{ granule: '64k', vaBits: 52, lpa2: true }, "arm64: option 'lpa2' must be false with granule '64k' (FEAT_LPA2 is used only with the 4k and 16k granules; 64k reaches 52 bits with FEAT_LPA)"],
    [{ vaBits: 52, lpa2: true, kernel: '6.6.40' }, "arm64: option 'lpa2' must be false with kernel 'v6.6.40' (LPA2 support came with 6.9 (c910f2b65518))"],
    [{ ptReclaim: true, kernel: 'v6.12' }, "arm64: option 'ptReclaim' must be false with kernel 'v6.12' (arm64 cannot enable PT_RECLAIM before 6.19; ARCH_SUPPORTS_PT_RECLAIM was x86-only)"],
    [{ cost: 5 as never }, `arm64: option 'cost' must be an object with any of ${COST_KEYS} (got 5)`],
  ];
  for (const [o, msg] of bad) {
    it(`rejects ${JSON.stringify(o)}`, () => {
      expect(() => arm64(o)).toThrow(msg);
    });
  }

  it('cost overrides merge into the cited defaults and drive the estimate', () => {
    const a = arm64({ cost: { instructions: { 'DSB ISH': 1000 } } });
    expect(a.cost.instructions['DSB ISH']).toBe(1000);
    expect(a.cost.instructions['TLBI VALE1IS']).toBe(20);
    expect(a.cost.sources['DSB ISH']).toMatch(/estimate/);
    const m = new Machine({ arch: a, cpus: 2, trace: true });
    const mm = m.createMm('A');
    m.addThread(mm, 'a', 0, 'running');
    const ns = m.metrics.estimatedNs;
    flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x401000 });
    expect(m.metrics.estimatedNs - ns).toBe(10 + 20 + 1000);
  });
});

describe('granules: geometry, hugetlb sizes, Kconfig', () => {
  const shifts = (o: Arm64Options) => arm64(o).geometry.levels.map((l) => [l.shift, l.entries, l.folding]);
  it('4K/48: four levels, P4D folded at compile time', () => {
    expect(shifts({})).toEqual([[12, 512, 'none'], [21, 512, 'none'], [30, 512, 'none'], [39, 1, 'compile'], [39, 512, 'none']]);
    const a = arm64();
    expect(a.geometry.taskSize).toBe(2 ** 48);
    expect(a.hugePageSizes).toEqual([64 * 1024, 2 * M, 32 * M, G]);
    expect(a.thpPmdSize).toBe(2 * M);
  });
  it('4K/39: three levels (PUD folded); 4K/52 with LPA2: five levels, a 16-entry pgd', () => {
    expect(shifts({ vaBits: 39 })).toEqual([[12, 512, 'none'], [21, 512, 'none'], [30, 1, 'compile'], [30, 1, 'compile'], [30, 512, 'none']]);
    expect(shifts({ vaBits: 52, lpa2: true }).map((l) => l[1])).toEqual([512, 512, 512, 512, 16]);
  });
  it('16K/48: a 2-entry pgd; 16K/47: three levels', () => {
    expect(shifts({ granule: '16k' })).toEqual([[14, 2048, 'none'], [25, 2048, 'none'], [36, 2048, 'none'], [47, 1, 'compile'], [47, 2, 'none']]);
    expect(shifts({ granule: '16k', vaBits: 47 }).map((l) => l[2])).toEqual(['none', 'none', 'compile', 'compile', 'none']);
    const a = arm64({ granule: '16k' });
    expect(a.hugePageSizes).toEqual([2 * M, 32 * M, G]);
    expect(a.thpPmdSize).toBe(32 * M);
  });
  it('64K/48: three levels, a 64-entry pgd; CONT_PTE 2M, PMD 512M, CONT_PMD 16G', () => {
    expect(shifts({ granule: '64k' })).toEqual([[16, 8192, 'none'], [29, 8192, 'none'], [42, 1, 'compile'], [42, 1, 'compile'], [42, 64, 'none']]);
    expect(arm64({ granule: '64k' }).hugePageSizes).toEqual([2 * M, 512 * M, 16 * G]);
    expect(shifts({ granule: '64k', vaBits: 52 })[4]).toEqual([42, 1024, 'none']);
  });
  it('Kconfig: RCU table free and batched unmap, no MERGE_VMAS/PAGE_SIZE; HUGE_PMD_SHARE for 4K and 16K', () => {
    const k = arm64().kconfig;
    expect(k).toEqual({
      MMU_GATHER_TABLE_FREE: true, MMU_GATHER_RCU_TABLE_FREE: true, MMU_GATHER_PAGE_SIZE: false, MMU_GATHER_NO_RANGE: false,
      MMU_GATHER_NO_GATHER: false, MMU_GATHER_MERGE_VMAS: false, MMU_GATHER_NO_FLUSH_CACHE: false, PT_RECLAIM: false,
      ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: true, ARCH_WANT_HUGE_PMD_SHARE: true, SMP: true,
    });
    expect(arm64({ granule: '16k' }).kconfig.ARCH_WANT_HUGE_PMD_SHARE).toBe(true);
    expect(arm64({ granule: '64k' }).kconfig.ARCH_WANT_HUGE_PMD_SHARE).toBe(false);
    // 43b3dfdd0455 came with the 6.6 mm pull, not 6.5
    expect(arm64({ kernel: 'v6.5' }).kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH).toBe(false);
    expect(arm64({ kernel: '6.6' }).kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH).toBe(true);
    expect(arm64({ ptReclaim: true }).kconfig.PT_RECLAIM).toBe(true);
  });
});

describe('tlb_get_level and FEAT_TTL across versions', () => {
  const p4dOnly = { clearedP4ds: true, start: 0, end: 0x1000 };
  it('only p4ds cleared (512G stride): hinted level 0 with c910f2b65518, no hint without it (0 meant unknown)', () => {
    const a = setup();
    expect(flushGather(a.m, a.mm, p4dOnly)).toEqual([ISHST, 'TLBI VALE1IS 0x0 asid=2 L0', ISH]);
    const b = new Machine({ arch: arm64(), cpus: 1, trace: true, kernel: '7.1', features: ['-c910f2b65518'] });
    const bm = b.createMm('A');
    b.addThread(bm, 'a', 0, 'running');
    expect(flushGather(b, bm, p4dOnly)).toEqual([ISHST, 'TLBI VALE1IS 0x0 asid=2', ISH]);
    // 6.1-7.0 also fall back once the rounded range reaches 2^21 pages, range ops or not
    const c = setup({ kernel: 'v6.6' });
    expect(flushGather(c.m, c.mm, p4dOnly)).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
  });
  it('without FEAT_TTL no operand carries a hint', () => {
    const { m, mm } = setup({ ttl: false });
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x401000 })).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2', ISH]);
    expect(m.events.find((e) => e.name === 'tlbi')!.args).toMatchObject({ ttl: 0, operand: '0x2000000000400' });
  });
  it('6.1: hints and range TLBIs are in use (v5.9 and v5.10, before the oldest modelled release)', () => {
    const { m, mm } = setup({ kernel: '6.1', tlbiRange: true });
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x403000 })).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', 'TLBI RVALE1IS 0x401000 asid=2 tg=1 scale=0 num=0 ttl=3', ISH]);
  });
  it('the notifier runs between the TLBIs and the completing DSB (v6.6+), over the rounded range', () => {
    const { m, mm } = setup();
    expect(flushGather(m, mm, { clearedPmds: true, freedTables: true, start: 0x40000000, end: 0x40001000 }, { notify: true }))
      .toEqual([ISHST, 'TLBI VAE1IS 0x40000000 asid=2', 'NOTIFY 0x40000000-0x40200000', ISH]);
    expect(flushGather(m, mm, { clearedPtes: true, start: 0x400000, end: 0x600000 }, { notify: true }))
      .toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH, 'NOTIFY 0x0-~0']);
  });
});

describe('flush_hugetlb_tlb_range (flush_tlb_range on a hugetlb VMA)', () => {
  const run = (opts: Arm64Options, size: number, n = 1) => {
    const { m, mm, rt } = setup(opts);
    m.op('mmap', 0, () => expect(mmap(m, mm, { addr: 0x40000000, length: n * size, hugetlb: true, hugeSize: size }).ok).toBe(true));
    return seqOf(m, () => m.op('flush', 0, () => rt.flushTlbRange(mm, 0x40000000, 0x40000000 + n * size, { exec: false, hugetlb: true, hugeShift: Math.log2(size) })));
  };
  it('v7.1: CONT_PMD 32M -> PMD stride, level 2, non-leaf', () => {
    expect(run({}, 32 * M)).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, 2 * M, 2, 'L2'), ISH]);
  });
  it('v7.1: CONT_PTE 64K -> page stride, level 3; v6.12: level 0 (hinted: the LPA2-era bug); v6.1: no hint', () => {
    expect(run({}, 64 * 1024)).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, 0x1000, 2, 'L3'), ISH]);
    expect(run({ kernel: 'v6.12' }, 64 * 1024)).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, 0x1000, 2, 'L0'), ISH]);
    expect(run({ kernel: 'v6.6' }, 64 * 1024)).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, 0x1000, 2, null), ISH]);
  });
  it('v6.12: CONT_PMD 32M at page stride hits the DVM limit -> ASIDE1IS; 1G PUD -> one VAE1IS [L1]', () => {
    expect(run({ kernel: 'v6.12' }, 32 * M)).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
    expect(run({ kernel: 'v6.12' }, G)).toEqual([ISHST, 'TLBI VAE1IS 0x40000000 asid=2 L1', ISH]);
  });
  it('6.1 (before 6.6) the generic flush_tlb_range: 2M at page stride is 512 ops -> ASIDE1IS; 6.6: one VAE1IS [L2]', () => {
    expect(run({ kernel: '6.1' }, 2 * M)).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
    expect(run({ kernel: '6.6' }, 2 * M)).toEqual([ISHST, 'TLBI VAE1IS 0x40000000 asid=2 L2', ISH]);
  });
});

describe('kernel-range flushes', () => {
  const kseq = (opts: Arm64Options, start: number, pages: number) => {
    const { m, rt } = setup(opts);
    return seqOf(m, () => m.op('kflush', 0, () => rt.flushTlbKernelRange!(start, start + pages * 0x1000)));
  };
  const K = 0x10000000;
  it('v7.1: VAALE1IS per page (all ASIDs, leaf, no hint), sync, ISB', () => {
    expect(kseq({}, K, 3)).toEqual([ISHST, ...singles('VAALE1IS', K, 3, 0x1000, 0, null), ISH, 'ISB']);
  });
  it('v7.1 range on: RVAALE1IS', () => {
    expect(kseq({ tlbiRange: true }, K, 16)).toEqual([ISHST, `TLBI RVAALE1IS 0x${K.toString(16)} asid=0 tg=1 scale=0 num=7 ttl=0`, ISH, 'ISB']);
  });
  it('512 pages: flush_tlb_all in v7.1 (>=), 512 single ops in v6.12 (strict >)', () => {
    expect(kseq({}, K, 512)).toEqual([ISHST, 'TLBI VMALLE1IS', ISH, 'ISB']);
    expect(kseq({ kernel: 'v6.12' }, K, 512).length).toBe(515);
    expect(kseq({ kernel: 'v6.12' }, K, 513)).toEqual([ISHST, 'TLBI VMALLE1IS', ISH, 'ISB']);
  });
});

describe('broadcast domain', () => {
  it('one TLBI ...IS invalidates every CPU that cached the mm, with no IPI (checker sees it)', () => {
    const { m, mm } = setup();
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x1000 }));
    for (let c = 0; c < 4; c++) m.op('touch', c, () => m.runtime.flushTlbPage(mm, 0x400000));
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.perCpu().map((c) => c.instructions['TLBI VALE1IS'])).toEqual([1, 1, 1, 1]);
  });
  it('the runtime exposes the allocator; an mm that never ran is flushed with ASID 0', () => {
    const { m, rt } = setup();
    const ghost: Mm = m.createMm('ghost');
    expect(arm64Internals(m).asids.asid(ghost)).toBe(0);
    expect(seqOf(m, () => m.op('f', 0, () => rt.flushTlbMm(ghost)))).toEqual([ISHST, 'TLBI ASIDE1IS asid=0', ISH]);
    void (m.runtime as Arm64Runtime);
  });
});
