/**
 * End-to-end runs through core's mm operations on arm64, with the exact instruction sequences the
 * kernel issues and the checker at zero findings.
 */
import { describe, expect, it } from 'vitest';
import {
  Machine, exitMmap, exitThread, fork, madvise, mmap, mprotect, mremap, munmap, reclaimFilePages, touch, type Mm,
} from '@tlbsim/core';
import { arm64, arm64Internals, type Arm64Options, type Arm64Runtime } from '../src/index.js';
import { seqOf, setup, singles } from './helpers.js';

const ISHST = 'DSB ISHST';
const ISH = 'DSB ISH';
const P = 0x1000;
const asidSeq = (asid: number) => [ISHST, `TLBI ASIDE1IS asid=${asid}`, ISH];
const RO = { read: true, write: false, exec: false };
const RW = { read: true, write: true, exec: false };

function populate(m: Machine, mm: Mm, base: number, pages: number, cpus: number[] = [0]) {
  m.op('mmap', 0, () => expect(mmap(m, mm, { addr: base, length: pages * P }).ok).toBe(true));
  for (const c of cpus) m.op('touch', c, () => expect([...Array(pages).keys()].filter((i) => !touch(m, mm, base + i * P).ok), 'pages not faulted in').toEqual([]));
}

describe('munmap', () => {
  it('a lone 16-page VMA: leaf flush at tlb_end_vma, then the freed PTE/PMD/PUD tables at 2M stride', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x400000, 16, [0, 1, 2, 3]);
    const seq = seqOf(m, () => m.op('munmap', 0, () => expect(munmap(m, mm, 0x400000, 16 * P).ok).toBe(true)));
    // second flush: pte_free_tlb(0x400000) + pmd_free_tlb(0) + pud_free_tlb(0): start 0, end 0x401000,
    // cleared pmds/puds/p4ds + freed_tables -> VAE1IS, stride PMD_SIZE, rounded to [0, 0x600000)
    expect(seq).toEqual([
      ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH,
      ISHST, 'TLBI VAE1IS 0x0 asid=2', 'TLBI VAE1IS 0x200000 asid=2', 'TLBI VAE1IS 0x400000 asid=2', ISH,
    ]);
    const s = m.metrics.summary();
    // + the page-table barriers: DSB ISHST; ISB after p4d_populate, pud_populate and pmd_populate
    // at the first fault, and after free_pgtables' p4d_clear (pmd_clear and pud_clear write an
    // invalid entry: no barrier)
    expect(s.tlbInstructions).toEqual({ 'DSB ISH': 2, 'DSB ISHST': 6, ISB: 4, 'TLBI VAE1IS': 3, 'TLBI VALE1IS': 16 });
    expect([s.archFlushes, s.rangedFlushes, s.fullFlushes, s.pagesFreed, s.tablesFreed, s.rcuCallbacks]).toEqual([2, 2, 0, 16, 3, 1]);
    expect(s.ipis).toBe(0); // broadcast TLBIs: no IPI even with four CPUs running the mm
    expect(m.metrics.perCpu().map((c) => c.instructions['TLBI VALE1IS'] ?? 0)).toEqual([16, 0, 0, 0]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('the same with FEAT_TLBIRANGE: RVALE1IS for the pages, one RVAE1IS (1536 pages) for the tables', () => {
    const { m, mm } = setup({ tlbiRange: true });
    populate(m, mm, 0x400000, 16);
    const seq = seqOf(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P)));
    expect(seq).toEqual([
      ISHST, 'TLBI RVALE1IS 0x400000 asid=2 tg=1 scale=0 num=7 ttl=3', ISH,
      ISHST, 'TLBI RVAE1IS 0x0 asid=2 tg=1 scale=1 num=23 ttl=0', ISH,
    ]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('inside a larger VMA (floor/ceiling keep the tables): only the leaf flush', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x300000, 0x200, [0, 2]);
    const seq = seqOf(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P)));
    expect(seq).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH]);
    expect(m.metrics.tablesFreed).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });

  it('512 pages without range support fall back to one ASIDE1IS (MAX_DVM_OPS); their PTE table is freed too', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x300000, 0x400, [0, 1]);
    const seq = seqOf(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x400000, 512 * P)));
    // [0x400000, 0x600000) is exactly one PTE table between the neighbours: pte_free_tlb -> VAE1IS
    expect(seq).toEqual([...asidSeq(2), ISHST, 'TLBI VAE1IS 0x400000 asid=2', ISH]);
    expect(m.metrics.fullFlushes).toBe(1);
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });

  it('a PMD THP between read-only neighbours: one VALE1IS [L2], no table freed', () => {
    const { m, mm } = setup();
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x100000, length: 0x100000, write: false });
      mmap(m, mm, { addr: 0x200000, length: 0x200000 });
      mmap(m, mm, { addr: 0x400000, length: 0x200000, write: false });
    });
    m.op('touch', 1, () => expect(touch(m, mm, 0x200000, { thp: true }).ok).toBe(true));
    const seq = seqOf(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x200000, 0x200000)));
    expect(seq).toEqual([ISHST, 'TLBI VALE1IS 0x200000 asid=2 L2', ISH]);
    expect(m.metrics.pagesFreed).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });

  it('the page batch of a GUP-fast walker: TLBIs do not wait for it, RCU table freeing does', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x400000, 16);
    m.gupFastBegin(1, mm, 0x400000);
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P));
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.tablesFreed).toBe(0); // the grace period waits for the IRQs-off walker
    m.gupFastEnd(1);
    m.op('idle', 0, () => undefined);
    expect(m.metrics.tablesFreed).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });

  it('a failed table-batch allocation: flush first, then tlb_remove_table_sync_one IPIs every other CPU', () => {
    const m = new Machine({ arch: arm64(), cpus: 4, trace: true, allocFailures: { tableBatch: 'always' } });
    const mm = m.createMm('A');
    for (let c = 0; c < 4; c++) m.addThread(mm, `a${c}`, c, 'running');
    populate(m, mm, 0x400000, 16);
    const seq = seqOf(m, () => m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P)));
    // each table: tlb_table_invalidate flushes what the gather holds so far (the PTE table at 2M
    // stride, then the PMD table at 1G, the PUD table at 512G), then tlb_remove_table_sync_one
    expect(seq).toEqual([
      ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH,
      ISHST, 'TLBI VAE1IS 0x400000 asid=2', ISH,
      ISHST, 'TLBI VAE1IS 0x0 asid=2', ISH,
      ISHST, 'TLBI VAE1IS 0x0 asid=2', ISH,
    ]);
    expect(m.metrics.ipis).toBe(9);
    expect(m.metrics.ipiBroadcasts).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });

  it('with PT_RECLAIM the allocation-failure fallback frees each table by RCU, without IPIs', () => {
    const m = new Machine({ arch: arm64({ ptReclaim: true }), cpus: 4, trace: true, allocFailures: { tableBatch: 'always' } });
    const mm = m.createMm('A');
    for (let c = 0; c < 4; c++) m.addThread(mm, `a${c}`, c, 'running');
    populate(m, mm, 0x400000, 16);
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 16 * P));
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.tablesFreed).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('exit', () => {
  it('exit_mmap: one ASIDE1IS for the freed tables, nothing for the leaf entries', () => {
    const { m, mm, threads } = setup();
    populate(m, mm, 0x400000, 16, [0, 1, 2, 3]);
    for (const t of threads.slice(1)) m.op('exit', t.cpu, () => exitThread(m, t));
    // so far only the page-table barriers of the first fault (p4d/pud/pmd_populate)
    expect(Object.fromEntries(m.metrics.tlbInstructions)).toEqual({ 'DSB ISHST': 3, ISB: 3 });
    const seq = seqOf(m, () => m.op('exit', 0, () => exitThread(m, threads[0])));
    expect(seq).toEqual(asidSeq(2));
    expect(m.metrics.archFlushes).toBe(1);
    expect(m.metrics.pagesFreed).toBe(16);
    expect(m.metrics.tablesFreed).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });

  it('an exit whose page batch fills first: the forced fullmm flush issues nothing, the pages are still safe to free', () => {
    const { m, mm, threads } = setup({}, 2);
    populate(m, mm, 0x10000000, 10000);
    m.op('exit', 1, () => exitThread(m, threads[1]));
    const seq = seqOf(m, () => m.op('exit', 0, () => exitThread(m, threads[0])));
    expect(m.metrics.forcedFlushes).toBe(1);
    expect(m.metrics.archFlushes).toBe(2);
    expect(seq).toEqual(asidSeq(2)); // only the final flush, which has freed_tables
    expect(m.metrics.pagesFreed).toBe(10000);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('madvise(MADV_DONTNEED)', () => {
  it('leaf-only flush of the zapped pages, tables kept', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x400000, 16, [0, 1]);
    const seq = seqOf(m, () => m.op('madvise', 0, () => expect(madvise(m, mm, 0x400000, 16 * P, 'dontneed').ok).toBe(true)));
    expect(seq).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH]);
    expect(m.metrics.pagesFreed).toBe(16);
    expect(m.metrics.tablesFreed).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });

  it('PT_RECLAIM over a whole PTE table: the freed table makes it VAE1IS (4K stride, no hint)', () => {
    const { m, mm } = setup({ ptReclaim: true });
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
    m.op('touch', 1, () => { for (let i = 0; i < 16; i++) touch(m, mm, 0x400000 + i * P); });
    const seq = seqOf(m, () => m.op('madvise', 0, () => madvise(m, mm, 0x400000, 0x200000, 'dontneed')));
    expect(seq).toEqual([ISHST, ...singles('VAE1IS', 0x400000, 16, P, 2, null), ISH]);
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('mprotect', () => {
  it('RW -> RO: 16 x VALE1IS at tlb_end_vma; no stale write permission (H3)', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x400000, 16, [0, 1, 2]);
    const seq = seqOf(m, () => m.op('mprotect', 0, () => expect(mprotect(m, mm, 0x400000, 16 * P, RO).ok).toBe(true)));
    expect(seq).toEqual([ISHST, ...singles('VALE1IS', 0x400000, 16, P, 2, 'L3'), ISH]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('pte_needs_flush (c320dbb7c80d, 6.19+): an unchanged PTE needs no flush; older kernels flush every PTE', () => {
    for (const [kernel, n] of [['v7.1', 0], ['v6.18', 16]] as const) {
      const { m, mm } = setup({ kernel });
      populate(m, mm, 0x400000, 16);
      // fork write-protects every PTE (COW); mprotect to read-only then changes the VMA's flags
      // (mprotect_fixup does not return early) but leaves every PTE as it is
      const child = m.op('fork', 0, () => fork(m, mm, 'child'));
      const seq = seqOf(m, () => m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 16 * P, RO)));
      expect(seq.filter((s) => s.startsWith('TLBI')).length).toBe(n);
      // the child goes away: the pages are exclusive again, so making them writable changes them
      m.op('exit', 0, () => exitMmap(m, child));
      // RO -> RW changes a hardware bit: arm64 flushes even a permission increase
      const up = seqOf(m, () => m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 16 * P, RW)));
      expect(up.filter((s) => s.startsWith('TLBI')).length).toBe(16);
      expect(m.metrics.violations).toEqual([]);
    }
  });
});

describe('fork and copy-on-write', () => {
  it('fork: flush_tlb_mm(parent); a COW fault: flush_tlb_page, hinted L3 from v7.1', () => {
    for (const [kernel, hint] of [['v7.1', ' L3'], ['v7.0', '']] as const) {
      const { m, mm } = setup({ kernel });
      populate(m, mm, 0x400000, 4, [0, 1]);
      let child!: Mm;
      const f = seqOf(m, () => m.op('fork', 0, () => { child = fork(m, mm, 'B'); }));
      expect(f).toEqual(asidSeq(2));
      m.addThread(child, 'b0', 1, 'sleeping');
      const cow = seqOf(m, () => m.op('cow', 0, () => expect(touch(m, mm, 0x401000, { write: true }).ok).toBe(true)));
      expect(cow).toEqual([ISHST, `TLBI VALE1IS 0x401000 asid=2${hint}`, ISH]);
      expect(m.metrics.violations).toEqual([]);
    }
  });
});

describe('reclaim: batched unmap (G20)', () => {
  function threeMms(opts: Arm64Options) {
    const m = new Machine({ arch: arm64(opts), cpus: 4, trace: true });
    const f = m.createFile('data');
    const mms = ['A', 'B', 'C'].map((n, i) => {
      const mm = m.createMm(n);
      m.addThread(mm, n, i + 1, 'running');
      m.op('mmap', i + 1, () => expect(mmap(m, mm, { addr: 0x400000, length: 0x10000, file: f, shared: true, write: false }).ok).toBe(true));
      m.op('touch', i + 1, () => expect(touch(m, mm, 0x400000, { write: false }).ok).toBe(true));
      return mm;
    });
    return { m, f, mms, rt: arm64Internals(m) };
  }
  const add = (asid: number, hint = ' L3') => [ISHST, `TLBI VALE1IS 0x400000 asid=${asid}${hint}`];

  it('v7.1: a DSB ISHST and the TLBIs per folio, one completing DSB ISH for the batch', () => {
    const { m, f, mms, rt } = threeMms({});
    expect(mms.map((mm) => rt.asids.asid(mm))).toEqual([2, 4, 6]);
    let r!: ReturnType<typeof reclaimFilePages>;
    const seq = seqOf(m, () => m.op('reclaim', 0, () => { r = reclaimFilePages(m, f, [0]); }));
    expect(seq).toEqual([...add(2), ...add(4), ...add(6), ISH]);
    expect(r).toEqual({ freed: 1, unmapped: 3, batched: true });
    expect(m.metrics.violations).toEqual([]);
    // a later munmap in A finds the mm's batched flush pending: flush_tlb_mm first (v6.16+)
    const un = seqOf(m, () => m.op('munmap', 1, () => munmap(m, mms[0], 0x400000, 0x10000)));
    expect(un).toEqual([...asidSeq(2), ISHST, 'TLBI VAE1IS 0x0 asid=2', 'TLBI VAE1IS 0x200000 asid=2', 'TLBI VAE1IS 0x400000 asid=2', ISH]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('v6.15: the pending-batch check before the munmap is only a DSB ISH', () => {
    const { m, f, mms } = threeMms({ kernel: 'v6.15' });
    m.op('reclaim', 0, () => reclaimFilePages(m, f, [0]));
    const un = seqOf(m, () => m.op('munmap', 1, () => munmap(m, mms[0], 0x400000, 0x10000)));
    expect(un[0]).toBe(ISH);
    expect(un.slice(1)).toEqual([ISHST, 'TLBI VAE1IS 0x0 asid=2', 'TLBI VAE1IS 0x200000 asid=2', 'TLBI VAE1IS 0x400000 asid=2', ISH]);
  });

  it('v6.13: one address per add, without a level hint', () => {
    const { m, f } = threeMms({ kernel: 'v6.13' });
    const seq = seqOf(m, () => m.op('reclaim', 0, () => reclaimFilePages(m, f, [0])));
    expect(seq).toEqual([...add(2, ''), ...add(4, ''), ...add(6, ''), ISH]);
  });

  it('REPEAT_TLBI v7.0+: the batch completion gets the trailing TLBI VALE1IS, XZR; DSB ISH', () => {
    const { m, f } = threeMms({ repeatTlbi: true });
    const seq = seqOf(m, () => m.op('reclaim', 0, () => reclaimFilePages(m, f, [0])));
    expect(seq).toEqual([...add(2), ...add(4), ...add(6), ISH, 'TLBI VALE1IS xzr', ISH]);
  });

  it('REPEAT_TLBI up to v6.19: no deferral, each PTE is flushed at once (flush_tlb_page)', () => {
    const { m, f, mms } = threeMms({ repeatTlbi: true, kernel: 'v6.18' });
    const seq = seqOf(m, () => m.op('reclaim', 0, () => reclaimFilePages(m, f, [0])));
    const page = (a: number) => [ISHST, `TLBI VALE1IS 0x400000 asid=${a}`, ISH, `TLBI VALE1IS 0x400000 asid=${a}`, ISH];
    expect(seq).toEqual([...page(2), ...page(4), ...page(6)]);
    // nothing was deferred, so nothing is pending for a later munmap
    const un = seqOf(m, () => m.op('munmap', 1, () => munmap(m, mms[0], 0x400000, 0x10000)));
    expect(un[0]).toBe(ISHST);
    expect(m.metrics.violations).toEqual([]);
  });

  it('arch_tlbbatch_should_defer: false only for REPEAT_TLBI without a8f78680ee6b; no hook before batched unmap (43b3dfdd0455, 6.6)', () => {
    const defer = (o: Arm64Options) => (new Machine({ arch: arm64(o), cpus: 1 }).runtime as Arm64Runtime).tlbbatchShouldDefer;
    expect([defer({ kernel: '6.1', repeatTlbi: true }), defer({ kernel: '6.5' })]).toEqual([undefined, undefined]);
    const mm = new Machine({ arch: arm64(), cpus: 1 }).createMm('A');
    const on = (o: Arm64Options) => defer(o)!(mm);
    expect([on({ kernel: '6.6', repeatTlbi: true }), on({ kernel: '6.12', repeatTlbi: true }), on({ kernel: '6.19', repeatTlbi: true })]).toEqual([false, false, false]);
    // the REPEAT_TLBI rework reached 6.12.94 and 7.0
    expect([on({ kernel: '6.12.94', repeatTlbi: true }), on({ kernel: '7.0', repeatTlbi: true }), on({ repeatTlbi: true }), on({ kernel: '6.6' }), on({})]).toEqual([true, true, true, true, true]);
  });

  it('REPEAT_TLBI v6.19: reclaim of 6 mappings (2 pages x 3 mms) is 6 flush_tlb_page sequences, nothing batched, no batch DSB', () => {
    // the batch exists (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH) but core never adds to it
    let added = 0;
    const base = arm64({ repeatTlbi: true, kernel: 'v6.19' });
    const arch = {
      ...base,
      create(ctx: Parameters<typeof base.create>[0]) {
        const rt = base.create(ctx);
        const create = rt.createTlbBatch!;
        rt.createTlbBatch = () => {
          const b = create();
          return { addPending: (...a) => { added++; b.addPending(...a); }, flush: () => b.flush() };
        };
        return rt;
      },
    };
    const m = new Machine({ arch, cpus: 4, trace: true });
    const f = m.createFile('data');
    const mms = ['A', 'B', 'C'].map((n, i) => {
      const mm = m.createMm(n);
      m.addThread(mm, n, i + 1, 'running');
      m.op('mmap', i + 1, () => expect(mmap(m, mm, { addr: 0x400000, length: 2 * P, file: f, shared: true, write: false }).ok).toBe(true));
      m.op('touch', i + 1, () => { touch(m, mm, 0x400000, { write: false }); touch(m, mm, 0x401000, { write: false }); });
      return mm;
    });
    const asids = mms.map((mm) => arm64Internals(m).asids.asid(mm));
    const flushes = m.metrics.rangedFlushes;
    let r!: ReturnType<typeof reclaimFilePages>;
    const seq = seqOf(m, () => m.op('reclaim', 0, () => { r = reclaimFilePages(m, f, [0, 1]); }));
    const page = (va: number, a: number) => [ISHST, `TLBI VALE1IS 0x${va.toString(16)} asid=${a}`, ISH, `TLBI VALE1IS 0x${va.toString(16)} asid=${a}`, ISH];
    expect(seq).toEqual([0x400000, 0x401000].flatMap((va) => asids.flatMap((a) => page(va, a))));
    expect(r).toEqual({ freed: 2, unmapped: 6, batched: true });
    expect(added).toBe(0);
    expect(m.metrics.rangedFlushes - flushes).toBe(6);
    expect(m.metrics.perCpu()[0].instructions).toEqual({ 'DSB ISHST': 6, 'TLBI VALE1IS': 12, 'DSB ISH': 12 });
    // nothing deferred: no mm is marked, so a later PTE-lock holder has no pending batch to flush
    expect(mms.map((mm) => mm.tlbFlushBatched)).toEqual([0, 0, 0]);
    expect(m.metrics.violations).toEqual([]);
  });

  it('the same reclaim without the erratum defers: 6 TLBIs at add time, one DSB ISH for the batch, every mm marked', () => {
    const m = new Machine({ arch: arm64({ kernel: 'v6.19' }), cpus: 4, trace: true });
    const f = m.createFile('data');
    const mms = ['A', 'B', 'C'].map((n, i) => {
      const mm = m.createMm(n);
      m.addThread(mm, n, i + 1, 'running');
      m.op('mmap', i + 1, () => mmap(m, mm, { addr: 0x400000, length: 2 * P, file: f, shared: true, write: false }));
      m.op('touch', i + 1, () => { touch(m, mm, 0x400000, { write: false }); touch(m, mm, 0x401000, { write: false }); });
      return mm;
    });
    const seq = seqOf(m, () => m.op('reclaim', 0, () => reclaimFilePages(m, f, [0, 1])));
    expect(seq.filter((x) => x === ISH)).toEqual([ISH]);
    expect(seq.filter((x) => x.startsWith('TLBI VALE1IS'))).toHaveLength(6);
    expect(mms.every((mm) => mm.tlbFlushBatched !== 0)).toBe(true);
    expect(m.metrics.violations).toEqual([]);
  });

  it('a 16-page folio with range on: DSB ISHST; RVALE1IS scale=0 num=7 ttl=3 (no DSB ISH until the flush)', () => {
    const { m, mm, rt } = setup({ tlbiRange: true });
    const b = rt.createTlbBatch!();
    expect(seqOf(m, () => m.op('add', 0, () => b.addPending(mm, 0x400000, 0x410000)))).toEqual([ISHST, 'TLBI RVALE1IS 0x400000 asid=2 tg=1 scale=0 num=7 ttl=3']);
    expect(seqOf(m, () => m.op('flush', 0, () => b.flush()))).toEqual([ISH]);
    expect(seqOf(m, () => m.op('flush', 0, () => b.flush()))).toEqual([]); // flush_required is clear
  });
});

describe('mremap', () => {
  it('move_ptes flushes the old range with flush_tlb_range: non-leaf, page stride, no hint', () => {
    const { m, mm } = setup();
    populate(m, mm, 0x400000, 16);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x410000, length: 0x1000, write: false }));
    const seq = seqOf(m, () => m.op('mremap', 0, () => {
      const r = mremap(m, mm, 0x400000, 16 * P, 32 * P);
      expect(r.ok && r.moved).toBe(true);
    }));
    // then the munmap of the old range: nothing mapped there any more, its PTE table is kept
    // (the read-only neighbour shares it), so the move's flush is the whole sequence
    expect(seq).toEqual([ISHST, ...singles('VAE1IS', 0x400000, 16, P, 2, null), ISH]);
    expect(m.metrics.violations).toEqual([]);
  });
});
