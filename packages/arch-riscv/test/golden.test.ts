/**
 * The golden scenarios G01-G12 of SPEC.md §8, through core's public mm operations.
 * Baseline: 4 CPUs, Sv39, ASIDs, SBI rfence, threshold 64; A runs on CPU0 and CPU1.
 */
import { describe, expect, it } from 'vitest';
import { Machine, exitThread, madvise, mmap, mprotect, munmap, reclaimFilePages, touch, type Mm } from '@tlbsim/core';
import { riscv, riscvMmContext, type RiscvOptions } from '../src/index.js';
import { P, PMD, S, clean, measure, populate, world } from './helpers.js';

const at = <T>(xs: { counters: Record<string, number> }[], name: string) => xs.map((c) => c.counters[name] ?? 0) as unknown as T;
const SBI = 'SBI remote_sfence_vma_asid';
const PAGE = 'sfence.vma addr,asid';
const ASID = 'sfence.vma asid';
const M_ASID = 'M-mode sfence.vma asid';
const M_PAGE = 'M-mode sfence.vma addr,asid';

/** munmap [S+0x10000, +n pages) of A's fully touched 2 MiB VMA (no table is freed) */
function middleUnmap(opts: RiscvOptions, n: number, setup?: (w: ReturnType<typeof world>) => void) {
  const w = world(opts);
  populate(w.m, w.A, S, 512, [0, 1]);
  setup?.(w);
  const d = measure(w.m, () => w.m.op('munmap', 0, () => expect(munmap(w.m, w.A, S + 0x10000, n * P).ok).toBe(true)));
  clean(w.m);
  return { ...w, d };
}

describe('G01 SBI remote fence', () => {
  it('2 pages, mask {0,1}: 1 ecall on CPU0, no Linux sfence or IPI; 8 KiB > 4 KiB limit: firmware fences the ASID on both harts', () => {
    const { d } = middleUnmap({}, 2);
    expect(d.archFlushes).toBe(1);
    expect(d.instr).toEqual({ [SBI]: 1, [M_ASID]: 2 });
    expect(d.cpu[0].instr).toEqual({ [SBI]: 1, [M_ASID]: 1 });
    expect(d.cpu[1].instr).toEqual({ [M_ASID]: 1 });
    expect(d.ipis).toBe(0);
    expect(at(d.cpu, 'sbi.rfence')).toEqual([1, 1, 0, 0]);
    expect(d.cpu.map((c) => c.full)).toEqual([1, 1, 0, 0]);
    expect(d.rangedFlushes).toBe(0);
    expect(d.pagesFreed).toBe(2);
  });
  it('1 page (within the 4 KiB limit): one firmware page fence per hart (ranged)', () => {
    const { d } = middleUnmap({}, 1);
    expect(d.instr).toEqual({ [SBI]: 1, [M_PAGE]: 2 });
    expect(d.cpu.map((c) => c.ranged)).toEqual([1, 1, 0, 0]);
  });
  it('sbiRangeFlushLimit = MAX_SAFE_INTEGER (the SBI-spec minimum): 2 pages are 2 firmware page fences per hart', () => {
    const { d } = middleUnmap({ sbiRangeFlushLimit: Number.MAX_SAFE_INTEGER }, 2);
    expect(d.instr).toEqual({ [SBI]: 1, [M_PAGE]: 4 });
    expect(d.cpu[1].instr).toEqual({ [M_PAGE]: 2 });
  });
  it('70 CPUs all running A: 2 ecalls (hart windows 0-63 and 64-69), all 70 harts fenced', () => {
    const { m, A } = world({}, 70);
    for (let c = 2; c < 70; c++) m.addThread(A, `t${c}`, c, 'running');
    populate(m, A, S, 512, [0]);
    const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S + 0x10000, 2 * P)));
    expect(d.instr).toEqual({ [SBI]: 2, [M_ASID]: 70 });
    expect(d.cpu[0].instr).toEqual({ [SBI]: 2, [M_ASID]: 1 });
    expect(at<number[]>(d.cpu, 'sbi.rfence').every((n) => n === 1)).toBe(true);
    expect(d.ipis).toBe(0);
    clean(m);
  });
});

