/**
 * The backend's shape: options and their validation, Kconfig per kernel version, geometry,
 * costs, counters, the ftrace format, pte_needs_flush, and the debugfs ceiling.
 */
import { MODELLED_RELEASES, Machine, PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_WRITE, PTE_YOUNG, X86_64_4LEVEL, mkPte, type TraceEvent } from '@tlbsim/core';
import { describe, expect, it } from 'vitest';
import { X86_COST, X86_OPTION_SPECS, pteNeedsFlush, x86, x86Internals } from '../src/index.js';
import { PAGE, S, counters, gatherFlush, measure, rig } from './helpers.js';

describe('x86() factory', () => {
  it('defaults model bare-metal Intel on the newest kernel', () => {
    const b = x86();
    expect(b.name).toBe('x86');
    expect(b.label).toBe('x86-64 7.1 (PCID, no PTI)');
    expect(b.options).toEqual({
      pcid: true, pti: false, invpcid: true, invlpgb: false, invlpgbCountMax: 8, paravirt: 'none', ceiling: 33,
      kernel: 'mainline', gbpages: true,
    });
    expect(b.geometry).toBe(X86_64_4LEVEL);
    expect(b.geometry.levels.map((l) => [l.name, l.shift, l.folding])).toEqual([
      ['pte', 12, 'none'], ['pmd', 21, 'none'], ['pud', 30, 'none'], ['p4d', 39, 'runtime'], ['pgd', 39, 'none'],
    ]);
    expect(b.hugePageSizes).toEqual([2 ** 21, 2 ** 30]);
    expect(b.thpPmdSize).toBe(2 ** 21);
    expect(b.perCpuCounters).toEqual([
      'interrupts.TLB', 'interrupts.CAL', 'nr_tlb_remote_flush', 'nr_tlb_remote_flush_received', 'nr_tlb_local_flush_all',
      'nr_tlb_local_flush_one',
    ]);
  });

  it('optionSpecs describe every option with its default and choices', () => {
    const b = x86();
    expect(X86_OPTION_SPECS.map((s) => s.name)).toEqual(Object.keys(b.options));
    for (const s of X86_OPTION_SPECS) expect(b.options[s.name]).toBe(s.default);
    expect(X86_OPTION_SPECS.find((s) => s.name === 'paravirt')!.choices).toEqual(['none', 'kvm', 'hyperv', 'xen']);
    expect(X86_OPTION_SPECS.find((s) => s.name === 'kernel')!.choices).toEqual(['v6.15', 'v6.14', 'v6.13', ...MODELLED_RELEASES]);
    expect(b.optionSpecs).toBe(X86_OPTION_SPECS);
  });

  it('labels name the options that matter', () => {
    expect(x86({ pti: true, invpcid: false }).label).toBe('x86-64 7.1 (PCID, PTI, no INVPCID)');
    expect(x86({ invlpgb: true }).label).toBe('x86-64 7.1 (PCID, no PTI, INVLPGB x8)');
    expect(x86({ paravirt: 'kvm', ceiling: 64 }).label).toBe('x86-64 7.1 (PCID, no PTI, KVM PV flush, ceiling 64)');
    expect(x86({ paravirt: 'xen' }).label).toBe('x86-64 7.1 (no PCID, no PTI, Xen PV)');
    expect(x86({ kernel: 'v6.13', pcid: false }).label).toBe('x86-64 v6.13 (no PCID, no PTI)');
  });

  it('rejects unknown options and bad values, naming the option and what it allows', () => {
    expect(() => x86({ pcdi: true } as never)).toThrow(
      "x86: unknown option 'pcdi' (did you mean 'pcid'? valid options: pcid, pti, invpcid, invlpgb, invlpgbCountMax, paravirt, ceiling, kernel, gbpages, cost)",
    );
    expect(() => x86({ paravirt: 'vmware' } as never)).toThrow("x86: option 'paravirt' must be one of 'none', 'kvm', 'hyperv', 'xen' (got 'vmware')");
    expect(() => x86({ kernel: 'V6.15' })).toThrow("x86: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline, or one of 'v6.15', 'v6.14', 'v6.13' (got 'V6.15'; did you mean 'v6.15'?)");
    expect(() => x86({ kernel: '5.15' })).toThrow("x86: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline, or one of 'v6.15', 'v6.14', 'v6.13' (kernel 5.15 is older than the oldest modelled release, 6.1)");
    expect(() => x86({ invlpgb: true, kernel: '6.14.9' })).toThrow("x86: option 'invlpgb' must be false with kernel '6.14.9' (INVLPGB support was merged in v6.15)");
    expect(() => x86({ pcid: 'yes' } as never)).toThrow("x86: option 'pcid' must be one of true, false (got 'yes')");
    expect(() => x86({ ceiling: -1 })).toThrow("x86: option 'ceiling' must be an integer >= 0 (got -1)");
    expect(() => x86({ ceiling: 1.5 })).toThrow("x86: option 'ceiling' must be an integer >= 0 (got 1.5)");
    expect(() => x86({ invlpgbCountMax: 0 })).toThrow("x86: option 'invlpgbCountMax' must be an integer from 1 to 65535 (got 0)");
    expect(() => x86({ invlpgb: true, kernel: 'v6.14' })).toThrow("x86: option 'invlpgb' must be false with kernel 'v6.14' (INVLPGB support was merged in v6.15)");
    expect(() => x86({ invlpgb: true, pcid: false })).toThrow("x86: option 'invlpgb' must be false with pcid false (global ASIDs are PCIDs)");
    expect(() => x86({ invlpgb: true, paravirt: 'kvm' })).toThrow("x86: option 'paravirt' must be 'none' with invlpgb (INVLPGB is modelled on bare metal only; got 'kvm')");
    expect(() => x86({ paravirt: 'xen', pcid: true })).toThrow("x86: option 'pcid' must be false with paravirt 'xen' (Xen PV guests run without PCID)");
    expect(() => x86({ paravirt: 'xen', pti: true })).toThrow("x86: option 'pti' must be false with paravirt 'xen' (Xen PV isolates in the hypervisor)");
    expect(() => x86({ cost: { ipiSend: -5 } })).toThrow("x86: option 'cost.ipiSend' must be a number >= 0 (got -5)");
    expect(() => x86({ cost: { ipi: 5 } as never })).toThrow(
      "x86: option 'cost' must be an object with any of ipiSend, ipiPerTarget, instructions, defaultInstruction, pageFree, tableFree, rcuCallback, sources (got unknown key 'ipi')",
    );
    expect(() => x86(42 as never)).toThrow('x86: options must be an object (got 42)');
  });

  it("ceiling is also accepted as tlbSinglePageFlushCeiling (the kernel knob's name, as powerpc spells it)", () => {
    const b = x86({ tlbSinglePageFlushCeiling: 10 } as never);
    expect(b.options.ceiling).toBe(10);
    expect(b.label).toBe('x86-64 7.1 (PCID, no PTI, ceiling 10)');
    expect(() => x86({ ceiling: 5, tlbSinglePageFlushCeiling: 10 } as never)).toThrow(
      "x86: option 'ceiling' must be given once (given as 'ceiling' and as 'tlbSinglePageFlushCeiling')",
    );
  });

  it('Kconfig per kernel version (core SPEC.md §8.2)', () => {
    const common = { MMU_GATHER_MERGE_VMAS: true, ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: true, ARCH_WANT_HUGE_PMD_SHARE: true, MMU_GATHER_PAGE_SIZE: false, MMU_GATHER_NO_RANGE: false, MMU_GATHER_NO_GATHER: false, SMP: true };
    expect(x86().kconfig).toMatchObject({ ...common, MMU_GATHER_TABLE_FREE: true, MMU_GATHER_RCU_TABLE_FREE: true, PT_RECLAIM: true });
    expect(x86({ kernel: 'v6.14' }).kconfig).toMatchObject({ ...common, MMU_GATHER_RCU_TABLE_FREE: true, PT_RECLAIM: true });
    expect(x86({ kernel: 'v6.13' }).kconfig).toMatchObject({ ...common, MMU_GATHER_TABLE_FREE: false, MMU_GATHER_RCU_TABLE_FREE: false, PT_RECLAIM: false });
    expect(x86({ kernel: 'v6.13', paravirt: 'hyperv' }).kconfig).toMatchObject({ MMU_GATHER_TABLE_FREE: true, MMU_GATHER_RCU_TABLE_FREE: true, PT_RECLAIM: false });
  });

  it('no GBPAGES: only 2 MiB hugetlb pages', () => {
    expect(x86({ gbpages: false }).hugePageSizes).toEqual([2 ** 21]);
  });

  it('cost model: cited defaults, overridable', () => {
    const c = x86().cost;
    expect(c.ipiSend).toBe(460);
    expect(c.ipiPerTarget).toBe(100);
    expect(c.instructions.INVLPG).toBe(140);
    for (const k of ['ipiSend', 'ipiPerTarget', ...Object.keys(X86_COST.instructions)]) expect(c.sources[k]).toMatch(/core SPEC\.md §11\.2|estimate/);
    const o = x86({ cost: { ipiSend: 1000, instructions: { INVLPG: 200 } } }).cost;
    expect(o.ipiSend).toBe(1000);
    expect(o.instructions.INVLPG).toBe(200);
    expect(o.instructions['CR3 write']).toBe(250);
  });

  it('estimatedNs follows the cost model: G01 costs one IPI, one target and 4 INVLPG', () => {
    const { m, A } = rig({}, ['run', 'run', null, null]);
    const before = m.metrics.estimatedNs;
    gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true });
    expect(m.metrics.estimatedNs - before).toBe(460 + 100 + 4 * 140);
  });
});

