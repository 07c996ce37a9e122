/** Options, Kconfig, geometry, cost model and the primitives core reaches outside the gather. */
import { describe, expect, it } from 'vitest';
import { KCONFIG_SYMBOLS, Machine, exitThread, mmap } from '@tlbsim/core';
import { riscv } from '../src/index.js';
import { P, PMD, S, clean, measure, populate, world } from './helpers.js';

describe('options', () => {
  it('defaults are resolved and reported', () => {
    const b = riscv();
    expect(b.name).toBe('riscv');
    expect(b.options).toEqual({
      satpMode: 'sv39', asid: true, asidBits: 16, rfence: 'sbi', svinval: false, svnapot: false,
      tlbFlushAllThreshold: 64, sifiveCip1200: false, sbiRangeFlushLimit: 4096, ptReclaim: false,
    });
    expect(b.label).toMatch(/riscv64 7.1 Sv39/);
    expect(b.label).toMatch(/SBI/);
  });
  it('every option has a spec with a description and the resolved default; enums list their choices', () => {
    const b = riscv();
    const names = b.optionSpecs.map((s) => s.name);
    for (const k of Object.keys(b.options)) expect(names).toContain(k);
    for (const s of b.optionSpecs) {
      expect(s.description.length).toBeGreaterThan(10);
      if (s.name in b.options) expect(s.default).toEqual(b.options[s.name]);
      if (typeof s.default === 'boolean' || typeof s.default === 'string') {
        if (s.name !== 'cost') expect(s.choices).toBeDefined();
      }
    }
    expect(b.optionSpecs.find((s) => s.name === 'rfence')!.choices).toEqual(['sbi', 'ipi']);
    expect(b.optionSpecs.find((s) => s.name === 'satpMode')!.choices).toEqual(['sv39', 'sv48', 'sv57']);
  });
  it('an unknown option throws naming it and listing the valid ones', () => {
    expect(() => riscv({ foo: 1 } as never)).toThrow(
      "riscv: unknown option 'foo' (valid options: satpMode, asid, asidBits, rfence, svinval, svnapot, tlbFlushAllThreshold, sifiveCip1200, sbiRangeFlushLimit, ptReclaim, cost)",
    );
  });
  it('a bad value throws naming the option and what it allows', () => {
    expect(() => riscv({ rfence: 'mmio' } as never)).toThrow("riscv: option 'rfence' must be one of 'sbi', 'ipi' (got 'mmio')");
    expect(() => riscv({ satpMode: 'sv32' } as never)).toThrow("riscv: option 'satpMode' must be one of 'sv39', 'sv48', 'sv57' (got 'sv32'; did you mean 'sv39'?)");
    expect(() => riscv({ asid: 'yes' } as never)).toThrow("riscv: option 'asid' must be one of true, false (got 'yes')");
    expect(() => riscv({ asidBits: 17 })).toThrow("riscv: option 'asidBits' must be one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 (got 17)");
    expect(() => riscv({ tlbFlushAllThreshold: -1 })).toThrow("riscv: option 'tlbFlushAllThreshold' must be an integer from 0 to 1048576 (got -1)");
    expect(() => riscv({ tlbFlushAllThreshold: 1.5 })).toThrow("riscv: option 'tlbFlushAllThreshold' must be an integer from 0 to 1048576 (got 1.5)");
    expect(() => riscv({ cost: 5 } as never)).toThrow(
      "riscv: option 'cost' must be an object with any of ipiSend, ipiPerTarget, instructions, defaultInstruction, pageFree, tableFree, rcuCallback, sources (got 5)",
    );
    expect(() => riscv({ sbiRangeFlushLimit: -4096 })).toThrow("riscv: option 'sbiRangeFlushLimit' must be an integer >= 0 (got -4096)");
  });
  it('the CIP-1200 erratum forces the threshold to 0 and refuses an explicit other one', () => {
    expect(riscv({ sifiveCip1200: true }).options.tlbFlushAllThreshold).toBe(0);
    expect(riscv({ sifiveCip1200: true, tlbFlushAllThreshold: 0 }).options.tlbFlushAllThreshold).toBe(0);
    expect(() => riscv({ sifiveCip1200: true, tlbFlushAllThreshold: 64 })).toThrow(
      "riscv: option 'tlbFlushAllThreshold' must be 0 with sifiveCip1200 (the errata code sets tlb_flush_all_threshold to 0; got 64)",
    );
  });
  it('asidBits without ASIDs is rejected', () => {
    expect(() => riscv({ asid: false, asidBits: 9 })).toThrow(
      "riscv: option 'asidBits' must be left out with asid false (asid: false means the harts implement no ASID bits)",
    );
  });
  it('cost overrides apply and every instruction default cites a source', () => {
    const b = riscv({ cost: { instructions: { 'sfence.vma': 1 } } });
    expect(b.cost.instructions['sfence.vma']).toBe(1);
    for (const k of Object.keys(riscv().cost.instructions)) expect(riscv().cost.sources[k]).toBeTruthy();
  });
});

