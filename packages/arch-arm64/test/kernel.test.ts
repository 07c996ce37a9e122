/**
 * Kernel releases and features: the declared feature table, how a backend follows the machine's
 * kernel (or overrides it), one test per feature showing the difference it makes, and what
 * 6.1 executes in the golden scenarios it changes (the page-table barriers).
 */
import { describe, expect, it } from 'vitest';
import { Machine, fork, kernelFeatures, mmap, munmap, touch, type Mm } from '@tlbsim/core';
import { ARM64_FEATURES, arm64, tlbiSequence, type Arm64Options, type Arm64Runtime } from '../src/index.js';
import { flushGather, seqOf, singles } from './helpers.js';

const ISHST = 'DSB ISHST';
const ISH = 'DSB ISH';
const P = 0x1000;
const M = 2 ** 20;
const G = 2 ** 30;
const BARRIER = [ISHST, 'ISB'];

/** A traced machine modelling `kernel` with `features`, process A running on every CPU. */
function machine(kernel?: string, features: string[] = [], opts: Arm64Options = {}, cpus = 2) {
  const m = new Machine({ arch: arm64(opts), cpus, trace: true, kernel, features });
  const mm = m.createMm('A');
  for (let c = 0; c < cpus; c++) m.addThread(mm, `a${c}`, c, 'running');
  return { m, mm, rt: m.runtime as Arm64Runtime };
}

describe('the feature table', () => {
  it('ids, mainline releases and the backports that matter, oldest first', () => {
    expect(ARM64_FEATURES.map((f) => [f.id, f.mainline, 'backports' in f ? f.backports : {}])).toEqual([
      ['43b3dfdd0455', '6.6', {}],
      ['6bbd42e2df8f', '6.6', {}],
      ['e2768b798a19', '6.9', { '6.6': 29 }],
      ['c910f2b65518', '6.9', {}],
      ['73301e464a72', '6.10', {}],
      ['a923705c69f7', '6.13', {}],
      ['eed6bfa8b282', '6.14', {}],
      ['2f4ab3ac10e1', '6.15', {}],
      ['4b634918384c', '6.16', { '6.12': 35 }],
      ['c320dbb7c80d', '6.19', {}],
      ['a8f78680ee6b', '7.0', { '6.1': 176, '6.12': 94 }],
      ['c753d667d959', '7.1', {}],
      ['64212d689306', '7.1', {}],
      ['c2ff4764e03e', '7.1', { '6.1': 176, '6.6': 143, '6.12': 93, '7.0': 12 }],
    ]);
    // declared in core's registry, so --feature and `tlbsim kernels` know them
    const ids = new Set(kernelFeatures().map((f) => f.id));
    for (const f of ARM64_FEATURES) expect(ids.has(f.id)).toBe(true);
  });
});

describe('the kernel option and the machine kernel', () => {
  it('without the option the backend models the machine kernel, release and feature changes', () => {
    const m = new Machine({ arch: arm64(), cpus: 1, kernel: '6.18.44', features: ['+c2ff4764e03e'] });
    expect([m.arch.kernel!.label, m.arch.options.kernel, m.arch.label]).toEqual(['6.18.44 +c2ff4764e03e', 'v6.18.44', 'arm64 (4K, 48-bit VA, v6.18.44 +c2ff4764e03e)']);
    expect(arm64().kernel!.label).toBe('7.1');
  });
  it('given, the option overrides the machine kernel, in any spelling', () => {
    for (const k of ['7.0', 'v7.0', '7.0.0']) {
      const m = new Machine({ arch: arm64({ kernel: k }), cpus: 1, kernel: '6.1' });
      expect([m.kernel.label, m.arch.kernel!.label, m.arch.options.kernel]).toEqual(['6.1', '7.0', 'v7.0']);
    }
    expect(arm64({ kernel: 'mainline' }).options.kernel).toBe('v7.1');
  });
  it('a stable release carries the backports of its series from their patch level', () => {
    const walk = (kernel: string) => machine(kernel, [], { tlbiRange: true });
    const unshare = (k: string) => {
      const { m, mm } = walk(k);
      return flushGather(m, mm, { clearedPmds: true, unsharedTables: true, start: 0x40000000, end: 0x40000000 + G })[1];
    };
    expect([unshare('6.1.175'), unshare('6.1.176'), unshare('6.12.93'), unshare('7.0.11'), unshare('7.0.12')].map((s) => s.split(' ')[1]))
      .toEqual(['RVALE1IS', 'RVAE1IS', 'RVAE1IS', 'RVALE1IS', 'RVAE1IS']);
  });
});