describe('ftrace text (tlb:tlb_flush)', () => {
  it('formats pages:%ld reason:%s (%d)', () => {
    const b = x86();
    const m = new Machine({ arch: b, cpus: 2, trace: true });
    const ev = (pages: number, reason: number): TraceEvent => ({ ts: 0, cpu: 1, name: 'tlb_flush', cat: 'tlb', args: { pages, reason } });
    expect(m.runtime.ftrace!(ev(2, 1))).toBe('tlb_flush: pages:2 reason:remote shootdown (1)');
    expect(m.runtime.ftrace!(ev(-1, 0))).toBe('tlb_flush: pages:-1 reason:flush on task switch (0)');
    expect(m.runtime.ftrace!({ ts: 0, cpu: 0, name: 'ipi_send', cat: 'ipi' })).toBeUndefined();
  });
});

describe('pte_needs_flush (asm/tlbflush.h)', () => {
  const rw = mkPte(7, PTE_WRITE | PTE_YOUNG | PTE_DIRTY);
  it.each([
    ['non-present old PTE', 0, rw, false],
    ['RW -> RO', rw, rw & ~PTE_WRITE, true],
    ['RO -> RW (RW changed)', rw & ~PTE_WRITE, rw, true],
    ['Dirty cleared', rw, rw & ~PTE_DIRTY, true],
    ['Dirty set', rw & ~PTE_DIRTY, rw, false],
    ['Accessed cleared (ignored)', rw, rw & ~PTE_YOUNG, false],
    ['exec gained (NX changed)', rw, rw | PTE_EXEC, true],
    ['PSE changed', rw, rw | PTE_LEAF, true],
    ['PFN changed', rw, mkPte(8, PTE_WRITE | PTE_YOUNG | PTE_DIRTY), true],
    ['cleared to none', rw, 0, true],
    ['unchanged', rw, rw, false],
  ])('%s', (_n, o, n, want) => {
    expect(pteNeedsFlush(o as number, n as number)).toBe(want);
  });
});