describe('G02 IPI remote fence', () => {
  it('2 pages: 1 IPI to CPU1; CPU0 and CPU1 2 sfence.vma addr,asid each', () => {
    const { d } = middleUnmap({ rfence: 'ipi' }, 2);
    expect(d.archFlushes).toBe(1);
    expect(d.ipis).toBe(1);
    expect(d.cpu.map((c) => c.ipis)).toEqual([0, 1, 0, 0]);
    expect(at(d.cpu, 'interrupts.IPI1')).toEqual([0, 1, 0, 0]);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 2 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 2 });
    expect(d.instr).toEqual({ [PAGE]: 4 });
    expect(d.cpu.map((c) => c.ranged)).toEqual([1, 1, 0, 0]);
  });
  it('CPU1 idle and lazy on A: identical (riscv does not filter lazy CPUs)', () => {
    const { d } = middleUnmap({ rfence: 'ipi' }, 2, (w) => w.m.sleep(w.t1!));
    expect(d.ipis).toBe(1);
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 2 });
  });
  for (const rfence of ['ipi', 'sbi'] as const) {
    it(`mask {0} only (${rfence}): local flush, no IPI, no ecall`, () => {
      const { m, A } = world({ rfence }, 4, true);
      populate(m, A, S, 512, [0]);
      const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S + 0x10000, 2 * P)));
      expect(d.instr).toEqual({ [PAGE]: 2 });
      expect(d.cpu[0].instr).toEqual({ [PAGE]: 2 });
      expect(d.ipis).toBe(0);
      clean(m);
    });
  }
});

describe('G03 tlb_flush_all_threshold edge (IPI)', () => {
  it('64 pages: 64 page fences per CPU (ranged)', () => {
    const { d } = middleUnmap({ rfence: 'ipi' }, 64);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 64 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 64 });
    expect(d.cpu.map((c) => c.ranged)).toEqual([1, 1, 0, 0]);
    expect(d.fullFlushes).toBe(0);
  });
  it('65 pages: 1 sfence.vma asid per CPU (full), no page fence', () => {
    const { d } = middleUnmap({ rfence: 'ipi' }, 65);
    expect(d.cpu[0].instr).toEqual({ [ASID]: 1 });
    expect(d.cpu[1].instr).toEqual({ [ASID]: 1 });
    expect(d.cpu.map((c) => c.full)).toEqual([1, 1, 0, 0]);
    expect(d.rangedFlushes).toBe(0);
  });
  it('tlbFlushAllThreshold 128: 65 pages are 65 page fences', () => {
    const { d } = middleUnmap({ rfence: 'ipi', tlbFlushAllThreshold: 128 }, 65);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 65 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 65 });
  });
});

describe('G04 freed tables force flush_tlb_mm', () => {
  const lone = (opts: RiscvOptions, fail = false) => {
    const w = world(opts, 4, false, fail ? { allocFailures: { tableBatch: 'always' } } : {});
    w.m.addThread(w.A, 't2', 2, 'sleeping'); // ran on CPU2, now idle and lazy on A
    populate(w.m, w.A, S, 8, [0, 1]);
    expect(w.A.cpumask.list()).toEqual([0, 1, 2]);
    const d = measure(w.m, () => w.m.op('munmap', 0, () => munmap(w.m, w.A, S, 8 * P)));
    clean(w.m);
    return d;
  };
  it('SBI: 2 flushes (end_vma ranged, finish full), 2 ecalls, CPUs 0-2 fenced twice (32 KiB > limit: ASID both times); tables via RCU', () => {
    const d = lone({});
    expect(d.archFlushes).toBe(2);
    expect(d.instr).toEqual({ [SBI]: 2, [M_ASID]: 6 });
    expect(at(d.cpu, 'sbi.rfence')).toEqual([2, 2, 2, 0]);
    expect(d.cpu.map((c) => c.full)).toEqual([2, 2, 2, 0]);
    expect(d.rangedFlushes).toBe(0);
    expect(d.ipis).toBe(0);
    expect(d.tablesFreed).toBe(2);
    expect(d.rcuCallbacks).toBe(1);
  });
  it('IPI: 4 IPIs (CPU1, CPU2 twice); CPUs 0-2 each 8 page fences + 1 sfence.vma asid', () => {
    const d = lone({ rfence: 'ipi' });
    expect(d.archFlushes).toBe(2);
    expect(d.ipis).toBe(4);
    expect(d.cpu.map((c) => c.ipis)).toEqual([0, 2, 2, 0]);
    for (const c of [0, 1, 2]) expect(d.cpu[c].instr).toEqual({ [PAGE]: 8, [ASID]: 1 });
    expect(d.cpu[3].instr).toEqual({});
    expect(d.ipiBroadcasts).toBe(0);
  });
  it('table-batch allocation always fails (SBI): 4 flushes, 4 ecalls, 2 sync broadcasts = 6 Linux IPIs, no RCU', () => {
    const d = lone({}, true);
    expect(d.archFlushes).toBe(4);
    expect(d.instr).toEqual({ [SBI]: 4, [M_ASID]: 12 });
    expect(d.fullFlushes).toBe(12); // 4 flushes x 3 harts, all whole-ASID in the firmware
    expect(d.ipis).toBe(6);
    expect(d.ipiBroadcasts).toBe(2);
    expect(at(d.cpu, 'interrupts.IPI1')).toEqual([0, 2, 2, 2]);
    expect(d.rcuCallbacks).toBe(0);
    expect(d.tablesFreed).toBe(2);
  });
});

