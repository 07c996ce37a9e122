/**
 * The checker has teeth on riscv: two deliberately broken variants of the backend (built by
 * wrapping its runtime) must be reported, while the real backend stays clean on the same steps.
 */
import { describe, expect, it } from 'vitest';
import { Machine, mmap, munmap, type ArchBackend, type ArchContext, type ArchRuntime, type GatherView } from '@tlbsim/core';
import { riscv, type RiscvOptions } from '../src/index.js';
import { P, PMD, S, populate } from './helpers.js';

function mutate(b: ArchBackend, f: (rt: ArchRuntime, ctx: ArchContext) => Partial<ArchRuntime>): ArchBackend {
  return { ...b, create(ctx) { const rt = b.create(ctx); return { ...rt, ...f(rt, ctx) }; } };
}

/** munmap a VMA whose PTE table is freed while its PMD table stays (a neighbour 128 MiB away) */
function freePteTable(arch: ArchBackend) {
  const m = new Machine({ arch, cpus: 4 });
  const A = m.createMm('A');
  m.addThread(A, 't0', 0, 'running');
  m.addThread(A, 't1', 1, 'running');
  populate(m, A, S, 8, [0, 1]);
  populate(m, A, S + 64 * PMD, 1, [0, 1]);
  m.op('munmap', 0, () => munmap(m, A, S, 8 * P));
  return m.metrics.violations;
}

describe('freed_tables must force flush_tlb_mm (address-form fences keep walk entries)', () => {
  for (const opts of [{}, { rfence: 'ipi' }] as RiscvOptions[]) {
    const name = opts.rfence ?? 'sbi';
    it(`${name}: the real tlb_flush is clean`, () => {
      expect(freePteTable(riscv(opts))).toEqual([]);
    });
    it(`${name}: a tlb_flush that ignores freed_tables frees the PTE table under cached walk entries (H2)`, () => {
      const broken = mutate(riscv(opts), (rt) => ({
        tlbFlush: (g: GatherView) => rt.tlbFlush!({ ...g, fullmm: false, needFlushAll: false, freedTables: false } as GatherView),
      }));
      const v = freePteTable(broken);
      expect(v.length).toBeGreaterThan(0);
      expect(v.every((x) => x.hazard === 'H2')).toBe(true);
    });
  }
});

describe('without ASIDs, switch_mm must fence when it drops the CPU from mm_cpumask', () => {
  const run = (arch: ArchBackend) => {
    const m = new Machine({ arch, cpus: 2 });
    const A = m.createMm('A');
    const B = m.createMm('B');
    m.addThread(A, 't0', 0, 'running');
    const t1 = m.addThread(A, 't1', 1, 'running');
    m.op('mmap', 0, () => mmap(m, A, { addr: S, length: 512 * P }));
    populate(m, A, S + 512 * P, 4, [0, 1]);
    m.sleep(t1);
    m.addThread(B, 'b0', 1, 'running');
    m.op('munmap', 0, () => munmap(m, A, S + 512 * P, 4 * P));
    return m.metrics.violations;
  };
  it('the real set_mm_noasid is clean', () => {
    expect(run(riscv({ asid: false }))).toEqual([]);
  });
  it('a switch that leaves the mask without local_flush_tlb_all_asid(0) leaves CPU1 stale (H1)', () => {
    const broken = mutate(riscv({ asid: false }), (rt, ctx) => ({
      switchMm(cpu, prev, next) {
        if (prev && prev !== next) ctx.mmCpumask(prev).clear(cpu);
      },
    }));
    const v = run(broken);
    expect(v.some((x) => x.hazard === 'H1' && x.cpu === 1)).toBe(true);
  });
});
