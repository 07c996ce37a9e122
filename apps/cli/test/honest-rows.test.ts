import { describe, expect, it } from 'vitest';
import { parseArchSpecs } from '../src/arches.js';
import { runJob, type Job } from '../src/engine.js';
import { findWorkload, resolveParams } from '../src/workloads/index.js';

const job = (w: string, sets: string[] = []): Job => ({ kind: 'workload', workload: w, params: resolveParams(findWorkload(w), sets) });
const ALL = parseArchSpecs(['all']);
const run = (j: Job, o: { includeSetup?: boolean } = {}) => Object.fromEntries(ALL.map((v) => [v.id, runJob(j, v, o).result]));

describe('honest rows', () => {
  it('the 8-page munmap: one gather flush everywhere; setup (the first switch of each thread) is not in the totals', () => {
    const r = run(job('munmap', ['pages=8']));
    const pick = (id: string) => {
      const m = r[id].metrics;
      return [m.flushes, m.flushesBy, m.ipis, m.firmwareIpis, m.fullFlushes, m.rangedFlushes, m.pagesFreed];
    };
    expect(pick('x86')).toEqual([1, { tlb_flush: 1 }, 1, 0, 0, 2, 8]);
    expect(pick('arm64')).toEqual([1, { tlb_flush: 1 }, 0, 0, 0, 1, 8]);
    expect(pick('ppc')).toEqual([1, { tlb_flush: 1 }, 0, 0, 0, 1, 8]);
    // riscv: the SBI remote fence interrupts the other hart (firmware), and fences the whole ASID on both
    expect(pick('riscv')).toEqual([1, { tlb_flush: 1 }, 0, 1, 2, 0, 8]);
    expect(r.x86.metrics.tlbInstructions).toEqual({ INVLPG: 16 });
    // x86's two threads switching onto their CPUs: CR3 writes that flush, reported on their own
    expect(r.x86.setup.metrics).toMatchObject({ fullFlushes: 2, flushes: 0, ipis: 0, tlbInstructions: { 'CR3 write': 2 } });
    expect(r.x86.setup.cpus.map((c) => c.fullFlushes)).toEqual([1, 1]);
    for (const id of ['arm64', 'ppc', 'riscv']) expect(r[id].setup.metrics.fullFlushes + r[id].setup.metrics.flushes).toBe(0);
    // per-CPU rows sum to the totals
    for (const res of Object.values(r)) {
      expect(res.cpus.reduce((a, c) => a + c.firmwareIpisReceived, 0)).toBe(res.metrics.firmwareIpis);
      expect(res.cpus.reduce((a, c) => a + c.ipisReceived, 0)).toBe(res.metrics.ipis);
    }
  });

  it('--include-setup folds the setup back into the totals', () => {
    const sep = run(job('munmap', ['pages=8'])).x86;
    const inc = run(job('munmap', ['pages=8']), { includeSetup: true }).x86;
    expect(inc.metrics.fullFlushes).toBe(sep.metrics.fullFlushes + 2);
    expect(inc.metrics.tlbInstructions).toEqual({ 'CR3 write': 2, INVLPG: 16 });
    expect(inc.metrics.estimatedNs).toBe(sep.metrics.estimatedNs + sep.setup.metrics.estimatedNs);
    expect(inc.setup.metrics.fullFlushes).toBe(0);
  });

  it('reclaim: the batched unmap is one flush operation where the arch batches, one per page where it does not', () => {
    const r = run(job('reclaim'));
    expect(r.x86.metrics.flushesBy).toEqual({ arch_tlbbatch_flush: 1 });
    expect(r.arm64.metrics.flushesBy).toEqual({ arch_tlbbatch_flush: 1 });
    expect(r.riscv.metrics.flushesBy).toEqual({ arch_tlbbatch_flush: 1 });
    // powerpc does not select ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: ptep_clear_flush per mapping
    expect(r.ppc.metrics.flushesBy).toEqual({ flush_tlb_page: 32 });
    // the gather is not involved: the old archFlushes row read 0 here
    for (const res of Object.values(r)) expect(res.metrics.archFlushes).toBe(0);
    expect(r.arm64.metrics.tlbInstructions['TLBI VALE1IS']).toBe(32);
    expect(r.x86.metrics.ipis).toBe(1);
  });

  it('mremap: the move flushes the old range with flush_tlb_range, the munmap through the gather', () => {
    for (const res of Object.values(run(job('mremap')))) expect(res.metrics.flushesBy).toEqual({ flush_tlb_range: 1, tlb_flush: 1 });
  });
});
