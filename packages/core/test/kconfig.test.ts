import { describe, expect, it } from 'vitest';
import { GENERIC_KCONFIG, Machine, generic, mmap, munmap, resolveKconfig, tlbGatherMmuVma, touch, maxGatherBatch, maxGatherBatchCount, maxTableBatch } from '../src/index.js';

describe('Kconfig relations', () => {
  it('applies the kernel selects', () => {
    const r = resolveKconfig({ ...GENERIC_KCONFIG, MMU_GATHER_RCU_TABLE_FREE: false, MMU_GATHER_TABLE_FREE: false, PT_RECLAIM: true, MMU_GATHER_NO_RANGE: true });
    expect(r.MMU_GATHER_RCU_TABLE_FREE).toBe(true);
    expect(r.MMU_GATHER_TABLE_FREE).toBe(true);
    expect(r.MMU_GATHER_MERGE_VMAS).toBe(true);
  });
  it('refuses what the kernel cannot build', () => {
    expect(() => resolveKconfig({ ...GENERIC_KCONFIG, MMU_GATHER_RCU_TABLE_FREE: false, MMU_GATHER_TABLE_FREE: false, MMU_GATHER_NO_GATHER: true })).toThrow(/NO_GATHER depends on MMU_GATHER_TABLE_FREE/);
  });
  it('batch capacities per page size (core SPEC.md §5.1)', () => {
    expect([12, 14, 16].map(maxGatherBatch)).toEqual([510, 2046, 8190]);
    expect([12, 14, 16].map(maxGatherBatchCount)).toEqual([19, 4, 1]);
    expect([12, 14, 16].map((s) => maxTableBatch(s, true))).toEqual([509, 2045, 8189]);
    expect(maxTableBatch(12, false)).toBe(511);
  });
});

describe('flush_cache_range and NO_FLUSH_CACHE', () => {
  function count(noFlushCache: boolean) {
    const base = generic({ kconfig: { MMU_GATHER_NO_FLUSH_CACHE: noFlushCache } });
    let calls = 0;
    const arch = { ...base, create: (ctx: Parameters<typeof base.create>[0]) => ({ ...base.create(ctx), flushCacheRange: () => void calls++ }) };
    const m = new Machine({ arch, cpus: 1 });
    const mm = m.createMm('A');
    m.addThread(mm, 't', 0, 'running');
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x2000 }));
    m.op('touch', 0, () => touch(m, mm, 0x400000));
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x2000));
    return calls;
  }
  it('tlb_start_vma calls flush_cache_range unless NO_FLUSH_CACHE', () => {
    expect(count(false)).toBe(1);
    expect(count(true)).toBe(0);
  });
});

describe('tlb_gather_mmu_vma', () => {
  it('presets the vma flags and the hugetlb page size without flushing', () => {
    const m = new Machine({ arch: generic({ kconfig: { MMU_GATHER_PAGE_SIZE: true } }), cpus: 1 });
    const mm = m.createMm('A');
    const vma = { start: 0x40000000, end: 0x80000000, flags: { read: true, write: true, exec: true, shared: true, anon: false, hugetlb: true, pfnmap: false, mixedmap: false, locked: false }, file: null, pgoff: 0, hugeShift: 21, anonRoot: 0 };
    const g = tlbGatherMmuVma(m, vma, mm);
    expect([g.vmaHuge, g.vmaExec, g.pageSize, g.start, g.end]).toEqual([true, true, 0x200000, m.geometry.taskSize, 0]);
    expect(mm.tlbFlushPending).toBe(1);
    g.finish();
    expect(m.metrics.archFlushes).toBe(0);
  });
});
