/**
 * Golden scenarios of hugetlb SPEC.md §7 on the real backends where the spec gives arch detail:
 * x86() from @tlbsim/arch-x86 and arm64() from @tlbsim/arch-arm64 (4K granule).
 *
 * One kernel per arm64 row: the machine runs it, and hugetlb and arm64 both follow it (V0 on 6.15,
 * V1 on 6.18, V2 on 7.0 = 8ce720d5bd without c2ff4764e03e, V2a on 7.1 = c2ff4764e03e: tlb_flush
 * treats unshared_tables like freed_tables). The row's `v` is what world() checks the kernel
 * gives, not an input. x86's backend has no hugetlb-relevant kernel difference.
 */
import { describe, expect, it } from 'vitest';
import { madvise, mmap, mprotect, munmap, touch, type Machine } from '@tlbsim/core';
import { x86, x86Internals } from '@tlbsim/arch-x86';
import { arm64 } from '@tlbsim/arch-arm64';
import { gupFastStart, type Behaviour } from '../src/index.js';
import { B, G, M, instructionsDuring, pages2m, recordFlushes, regions, world, type ArchFlushRec } from './helpers.js';

const VERSIONS: readonly Behaviour[] = ['V0', 'V1', 'V2'];
const RO = { read: true, write: false, exec: false };
const IPIS_U2: Record<Behaviour, (tables: number) => number> = { V0: () => 0, V1: (n) => n, V2: () => 1 };

function x86World(v: Behaviour, opts: Parameters<typeof x86>[0] = {}, cpus = 4) {
  return world({ behaviour: v, cpus, arch: (gm, log) => recordFlushes(x86(opts), log as ArchFlushRec[], gm) });
}
type Arm = { kernel: string; v: Behaviour; label: string };
const ARM: readonly Arm[] = [
  { kernel: '6.15', v: 'V0', label: 'V0 (6.15)' },
  { kernel: '6.18', v: 'V1', label: 'V1 (6.18)' },
  { kernel: '7.0', v: 'V2', label: 'V2 (7.0)' },
  { kernel: '7.1', v: 'V2', label: 'V2a (7.1)' },
];
/** arm64 for the machine's kernel: rebuilt by the machine (withKernel) where arm64 supports it, else told by its own option */
function arm64For(kernel: string, tlbiRange: boolean) {
  const b = arm64({ tlbiRange });
  return b.withKernel ? b : arm64({ kernel: `v${kernel}` as never, tlbiRange });
}
function armWorld(a: Arm, tlbiRange = false, cpus = 4) {
  return world({ kernel: a.kernel, behaviour: a.v, cpus, arch: (gm, log) => recordFlushes(arm64For(a.kernel, tlbiRange), log as ArchFlushRec[], gm) });
}
const flushes = (w: ReturnType<typeof world>) => w.log as ArchFlushRec[];

/** Q (running on CPU0) and R share `n` GiB of a file at B, one page each per region */
function share(w: ReturnType<typeof world>, n: number) {
  const F = w.m.createFile('F');
  const Q = w.proc('Q', 0, 'running');
  const R = w.proc('R', 1);
  w.mapFile(R, F, B, n * G);
  w.touchAll(R, regions(B, n));
  w.mapFile(Q, F, B, n * G);
  w.touchAll(Q, regions(B, n, 2 * M));
  return { Q, R };
}

