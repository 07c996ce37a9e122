/**
 * The riscv features of the kernel axis (features.ts, riscv SPEC.md §9): what each changes, with
 * exact counts, on the G08 reclaim scenario and a lone-table munmap; 6.1 behaviour.
 */
import { describe, expect, it } from 'vitest';
import { Machine, mmap, munmap, reclaimFilePages, touch } from '@tlbsim/core';
import { riscv } from '../src/index.js';
import { P, PMD, S, measure } from './helpers.js';

/** G08: two processes map 8 pages of one file on CPUs 1 and 2; CPU0 reclaims them (IPI rfence) */
function reclaim(kernel: string) {
  const m = new Machine({ arch: riscv({ rfence: 'ipi' }), cpus: 4, kernel });
  const file = m.createFile('cache');
  for (const c of [1, 2]) {
    const mm = m.createMm(`P${c}`);
    m.addThread(mm, `p${c}`, c, 'running');
    m.op('mmap', c, () => expect(mmap(m, mm, { addr: S, length: 8 * P, shared: true, file, write: false }).ok).toBe(true));
    m.op('touch', c, () => { for (let i = 0; i < 8; i++) expect(touch(m, mm, S + i * P, { write: false }).ok).toBe(true); });
  }
  let batched = false;
  const d = measure(m, () => { batched = m.op('reclaim', 0, () => reclaimFilePages(m, file, [0, 1, 2, 3, 4, 5, 6, 7])).batched; });
  expect(m.metrics.violations).toEqual([]);
  return { batched, ipis: d.ipis, kconfig: m.kconfig.ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH };
}

/** A lone 4-page VMA 2 MiB away from a kept page: munmap frees its PTE table */
function loneMunmap(kernel: string) {
  const m = new Machine({ arch: riscv({ rfence: 'ipi' }), cpus: 2, kernel });
  const A = m.createMm('A');
  m.addThread(A, 'a0', 0, 'running');
  m.addThread(A, 'a1', 1, 'running');
  const base = S + 4 * PMD;
  m.op('mmap', 0, () => { mmap(m, A, { addr: S, length: P }); mmap(m, A, { addr: base, length: 4 * P }); });
  m.op('touch', 0, () => { touch(m, A, S); for (let i = 0; i < 4; i++) touch(m, A, base + i * P); });
  const [t, r] = [m.metrics.tablesFreed, m.metrics.rcuCallbacks];
  m.op('munmap', 0, () => munmap(m, A, base, 4 * P));
  expect(m.metrics.violations).toEqual([]);
  return { tables: m.metrics.tablesFreed - t, rcu: m.metrics.rcuCallbacks - r, rcuTableFree: m.kconfig.MMU_GATHER_RCU_TABLE_FREE };
}

describe('54d7431af73e riscv-batched-unmap (v6.8)', () => {
  it('6.8: reclaim batches the flush: one IPI to each of CPU1 and CPU2', () => {
    expect(reclaim('6.8')).toEqual({ batched: true, ipis: 2, kconfig: true });
  });
  it('6.6 (and 6.1): no batch, a flush per unmapped page: 16 IPIs', () => {
    expect(reclaim('6.6')).toEqual({ batched: false, ipis: 16, kconfig: false });
    expect(reclaim('6.1')).toEqual({ batched: false, ipis: 16, kconfig: false });
  });
});

describe('69be3fb111e7 riscv-rcu-table-free (v6.9)', () => {
  it('6.9: the freed PTE table waits for an RCU grace period', () => {
    expect(loneMunmap('6.9')).toEqual({ tables: 1, rcu: 1, rcuTableFree: true });
  });
  it('6.8 and 6.1: freed with the pages right after the flush', () => {
    expect(loneMunmap('6.8')).toEqual({ tables: 1, rcu: 0, rcuTableFree: false });
    expect(loneMunmap('6.1')).toEqual({ tables: 1, rcu: 0, rcuTableFree: false });
  });
  it('-riscv-rcu-table-free on mainline gives the 6.8 Kconfig back', () => {
    expect(new Machine({ arch: riscv(), cpus: 1, features: ['-69be3fb111e7'] }).kconfig.MMU_GATHER_TABLE_FREE).toBe(false);
  });
});

describe('the machine kernel reaches riscv', () => {
  it('labels name the kernel modelled (mainline when none is given); ptReclaim needs a kernel with PT_RECLAIM', () => {
    expect(new Machine({ arch: riscv(), cpus: 1 }).arch.label).toBe('riscv64 7.1 Sv39 (ASID 16-bit, SBI rfence)');
    expect(new Machine({ arch: riscv(), cpus: 1, kernel: '6.1' }).arch.label).toBe('riscv64 6.1 Sv39 (ASID 16-bit, SBI rfence)');
    expect(() => new Machine({ arch: riscv({ ptReclaim: true }), cpus: 1, kernel: '6.13' })).toThrow(
      "riscv: option 'ptReclaim' must be false with kernel '6.13' (CONFIG_PT_RECLAIM was merged in v6.14)",
    );
  });
});