describe('G05 Svinval (IPI)', () => {
  it('10 pages: sfence.w.inval + 10 sinval.vma + sfence.inval.ir per CPU', () => {
    const { d } = middleUnmap({ rfence: 'ipi', svinval: true }, 10);
    const want = { 'sfence.w.inval': 1, 'sinval.vma addr,asid': 10, 'sfence.inval.ir': 1 };
    expect(d.cpu[0].instr).toEqual(want);
    expect(d.cpu[1].instr).toEqual(want);
  });
  it('1 page: a single sfence.vma addr,asid (size <= stride)', () => {
    const { d } = middleUnmap({ rfence: 'ipi', svinval: true }, 1);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 1 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 1 });
  });
  it('65 pages: sfence.vma asid', () => {
    const { d } = middleUnmap({ rfence: 'ipi', svinval: true }, 65);
    expect(d.cpu[0].instr).toEqual({ [ASID]: 1 });
  });
  it('SBI with mask {0,1}: 1 ecall, nothing executed by Linux (the firmware does not use Svinval)', () => {
    const { d } = middleUnmap({ svinval: true }, 10);
    expect(d.instr).toEqual({ [SBI]: 1, [M_ASID]: 2 });
  });
  it('local only (mask {0}, SBI mode): the Svinval sequence on CPU0', () => {
    const { m, A } = world({ svinval: true }, 4, true);
    populate(m, A, S, 512, [0]);
    const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S + 0x10000, 10 * P)));
    expect(d.instr).toEqual({ 'sfence.w.inval': 1, 'sinval.vma addr,asid': 10, 'sfence.inval.ir': 1 });
    clean(m);
  });
});

describe('G06 no ASIDs', () => {
  it('switch A->B on CPU1: 1 sfence.vma asid, CPU1 leaves mask(A); munmap is then local only', () => {
    const { m, A, t1 } = world({ asid: false });
    const B = m.createMm('B');
    populate(m, A, S, 512, [0]);
    const sw = measure(m, () => {
      m.sleep(t1!);
      m.addThread(B, 'b0', 1, 'running');
    });
    expect(sw.cpu[1].instr).toEqual({ [ASID]: 1 });
    expect(sw.instr).toEqual({ [ASID]: 1 });
    expect(A.cpumask.list()).toEqual([0]);
    const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S + 0x10000, 2 * P)));
    expect(d.instr).toEqual({ [PAGE]: 2 });
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 2 });
    expect(d.ipis).toBe(0);
    expect(riscvMmContext(m, A)?.asid).toBe(0);
    clean(m);
  });
  it('same steps with ASIDs: the switch costs nothing, CPU1 stays in mask(A) and is fenced by the SBI call', () => {
    const { m, A, t1 } = world({});
    const B = m.createMm('B');
    populate(m, A, S, 512, [0]);
    const sw = measure(m, () => {
      m.sleep(t1!);
      m.addThread(B, 'b0', 1, 'running');
    });
    expect(sw.instr).toEqual({});
    expect(A.cpumask.list()).toEqual([0, 1]);
    const d = measure(m, () => m.op('munmap', 0, () => munmap(m, A, S + 0x10000, 2 * P)));
    expect(d.instr).toEqual({ [SBI]: 1, [M_ASID]: 2 });
    expect(d.cpu[1].instr).toEqual({ [M_ASID]: 1 });
    expect(at(d.cpu, 'sbi.rfence')).toEqual([1, 1, 0, 0]);
    clean(m);
  });
});

