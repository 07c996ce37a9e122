import { expect } from 'vitest';
import {
  GENERIC_KCONFIG, INVALIDATE_ALL, Machine, exitThread, fork, generic, genericTlbFlush, mmap, touch,
  type ArchBackend, type Kconfig, type KernelSpec, type Mm, type SimFile, type Thread,
} from '@tlbsim/core';
import { flushRec, instructionsDuring, recordingArch, type FlushRec } from '@tlbsim/core/testing';
import { installHugetlb, type Behaviour, type Hugetlb } from '../src/index.js';

export { instructionsDuring, recordingArch, type FlushRec };

export const G = 2 ** 30;
export const M = 2 ** 20;
/** a 1 GiB-aligned base for hugetlb mappings */
export const B = 64 * G;

/** Config X of core SPEC.md §8.2 (x86's gather behaviour) with PMD sharing built in. */
export const CFG_X: Partial<Kconfig> = {
  ARCH_WANT_HUGE_PMD_SHARE: true, MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true,
};
/** Config G of core SPEC.md §8.2 (arm64/riscv call pattern: no MERGE_VMAS) with PMD sharing built in. */
export const CFG_G: Partial<Kconfig> = { ARCH_WANT_HUGE_PMD_SHARE: true };

/** One tlb_flush hook call of a real backend with the TLB instructions it executed. */
export interface ArchFlushRec extends FlushRec {
  instructions: Record<string, number>;
}

/**
 * Wrap a backend so every call of its tlb_flush hook is recorded with its gather bits and the
 * instructions it executed (the runtime object is kept: backends find their state through it).
 */
export function recordFlushes(base: ArchBackend, log: ArchFlushRec[], getMachine: () => Machine): ArchBackend {
  return {
    ...base,
    // the machine rebuilds the backend for its kernel: keep recording the rebuilt one
    ...(base.withKernel ? { withKernel: (k: KernelSpec) => recordFlushes(base.withKernel!(k), log, getMachine) } : {}),
    create(ctx) {
      const rt = base.create(ctx);
      const orig = rt.tlbFlush?.bind(rt);
      rt.tlbFlush = (g) => {
        const m = getMachine();
        const rec: ArchFlushRec = { ...flushRec(g, m), instructions: instructionsDuring(m, () => (orig ? orig(g) : genericTlbFlush(rt, ctx.kconfig, g))) };
        log.push(rec);
      };
      return rt;
    },
  };
}

/**
 * A generic backend whose TLB maintenance is a hardware broadcast (like arm64 `TLBI ...IS` or x86
 * INVLPGB): no flush ever interrupts another CPU, so only the sync IPI can stop a GUP-fast walker.
 */
export function broadcastArch(k: Partial<Kconfig>): ArchBackend {
  const base = generic({ kconfig: { ...GENERIC_KCONFIG, ...k } });
  return {
    ...base,
    name: 'broadcast',
    label: 'generic with broadcast TLB invalidation',
    create(ctx) {
      const rt = base.create(ctx);
      const ps = 2 ** ctx.geometry.pageShift;
      return {
        ...rt,
        flushTlbMm(mm) {
          ctx.instr(ctx.currentCpu(), 'TLBI ASIDE1IS');
          ctx.countFlush(-1, 'full');
          ctx.invalidateAllCpus(mm, INVALIDATE_ALL);
        },
        flushTlbRange(mm, start, end) {
          const s = start - (start % ps);
          ctx.instr(ctx.currentCpu(), 'TLBI VAE1IS', Math.ceil((end - s) / ps));
          ctx.countFlush(-1, 'ranged');
          ctx.invalidateAllCpus(mm, { start: s, end, stride: ps, leaf: true, walk: true });
        },
        flushTlbPage(mm, addr) {
          const s = addr - (addr % ps);
          ctx.instr(ctx.currentCpu(), 'TLBI VAE1IS');
          ctx.countFlush(-1, 'ranged');
          ctx.invalidateAllCpus(mm, { start: s, end: s + ps, stride: ps, leaf: true, walk: true });
        },
      };
    },
  };
}

export interface Proc {
  mm: Mm;
  t: Thread;
  cpu: number;
}

/**
 * The kernel each behaviour's tests run: the last mainline release with it (V0: v6.15, V1:
 * v6.18), V2 on mainline. The machine's kernel then picks the behaviour; nothing overrides it.
 */
export const KERNEL_OF: Record<Behaviour, string> = { V0: '6.15', V1: '6.18', V2: 'mainline' };

