/**
 * The golden scenarios S1-S20 of core SPEC.md §10, through core's mm operations.
 * Config G: generic tlb_flush, no MERGE_VMAS; X: + MERGE_VMAS + PT_RECLAIM; P: + PAGE_SIZE + MERGE_VMAS.
 */
import { describe, expect, it } from 'vitest';
import {
  stampNow,
  PTE_DIRTY, PTE_YOUNG, madvise, mmap, mprotect, munmap, touch, tlbGatherMmu, zapPageRangeSingle, exitThread,
  lookupEntry, type Machine, type Mm,
} from '../src/index.js';
import { CONFIG_G, CONFIG_P, CONFIG_X, setup } from './helpers.js';

const P = 0x1000;
function touchPages(m: Machine, mm: Mm, addrs: number[], write = true) {
  m.op('touch', 0, () => {
    expect(addrs.filter((a) => !touch(m, mm, a, { write }).ok), 'addresses not faulted in').toEqual([]);
  });
}
const range = (start: number, n: number, step = P) => Array.from({ length: n }, (_, i) => start + i * step);

describe('S1 zap three PTEs', () => {
  for (const [name, k, where] of [['G', CONFIG_G, 'end_vma'], ['X', CONFIG_X, 'finish']] as const) {
    it(`config ${name}: one flush [0x400000, 0x406000) cleared_ptes, 3 pages freed after it`, () => {
      const { m, mm, log } = setup(k);
      m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
      touchPages(m, mm, [0x400000, 0x401000, 0x405000]);
      const v = mm.findVma(0x400000)!;
      m.op('zap', 0, () => zapPageRangeSingle(m, mm, v, 0x400000, 0x400000));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ start: 0x400000, end: 0x406000, bits: ['cleared_ptes'], fullmm: false, pagesFreedBefore: 0 });
      expect(m.metrics.pagesFreed).toBe(3);
      expect(m.metrics.batchPagesAllocated).toBe(0);
      expect(mm.tlbFlushPending).toBe(0);
      expect(m.metrics.violations).toEqual([]);
      void where;
    });
  }
});