describe('Kconfig (core SPEC.md §8.2, riscv64 SMP)', () => {
  it('selects RCU table free, batched unmap and huge PMD sharing; nothing else', () => {
    const k = riscv().kconfig;
    const on = KCONFIG_SYMBOLS.filter((s) => k[s]);
    expect(on.sort()).toEqual(['ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH', 'ARCH_WANT_HUGE_PMD_SHARE', 'MMU_GATHER_RCU_TABLE_FREE', 'MMU_GATHER_TABLE_FREE', 'SMP'].sort());
    expect(riscv({ ptReclaim: true }).kconfig.PT_RECLAIM).toBe(true);
  });
});

describe('geometry: PGTABLE_LEVELS=5 folded at run time by the satp mode', () => {
  const cases = [
    ['sv39', 2 ** 38, ['none', 'none', 'runtime', 'runtime', 'none'], 2],
    ['sv48', 2 ** 47, ['none', 'none', 'none', 'runtime', 'none'], 3],
    ['sv57', 2 ** 56, ['none', 'none', 'none', 'none', 'none'], 4],
  ] as const;
  for (const [mode, task, folding, tables] of cases) {
    it(`${mode}: TASK_SIZE 2^${Math.log2(task)}, folding ${folding.join('/')}; exit frees ${tables} tables`, () => {
      const b = riscv({ satpMode: mode });
      expect(b.geometry.taskSize).toBe(task);
      expect(b.geometry.levels.map((l) => l.folding)).toEqual([...folding]);
      expect(b.geometry.pageShift).toBe(12);
      expect(b.geometry.levels[1].shift).toBe(21);
      const { m, A, t0 } = world({ satpMode: mode }, 2, true);
      populate(m, A, S, 3, [0]);
      const d = measure(m, () => m.op('exit', 0, () => exitThread(m, t0)));
      expect(d.archFlushes).toBe(1);
      expect(d.tablesFreed).toBe(tables);
      clean(m);
    });
  }
  it('hugetlb sizes: 2 MiB and 1 GiB, plus 64 KiB with Svnapot; THP at 2 MiB', () => {
    expect(riscv().hugePageSizes).toEqual([2 ** 21, 2 ** 30]);
    expect(riscv({ svnapot: true }).hugePageSizes).toEqual([2 ** 16, 2 ** 21, 2 ** 30]);
    expect(riscv().thpPmdSize).toBe(2 ** 21);
  });
});

