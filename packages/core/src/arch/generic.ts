import { defineArch, type ArchBackend, type ArchContext, type ArchRuntime } from './contract.js';
import { withCostOverrides, type CostModel } from './cost-model.js';
import { X86_64_4LEVEL, type Geometry } from './geometry.js';
import { GENERIC_KCONFIG, type Kconfig } from './kconfig.js';
import { checkCostOverrides } from './options.js';
import type { Mm } from '../machine/mm.js';
import { INVALIDATE_ALL } from '../machine/tlb.js';
import type { ArchMetricDocs } from '../metrics/registry.js';

export interface GenericOptions {
  /** Kconfig overrides on top of config G (core SPEC.md §8.2) */
  kconfig?: Partial<Kconfig>;
  geometry?: Geometry;
  cost?: Partial<CostModel>;
}

const GENERIC_COST: CostModel = {
  ipiSend: 1000,
  ipiPerTarget: 200,
  instructions: { local_flush_tlb_page: 100, local_flush_tlb_mm: 200 },
  defaultInstruction: 100,
  pageFree: 20,
  tableFree: 40,
  rcuCallback: 50,
  sources: {
    ipiSend: 'rule of thumb, ~1 us base (core SPEC.md §11.2, secondary source [S])',
    ipiPerTarget: 'rule of thumb, ~200 ns per receiving CPU (core SPEC.md §11.2 [S])',
    local_flush_tlb_page: 'order of an INVLPG, 100s of cycles (core SPEC.md §11.2, Amit 2019)',
  },
};

const GENERIC_METRIC_DOCS: ArchMetricDocs = {
  counters: {},
  instructions: {
    local_flush_tlb_page: { unit: 'instructions', definition: 'one page flushed on one CPU by the generic IPI-style flush_tlb_range/flush_tlb_page', kernel: 'model only' },
    local_flush_tlb_mm: { unit: 'instructions', definition: 'a whole address space flushed on one CPU by the generic flush_tlb_mm (also every context switch: no ASIDs)', kernel: 'model only' },
  },
};

/**
 * The kernel's generic defaults as a backend: config G with the generic `tlb_flush`, and flush
 * primitives in the classic IPI style (every other CPU in mm_cpumask runs a local flush; the
 * initiator flushes itself). No ASIDs: a context switch flushes the TLB.
 */
export function generic(opts: GenericOptions = {}): ArchBackend {
  const kconfig: Kconfig = { ...GENERIC_KCONFIG, ...(opts.kconfig ?? {}) };
  // no listed options: kconfig and geometry are objects for tests and experiments; cost is
  // every backend's option and is checked the same way everywhere
  checkCostOverrides('generic', opts.cost);
  return defineArch({
    name: 'generic',
    label: 'generic (asm-generic defaults)',
    options: {},
    optionSpecs: [],
    kconfig,
    geometry: opts.geometry ?? X86_64_4LEVEL,
    hugePageSizes: [2 ** 21, 2 ** 30],
    thpPmdSize: 2 ** 21,
    cost: withCostOverrides(GENERIC_COST, opts.cost),
    perCpuCounters: [],
    metricDocs: GENERIC_METRIC_DOCS,
    create(ctx: ArchContext): ArchRuntime {
      const ps = 2 ** ctx.geometry.pageShift;
      // on_each_cpu_mask(mm_cpumask(mm), ipi_flush_tlb_*, wait=1), as the classic IPI arches do
      const onMaskCpus = (mm: Mm, work: (cpu: number) => void) =>
        ctx.onEachCpuMask(ctx.mmCpumask(mm).list(), work, { kind: 'flush_tlb', wait: true });
      const flushMm = (mm: Mm) =>
        onMaskCpus(mm, (cpu) => {
          ctx.instr(cpu, 'local_flush_tlb_mm');
          ctx.countFlush(cpu, 'full');
          ctx.invalidate(cpu, mm, INVALIDATE_ALL);
        });
      return {
        flushTlbMm: flushMm,
        flushTlbRange(mm, start, end) {
          const s = start - (start % ps);
          const n = Math.ceil((end - s) / ps);
          onMaskCpus(mm, (cpu) => {
            ctx.instr(cpu, 'local_flush_tlb_page', n);
            ctx.countFlush(cpu, 'ranged');
            ctx.invalidate(cpu, mm, { start: s, end: s + n * ps, stride: ps, leaf: true, walk: true });
          });
        },
        flushTlbPage(mm, addr) {
          const s = addr - (addr % ps);
          onMaskCpus(mm, (cpu) => {
            ctx.instr(cpu, 'local_flush_tlb_page');
            ctx.countFlush(cpu, 'ranged');
            ctx.invalidate(cpu, mm, { start: s, end: s + ps, stride: ps, leaf: true, walk: true });
          });
        },
        switchMm(cpu, prev, next) {
          // no ASIDs: loading another page-table root drops every cached translation
          if (prev && prev !== next) ctx.invalidate(cpu, prev, INVALIDATE_ALL);
        },
      };
    },
  });
}