describe('S2 exit_mmap (fullmm)', () => {
  it('one flush with fullmm, start 0, all cleared bits and freed_tables; 3 tables to RCU, 3 pages', () => {
    const { m, mm, t0, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
    touchPages(m, mm, [0x400000, 0x401000, 0x405000]);
    m.op('exit', 0, () => exitThread(m, t0));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ start: 0, end: Infinity, fullmm: true, pagesFreedBefore: 0, tablesFreedBefore: 0 });
    expect(log[0].bits).toEqual(['freed_tables', 'cleared_ptes', 'cleared_pmds', 'cleared_puds', 'cleared_p4ds']);
    expect(m.metrics.pagesFreed).toBe(3);
    expect(m.metrics.tablesFreed).toBe(3); // PTE, PMD, PUD tables (P4D folded)
    expect(m.metrics.rcuCallbacks).toBe(1);
    expect(m.metrics.batchPagesAllocated).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('S3 page-batch exhaustion (10 000 pages)', () => {
  for (const [name, k] of [['G', CONFIG_G], ['X', CONFIG_X]] as const) {
    it(`config ${name}: forced flush at the 9678th page, 19 batch pages, two free waves`, () => {
      const { m, mm, log } = setup(k);
      m.op('mmap', 0, () => mmap(m, mm, { addr: 0x10000000, length: 0x2710000 }));
      touchPages(m, mm, range(0x10000000, 10000));
      const v = mm.findVma(0x10000000)!;
      m.op('zap', 0, () => zapPageRangeSingle(m, mm, v, 0x10000000, 0x2710000));
      expect(log).toHaveLength(2);
      expect(log[0]).toMatchObject({ start: 0x10000000, end: 0x125ce000, bits: ['cleared_ptes'], pagesFreedBefore: 0 });
      expect(log[1]).toMatchObject({ start: 0x125ce000, end: 0x12710000, bits: ['cleared_ptes'], pagesFreedBefore: 9678 });
      expect(m.metrics.forcedFlushes).toBe(1);
      expect(m.metrics.batchPagesAllocated).toBe(19);
      expect(m.metrics.pagesFreed).toBe(10000);
      expect(m.metrics.violations).toEqual([]);
    });
  }
});

describe('S4 delayed rmap for dirty file pages', () => {
  for (const [name, k] of [['G', CONFIG_G], ['X', CONFIG_X]] as const) {
    it(`config ${name}: one forced flush under the PTL; rmaps removed after it`, () => {
      const { m, mm, log } = setup(k);
      const f = m.createFile('data');
      const B = 0x7f0000000000;
      m.op('mmap', 0, () => mmap(m, mm, { addr: B, length: 0x5000, shared: true, file: f }));
      m.op('touch', 0, () => {
        for (let i = 0; i < 5; i++) touch(m, mm, B + i * P, { write: i % 2 === 0 });
      });
      const frames = range(B, 5).map((a) => lookupEntry(m, mm, a, 0)!).map(({ t, i }) => t.entries[i] >>> 6);
      const v = mm.findVma(B)!;
      m.op('zap', 0, () => zapPageRangeSingle(m, mm, v, B, 0x5000));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ start: B, end: B + 0x5000, bits: ['cleared_ptes'] });
      for (const fr of frames) expect(m.frames.mapcountOf(fr)).toBe(0);
      // page cache keeps its reference: nothing is returned to the allocator
      expect(m.metrics.pagesFreed).toBe(0);
      expect(frames.map((fr) => m.frames.refcountOf(fr))).toEqual([1, 1, 1, 1, 1]);
    });
  }
});

describe('S5 delayed rmap caps batching at local + 1', () => {
  function run(k: typeof CONFIG_G) {
    const r = setup(k);
    const { m, mm } = r;
    const f = m.createFile('dirty');
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x3fe00000, length: 0x100000 }); // prev ends at 0x3FF00000
      mmap(m, mm, { addr: 0x40000000, length: 0x200000, name: 'V1' });
      mmap(m, mm, { addr: 0x40200000, length: 0x200000, shared: true, file: f });
      mmap(m, mm, { addr: 0x7f0000000000, length: 0x1000 }); // next
    });
    touchPages(m, mm, range(0x40000000, 400));
    touchPages(m, mm, range(0x40200000, 200));
    m.op('munmap', 0, () => munmap(m, mm, 0x40000000, 0x400000));
    return r;
  }
  it('config G: 4 flushes, 1 page batch and 1 table batch', () => {
    const { m, log } = run(CONFIG_G);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([
      [0x40000000, 0x40190000, 'cleared_ptes'],
      [0x40200000, 0x40274000, 'cleared_ptes'],
      [0x40274000, 0x402c8000, 'cleared_ptes'],
      [0x40000000, 0x40201000, 'freed_tables,cleared_pmds,cleared_puds'],
    ]);
    // wave 1 frees the 400 anon pages; the 116 file pages only lose their mapping (the page cache keeps them)
    expect(log[2].pagesFreedBefore).toBe(400);
    expect(m.metrics.batchPagesAllocated).toBe(1);
    expect(m.metrics.rcuCallbacks).toBe(1);
    expect(m.metrics.tablesFreed).toBe(3);
    expect(m.metrics.violations).toEqual([]);
  });
  it('config X: 3 flushes, the first spanning V1 and V2', () => {
    const { m, log } = run(CONFIG_X);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([
      [0x40000000, 0x40274000, 'cleared_ptes'],
      [0x40274000, 0x402c8000, 'cleared_ptes'],
      [0x40000000, 0x40201000, 'freed_tables,cleared_pmds,cleared_puds'],
    ]);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('S6 nested gathers', () => {
  it("A's finish with B live forces fullmm + freed_tables; B then flushes its own range", () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
    touchPages(m, mm, [0x400000]);
    const v = mm.findVma(0x400000)!;
    m.op('nested', 0, () => {
      const b = tlbGatherMmu(m, mm);
      b.startVma(v);
      // B clears a PTE but has not flushed yet
      const { t, i } = lookupEntry(m, mm, 0x400000, 0)!;
      const frame = t.entries[i] >>> 6;
      t.entries[i] = 0;
      t.present--;
      b.removeTlbEntries(0x400000, 1);
      m.frames.addMapcount(frame, -1);
      b.removeFolioPages(frame, 1, false, 0x400000, 12, stampNow(m));
      const a = tlbGatherMmu(m, mm);
      expect(mm.tlbFlushPending).toBe(2);
      a.startVma(v);
      a.endVma();
      a.finish();
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ fullmm: true, start: Infinity, end: Infinity, bits: ['freed_tables'] });
      expect(mm.tlbFlushPending).toBe(1);
      b.endVma();
      b.finish();
    });
    expect(log).toHaveLength(2);
    expect(log[1]).toMatchObject({ fullmm: false, start: 0x400000, end: 0x401000, bits: ['cleared_ptes'] });
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('S7 lone VMA between neighbours (floor/ceiling)', () => {
  function run(k: typeof CONFIG_G) {
    const r = setup(k);
    const { m, mm } = r;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x400000, length: 0x100000, name: 'prev' });
      mmap(m, mm, { addr: 0x600000, length: 0x200000, name: 'V' });
      mmap(m, mm, { addr: 0x900000, length: 0x100000, name: 'next' });
    });
    touchPages(m, mm, [0x400000, 0x600000, 0x7ff000, 0x900000]);
    m.op('munmap', 0, () => munmap(m, mm, 0x600000, 0x200000));
    return r;
  }
  it('G: 2 flushes; only the PTE table at 0x600000 is freed', () => {
    const { m, log } = run(CONFIG_G);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([
      [0x600000, 0x800000, 'cleared_ptes'],
      [0x600000, 0x601000, 'freed_tables,cleared_pmds'],
    ]);
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.pagesFreed).toBe(2);
  });
  it('X: 1 flush with cleared_ptes, cleared_pmds and freed_tables', () => {
    const { log } = run(CONFIG_X);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x600000, 0x800000, 'freed_tables,cleared_ptes,cleared_pmds']]);
  });
});