describe('debugfs x86/tlb_single_page_flush_ceiling', () => {
  it('reads and writes the ceiling; 0 makes any whole stride a full flush', () => {
    const { m, x, A } = rig({}, ['run', 'run', null, null]);
    expect(x.flushCeiling).toBe(33);
    x.setFlushCeiling(0);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + PAGE, ptes: true }));
    expect(d.cpu[1].instr).toEqual({ 'CR3 write': 1 });
    x.setFlushCeiling(100);
    const d2 = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 100 * PAGE, ptes: true }));
    expect(d2.cpu[1].instr).toEqual({ INVLPG: 100 });
    expect(() => x.setFlushCeiling(-1)).toThrow('x86: tlb_single_page_flush_ceiling must be an integer >= 0 (debugfs returns -EINVAL for -1)');
  });
  it('the ceiling option sets the boot value', () => {
    const { m, A } = rig({ ceiling: 2 }, ['run', 'run', null, null]);
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 3 * PAGE, ptes: true }));
    expect(d.cpu[0].instr).toEqual({ 'CR3 write': 1 });
  });
});

describe('flush_tlb_all', () => {
  it('IPIs every online CPU: do_flush_tlb_all, nr_tlb_remote_flush +1 on the initiator', () => {
    const { m, x } = rig({}, ['run', 'run', null, null]);
    const d = measure(m, () => m.op('flush_tlb_all', 0, () => x.flushTlbAll()));
    expect(d.ipis).toBe(3);
    expect(d.ipiBroadcasts).toBe(1);
    expect(counters(d.cpu[0])).toEqual({ TLB: 0, CAL: 0, remote: 1, received: 1, localAll: 0, localOne: 0 });
    for (const c of [1, 2, 3]) expect(counters(d.cpu[c])).toEqual({ TLB: 0, CAL: 1, remote: 0, received: 1, localAll: 0, localOne: 0 });
    expect(d.instr).toEqual({ INVPCID: 4 });
  });
  it('without INVPCID: two CR4 writes per CPU; with INVLPGB: one INVLPGB + TLBSYNC', () => {
    const a = rig({ invpcid: false }, ['run', null, null, null]);
    expect(measure(a.m, () => a.m.op('all', 0, () => a.x.flushTlbAll())).instr).toEqual({ 'CR4 write': 8 });
    const b = rig({ invlpgb: true }, ['run', null, null, null]);
    expect(measure(b.m, () => b.m.op('all', 0, () => b.x.flushTlbAll())).instr).toEqual({ INVLPGB: 1, TLBSYNC: 1 });
  });
});

