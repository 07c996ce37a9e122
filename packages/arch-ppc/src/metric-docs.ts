/** What the powerpc backend's counters and instructions mean (the metric registry's ppc rows). */
import type { ArchMetricDocs, MetricDoc } from '@tlbsim/core';

const insn = (definition: string): MetricDoc => ({ unit: 'instructions', definition, kernel: 'model only' });
const model = (unit: MetricDoc['unit'], definition: string): MetricDoc => ({ unit, definition, kernel: 'model only' });

export const PPC_METRIC_DOCS: ArchMetricDocs = {
  counters: {
    tlbie: model('instructions', 'broadcast tlbie instructions this CPU issued, any RIC (radix) or page size (hash)'),
    tlbiel: model('instructions', 'local tlbiel instructions this CPU issued, any RIC or set'),
    tlbie_fixup: model('instructions', 'extra tlbie issued by the POWER9 errata fix-ups (ERAT: an LPID flush; STQ: a repeated tlbie)'),
    'hcall.H_RPT_INVALIDATE': {
      unit: 'calls',
      definition: 'H_RPT_INVALIDATE hypercalls made by this CPU (a radix guest without GTSE invalidates through the hypervisor)',
      kernel: 'model only (hcall tracepoints powerpc:hcall_entry with opcode H_RPT_INVALIDATE)',
    },
    'hcall.H_REMOVE': {
      unit: 'calls',
      definition: 'H_REMOVE hypercalls made by this CPU (hash MMU in a pseries guest: one HPTE removed by the hypervisor)',
      kernel: 'model only (hcall tracepoints powerpc:hcall_entry with opcode H_REMOVE)',
    },
    'hcall.H_BULK_REMOVE': {
      unit: 'calls',
      definition: 'H_BULK_REMOVE hypercalls made by this CPU (hash MMU in a pseries guest: up to 4 HPTEs removed per call)',
      kernel: 'model only (hcall tracepoints powerpc:hcall_entry with opcode H_BULK_REMOVE)',
    },
    mm_cpumask_trim: model('operations', 'times this CPU left an mm_cpumask in exit_lazy_flush_tlb (it ran a lazy user of the mm)'),
    trim_clock_fired: model('operations', 'times the per-CPU trim clock reached TLB_MM_CPUMASK_TRIM_TIMER and let a local flush trim mm_cpumask'),
    hpte_invalidate: model('operations', 'hash page table entries invalidated (hash MMU)'),
    hash_batch_flush: model('flushes', 'flush_hash_range batches flushed (hash MMU: the lazy-MMU batch of HPTE invalidations)'),
    hash_untracked_flush: model('flushes', 'range flushes for huge PTE changes core reports only as a range (hash MMU; invalidated one by one in the kernel)'),
  },
  instructions: {
    'tlbie RIC=0': insn('broadcast invalidation of TLB entries (radix: one page or one PID)'),
    'tlbie RIC=1': insn('broadcast invalidation of the page-walk cache of a PID (radix)'),
    'tlbie RIC=2': insn('broadcast invalidation of TLB and page-walk cache of a PID or page (radix)'),
    'tlbiel RIC=0': insn('local invalidation of TLB entries (radix; a PID flush takes one per congruence class set on POWER9)'),
    'tlbiel RIC=1': insn('local invalidation of the page-walk cache (radix)'),
    'tlbiel RIC=2': insn('local invalidation of TLB and page-walk cache (radix)'),
    tlbie: insn('broadcast invalidation of one hashed page translation (hash MMU)'),
    tlbiel: insn('local invalidation of one hashed page translation (hash MMU)'),
    tlbsync: insn('waits for this CPU\'s broadcast tlbies to complete on every CPU'),
    ptesync: insn('orders page-table updates before the invalidation, and completes it'),
    eieio: insn('orders the tlbies before the tlbsync'),
    isync: insn('context synchronisation after a local flush'),
    cp_abort: insn('ISA 3.1 (POWER10): abort copy-paste sequences after tlbiel'),
    'slbia IH=3': insn('invalidate the user ERAT after a local whole-PID flush'),
    'hcall H_RPT_INVALIDATE': insn('the H_RPT_INVALIDATE hypercall that replaces tlbie for a guest without GTSE'),
    'hcall H_REMOVE': insn('the H_REMOVE hypercall: a pseries hash guest has the hypervisor remove one HPTE (no tlbie in the guest)'),
    'hcall H_BULK_REMOVE': insn('the H_BULK_REMOVE hypercall: a pseries hash guest has the hypervisor remove up to 4 HPTEs'),
  },
};