describe('S8 page whose PTE table is shared with neighbours', () => {
  it('no tables freed; one flush (G at end_vma)', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x400000, length: 0x1000, name: 'prev' });
      mmap(m, mm, { addr: 0x401000, length: 0x1000, name: 'V' });
      mmap(m, mm, { addr: 0x402000, length: 0x1000, name: 'next' });
    });
    touchPages(m, mm, [0x401000]);
    m.op('munmap', 0, () => munmap(m, mm, 0x401000, 0x1000));
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x401000, 0x402000, 'cleared_ptes']]);
    expect(m.metrics.tablesFreed).toBe(0);
    expect(m.metrics.pagesFreed).toBe(1);
  });
});

describe('S9 two VMAs with different flags', () => {
  function run(k: typeof CONFIG_G) {
    const r = setup(k);
    const { m, mm } = r;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x400000, length: 0x100000, exec: true });
      mmap(m, mm, { addr: 0x700000, length: 0x100000 });
    });
    touchPages(m, mm, [0x400000, 0x700000], false);
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x400000));
    return r;
  }
  it('G: 3 flushes with the exec flag of the last start_vma', () => {
    const { log } = run(CONFIG_G);
    expect(log.map((l) => [l.start, l.end, l.bits.join(), l.vmaExec])).toEqual([
      [0x400000, 0x401000, 'cleared_ptes', true],
      [0x700000, 0x701000, 'cleared_ptes', false],
      [0, 0x601000, 'freed_tables,cleared_pmds,cleared_puds,cleared_p4ds', false],
    ]);
  });
  it('X: 1 flush [0, 0x701000)', () => {
    const { log, m } = run(CONFIG_X);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0, 0x701000, 'freed_tables,cleared_ptes,cleared_pmds,cleared_puds,cleared_p4ds']]);
    expect(m.metrics.tablesFreed).toBe(4);
  });
});