export interface WorldOpts {
  /** the behaviour under test: runs KERNEL_OF[behaviour]; with `kernel`, the behaviour that kernel must have */
  behaviour?: Behaviour;
  /** the machine's kernel (a release), default KERNEL_OF[behaviour] */
  kernel?: string;
  features?: string[];
  kconfig?: Partial<Kconfig>;
  cpus?: number;
  arch?: (getMachine: () => Machine, log: FlushRec[]) => ArchBackend;
  hugePageSizes?: number[];
  checkReuse?: boolean;
}

/** A machine with hugetlb installed and helpers to build processes and mappings. */
export function world(o: WorldOpts) {
  const log: FlushRec[] = [];
  let m!: Machine;
  const arch = o.arch ? o.arch(() => m, log) : recordingArch(o.kconfig ?? CFG_X, log, () => m, o.hugePageSizes);
  m = new Machine({ arch, cpus: o.cpus ?? 4, kernel: o.kernel ?? KERNEL_OF[o.behaviour ?? 'V2'], features: o.features });
  const h: Hugetlb = installHugetlb(m, { checkReuse: o.checkReuse });
  if (o.behaviour) expect(h.behaviour).toBe(o.behaviour); // what the kernel has, never an override
  let nextCpu = 0;

  /** A process with a small text VMA at 0x400000 (so munmap leaves its upper tables alone) and one thread. */
  const proc = (name: string, cpu?: number, state: 'running' | 'sleeping' = 'sleeping'): Proc => {
    const c = cpu ?? nextCpu++ % m.cpus.length;
    const mm = m.createMm(name);
    expect(mmap(m, mm, { addr: 0x400000, length: 0x1000, name: 'text' }).ok).toBe(true);
    const t = m.addThread(mm, `${name}.0`, c, state);
    return { mm, t, cpu: c };
  };
  /** fork(): the child gets a thread on `cpu` */
  const forkProc = (parent: Proc, name: string, cpu?: number): Proc => {
    const c = cpu ?? nextCpu++ % m.cpus.length;
    const mm = m.op('fork', parent.cpu, () => fork(m, parent.mm, name));
    const t = m.addThread(mm, `${name}.0`, c, 'sleeping');
    return { mm, t, cpu: c };
  };
  /** mmap a hugetlb file MAP_SHARED (default) at `addr` */
  const mapFile = (p: Proc, file: SimFile, addr: number, length: number, o2: { shared?: boolean; write?: boolean; hugeSize?: number; pgoff?: number } = {}) => {
    const r = m.op('mmap', p.cpu, () => mmap(m, p.mm, {
      addr, length, file, hugetlb: true, shared: o2.shared ?? true, write: o2.write ?? true, hugeSize: o2.hugeSize, pgoff: o2.pgoff,
    }));
    expect(r.ok, r.message).toBe(true);
    return r.addr!;
  };
  /** fault in the given addresses */
  const touchAll = (p: Proc, addrs: number[], write = true) => {
    // one assertion over every address (an expect each cost more than the touches)
    m.op('touch', p.cpu, () => {
      const failed: string[] = [];
      for (const a of addrs) {
        const r = touch(m, p.mm, a, { write });
        if (!r.ok) failed.push(`0x${a.toString(16)}: ${r.message}`);
      }
      expect(failed).toEqual([]);
    });
  };
  const exit = (p: Proc) => m.op('exit', p.cpu, () => exitThread(m, p.t));

  const counters = () => ({
    unsh: h.stats.tablesUnshared,
    full: h.stats.tablesFullyUnshared,
    ipis: m.metrics.ipiBroadcasts,
    syncs: h.stats.syncIpis,
    flushes: h.stats.flushes,
    direct: h.stats.directFlushes,
    arch: m.metrics.archFlushes,
  });
  type Counters = ReturnType<typeof counters>;
  /** run fn and return the change of every counter */
  const measure = (fn: () => void): Counters => {
    const a = counters();
    fn();
    const b = counters();
    return Object.fromEntries(Object.keys(a).map((k) => [k, b[k as keyof Counters] - a[k as keyof Counters]])) as Counters;
  };
  return { m, h, log, proc, forkProc, mapFile, touchAll, exit, measure, counters };
}

/** `n` addresses, one per 1 GiB region starting at `base` (each at offset `off` into its region) */
export const regions = (base: number, n: number, off = 0) => Array.from({ length: n }, (_, i) => base + i * G + off);
/** every 2 MiB page of [base, base+len) */
export const pages2m = (base: number, len: number) => Array.from({ length: len / (2 * M) }, (_, i) => base + i * 2 * M);
