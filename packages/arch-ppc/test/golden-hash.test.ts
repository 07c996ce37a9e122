/**
 * G19 (hash MMU) and G20 (nohash / 32-bit) of shared/spec/ppc.md §7.
 * Hash, 64K pages: a PTE table has 256 entries and maps 16M; S is 16M-aligned.
 */
import { describe, expect, it } from 'vitest';
import { exitThread, mmap, munmap, touch } from '@tlbsim/core';
import { ppc } from '../src/index.js';
import { K64, M16, S, SYNC, TAIL, capture, instr, ipiSends, pages, rig, running } from './helpers.js';

const hpte = (va: number) => `hpte_invalidate va=0x${va.toString(16)}`;
const hl = (va: number) => `tlbiel hash va=0x${va.toString(16)}`;
const hg = (va: number) => `tlbie hash va=0x${va.toString(16)}`;
const BAR10 = ['ptesync', 'cp_abort'];

/** one native_flush_hash_range of `vas` */
function localBatch(vas: number[]) {
  return [...vas.map(hpte), ...SYNC, ...vas.map(hl), ...BAR10];
}
function globalBatch(vas: number[], fixups: string[] = []) {
  return [...vas.map(hpte), ...SYNC, ...vas.map(hg), ...fixups, ...TAIL];
}

function hashRig(opts = {}, cpus = [0], n = 200) {
  const r = rig({ mmu: 'hash', ...opts });
  running(r, cpus);
  const { m, mm } = r;
  m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M16 }));
  m.op('touch', 0, () => { for (const a of pages(S, n)) touch(m, mm, a); });
  return r;
}

describe('G19 hash MMU: the per-CPU batch of 192', () => {
  it('thread-local zap of 200 PTEs in one table: batch of 192 at full, 8 at the end; tlb_flush adds nothing', () => {
    const r = hashRig();
    const { m, mm } = r;
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 200 * K64)));
    const all = pages(S, 200);
    expect(f.seq).toEqual([...localBatch(all.slice(0, 192)), ...localBatch(all.slice(192))]);
    expect(instr(m)).toEqual({ tlbiel: 200, ptesync: 4, cp_abort: 2 });
    const c0 = m.metrics.perCpu()[0].counters;
    expect(c0).toMatchObject({ hpte_invalidate: 200, hash_batch_flush: 2, tlbiel: 200, tlbie: 0 });
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.archFlushes).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
  it('the batch is drained by the last arch_leave_lazy_mmu_mode, so hash__tlb_flush finds it empty', () => {
    const r = hashRig({}, [0], 10);
    const f = capture(r.m, () => r.m.op('munmap', 0, () => munmap(r.m, r.mm, S, 10 * K64)));
    const reasons = f.events.filter((e) => e.name === 'flush_tlb_pending').map((e) => e.args!.reason);
    expect(reasons).toEqual(['tlb_flush']); // drained at the gather flush: same instructions as at lazy-mode exit
    expect(r.rt.hashBatch(0)!.index).toBe(0);
  });
  it('an mm that ran on two CPUs: global tlbie, 200 tlbie, 0 IPIs (POWER10: no fixups)', () => {
    const r = hashRig({}, [0, 1]);
    const { m, mm } = r;
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 200 * K64)));
    const all = pages(S, 200);
    expect(f.seq).toEqual([...globalBatch(all.slice(0, 192)), ...globalBatch(all.slice(192))]);
    expect(instr(m)).toEqual({ tlbie: 200, ptesync: 4, eieio: 2, tlbsync: 2 });
    expect(m.metrics.ipis).toBe(0);
    expect(m.metrics.violations).toEqual([]);
  });
  it('POWER9 DD2.2: fixup_tlbie_vpn per batch (ERAT: LPID tlbie; STQ: repeat the last) = 204 tlbie', () => {
    const r = hashRig({ cpu: 'power9', p9Errata: 'erat+stq' }, [0, 1]);
    const { m, mm } = r;
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 200 * K64)));
    const all = pages(S, 200);
    const fix = (last: number) => [...SYNC, 'tlbie lpid=0 ric=0 prs=0', ...SYNC, hg(last)];
    expect(f.seq).toEqual([...globalBatch(all.slice(0, 192), fix(all[191])), ...globalBatch(all.slice(192), fix(all[199]))]);
    expect(instr(m)).toMatchObject({ tlbie: 202, 'tlbie RIC=0': 2 });
    expect(m.metrics.perCpu()[0].counters.tlbie).toBe(204);
  });
  it('a mm that ever ran on two CPUs stays global: hash never trims mm_cpumask', () => {
    const r = hashRig({}, [0, 1], 4);
    const { m, mm } = r;
    const [, t1] = m.threads;
    m.op('exit t1', 1, () => exitThread(m, t1));
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 4 * K64)));
    expect(f.seq).toEqual(globalBatch(pages(S, 4)));
    expect(mm.cpumask.list()).toEqual([0, 1]);
  });
  it('each PTE table is its own lazy-MMU section: two tables, two batches', () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: 2 * M16 }));
    m.op('touch', 0, () => { for (const a of [...pages(S, 3), ...pages(S + M16, 3)]) touch(m, mm, a); });
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, 2 * M16)));
    expect(f.seq).toEqual([...localBatch(pages(S, 3)), ...localBatch(pages(S + M16, 3))]);
    const reasons = f.events.filter((e) => e.name === 'flush_tlb_pending').map((e) => e.args!.reason);
    expect(reasons).toEqual(['leave_lazy_mmu', 'tlb_flush']);
    expect(m.metrics.perCpu()[0].counters.hash_batch_flush).toBe(2);
  });
  it('freed tables need no TLB flush on hash: RCU free only, checker clean', () => {
    const r = hashRig({}, [0, 1], 4);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: S + 2 * M16, length: M16, name: 'neighbour' }));
    const f = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, S, M16)));
    expect(f.seq).toEqual(globalBatch(pages(S, 4)));
    expect(m.metrics.tablesFreed).toBe(1);
    expect(m.metrics.rcuCallbacks).toBe(1);
    expect(m.metrics.violations).toEqual([]);
  });
  it('no IPIs on hash except the lazy-mm shootdown when the mm is dropped (v6.4+)', () => {
    const r = hashRig({}, [0, 1], 4);
    const { m } = r;
    const [t0, t1] = m.threads;
    m.sleep(t1);
    m.op('exit t1', 1, () => exitThread(m, t1));
    const f = capture(m, () => m.op('exit t0', 0, () => exitThread(m, t0)));
    expect(f.seq).toEqual(globalBatch(pages(S, 4)));
    expect(ipiSends(f.events)).toEqual([{ kind: 'do_shoot_lazy_tlb', targets: [1] }]);
    expect(m.cpus[1].loadedMm).toBe(null);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('G20 nohash / book3s32', () => {
  it('not modelled: this backend is book3s64 only, and says so', () => {
    expect(() => ppc({ mmu: 'nohash' as never })).toThrow("ppc: option 'mmu' must be one of 'radix', 'hash'; got \"nohash\"");
  });
});