describe('S10 MMU_GATHER_PAGE_SIZE: THP then small pages', () => {
  it('config P: the size change forces a full flush that frees the THP', () => {
    const { m, mm, log } = setup(CONFIG_P);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x200000, length: 0x400000 }));
    m.op('touch', 0, () => {
      expect(touch(m, mm, 0x200000, { thp: true }).ok).toBe(true);
      touch(m, mm, 0x400000);
      touch(m, mm, 0x401000);
    });
    const v = mm.findVma(0x200000)!;
    m.op('zap', 0, () => zapPageRangeSingle(m, mm, v, 0x200000, 0x400000));
    expect(log.map((l) => [l.start, l.end, l.bits.join(), l.pageSize, l.pagesFreedBefore])).toEqual([
      [0x200000, 0x400000, 'cleared_pmds', 0x200000, 0],
      [0x400000, 0x402000, 'cleared_ptes', 0x1000, 1],
    ]);
    expect(m.metrics.pagesFreed).toBe(3);
  });
  it('config G: one flush over both levels', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x200000, length: 0x400000 }));
    m.op('touch', 0, () => {
      touch(m, mm, 0x200000, { thp: true });
      touch(m, mm, 0x400000);
      touch(m, mm, 0x401000);
    });
    const v = mm.findVma(0x200000)!;
    m.op('zap', 0, () => zapPageRangeSingle(m, mm, v, 0x200000, 0x400000));
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x200000, 0x402000, 'cleared_ptes,cleared_pmds']]);
  });
});

describe('S11 MADV_DONTNEED with PT_RECLAIM', () => {
  function run(k: typeof CONFIG_G) {
    const r = setup(k);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x600000, length: 0x400000 }));
    touchPages(m, mm, range(0x600000, 512));
    // the PTE table at 0x800000 exists but is entirely none
    m.op('touch', 0, () => touch(m, mm, 0x800000));
    m.op('zap', 0, () => zapPageRangeSingle(m, mm, mm.findVma(0x800000)!, 0x800000, 0x1000));
    r.log.length = 0;
    const freedBefore = m.metrics.pagesFreed;
    m.op('madvise', 0, () => expect(madvise(m, mm, 0x600000, 0x400000, 'dontneed').ok).toBe(true));
    return { ...r, freedBefore };
  }
  it('X: one flush [0x600000, 0x801000) with freed_tables; 2 PTE tables to RCU; 512 pages', () => {
    const { m, log, freedBefore } = run(CONFIG_X);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x600000, 0x801000, 'freed_tables,cleared_ptes,cleared_pmds']]);
    expect(m.metrics.pagesFreed - freedBefore).toBe(512);
    expect(m.metrics.tablesFreed).toBe(2);
    expect(m.metrics.violations).toEqual([]);
  });
  it('without PT_RECLAIM: range [0x600000, 0x800000), tables stay', () => {
    const { m, log } = run({ ...CONFIG_X, PT_RECLAIM: false });
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x600000, 0x800000, 'cleared_ptes']]);
    expect(m.metrics.tablesFreed).toBe(0);
  });
  it('G with PT_RECLAIM: the single flush moves to tlb_end_vma', () => {
    const { log } = run({ PT_RECLAIM: true });
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x600000, 0x801000, 'freed_tables,cleared_ptes,cleared_pmds']]);
  });
});

