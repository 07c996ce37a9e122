import { describe, expect, it } from 'vitest';
import { Machine } from '@tlbsim/core';
import { PPC_KCONFIG, PPC_OPTION_SPECS, ppc, ppcFragments, ppcRuntime } from '../src/index.js';

describe('ppc() options', () => {
  it('defaults: radix, POWER10, powernv, 64K pages, tlbie, GTSE, no copros, mainline, ceilings 33/256', () => {
    const a = ppc();
    expect(a.name).toBe('ppc');
    expect(a.options).toEqual({
      mmu: 'radix', cpu: 'power10', pvr: 0, platform: 'powernv', p9Errata: 'none', tlbie: true, gtse: true, bulkRemove: true,
      coprocessors: 0, pageSize: 65536, kernel: 'mainline', ceiling: 33, localCeiling: 256,
    });
    expect(a.label).toBe('powerpc book3s64 radix (POWER10, 64K pages, tlbie, v7.1)');
    expect(a.kernel!.label).toBe('7.1');
  });
  it('labels name what matters', () => {
    expect(ppc({ mmu: 'hash', cpu: 'power9', p9Errata: 'erat+stq' }).label).toBe('powerpc book3s64 hash (POWER9 (ERAT+STQ errata), 64K pages, native HPT, v7.1)');
    expect(ppc({ tlbie: false, coprocessors: 1, kernel: '6.1', pageSize: 4096 }).label)
      .toBe('powerpc book3s64 radix (POWER10, 4K pages, tlbie disabled: tlbiel by IPI, 1 nMMU copro, v6.1)');
    expect(ppc({ gtse: false, tlbSinglePageFlushCeiling: 10, kernel: 'v6.6' }).label).toBe('powerpc book3s64 radix (POWER10, 64K pages, no GTSE: H_RPT_INVALIDATE, ceilings 10/256, v6.6)');
    expect(ppc({ cpu: 'power9-dd2.2' }).label).toBe('powerpc book3s64 radix (POWER9 DD2.2 (ERAT+STQ errata), 64K pages, tlbie, v7.1)');
    expect(ppc({ cpu: 'power9', pvr: 0x004e2102, platform: 'pseries' }).label)
      .toBe('powerpc book3s64 radix (POWER9 PVR 0x004e2102 (ERAT+STQ errata), 64K pages, pseries guest, tlbie, v7.1)');
    expect(ppc({ mmu: 'hash', platform: 'pseries' }).label).toBe('powerpc book3s64 hash (POWER10, 64K pages, pseries HPT: H_BULK_REMOVE, v7.1)');
    expect(ppc({ mmu: 'hash', platform: 'pseries', bulkRemove: false, kernel: '6.18.44' }).label).toBe('powerpc book3s64 hash (POWER10, 64K pages, pseries HPT: H_REMOVE, v6.18.44)');
  });
  it('the ceilings are ceiling and localCeiling (x86 names the same knob ceiling); the old names stay accepted', () => {
    expect(ppc({ ceiling: 10, localCeiling: 20 }).options).toMatchObject({ ceiling: 10, localCeiling: 20 });
    expect(ppc({ tlbSinglePageFlushCeiling: 10, tlbLocalSinglePageFlushCeiling: 20 }).options).toMatchObject({ ceiling: 10, localCeiling: 20 });
    expect(() => ppc({ ceiling: 1, tlbSinglePageFlushCeiling: 2 })).toThrow("ppc: option 'ceiling' must be given once (given as 'ceiling' and as 'tlbSinglePageFlushCeiling')");
  });
  it('optionSpecs describe every option, with choices for the enums', () => {
    expect(PPC_OPTION_SPECS.map((s) => s.name)).toEqual([
      'mmu', 'cpu', 'pvr', 'platform', 'p9Errata', 'tlbie', 'gtse', 'bulkRemove', 'coprocessors', 'pageSize', 'kernel',
      'ceiling', 'localCeiling', 'cost',
    ]);
    for (const k of Object.keys(ppc().options)) expect(PPC_OPTION_SPECS.some((s) => s.name === k)).toBe(true);
    expect(PPC_OPTION_SPECS.find((s) => s.name === 'kernel')).toMatchObject({ kind: 'release', default: 'mainline' });
    expect(PPC_OPTION_SPECS.find((s) => s.name === 'cpu')!.choices).toEqual(['power10', 'power9', 'power9-dd2.0', 'power9-dd2.1', 'power9-dd2.2', 'power9-dd2.3']);
  });
  it('unknown option: throws naming it and the valid options', () => {
    expect(() => ppc({ radix: true } as never)).toThrow(
      "ppc: unknown option 'radix' (valid options: mmu, cpu, pvr, platform, p9Errata, tlbie, gtse, bulkRemove, coprocessors, pageSize, kernel, ceiling, localCeiling, cost)",
    );
  });
  it.each([
    [{ mmu: 'nohash' }, "ppc: option 'mmu' must be one of 'radix', 'hash' (got 'nohash'; did you mean 'hash'?)"],
    [{ cpu: 'power8' }, "ppc: option 'cpu' must be one of 'power10', 'power9', 'power9-dd2.0', 'power9-dd2.1', 'power9-dd2.2', 'power9-dd2.3' (got 'power8'; did you mean 'power9'?)"],
    [{ cpu: 'power9', pvr: 0x00801200 }, "ppc: option 'pvr' must be a POWER9 (0x004exxxx) PVR on cpu 'power9' (got 0x801200)"],
    [{ platform: 'powervm' }, "ppc: option 'platform' must be one of 'powernv', 'pseries' (got 'powervm'; did you mean 'powernv'?)"],
    [{ gtse: false, platform: 'powernv' }, "ppc: option 'gtse' must be true on platform 'powernv' (only a pseries guest runs without GTSE)"],
    [{ bulkRemove: false }, "ppc: option 'bulkRemove' must be true unless mmu 'hash' on platform 'pseries' (H_BULK_REMOVE is the hash MMU's pseries hcall)"],
    [{ kernel: '5.12' }, "ppc: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (kernel 5.12 is older than the oldest modelled release, 6.1)"],
    [{ kernel: 6.1 }, "ppc: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (got 6.1)"],
    [{ cpu: 'power9', p9Errata: 'stq' }, "ppc: option 'p9Errata' must be one of 'none', 'erat', 'erat+stq' (got 'stq')"],
    [{ cpu: 'power9', p9Errata: 'none' }, "ppc: option 'p9Errata' must be one of 'erat', 'erat+stq' on cpu 'power9' (every POWER9 has the ERAT erratum; got 'none')"],
    [{ pageSize: 16384 }, "ppc: option 'pageSize' must be one of 65536, 4096 (got 16384)"],
    [{ kernel: '7.9' }, "ppc: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline (kernel 7.9 is newer than the newest modelled release, 7.1)"],
    [{ tlbie: 'no' }, "ppc: option 'tlbie' must be one of true, false (got 'no')"],
    [{ coprocessors: -1 }, "ppc: option 'coprocessors' must be an integer from 0 to 4294967295 (got -1)"],
    [{ coprocessors: 1.5 }, "ppc: option 'coprocessors' must be an integer from 0 to 4294967295 (got 1.5)"],
    [{ tlbSinglePageFlushCeiling: '33' }, "ppc: option 'tlbSinglePageFlushCeiling' must be an integer from 0 to 4294967295 (got '33')"],
    [{ p9Errata: 'erat' }, "ppc: option 'p9Errata' must be 'none' on cpu 'power10' (POWER10 has no tlbie errata; got 'erat')"],
    [{ mmu: 'hash', tlbie: false }, "ppc: option 'tlbie' must be true with mmu 'hash' (disable_tlbie is radix-only: the kernel rejects it on the hash MMU)"],
    [{ mmu: 'hash', gtse: false }, "ppc: option 'gtse' must be true with mmu 'hash' (GTSE applies only to radix; a hash guest invalidates through H_REMOVE / H_BULK_REMOVE (platform 'pseries'))"],
    [{ cost: 5 }, "ppc: option 'cost' must be an object with any of ipiSend, ipiPerTarget, instructions, defaultInstruction, pageFree, tableFree, rcuCallback, sources (got 5)"],
  ])('bad value %j throws', (opts, msg) => {
    expect(() => ppc(opts as never)).toThrow(msg);
  });
  it('resolved options round-trip', () => {
    for (const o of [{}, { mmu: 'hash', cpu: 'power9' }, { cpu: 'power9', p9Errata: 'erat+stq', tlbie: false, kernel: '6.1' }, { mmu: 'hash', platform: 'pseries', bulkRemove: false }] as const) {
      const a = ppc(o);
      expect(ppc(a.options as never).options).toEqual(a.options);
    }
    expect(ppc({ cpu: 'power9' }).options.p9Errata).toBe('erat');
  });
  it('debugfs tlbie_enabled cannot re-enable tlbie after disable_tlbie', () => {
    const m = new Machine({ arch: ppc({ tlbie: false }), cpus: 2 });
    expect(() => ppcRuntime(m).setTlbieEnabled(true)).toThrow('tlbie is not capable');
  });
});