describe('x86-64 (bare metal, PCID)', () => {
  for (const v of VERSIONS) {
    it(`G1 ${v}: counts as config X; fullmm unshare flush then the table-freeing flush`, () => {
      const w = x86World(v);
      const P = w.proc('P', 0);
      w.mapFile(P, w.m.createFile('F'), B, G);
      w.touchAll(P, pages2m(B, G));
      const C = w.forkProc(P, 'C', 1);
      w.touchAll(C, [B + 2 * M]);
      const n = w.log.length;
      const d = w.measure(() => w.exit(C));
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis: IPIS_U2[v](1), flushes: 1, arch: 2 });
      expect(flushes(w).slice(n).map((f) => [f.fullmm, f.bits])).toEqual([
        [true, v === 'V2' ? ['cleared_pmds', 'unshared_tables'] : ['cleared_pmds']],
        [true, ['freed_tables', 'cleared_p4ds']],
      ]);
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`G5 ${v}: one unshare flush over [B, B+64G) at 2M stride is one full flush (32768 strides > 33)`, () => {
      const w = x86World(v);
      const { Q } = share(w, 64);
      const full0 = w.m.metrics.fullFlushes;
      const ranged0 = w.m.metrics.rangedFlushes;
      const n = w.log.length;
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expect(d).toMatchObject({ unsh: 64, full: 64, ipis: IPIS_U2[v](64), flushes: 1, arch: 1 });
      expect(flushes(w).slice(n)).toMatchObject([{ start: B, end: B + 64 * G, instructions: { 'CR3 write': 1 } }]);
      expect(w.m.metrics.fullFlushes - full0).toBe(1);
      expect(w.m.metrics.rangedFlushes - ranged0).toBe(0);
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`G14 ${v}: MADV_DONTNEED of 2M unshares the table: flush of the whole 1 GiB (512 strides > 33: full)`, () => {
      const w = x86World(v);
      const { Q } = share(w, 1);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('madvise', 0, () => madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed')));
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis: IPIS_U2[v](1), flushes: 1, arch: 1 });
      expect(flushes(w).slice(n)).toMatchObject([{ start: B, end: B + G, instructions: { 'CR3 write': 1 } }]);
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`G9 ${v}: mprotect: ${v === 'V2' ? 'gather flush + nested-finish full flush' : 'one direct flush_hugetlb_tlb_range'}`, () => {
      const w = x86World(v);
      const { Q } = share(w, 4);
      const d = w.measure(() => w.m.op('mprotect', 0, () => mprotect(w.m, Q.mm, B, 4 * G, RO)));
      expect(d).toMatchObject({ unsh: 4, full: 4, ipis: IPIS_U2[v](4), flushes: 1, direct: v === 'V2' ? 0 : 1, arch: v === 'V2' ? 2 : 0 });
      expect(w.m.metrics.violations).toEqual([]);
    });
  }

  /** the litmus of hugetlb SPEC.md §5.3 with P2's walker on CPU0 */
  function litmus(v: Behaviour, opts: Parameters<typeof x86>[0], preempted: boolean) {
    const w = x86World(v, opts, 3);
    const { m } = w;
    const F = m.createFile('F');
    const P2 = w.proc('P2', 0, 'running');
    m.addThread(P2.mm, 'P2.B', 1, 'running');
    const P1 = w.proc('P1', 2, 'running');
    w.mapFile(P1, F, B, G);
    w.mapFile(P2, F, B, G);
    w.touchAll(P1, [B + 2 * M]);
    w.touchAll(P2, [B + 2 * M]);
    if (preempted) x86Internals(m).setVcpuPreempted(0, true);
    const walk = gupFastStart(m, 0, P2.mm, B + 2 * M);
    m.op('munmap', 1, () => munmap(m, P2.mm, B, G));
    m.op('munmap', 2, () => munmap(m, P1.mm, B, 512 * M));
    m.op('mmap', 2, () => mmap(m, P1.mm, { addr: B, length: 512 * M }));
    m.op('touch', 2, () => touch(m, P1.mm, B + 2 * M));
    return { m, r: walk.end() };
  }
  it('litmus, native: V0 is safe because the unshare flush IPIs the walker\'s CPU (hugetlb SPEC.md §5.3)', () => {
    const { m, r } = litmus('V0', {}, false);
    expect(r.completedByIpi).toBe(true);
    expect(m.metrics.violations).toEqual([]);
  });
  for (const v of VERSIONS) {
    it(`litmus, KVM guest with the walker's vCPU preempted (the flush only flags it): ${v === 'V0' ? 'H2' : 'no finding'}`, () => {
      const { m, r } = litmus(v, { paravirt: 'kvm' }, true);
      if (v === 'V0') {
        expect(m.metrics.violations.map((x) => [x.hazard, x.cpu])).toEqual([['H2', 0]]);
        expect(r.throughReusedTable).toBe(true);
      } else {
        expect(m.metrics.violations).toEqual([]);
        expect(r.completedByIpi).toBe(true);
      }
    });
  }
});