describe('flush_tlb_range on hugetlb VMAs (stride = huge page size, Svnapot rounding)', () => {
  const run = (svnapot: boolean, hugeSize: number, len: number) => {
    const { m, A } = world({ rfence: 'ipi', svnapot });
    m.op('mmap', 0, () => expect(mmap(m, A, { addr: S, length: len, hugetlb: true, hugeSize }).ok).toBe(true));
    return measure(m, () => m.op('flush', 0, () => m.runtime.flushTlbRange(A, S, S + len, { exec: false, hugetlb: true, hugeShift: Math.log2(hugeSize) })));
  };
  it('2 MiB pages, 4 MiB: 2 page fences per CPU', () => {
    const d = run(false, PMD, 2 * PMD);
    expect(d.cpu[0].instr).toEqual({ 'sfence.vma addr,asid': 2 });
    expect(d.cpu[1].instr).toEqual({ 'sfence.vma addr,asid': 2 });
  });
  it('64 KiB Svnapot pages, 128 KiB: stride PAGE_SIZE -> 32 page fences per CPU', () => {
    const d = run(true, 2 ** 16, 2 ** 17);
    expect(d.cpu[0].instr).toEqual({ 'sfence.vma addr,asid': 32 });
  });
  it('a non-hugetlb flush_tlb_range of 4 pages: 4 page fences', () => {
    const { m, A } = world({ rfence: 'ipi' });
    populate(m, A, S, 4, [0]);
    const d = measure(m, () => m.op('flush', 0, () => m.runtime.flushTlbRange(A, S, S + 4 * P, { exec: false, hugetlb: false })));
    expect(d.cpu[1].instr).toEqual({ 'sfence.vma addr,asid': 4 });
  });
});

describe('flush_tlb_kernel_range (cpu_online_mask, no ASID)', () => {
  const K = 0xffffffc800000000; // a kernel (vmalloc-area) address; kernel mappings are not in the TLB model
  it('IPI, 4 CPUs, 16 pages: 3 IPIs, 16 sfence.vma addr on every CPU', () => {
    const m = new Machine({ arch: riscv({ rfence: 'ipi' }), cpus: 4 });
    const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 16 * P)));
    expect(d.ipis).toBe(3);
    for (const c of d.cpu) expect(c.instr).toEqual({ 'sfence.vma addr': 16 });
  });
  it('IPI, 100 pages: one global sfence.vma per CPU', () => {
    const m = new Machine({ arch: riscv({ rfence: 'ipi' }), cpus: 4 });
    const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 100 * P)));
    for (const c of d.cpu) expect(c.instr).toEqual({ 'sfence.vma': 1 });
  });
  it('SBI: one SBI remote_sfence_vma; 1 CPU: local only', () => {
    const m = new Machine({ arch: riscv(), cpus: 4 });
    const d = measure(m, () => m.op('vfree', 0, () => m.runtime.flushTlbKernelRange!(K, K + 16 * P)));
    expect(d.instr).toEqual({ 'SBI remote_sfence_vma': 1, 'M-mode sfence.vma': 4 });
    const u = new Machine({ arch: riscv(), cpus: 1 });
    const d1 = measure(u, () => u.op('vfree', 0, () => u.runtime.flushTlbKernelRange!(K, K + 2 * P)));
    expect(d1.instr).toEqual({ 'sfence.vma addr': 2 });
  });
});

describe('traces', () => {
  it('emits riscv_flush_tlb_range events only when tracing, never a tlb_flush tracepoint', () => {
    const { m, A } = world({ rfence: 'ipi' });
    populate(m, A, S, 512, [0]);
    const quiet = m.events.length;
    m.op('flush', 0, () => m.runtime.flushTlbPage(A, S));
    expect(m.events.length).toBe(quiet);
    m.tracing = true;
    const before = m.events.length;
    m.op('flush', 0, () => m.runtime.flushTlbPage(A, S));
    const evs = m.events.slice(before).filter((e) => e.cat === 'tlb');
    expect(evs.map((e) => e.name)).toEqual(['riscv_flush_tlb_range']);
    expect(evs[0].args).toMatchObject({ how: 'ipi', asid: 1, size: P, stride: P });
    expect(m.events.some((e) => e.name === 'tlb_flush')).toBe(false);
  });
});