describe('configuration', () => {
  it('Kconfig: PAGE_SIZE, RCU table free, MERGE_VMAS; no PMD sharing, no batched unmap, no PT_RECLAIM', () => {
    expect(ppc().kconfig).toBe(PPC_KCONFIG);
    expect(PPC_KCONFIG).toMatchObject({
      MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_RCU_TABLE_FREE: true, MMU_GATHER_TABLE_FREE: true, MMU_GATHER_MERGE_VMAS: true,
      MMU_GATHER_NO_RANGE: false, MMU_GATHER_NO_GATHER: false, ARCH_WANT_HUGE_PMD_SHARE: false, ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: false, PT_RECLAIM: false,
    });
  });
  it('tlb_needs_table_invalidate() is radix_enabled()', () => {
    expect(ppcRuntime(new Machine({ arch: ppc(), cpus: 1 })).needsTableInvalidate!()).toBe(true);
    expect(ppcRuntime(new Machine({ arch: ppc({ mmu: 'hash' }), cpus: 1 })).needsTableInvalidate!()).toBe(false);
  });
  it('geometry: radix 64K 5/9/9/13, 4K 9/9/9/13; hash 64K 8/10/10/8, 4K 9/7/9/9', () => {
    const shape = (g: ReturnType<typeof ppc>['geometry']) => g.levels.map((l) => [l.name, l.shift, l.entries, l.folding]);
    expect(shape(ppc().geometry)).toEqual([['pte', 16, 32, 'none'], ['pmd', 21, 512, 'none'], ['pud', 30, 512, 'none'], ['p4d', 39, 1, 'compile'], ['pgd', 39, 8192, 'none']]);
    expect(shape(ppc({ pageSize: 4096 }).geometry)).toEqual([['pte', 12, 512, 'none'], ['pmd', 21, 512, 'none'], ['pud', 30, 512, 'none'], ['p4d', 39, 1, 'compile'], ['pgd', 39, 8192, 'none']]);
    expect(shape(ppc({ mmu: 'hash' }).geometry)).toEqual([['pte', 16, 256, 'none'], ['pmd', 24, 1024, 'none'], ['pud', 34, 1024, 'none'], ['p4d', 44, 1, 'compile'], ['pgd', 44, 256, 'none']]);
    expect(shape(ppc({ mmu: 'hash', pageSize: 4096 }).geometry)).toEqual([['pte', 12, 512, 'none'], ['pmd', 21, 128, 'none'], ['pud', 28, 512, 'none'], ['p4d', 37, 1, 'compile'], ['pgd', 37, 512, 'none']]);
    expect(ppc().geometry.taskSize).toBe(2 ** 52);
    expect(ppc({ pageSize: 4096 }).geometry.taskSize).toBe(2 ** 46);
  });
  it('page sizes: radix THP 2M, hugetlb 2M/1G; hash-64K THP 16M, hugetlb 16M/16G; hash-4K no THP', () => {
    expect([ppc().thpPmdSize, ppc().hugePageSizes]).toEqual([2 ** 21, [2 ** 21, 2 ** 30]]);
    expect([ppc({ mmu: 'hash' }).thpPmdSize, ppc({ mmu: 'hash' }).hugePageSizes]).toEqual([2 ** 24, [2 ** 24, 2 ** 34]]);
    expect(ppc({ mmu: 'hash', pageSize: 4096 }).thpPmdSize).toBe(0);
  });
  it('page-table fragments per page', () => {
    expect(ppcFragments('radix', 65536)).toEqual({ pte: 256, pmd: 16 });
    expect(ppcFragments('hash', 65536)).toEqual({ pte: 16, pmd: 4 });
    expect(ppcFragments('radix', 4096)).toEqual({ pte: 1, pmd: 1 });
  });
  it('per-CPU counters exist at 0', () => {
    const m = new Machine({ arch: ppc(), cpus: 2 });
    expect(m.metrics.perCpu()[1].counters).toEqual({
      hash_batch_flush: 0, hash_untracked_flush: 0, 'hcall.H_BULK_REMOVE': 0, 'hcall.H_REMOVE': 0, 'hcall.H_RPT_INVALIDATE': 0, hpte_invalidate: 0, mm_cpumask_trim: 0,
      tlbie: 0, tlbie_fixup: 0, tlbiel: 0, trim_clock_fired: 0,
    });
  });
  it('PIDs are allocated per mm from 1', () => {
    const m = new Machine({ arch: ppc(), cpus: 1 });
    const rt = ppcRuntime(m);
    expect([rt.mmContext(m.createMm('a')).id, rt.mmContext(m.createMm('b')).id]).toEqual([1, 2]);
  });
});