describe('S12 MADV_FREE', () => {
  it('only young or dirty PTEs are recorded; nothing queued', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
    touchPages(m, mm, range(0x400000, 4));
    // page 0 young+dirty, 1 and 2 old+clean, 3 young
    for (const [a, keep] of [[0x400000, PTE_YOUNG | PTE_DIRTY], [0x401000, 0], [0x402000, 0], [0x403000, PTE_YOUNG]] as const) {
      const { t, i } = lookupEntry(m, mm, a, 0)!;
      t.entries[i] = (t.entries[i] & ~(PTE_YOUNG | PTE_DIRTY)) | keep;
    }
    m.op('madvise', 0, () => madvise(m, mm, 0x400000, 0x400000, 'free'));
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x400000, 0x404000, 'cleared_ptes']]);
    expect(m.metrics.pagesFreed).toBe(0);
  });
  it('all old and clean: no flush', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
    touchPages(m, mm, range(0x400000, 4));
    for (const a of range(0x400000, 4)) {
      const { t, i } = lookupEntry(m, mm, a, 0)!;
      t.entries[i] &= ~(PTE_YOUNG | PTE_DIRTY);
    }
    m.op('madvise', 0, () => madvise(m, mm, 0x400000, 0x400000, 'free'));
    expect(log).toHaveLength(0);
  });
});

describe('S13 mprotect RW->RO and back', () => {
  it('generic pte_needs_flush: a flush in both directions', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x400000 }));
    touchPages(m, mm, [0x400000, 0x401000, 0x405000]);
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x400000, { read: true, write: false, exec: false }));
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x400000, 0x406000, 'cleared_ptes']]);
    m.op('mprotect', 0, () => mprotect(m, mm, 0x400000, 0x400000, { read: true, write: true, exec: false }));
    expect(log).toHaveLength(2);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('S14 VM_PFNMAP VMA with MERGE_VMAS (tlb_free_vmas)', () => {
  function run(k: typeof CONFIG_G) {
    const r = setup(k);
    const { m, mm } = r;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x0fe00000, length: 0x100000, name: 'prev' });
      mmap(m, mm, { addr: 0x10000000, length: 0x200000, pfnmap: true });
      mmap(m, mm, { addr: 0x10200000, length: 0x200000 });
      mmap(m, mm, { addr: 0x10600000, length: 0x100000, name: 'next' });
    });
    touchPages(m, mm, [...range(0x10000000, 4), 0x10200000, 0x10201000]);
    m.op('munmap', 0, () => munmap(m, mm, 0x10000000, 0x400000));
    return r;
  }
  it('X: 2 flushes, the first from tlb_free_vmas before the VMAs are unlinked', () => {
    const { log, m } = run(CONFIG_X);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([
      [0x10000000, 0x10202000, 'cleared_ptes'],
      [0x10000000, 0x10201000, 'freed_tables,cleared_pmds'],
    ]);
    expect(m.metrics.pagesFreed).toBe(2);
  });
  it('G: 3 flushes', () => {
    const { log } = run(CONFIG_G);
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([
      [0x10000000, 0x10004000, 'cleared_ptes'],
      [0x10200000, 0x10202000, 'cleared_ptes'],
      [0x10000000, 0x10201000, 'freed_tables,cleared_pmds'],
    ]);
  });
});