describe('arm64 (4K granule)', () => {
  for (const a of ARM) {
    const v2a = a.kernel === '7.1';
    it(`G1 ${a.label}: the fullmm unshare flush ${v2a ? '' : 'emits no TLBI '}and the IPI count matches config G`, () => {
      const w = armWorld(a);
      const P = w.proc('P', 0);
      w.mapFile(P, w.m.createFile('F'), B, G);
      w.touchAll(P, pages2m(B, G));
      const C = w.forkProc(P, 'C', 1);
      w.touchAll(C, [B + 2 * M]);
      const n = w.log.length;
      const d = w.measure(() => w.exit(C));
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis: IPIS_U2[a.v](1), flushes: 1, arch: 2 });
      const [unshare, finish] = flushes(w).slice(n);
      expect(unshare.fullmm).toBe(true);
      // the table-freeing flush at tlb_finish_mmu: flush_tlb_mm
      expect(finish.instructions['TLBI ASIDE1IS']).toBe(1);
      if (!v2a) expect(unshare.instructions).toEqual({});
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`G14 ${a.label}, range TLBIs: the unshare flush is ${a.v === 'V2' && a.kernel === '7.1' ? 'non-leaf (RVAE1IS)' : 'leaf-only (RVALE1IS), level 2'}`, () => {
      const w = armWorld(a, true);
      const { Q } = share(w, 1);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('madvise', 0, () => madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed')));
      expect(d).toMatchObject({ unsh: 1, full: 1, ipis: IPIS_U2[a.v](1), flushes: 1, arch: 1 });
      const f = flushes(w).slice(n);
      expect(f).toHaveLength(1);
      expect(f[0].instructions).toEqual(v2a ? { 'DSB ISHST': 1, 'TLBI RVAE1IS': 1, 'DSB ISH': 1 } : { 'DSB ISHST': 1, 'TLBI RVALE1IS': 1, 'DSB ISH': 1 });
    });
    it(`G9 ${a.label}, range TLBIs: mprotect flushes ${a.v === 'V2' ? (v2a ? 'non-leaf' : 'leaf-only') + ' via the gather, then the nested finish flushes the ASID' : 'non-leaf via flush_hugetlb_tlb_range'}`, () => {
      const w = armWorld(a, true);
      const { Q } = share(w, 4);
      const ins = instructionsDuring(w.m, () => {
        const d = w.measure(() => w.m.op('mprotect', 0, () => mprotect(w.m, Q.mm, B, 4 * G, RO)));
        expect(d).toMatchObject({ unsh: 4, full: 4, ipis: IPIS_U2[a.v](4), flushes: 1 });
      });
      const expected: Record<string, number> = a.v !== 'V2' ? { 'DSB ISHST': 1, 'TLBI RVAE1IS': 1, 'DSB ISH': 1 }
        : { 'DSB ISHST': 2, [v2a ? 'TLBI RVAE1IS' : 'TLBI RVALE1IS']: 1, 'TLBI ASIDE1IS': 1, 'DSB ISH': 2 };
      expect(ins).toEqual(expected);
      expect(w.m.metrics.violations).toEqual([]);
    });
    it(`G5 ${a.label}: the single flush happens at tlb_end_vma; huge_pmd_unshare_flush finds nothing pending`, () => {
      const w = armWorld(a);
      const { Q } = share(w, 64);
      const n = w.log.length;
      const d = w.measure(() => w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B, 64 * G)));
      expect(d).toMatchObject({ unsh: 64, full: 64, ipis: IPIS_U2[a.v](64), flushes: 1, arch: 1 });
      expect(flushes(w)[n]).toMatchObject({ start: B, end: B + 64 * G, vmaHuge: true });
      expect(w.m.metrics.violations).toEqual([]);
    });
  }
  // c2ff4764e03e: arm64's tlb_flush computes last_level = !(freed_tables || unshared_tables) and,
  // for fullmm, calls flush_tlb_mm when !last_level. The arm64 backend's fullmm branch still
  // tests freed_tables only, so V2a's fullmm unshare flush emits no TLBI (hugetlb SPEC.md §7 G1).
  it.fails('G1 V2a (v7.1): the fullmm unshare flush is flush_tlb_mm (arm64 backend: fullmm branch ignores unshared_tables)', () => {
    const w = armWorld(ARM[3]);
    const P = w.proc('P', 0);
    w.mapFile(P, w.m.createFile('F'), B, G);
    w.touchAll(P, [B]);
    const C = w.forkProc(P, 'C', 1);
    w.touchAll(C, [B + 2 * M]);
    const n = w.log.length;
    w.exit(C);
    expect(flushes(w)[n].instructions['TLBI ASIDE1IS']).toBe(1);
  });

  /**
   * The walk-cache side of reuse: Q (running on CPU0) loses its PUD entry to a leaf-only TLBI,
   * then R, the last owner, rewrites the table. Paths: MADV_DONTNEED (the zap path, which always
   * went through the gather) and a VMA split (flush_hugetlb_tlb_range, non-leaf, before V2).
   */
  function walkCacheCase(a: Arm, path: 'zap' | 'split'): Machine {
    const w = armWorld(a, true);
    const { Q, R } = share(w, 1);
    if (path === 'zap') w.m.op('madvise', 0, () => madvise(w.m, Q.mm, B + 4 * M, 2 * M, 'dontneed'));
    else w.m.op('munmap', 0, () => munmap(w.m, Q.mm, B + 512 * M, 2 * M));
    w.m.op('munmap', 1, () => munmap(w.m, R.mm, B, 512 * M)); // R rewrites the now-exclusive table
    return w.m;
  }
  for (const a of ARM) {
    const v2a = a.kernel === '7.1';
    it(`walk cache, zap path, ${a.label}: ${v2a ? 'no finding' : 'H2 (leaf-only TLBI left Q\'s PUD walk entry)'}`, () => {
      const m = walkCacheCase(a, 'zap');
      expect(m.metrics.violations.map((x) => [x.hazard, x.cpu, x.address])).toEqual(v2a ? [] : [['H2', 0, B]]);
    });
    const splitBug = a.v === 'V2' && !v2a;
    it(`walk cache, VMA-split path, ${a.label}: ${splitBug ? 'H2 (8ce720d5bd made this flush leaf-only)' : 'no finding'}`, () => {
      const m = walkCacheCase(a, 'split');
      expect(m.metrics.violations.map((x) => [x.hazard, x.cpu, x.address])).toEqual(splitBug ? [['H2', 0, B]] : []);
    });
  }

  for (const a of ARM.slice(0, 3)) {
    it(`litmus ${a.label}: broadcast TLBIs never interrupt the walker: ${a.v === 'V0' ? 'H2' : 'the sync IPI saves it'}`, () => {
      const w = armWorld(a, false, 3);
      const { m } = w;
      const F = m.createFile('F');
      const P2 = w.proc('P2', 0, 'running');
      m.addThread(P2.mm, 'P2.B', 1, 'running');
      const P1 = w.proc('P1', 2, 'running');
      w.mapFile(P1, F, B, G);
      w.mapFile(P2, F, B, G);
      w.touchAll(P1, [B + 2 * M]);
      w.touchAll(P2, [B + 2 * M]);
      const walk = gupFastStart(m, 0, P2.mm, B + 2 * M);
      m.op('munmap', 1, () => munmap(m, P2.mm, B, G));
      m.op('munmap', 2, () => munmap(m, P1.mm, B, 512 * M));
      const r = walk.end();
      if (a.v === 'V0') {
        expect(m.metrics.violations.map((x) => [x.hazard, x.cpu])).toEqual([['H2', 0]]);
        expect(r.completedByIpi).toBe(false);
      } else {
        expect(m.metrics.violations).toEqual([]);
        expect(r.completedByIpi).toBe(true);
      }
    });
  }
});