describe('G07 exit_mmap (fullmm)', () => {
  const exit = (opts: RiscvOptions) => {
    const { m, A, t0, t1 } = world(opts);
    populate(m, A, S, 16, [0, 1]);
    const d = measure(m, () => {
      m.op('exit', 1, () => exitThread(m, t1!));
      m.op('exit', 0, () => exitThread(m, t0));
    });
    expect(A.dead).toBe(true);
    expect(d.archFlushes).toBe(1);
    expect(d.pagesFreed).toBe(16);
    expect(d.tablesFreed).toBe(2);
    expect(d.rcuCallbacks).toBe(1);
    clean(m);
    return d;
  };
  it('SBI: 1 full ecall fencing CPU0 and CPU1', () => {
    const d = exit({});
    expect(d.instr).toEqual({ [SBI]: 1, [M_ASID]: 2 });
    expect(at(d.cpu, 'sbi.rfence')).toEqual([1, 1, 0, 0]);
    expect(d.cpu.map((c) => c.full)).toEqual([1, 1, 0, 0]);
  });
  it('IPI: 1 IPI (lazy CPU1); CPU0 and CPU1 1 sfence.vma asid', () => {
    const d = exit({ rfence: 'ipi' });
    expect(d.ipis).toBe(1);
    expect(d.cpu[0].instr).toEqual({ [ASID]: 1 });
    expect(d.cpu[1].instr).toEqual({ [ASID]: 1 });
  });
});

describe('G08 reclaim batch', () => {
  const reclaim = (opts: RiscvOptions) => {
    const m = new Machine({ arch: riscv(opts), cpus: 4 });
    const file = m.createFile('cache');
    for (const c of [1, 2]) {
      const mm = m.createMm(`P${c}`);
      m.addThread(mm, `p${c}`, c, 'running');
      m.op('mmap', c, () => expect(mmap(m, mm, { addr: S, length: 8 * P, shared: true, file, write: false }).ok).toBe(true));
      m.op('touch', c, () => { for (let i = 0; i < 8; i++) expect(touch(m, mm, S + i * P, { write: false }).ok).toBe(true); });
    }
    let r!: ReturnType<typeof reclaimFilePages>;
    const d = measure(m, () => { r = m.op('reclaim', 0, () => reclaimFilePages(m, file, [0, 1, 2, 3, 4, 5, 6, 7])); });
    expect(r).toMatchObject({ freed: 8, unmapped: 16, batched: true });
    clean(m);
    return d;
  };
  it('IPI: 2 IPIs; CPU1 and CPU2 one all-ASID sfence.vma each; nothing on CPU0', () => {
    const d = reclaim({ rfence: 'ipi' });
    expect(d.ipis).toBe(2);
    expect(d.cpu.map((c) => c.instr)).toEqual([{}, { 'sfence.vma': 1 }, { 'sfence.vma': 1 }, {}]);
    expect(d.fullFlushes).toBe(2);
    expect(d.rangedFlushes).toBe(0);
  });
  it('SBI: 1 SBI remote_sfence_vma (no ASID) on CPU0 fencing CPU1 and CPU2', () => {
    const d = reclaim({});
    expect(d.instr).toEqual({ 'SBI remote_sfence_vma': 1, 'M-mode sfence.vma': 2 });
    expect(d.cpu.map((c) => c.instr)).toEqual([{ 'SBI remote_sfence_vma': 1 }, { 'M-mode sfence.vma': 1 }, { 'M-mode sfence.vma': 1 }, {}]);
    expect(at(d.cpu, 'sbi.rfence')).toEqual([0, 1, 1, 0]);
    expect(d.ipis).toBe(0);
  });
});

