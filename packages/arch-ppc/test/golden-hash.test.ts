/**
 * G19 (hash MMU) and G20 (nohash / 32-bit) of ppc SPEC.md §7.
 * Hash, 64K pages: a PTE table has 256 entries and maps 16M; S is 16M-aligned.
 */
import { describe, expect, it } from 'vitest';
import { Machine, exitThread, fork, mmap, mprotect, mremap, munmap, touch, type TraceEvent } from '@tlbsim/core';
import { ppc, ppcRuntime } from '../src/index.js';
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
    // zap_pte_range leaves lazy-MMU mode (flushing) before tlb_finish_mmu reaches hash__tlb_flush
    expect(reasons).toEqual(['leave_lazy_mmu']);
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
    expect(reasons).toEqual(['leave_lazy_mmu', 'leave_lazy_mmu']);
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
  it('no IPIs on hash except the lazy-mm shootdown when the mm is dropped (v6.4+, 77f68ebeee20)', () => {
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

const RO = { read: true, write: false, exec: false };
const RW = { read: true, write: true, exec: false };
const reasons = (events: readonly TraceEvent[]) => events.filter((e) => e.name === 'flush_tlb_pending').map((e) => e.args!.reason);
const ctr = (r: ReturnType<typeof rig>, cpu = 0) => r.m.metrics.perCpu()[cpu].counters;

describe('hash: HPTE invalidations driven by pte_update and lazy-MMU mode (core pteUpdate / enterLazyMmu / leaveLazyMmu)', () => {
  it('mprotect of 20 pages: 20 HPTE invalidations, one batch at arch_leave_lazy_mmu_mode; the gather flush adds nothing', () => {
    const r = hashRig({}, [0], 20);
    const f = capture(r.m, () => r.m.op('mprotect', 0, () => mprotect(r.m, r.mm, S, M16, RO)));
    expect(f.seq).toEqual(localBatch(pages(S, 20)));
    expect(reasons(f.events)).toEqual(['leave_lazy_mmu']);
    expect(ctr(r)).toMatchObject({ hpte_invalidate: 20, hash_batch_flush: 1, tlbiel: 20, tlbie: 0, hash_untracked_flush: 0 });
    expect(r.m.metrics.archFlushes).toBe(1); // tlb_flush is reached (cleared_ptes) and finds the batch empty
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('mprotect of 200 pages in one table: 192 when the batch fills, 8 at lazy-MMU exit; no stale permission', () => {
    const r = hashRig({}, [0, 1], 200);
    const f = capture(r.m, () => r.m.op('mprotect', 0, () => mprotect(r.m, r.mm, S, M16, RO)));
    const all = pages(S, 200);
    expect(f.seq).toEqual([...globalBatch(all.slice(0, 192)), ...globalBatch(all.slice(192))]);
    expect(reasons(f.events)).toEqual(['batch_full', 'leave_lazy_mmu']);
    expect(ctr(r)).toMatchObject({ hpte_invalidate: 200, hash_batch_flush: 2, tlbie: 200 });
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('mprotect RO->RW invalidates every present HPTE too (ptep_modify_prot_start updates each PTE; pte_needs_flush does not matter on hash)', () => {
    const r = hashRig({}, [0], 5);
    r.m.op('mprotect', 0, () => mprotect(r.m, r.mm, S, M16, RO));
    const up = capture(r.m, () => r.m.op('mprotect', 0, () => mprotect(r.m, r.mm, S, M16, RW)));
    expect(up.seq).toEqual(localBatch(pages(S, 5)));
  });
  it('mprotect over two PTE tables: change_pte_range per table, two lazy-MMU sections, two batches', () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: 2 * M16 }));
    m.op('touch', 0, () => { for (const a of [...pages(S + M16 - 2 * K64, 2), ...pages(S + M16, 3)]) touch(m, mm, a); });
    const f = capture(m, () => m.op('mprotect', 0, () => mprotect(m, mm, S, 2 * M16, RO)));
    expect(f.seq).toEqual([...localBatch(pages(S + M16 - 2 * K64, 2)), ...localBatch(pages(S + M16, 3))]);
    expect(reasons(f.events)).toEqual(['leave_lazy_mmu', 'leave_lazy_mmu']);
  });
  it("fork write-protects the parent's 4 writable anon pages: 4 invalidations in one batch; file pages and a second fork add none", () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm } = r;
    const file = m.createFile('lib');
    const F = S + 2 * M16;
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: S, length: M16 });
      mmap(m, mm, { addr: F, length: M16, file, write: false });
    });
    m.op('touch', 0, () => {
      for (const a of pages(S, 4)) touch(m, mm, a);
      for (const a of pages(F, 2)) touch(m, mm, a, { write: false });
    });
    const f1 = capture(m, () => m.op('fork', 0, () => fork(m, mm, 'B')));
    expect(f1.seq).toEqual(localBatch(pages(S, 4))); // flush_tlb_mm(parent) is empty on hash
    expect(reasons(f1.events)).toEqual(['leave_lazy_mmu']);
    const f2 = capture(m, () => m.op('fork', 0, () => fork(m, mm, 'C')));
    expect(f2.seq).toEqual([]); // already read-only: copy_present_pte does not write-protect again
    expect(ctr(r)).toMatchObject({ hpte_invalidate: 4, hash_batch_flush: 1, hash_untracked_flush: 0 });
    expect(m.metrics.violations).toEqual([]);
  });
  it('fork on a 2-CPU mm: the write-protect batch is a global tlbie flush, no IPI', () => {
    const r = hashRig({}, [0, 1], 3);
    const f = capture(r.m, () => r.m.op('fork', 0, () => fork(r.m, r.mm, 'B')));
    expect(f.seq).toEqual(globalBatch(pages(S, 3)));
    expect(r.m.metrics.ipis).toBe(0);
    expect(r.m.metrics.violations).toEqual([]);
  });
  it('mremap of a whole PTE table: no page-table move on hash, move_ptes invalidates each moved PTE in one batch', () => {
    const r = hashRig({}, [0], 10);
    const { m, mm } = r;
    expect(r.rt.supportsPageTableMove!()).toBe(false);
    m.op('mmap', 0, () => mmap(m, mm, { addr: S + M16, length: M16, name: 'blocks growth' }));
    let to = 0;
    const f = capture(m, () => m.op('mremap', 0, () => {
      const res = mremap(m, mm, S, M16, 2 * M16);
      expect(res.moved).toBe(true);
      to = res.addr!;
    }));
    expect(f.seq).toEqual(localBatch(pages(S, 10))); // flush_tlb_range and the old table's free add nothing
    expect(reasons(f.events)).toEqual(['leave_lazy_mmu']);
    expect(m.metrics.tablesFreed).toBe(1); // the emptied old PTE table stayed behind and was freed
    // the PTEs moved, not the table: unmapping the new range finds them in a new table
    const un = capture(m, () => m.op('munmap', 0, () => munmap(m, mm, to, 2 * M16)));
    expect(un.seq).toEqual(localBatch(pages(to, 10)));
    expect(m.metrics.violations).toEqual([]);
  });
  it('mprotect of a THP: one flush_hash_hugepage (256 sub-pages) from pmdp_invalidate, nothing more at tlb_flush', () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: M16 }));
    m.op('touch', 0, () => touch(m, mm, S, { thp: true }));
    const f = capture(m, () => m.op('mprotect', 0, () => mprotect(m, mm, S, M16, RO)));
    expect(f.seq.slice(0, 5)).toEqual([hpte(S), ...SYNC, hl(S), ...BAR10]);
    expect(instr(m)).toEqual({ tlbiel: 256, ptesync: 512, cp_abort: 256 });
    expect(m.metrics.violations).toEqual([]);
  });
  it('mprotect of [THP, hole, THP]: exactly the two THPs are invalidated (512 sub-pages), not the hole', () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm } = r;
    m.op('mmap', 0, () => mmap(m, mm, { addr: S, length: 3 * M16 }));
    m.op('touch', 0, () => {
      touch(m, mm, S, { thp: true });
      touch(m, mm, S + 2 * M16, { thp: true });
    });
    const f = capture(m, () => m.op('mprotect', 0, () => mprotect(m, mm, S, 3 * M16, RO)));
    const firsts = f.seq.filter((x) => x.startsWith('tlbiel hash')).filter((_, i) => i % 256 === 0);
    expect(firsts).toEqual([hl(S), hl(S + 2 * M16)]);
    expect(instr(m).tlbiel).toBe(512);
    expect(m.metrics.violations).toEqual([]);
  });
  it('hpte_need_flush: a batch holding another mm is flushed first (batch_switch); outside lazy-MMU mode each update flushes at once', () => {
    const r = rig({ mmu: 'hash' });
    running(r, [0]);
    const { m, mm, rt } = r;
    const b = m.createMm('B');
    const f = capture(m, () => m.op('hooks', 0, () => {
      rt.enterLazyMmu!(0);
      rt.pteUpdate!(mm, S, 0x43, 0x41, 0);
      rt.pteUpdate!(mm, S + K64, 0x43, 0x41, 0);
      rt.pteUpdate!(b, S, 0x43, 0x41, 0);
      rt.leaveLazyMmu!(0);
      rt.pteUpdate!(mm, S + 2 * K64, 0x43, 0x41, 0);
      rt.pteUpdate!(mm, S + 3 * K64, 0x43, 0x41, 0);
    }));
    expect(reasons(f.events)).toEqual(['batch_switch', 'leave_lazy_mmu']);
    expect(ctr(r)).toMatchObject({ hpte_invalidate: 5, hash_batch_flush: 4 });
    expect(f.seq.filter((x) => x.startsWith('hpte'))).toEqual([hpte(S), hpte(S + K64), hpte(S), hpte(S + 2 * K64), hpte(S + 3 * K64)]);
  });
  it('the hash MMU walks no Linux page tables: walksPageTables false, no walk-cache report for tlb_remove_table_sync_one', () => {
    expect(ppc({ mmu: 'hash' }).walksPageTables).toBe(false);
    expect(ppc().walksPageTables).toBe(true);
    const m = new Machine({ arch: ppc({ mmu: 'hash' }), cpus: 2 });
    expect(ppcRuntime(m).tlbRemoveTableSyncOne).toBeUndefined(); // core's default: the sync IPI only
  });
});

describe('arch_supports_page_table_move', () => {
  it('radix (HAVE_MOVE_PMD), never on hash', () => {
    const move = (o: Parameters<typeof ppc>[0]) => ppcRuntime(new Machine({ arch: ppc(o), cpus: 1 })).supportsPageTableMove!();
    expect([move({}), move({ kernel: '6.1' })]).toEqual([true, true]);
    expect([move({ mmu: 'hash' }), move({ mmu: 'hash', kernel: '6.1' })]).toEqual([false, false]);
  });
});

describe('G20 nohash / book3s32', () => {
  it('not modelled: this backend is book3s64 only, and says so', () => {
    expect(() => ppc({ mmu: 'nohash' as never })).toThrow("ppc: option 'mmu' must be one of 'radix', 'hash' (got 'nohash'; did you mean 'hash'?)");
  });
});
