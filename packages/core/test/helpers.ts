import { GENERIC_KCONFIG, Machine, gatherBits, generic, genericTlbFlush, type ArchBackend, type GatherView, type Kconfig, type MachineOptions } from '../src/index.js';

/** One call of the arch tlb_flush hook, as the generic layer made it. */
export interface FlushRec {
  start: number;
  end: number;
  bits: string[];
  fullmm: boolean;
  vmaExec: boolean;
  vmaHuge: boolean;
  pageSize: number;
  /** pages and tables freed before this flush */
  pagesFreedBefore: number;
  tablesFreedBefore: number;
}

export const CONFIG_G: Partial<Kconfig> = {};
export const CONFIG_X: Partial<Kconfig> = { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true };
export const CONFIG_P: Partial<Kconfig> = { MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_MERGE_VMAS: true };

/** the flush bits, without fullmm/need_flush_all (recorded as their own fields) */
const bitsOf = (g: GatherView): string[] => gatherBits(g).filter((b) => b !== 'fullmm' && b !== 'need_flush_all');

/** The generic backend with a Kconfig, recording every tlb_flush hook call. */
export function recordingArch(k: Partial<Kconfig>, log: FlushRec[], getMachine: () => Machine): ArchBackend {
  const base = generic({ kconfig: { ...GENERIC_KCONFIG, ...k } });
  return {
    ...base,
    create(ctx) {
      const rt = base.create(ctx);
      return {
        ...rt,
        tlbFlush(g) {
          const m = getMachine();
          log.push({
            start: g.start, end: g.end, bits: bitsOf(g), fullmm: g.fullmm, vmaExec: g.vmaExec, vmaHuge: g.vmaHuge,
            pageSize: g.pageSize, pagesFreedBefore: m.metrics.pagesFreed, tablesFreedBefore: m.metrics.tablesFreed,
          });
          genericTlbFlush(rt, ctx.kconfig, g);
        },
      };
    },
  };
}

/** A machine on a recording generic backend: 2 CPUs, process A with one running thread on CPU0. */
export function setup(k: Partial<Kconfig> = CONFIG_G, opts: Partial<MachineOptions> = {}) {
  const log: FlushRec[] = [];
  let m!: Machine;
  m = new Machine({ arch: recordingArch(k, log, () => m), cpus: opts.cpus ?? 2, ...opts });
  const mm = m.createMm('A');
  const t0 = m.addThread(mm, 't0', 0, 'running');
  return { m, mm, t0, log };
}