describe('G09 ASID rollover', () => {
  it('asidBits 3, 2 CPUs: P7 triggers the rollover; each CPU fences everything once at its next switch', () => {
    const m = new Machine({ arch: riscv({ asidBits: 3, rfence: 'ipi' }), cpus: 2 });
    const A = m.createMm('A');
    const a0 = m.addThread(A, 'a0', 0, 'running');
    expect(riscvMmContext(m, A)).toMatchObject({ asid: 1, version: 1 });
    const procs: Mm[] = [];
    let prev: ReturnType<Machine['addThread']> | undefined;
    for (let k = 1; k <= 7; k++) {
      const mm = m.createMm(`P${k}`);
      procs.push(mm);
      const d = measure(m, () => {
        if (prev) m.sleep(prev);
        prev = m.addThread(mm, `p${k}`, 1, 'running');
      });
      if (k === 1) populate(m, mm, S, 4, [1]); // P1 leaves entries (ASID 2) in CPU1's TLB
      if (k < 7) {
        expect(d.instr).toEqual({});
        expect(riscvMmContext(m, mm)).toMatchObject({ asid: k + 1, version: 1 });
      } else {
        expect(d.cpu[1].instr).toEqual({ 'sfence.vma': 1 });
        expect(d.instr).toEqual({ 'sfence.vma': 1 });
        expect(riscvMmContext(m, mm)).toMatchObject({ asid: 2, version: 2 });
      }
    }
    // CPU0 switches to P1: stale version, its old ASID 2 now belongs to P7 -> ASID 3, one full fence
    const d0 = measure(m, () => {
      m.sleep(a0);
      m.addThread(procs[0], 'p1b', 0, 'running');
    });
    expect(d0.cpu[0].instr).toEqual({ 'sfence.vma': 1 });
    expect(riscvMmContext(m, procs[0])).toMatchObject({ asid: 3, version: 2 });
    // A was reserved on CPU0 during the rollover: it keeps ASID 1 with the new version, no fence
    const d1 = measure(m, () => {
      m.sleep(prev!);
      m.addThread(A, 'a1', 1, 'running');
    });
    expect(d1.instr).toEqual({});
    expect(riscvMmContext(m, A)).toMatchObject({ asid: 1, version: 2 });
    // P1's pages (cached on CPU1 under the old ASID 2) can be freed safely from CPU0
    m.op('munmap', 0, () => munmap(m, procs[0], S, 4 * P));
    clean(m);
  });
  it('a rollover on CPU0 renumbers P1 while CPU1 still holds P1 entries under its old ASID: clean', () => {
    const m = new Machine({ arch: riscv({ asidBits: 3, rfence: 'ipi' }), cpus: 2 });
    const P1 = m.createMm('P1');
    const p1 = m.addThread(P1, 'p1', 1, 'running');
    populate(m, P1, S, 16, [1]); // CPU1 caches P1's pages under ASID 1
    m.sleep(p1);
    const Q = m.createMm('Q');
    m.addThread(Q, 'q', 1, 'running'); // CPU1 now runs Q (ASID 2), no fence
    let prev: ReturnType<Machine['addThread']> | undefined;
    const R: Mm[] = [];
    for (let k = 1; k <= 6; k++) {
      const mm = m.createMm(`R${k}`);
      R.push(mm);
      const d = measure(m, () => {
        if (prev) m.sleep(prev);
        prev = m.addThread(mm, `r${k}`, 0, 'running');
      });
      // R1..R5 take 3..7; R6 finds none: rollover, CPU0 fences everything, R6 gets the free ASID 1
      expect(d.instr).toEqual(k < 6 ? {} : { 'sfence.vma': 1 });
    }
    expect(riscvMmContext(m, R[5])).toMatchObject({ asid: 1, version: 2 });
    m.sleep(prev!);
    const d = measure(m, () => m.addThread(P1, 'p1b', 0, 'running'));
    expect(d.instr).toEqual({}); // CPU0's pending fence was consumed at R6
    expect(riscvMmContext(m, P1)).toMatchObject({ asid: 3, version: 2 });
    // P1's flush carries ASID 3; CPU1's stale entries are tagged 1 and are not hit, yet CPU1 cannot
    // use them: it fences everything at its next switch (reported as a deferred invalidation)
    const u = measure(m, () => m.op('munmap', 0, () => munmap(m, P1, S, 4 * P)));
    expect(u.ipis).toBe(1);
    expect(u.cpu[1].instr).toEqual({ [PAGE]: 4 });
    clean(m);
    const s = measure(m, () => { m.sleep(m.threads.find((t) => t.name === 'q')!); m.addThread(R[0], 'r1b', 1, 'running'); });
    expect(s.cpu[1].instr).toEqual({ 'sfence.vma': 1 });
    clean(m);
  });
  it('asidBits 2 on 2 CPUs (4 <= 2x2): allocator off, every switch is one sfence.vma asid', () => {
    const m = new Machine({ arch: riscv({ asidBits: 2 }), cpus: 2 });
    const A = m.createMm('A');
    m.addThread(A, 'a0', 0, 'running');
    let prev: ReturnType<Machine['addThread']> | undefined;
    for (let k = 1; k <= 3; k++) {
      const mm = m.createMm(`P${k}`);
      const d = measure(m, () => {
        if (prev) m.sleep(prev);
        prev = m.addThread(mm, `p${k}`, 1, 'running');
      });
      expect(d.instr).toEqual({ [ASID]: 1 });
      expect(riscvMmContext(m, mm)?.asid).toBe(0);
    }
    clean(m);
  });
});