describe('each feature, with and without it (exact instructions)', () => {
  const page = { clearedPtes: true, start: 0x400000, end: 0x401000 };
  it('43b3dfdd0455 arm64-batched-unmap: ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH and arch_tlbbatch_should_defer', () => {
    const on = machine('6.6').m;
    const off = machine('6.6', ['-43b3dfdd0455']).m;
    expect([on.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH, typeof (on.runtime as Arm64Runtime).tlbbatchShouldDefer]).toEqual([true, 'function']);
    expect([off.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH, typeof (off.runtime as Arm64Runtime).tlbbatchShouldDefer]).toEqual([false, 'undefined']);
  });
  it('6bbd42e2df8f arm64-secondary-tlb-notifier: one NOTIFY event per flush, or none', () => {
    const a = machine('6.6');
    const b = machine('6.6', ['-6bbd42e2df8f']);
    expect(flushGather(a.m, a.mm, page, { notify: true })).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', 'NOTIFY 0x400000-0x401000', ISH]);
    expect(flushGather(b.m, b.mm, page, { notify: true })).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', ISH]);
  });
  it('e2768b798a19 arm64-tlbi-range-scale-down: 3 pages are the odd page then scale 0 (6.6), or scale 0 then the odd page (6.6.29)', () => {
    const three = { clearedPtes: true, start: 0x400000, end: 0x403000 };
    const a = machine('6.6', [], { tlbiRange: true });
    const b = machine('6.6.29', [], { tlbiRange: true });
    expect(flushGather(a.m, a.mm, three)).toEqual([ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', 'TLBI RVALE1IS 0x401000 asid=2 tg=1 scale=0 num=0 ttl=3', ISH]);
    expect(flushGather(b.m, b.mm, three)).toEqual([ISHST, 'TLBI RVALE1IS 0x400000 asid=2 tg=1 scale=0 num=0 ttl=3', 'TLBI VALE1IS 0x402000 asid=2 L3', ISH]);
  });
  it('c910f2b65518 arm64-lpa2-tlbi: a p4d-only gather is hinted L0, or carries no hint', () => {
    const p4d = { clearedP4ds: true, start: 0, end: 0x1000 };
    const a = machine();
    const b = machine(undefined, ['-c910f2b65518']);
    expect(flushGather(a.m, a.mm, p4d)).toEqual([ISHST, 'TLBI VALE1IS 0x0 asid=2 L0', ISH]);
    expect(flushGather(b.m, b.mm, p4d)).toEqual([ISHST, 'TLBI VALE1IS 0x0 asid=2', ISH]);
  });
  it('73301e464a72 arm64-tlbi-range-max-pages: exactly 2^21 pages are one range op (6.10), or flush_tlb_mm (6.9)', () => {
    const eight = { clearedPtes: true, start: 0x100000000, end: 0x300000000 };
    const a = machine('6.10', [], { tlbiRange: true });
    const b = machine('6.9', [], { tlbiRange: true });
    expect(flushGather(a.m, a.mm, eight)).toEqual([ISHST, 'TLBI RVALE1IS 0x100000000 asid=2 tg=1 scale=3 num=31 ttl=3', ISH]);
    expect(flushGather(b.m, b.mm, eight)).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
  });
  it('a923705c69f7 arm64-kernel-range-tlbi: 16 kernel pages are one RVAALE1IS (6.13), or 16 VAALE1IS (6.12)', () => {
    const k = (kernel: string) => {
      const { m, rt } = machine(kernel, [], { tlbiRange: true });
      return seqOf(m, () => m.op('k', 0, () => rt.flushTlbKernelRange!(0x10000000, 0x10010000)));
    };
    expect(k('6.13')).toEqual([ISHST, 'TLBI RVAALE1IS 0x10000000 asid=0 tg=1 scale=0 num=7 ttl=0', ISH, 'ISB']);
    expect(k('6.12')).toEqual([ISHST, ...singles('VAALE1IS', 0x10000000, 16, P, 0, null), ISH, 'ISB']);
  });
  it('eed6bfa8b282 arm64-hugetlb-flush-level: a 64K CONT_PTE hugetlb flush is hinted L3 (6.14), or L0 (6.13)', () => {
    const h = (kernel: string) => {
      const { m, mm, rt } = machine(kernel);
      m.op('mmap', 0, () => expect(mmap(m, mm, { addr: 0x40000000, length: 0x10000, hugetlb: true, hugeSize: 0x10000 }).ok).toBe(true));
      return seqOf(m, () => m.op('f', 0, () => rt.flushTlbRange(mm, 0x40000000, 0x40010000, { exec: false, hugetlb: true, hugeShift: 16 })));
    };
    expect(h('6.14')).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, P, 2, 'L3'), ISH]);
    expect(h('6.13')).toEqual([ISHST, ...singles('VAE1IS', 0x40000000, 16, P, 2, 'L0'), ISH]);
  });
  it('2f4ab3ac10e1 tlbbatch-range: a 16-page folio is one hinted DSB ISHST + 16 ops (6.15), or 16 unhinted DSB ISHST + op pairs (6.14)', () => {
    const add = (kernel: string) => {
      const { m, mm, rt } = machine(kernel);
      return seqOf(m, () => m.op('reclaim', 0, () => rt.createTlbBatch!().addPending(mm, 0x400000, 0x410000)));
    };
    expect(add('6.15')).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3')]);
    expect(add('6.14')).toEqual(singles('VALE1IS', 0x400000, 16, P, 2, null).flatMap((s) => [ISHST, s]));
  });
  it('4b634918384c arm64-batched-pending-flush-mm: flush_tlb_batched_pending is flush_tlb_mm (6.16, 6.12.35), or a DSB ISH (6.12.34)', () => {
    const pend = (kernel: string) => {
      const { m, mm, rt } = machine(kernel);
      return seqOf(m, () => m.op('p', 0, () => rt.flushTlbBatchedPending!(mm)));
    };
    expect([pend('6.16'), pend('6.12.35'), pend('6.12.34')]).toEqual([[ISHST, 'TLBI ASIDE1IS asid=2', ISH], [ISHST, 'TLBI ASIDE1IS asid=2', ISH], [ISH]]);
  });
  it('c320dbb7c80d arm64-pte-needs-flush: an invalid -> valid change needs no flush, or the generic always', () => {
    const a = machine('6.19').rt;
    const b = machine('6.19', ['-c320dbb7c80d']).rt;
    expect([a.pteNeedsFlush!(0, 1), a.pteNeedsFlush!(1, 3), b.pteNeedsFlush]).toEqual([false, true, undefined]);
  });
  it('a8f78680ee6b arm64-repeat-tlbi-sync: 3 pages with REPEAT_TLBI are 4 TLBI + 3 DSB (6.1.176), or 6 TLBI + 5 DSB (6.1.175)', () => {
    const three = { clearedPtes: true, start: 0x400000, end: 0x403000 };
    const count = (kernel: string) => {
      const { m, mm } = machine(kernel, [], { repeatTlbi: true });
      const s = flushGather(m, mm, three);
      return [s.filter((x) => x.startsWith('TLBI')).length, s.filter((x) => x.startsWith('DSB')).length];
    };
    expect([count('6.1.176'), count('6.1.175'), count('7.0'), count('6.19')]).toEqual([[4, 3], [6, 5], [4, 3], [6, 5]]);
  });
  it('c753d667d959 arm64-range-limit-simplified: sixteen 1 GiB pages without range ops are 16 VALE1IS [L1] (7.1), or flush_tlb_mm (7.0)', () => {
    const g = { clearedPuds: true, start: 0x4000000000, end: 0x4000000000 + 16 * G };
    const a = machine('7.1');
    const b = machine('7.0');
    expect(flushGather(a.m, a.mm, g)).toEqual([ISHST, ...singles('VALE1IS', 0x4000000000, 16, G, 2, 'L1'), ISH]);
    expect(flushGather(b.m, b.mm, g)).toEqual([ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
  });
  it('64212d689306 arm64-flush-tlb-page-hint: flush_tlb_page is hinted L3 (7.1), or not (7.0)', () => {
    const fp = (kernel: string) => {
      const { m, mm, rt } = machine(kernel);
      return seqOf(m, () => m.op('f', 0, () => rt.flushTlbPage(mm, 0x400000)));
    };
    expect([fp('7.1'), fp('7.0')]).toEqual([[ISHST, 'TLBI VALE1IS 0x400000 asid=2 L3', ISH], [ISHST, 'TLBI VALE1IS 0x400000 asid=2', ISH]]);
  });
  it('c2ff4764e03e arm64-unshare-walk-cache: an unshared PMD table flushes the walk cache (VAE1IS), or leaf-only', () => {
    const u = { clearedPmds: true, unsharedTables: true, start: 0x40000000, end: 0x40000000 + G };
    const a = machine('7.1', [], { tlbiRange: true });
    const b = machine('7.1', ['-c2ff4764e03e'], { tlbiRange: true });
    expect(flushGather(a.m, a.mm, u)).toEqual([ISHST, 'TLBI RVAE1IS 0x40000000 asid=2 tg=1 scale=3 num=3 ttl=2', ISH]);
    expect(flushGather(b.m, b.mm, u)).toEqual([ISHST, 'TLBI RVALE1IS 0x40000000 asid=2 tg=1 scale=3 num=3 ttl=2', ISH]);
  });
});

/** The instructions a step executed, page-table barriers included. */
function run(m: Machine, fn: () => void): string[] {
  const before = m.events.length;
  fn();
  return tlbiSequence(m.events.slice(before), { pgtable: true });
}

describe('what 6.1 executes for the table entries it writes (set_pmd, set_pud, set_p4d), as mainline does', () => {
  for (const kernel of ['6.1', '7.1']) {
    it(`${kernel} fault: p4d_populate, pud_populate, pmd_populate, each DSB ISHST; ISB; the next fault in the table none`, () => {
      const { m, mm } = machine(kernel);
      m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 16 * P }));
      expect(run(m, () => m.op('touch', 0, () => touch(m, mm, 0x400000)))).toEqual([...BARRIER, ...BARRIER, ...BARRIER]);
      expect(run(m, () => m.op('touch', 0, () => touch(m, mm, 0x401000)))).toEqual([]);
      expect(Object.fromEntries(m.metrics.tlbInstructions)).toEqual({ 'DSB ISHST': 3, ISB: 3 });
    });
  }
  it('fork: the child gets its PUD, PMD and PTE tables (three barrier pairs), then flush_tlb_mm(parent)', () => {
    const { m, mm } = machine('6.1');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 16 * P }));
    m.op('touch', 0, () => { for (let i = 0; i < 16; i++) touch(m, mm, 0x400000 + i * P, { write: true }); });
    let child!: Mm;
    expect(run(m, () => m.op('fork', 0, () => { child = fork(m, mm, 'B'); }))).toEqual([...BARRIER, ...BARRIER, ...BARRIER, ISHST, 'TLBI ASIDE1IS asid=2', ISH]);
    expect(child.nrPtes).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
  it('munmap freeing the tables: the leaf flush, then p4d_clear (pmd_clear and pud_clear write no valid entry), then the table flush', () => {
    const { m, mm } = machine('6.1');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 16 * P }));
    m.op('touch', 0, () => { for (let i = 0; i < 16; i++) touch(m, mm, 0x400000 + i * P); });
    expect(run(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P)))).toEqual([
      ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH,
      ...BARRIER,
      ISHST, 'TLBI VAE1IS 0x0 asid=2', 'TLBI VAE1IS 0x200000 asid=2', 'TLBI VAE1IS 0x400000 asid=2', ISH,
    ]);
    expect(m.metrics.violations).toEqual([]);
  });
  it('THP split (munmap of half a THP): pmdp_invalidate flushes the PMD, then two pmd_populate (the local pmd, then the real one)', () => {
    const { m, mm } = machine('6.1');
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x100000, length: 0x100000, write: false });
      mmap(m, mm, { addr: 0x200000, length: 0x200000 });
    });
    m.op('touch', 0, () => expect(touch(m, mm, 0x200000, { thp: true }).ok).toBe(true));
    const seq = run(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x300000, M)));
    expect(seq.slice(0, 7)).toEqual([ISHST, 'TLBI VAE1IS 0x200000 asid=2 L2', ISH, ...BARRIER, ...BARRIER]);
    expect(seq.slice(7)).toEqual([ISHST, ...singles('VALE1IS', 0x300000, 256, P, 2, 'L3'), ISH]);
    expect(m.metrics.violations).toEqual([]);
  });
  it('the level decides, not the release: five levels (LPA2) add set_pgd; three levels (39-bit VA) have no p4d level', () => {
    const five = machine('6.9', [], { vaBits: 52, lpa2: true });
    five.m.op('mmap', 0, () => mmap(five.m, five.mm, { addr: 0x400000, length: P }));
    expect(run(five.m, () => five.m.op('touch', 0, () => touch(five.m, five.mm, 0x400000))).length).toBe(8);
    const three = machine('6.1', [], { vaBits: 39 });
    three.m.op('mmap', 0, () => mmap(three.m, three.mm, { addr: 0x400000, length: P }));
    expect(run(three.m, () => three.m.op('touch', 0, () => touch(three.m, three.mm, 0x400000)))).toEqual([...BARRIER, ...BARRIER]);
  });
});