describe('S16 table-batch overflow during exit (509 tables)', () => {
  it('2 flushes, 2 table batches, 2 page batches', () => {
    const { m, mm, t0, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x40000000, length: 0x4b000000 }));
    touchPages(m, mm, range(0x40000000, 600, 0x200000));
    m.op('exit', 0, () => exitThread(m, t0));
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ fullmm: true, bits: ['freed_tables', 'cleared_ptes', 'cleared_pmds'], tablesFreedBefore: 0, pagesFreedBefore: 0 });
    expect(log[1].bits).toEqual(['freed_tables', 'cleared_pmds', 'cleared_puds', 'cleared_p4ds']);
    expect(log[1].pagesFreedBefore).toBe(0);
    expect(m.metrics.batchPagesAllocated).toBe(2);
    expect(m.metrics.rcuCallbacks).toBe(2);
    expect(m.metrics.tablesFreed).toBe(600 + 2 + 1);
    expect(m.metrics.pagesFreed).toBe(600);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('S18 allocation failures (GFP_NOWAIT)', () => {
  it('(a) page batch allocation always fails: a forced flush and free every 7 pages', () => {
    const { m, mm, log } = setup(CONFIG_G, { allocFailures: { pageBatch: 'always' } });
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
    touchPages(m, mm, range(0x400000, 20));
    m.op('zap', 0, () => zapPageRangeSingle(m, mm, mm.findVma(0x400000)!, 0x400000, 0x200000));
    // 7 + 7 forced, then 6 at tlb_end_vma
    expect(log.map((l) => [l.start, l.end])).toEqual([[0x400000, 0x407000], [0x407000, 0x40e000], [0x40e000, 0x414000]]);
    expect(m.metrics.forcedFlushes).toBe(2);
    expect(m.metrics.violations).toEqual([]);
  });
  it('(b) table batch allocation fails: one flush per table, then a sync IPI and immediate free', () => {
    const { m, mm, log } = setup(CONFIG_G, { allocFailures: { tableBatch: 'always' } });
    m.addThread(mm, 't1', 1, 'running');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x40000000, length: 0x400000 }));
    touchPages(m, mm, [0x40000000, 0x40200000]);
    m.op('munmap', 0, () => munmap(m, mm, 0x40000000, 0x400000));
    // end_vma flush, one flush per freed table (2 PTE, PMD, PUD), and the finish flush for the
    // run-time folded P4D, whose p4d_free_tlb only sets freed_tables
    expect(log.map((l) => l.bits.join())).toEqual([
      'cleared_ptes', 'freed_tables,cleared_pmds', 'freed_tables,cleared_pmds', 'freed_tables,cleared_puds', 'freed_tables,cleared_p4ds',
      'freed_tables',
    ]);
    expect(m.metrics.ipiBroadcasts).toBe(4);
    expect(m.metrics.rcuCallbacks).toBe(0);
    expect(m.metrics.tablesFreed).toBe(4);
    expect(m.metrics.violations).toEqual([]);
  });
  it('(b) with PT_RECLAIM: per-table call_rcu instead of the IPI', () => {
    const { m, mm } = setup({ PT_RECLAIM: true }, { allocFailures: { tableBatch: 'always' } });
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x40000000, length: 0x400000 }));
    touchPages(m, mm, [0x40000000, 0x40200000]);
    m.op('munmap', 0, () => munmap(m, mm, 0x40000000, 0x400000));
    expect(m.metrics.ipiBroadcasts).toBe(0);
    expect(m.metrics.rcuCallbacks).toBe(4);
  });
});

describe('S19 large folios use two slots', () => {
  it('five 64 KiB mTHPs: local fills at the 4th folio; one flush; 16 references each', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
    m.op('touch', 0, () => {
      for (let k = 0; k < 5; k++) expect(touch(m, mm, 0x400000 + k * 0x10000, { order: 4 }).ok).toBe(true);
    });
    m.op('zap', 0, () => zapPageRangeSingle(m, mm, mm.findVma(0x400000)!, 0x400000, 0x200000));
    expect(log.map((l) => [l.start, l.end, l.bits.join()])).toEqual([[0x400000, 0x450000, 'cleared_ptes']]);
    expect(m.metrics.batchPagesAllocated).toBe(1);
    expect(m.metrics.pagesFreed).toBe(5);
  });
});

describe('S20 fullmm without freed tables', () => {
  it('the generic layer still calls tlb_flush once', () => {
    const { m, mm, log } = setup(CONFIG_G);
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x200000 }));
    touchPages(m, mm, [0x400000]);
    m.op('fullmm', 0, () => {
      const g = tlbGatherMmu(m, mm, true);
      const { t, i } = lookupEntry(m, mm, 0x400000, 0)!;
      const f = t.entries[i] >>> 6;
      t.entries[i] = 0;
      g.removeTlbEntries(0x400000, 1);
      m.frames.addMapcount(f, -1);
      g.removeFolioPages(f, 1, false, 0x400000, 12, stampNow(m));
      g.finish();
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ fullmm: true, bits: ['cleared_ptes'] });
  });
});