describe('tlb_remove_table_sync_one', () => {
  it('a broadcast no-op: CAL +1 on every other CPU, never TLB', () => {
    const { m } = rig({}, ['run', 'run', null, null]);
    const d = measure(m, () => m.op('sync', 0, () => m.syncAllCpus()));
    expect(d.ipis).toBe(3);
    expect(d.ipiBroadcasts).toBe(1);
    expect(d.cpu.map((c) => [c.CAL, c.TLB])).toEqual([[0, 0], [1, 0], [1, 0], [1, 0]]);
  });
});

describe('global ASIDs (INVLPGB)', () => {
  it('consider_global_asid assigns one when 4 CPUs run the mm and (pid & 31) == (jiffies & 31)', () => {
    const { m, x, A, threads } = rig({ invlpgb: true }, ['run', 'run', 'run', 'run']);
    // CPU0's current task is thread A0: make jiffies match its pid in the low 5 bits
    m.now = (threads[0].id & 31) * 1_000_000;
    const d = measure(m, () => gatherFlush(m, A, 0, { start: S, end: S + 0x2000, ptes: true }));
    expect(d.ipis).toBe(3); // this flush still went by IPI
    expect(x.mmContext(A).globalAsid).toBe(6);
    expect(x.mmContext(A).asidTransition).toBe(true);
    // the first allocation after boot wraps the space: one all-non-global INVLPGB + TLBSYNC
    expect(d.cpu[0].instr).toEqual({ INVLPG: 2, INVLPGB: 1, TLBSYNC: 1 });
    expect(m.metrics.violations).toEqual([]);
  });
  it('never for a process on 3 CPUs, and not when the pid sample misses', () => {
    const a = rig({ invlpgb: true }, ['run', 'run', 'run', null]);
    a.m.now = (a.threads[0].id & 31) * 1_000_000;
    gatherFlush(a.m, a.A, 0, { start: S, end: S + 0x2000, ptes: true });
    expect(a.x.mmContext(a.A).globalAsid).toBe(0);
    const b = rig({ invlpgb: true }, ['run', 'run', 'run', 'run']);
    b.m.now = ((b.threads[0].id + 1) & 31) * 1_000_000;
    gatherFlush(b.m, b.A, 0, { start: S, end: S + 0x2000, ptes: true });
    expect(b.x.mmContext(b.A).globalAsid).toBe(0);
  });
  it('a freed global ASID is reused only after the wrap-around flush', async () => {
    const { exitThread } = await import('@tlbsim/core');
    const m = new Machine({ arch: x86({ invlpgb: true }), cpus: 2 });
    const x = x86Internals(m);
    const A = m.createMm('A');
    const tA = m.addThread(A, 'a', 0, 'running');
    m.op('g', 0, () => x.useGlobalAsid(A));
    expect(x.mmContext(A).globalAsid).toBe(6);
    m.op('exit', 0, () => exitThread(m, tA));
    expect(x.mmContext(A).globalAsid).toBe(0);
    const B = m.createMm('B');
    m.addThread(B, 'b', 1, 'running');
    m.op('g', 1, () => x.useGlobalAsid(B));
    expect(x.mmContext(B).globalAsid).toBe(7);
  });
});
