import { describe, expect, it } from 'vitest';
import { GENERIC_KCONFIG, Machine, generic, type ArchBackend, type ArchRuntime, type Kconfig, type VmaFlagsView } from '../src/index.js';

type Call = [string, ...unknown[]];

/** The generic backend with only the required hooks, each call recorded (plus `extra` hooks). */
function bare(calls: Call[], extra: Partial<ArchRuntime> = {}, k: Partial<Kconfig> = {}): ArchBackend {
  const base = generic({ kconfig: { ...GENERIC_KCONFIG, ...k } });
  return {
    ...base,
    create: (ctx) => {
      const g = base.create(ctx);
      return {
        flushTlbMm: (mm) => calls.push(['flushTlbMm', mm.name]),
        flushTlbRange: (mm, s, e, vma: VmaFlagsView) => calls.push(['flushTlbRange', mm.name, s, e, vma]),
        flushTlbPage: (mm, a) => calls.push(['flushTlbPage', mm.name, a]),
        switchMm: g.switchMm,
        ...extra,
      };
    },
  };
}

describe('asm-generic hook layer: the defaults a backend leaves out', () => {
  it('the predicates default to true, the no-op hooks do nothing', () => {
    const calls: Call[] = [];
    const m = new Machine({ arch: bare(calls), cpus: 2 });
    const mm = m.createMm('A');
    const h = m.hooks;
    expect([h.supportsPageTableMove(), h.tlbbatchShouldDefer(mm), h.needsTableInvalidate(), h.pteNeedsFlush(3, 1), h.hugePmdNeedsFlush(3, 1)]).toEqual([true, true, true, true, true]);
    h.flushCacheRange(mm, 0, 0x1000);
    h.pteUpdate(mm, 0, 1, 0, 0);
    h.enterLazyMmu(0);
    h.leaveLazyMmu(0);
    h.destroyMm(mm);
    expect(calls).toEqual([]);
  });

  it('flush_pmd_tlb_range and pmdp_invalidate_ad fall back to flush_tlb_range over the PMD with the VMA flags', () => {
    const calls: Call[] = [];
    const m = new Machine({ arch: bare(calls), cpus: 1 });
    const mm = m.createMm('A');
    m.hooks.flushPmdTlbRange(mm, 0x200000, 0x400000, { exec: true, hugetlb: false });
    m.hooks.pmdpInvalidateAd(mm, 0x600000, { exec: false, hugetlb: false });
    m.hooks.flushTlbBatchedPending(mm);
    expect(calls).toEqual([
      ['flushTlbRange', 'A', 0x200000, 0x400000, { exec: true, hugetlb: false }],
      ['flushTlbRange', 'A', 0x600000, 0x800000, { exec: false, hugetlb: false }],
      ['flushTlbMm', 'A'],
    ]);
  });

  it("huge_pmd_needs_flush follows the arch's pte_needs_flush when it defines only that", () => {
    const m = new Machine({ arch: bare([], { pteNeedsFlush: (o, n) => o !== n }), cpus: 1 });
    expect([m.hooks.hugePmdNeedsFlush(5, 5), m.hooks.hugePmdNeedsFlush(5, 4)]).toEqual([false, true]);
  });

  it('tlb_remove_table_sync_one: one waiting IPI to each other CPU under RCU_TABLE_FREE, nothing without', () => {
    const on = new Machine({ arch: bare([], {}, { MMU_GATHER_TABLE_FREE: true, MMU_GATHER_RCU_TABLE_FREE: true }), cpus: 4 });
    on.hooks.tlbRemoveTableSyncOne();
    expect([on.metrics.ipis, on.metrics.ipiBroadcasts]).toEqual([3, 1]);
    const off = new Machine({ arch: bare([], {}, { MMU_GATHER_RCU_TABLE_FREE: false }), cpus: 4 });
    off.hooks.tlbRemoveTableSyncOne();
    expect(off.metrics.ipis).toBe(0);
    let own = 0;
    const arch = new Machine({ arch: bare([], { tlbRemoveTableSyncOne: () => own++ }, { MMU_GATHER_TABLE_FREE: true, MMU_GATHER_RCU_TABLE_FREE: true }), cpus: 4 });
    arch.hooks.tlbRemoveTableSyncOne();
    expect([own, arch.metrics.ipis]).toEqual([1, 0]);
  });

  it('the generic tlb_flush hands a hugetlb gather the hstate of the VMA it saw', () => {
    const calls: Call[] = [];
    const m = new Machine({ arch: bare(calls), cpus: 1 });
    const mm = m.createMm('A');
    const g = { mm, start: 0x40000000, end: 0x40200000, fullmm: false, needFlushAll: false, vmaExec: false, vmaHuge: true, vmaHugeShift: 21 } as unknown as Parameters<typeof m.hooks.tlbFlush>[0];
    m.hooks.tlbFlush(g);
    expect(calls).toEqual([['flushTlbRange', 'A', 0x40000000, 0x40200000, { exec: false, hugetlb: true, hugeShift: 21 }]]);
  });

  it('flush_tlb_kernel_range has no generic body', () => {
    const m = new Machine({ arch: bare([]), cpus: 1 });
    expect(() => m.hooks.flushTlbKernelRange(0, 0x1000)).toThrow('flushTlbKernelRange: this arch defines no flush_tlb_kernel_range');
  });
});