describe('G10 mprotect both ways (IPI)', () => {
  it('RW->RO and RO->RW each flush 40 pages on CPU0 and CPU1', () => {
    const { m, A } = world({ rfence: 'ipi' });
    populate(m, A, S, 40, [0, 1]);
    for (const write of [false, true]) {
      const d = measure(m, () => m.op('mprotect', 0, () => expect(mprotect(m, A, S, 40 * P, { read: true, write, exec: false }).ok).toBe(true)));
      expect(d.archFlushes).toBe(1);
      expect(d.ipis).toBe(1);
      expect(d.cpu[0].instr).toEqual({ [PAGE]: 40 });
      expect(d.cpu[1].instr).toEqual({ [PAGE]: 40 });
    }
    clean(m);
  });
});

describe('G11 SiFive CIP-1200', () => {
  it('resolved threshold is 0', () => {
    expect(riscv({ sifiveCip1200: true }).options.tlbFlushAllThreshold).toBe(0);
  });
  for (const n of [1, 2]) {
    it(`${n} page(s): one global sfence.vma per CPU`, () => {
      const { d } = middleUnmap({ sifiveCip1200: true, rfence: 'ipi' }, n);
      expect(d.cpu[0].instr).toEqual({ 'sfence.vma': 1 });
      expect(d.cpu[1].instr).toEqual({ 'sfence.vma': 1 });
      expect(d.cpu.map((c) => c.full)).toEqual([1, 1, 0, 0]);
    });
  }
});

describe('G12 THP zap stride (IPI)', () => {
  const thp = (len: number, thps: number[], small: number[], zapLen: number) => {
    const { m, A } = world({ rfence: 'ipi' });
    m.op('mmap', 0, () => expect(mmap(m, A, { addr: S, length: len }).ok).toBe(true));
    m.op('touch', 0, () => {
      for (const a of thps) expect(touch(m, A, a, { thp: true }).ok).toBe(true);
      for (const a of small) expect(touch(m, A, a).ok).toBe(true);
    });
    const d = measure(m, () => m.op('madvise', 0, () => expect(madvise(m, A, S, zapLen, 'dontneed').ok).toBe(true)));
    expect(d.archFlushes).toBe(1);
    clean(m);
    return d;
  };
  it('two THPs: stride 2 MiB, 2 page fences per CPU', () => {
    const d = thp(2 * PMD, [S, S + PMD], [], 2 * PMD);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 2 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 2 });
  });
  it('one THP: size = stride, 1 page fence per CPU', () => {
    const d = thp(PMD, [S], [], PMD);
    expect(d.cpu[0].instr).toEqual({ [PAGE]: 1 });
    expect(d.cpu[1].instr).toEqual({ [PAGE]: 1 });
  });
  it('THP + one 4 KiB page: stride 4 KiB, 513 > 64: sfence.vma asid', () => {
    const d = thp(2 * PMD, [S], [S + PMD], PMD + P);
    expect(d.cpu[0].instr).toEqual({ [ASID]: 1 });
    expect(d.cpu[1].instr).toEqual({ [ASID]: 1 });
  });
});
