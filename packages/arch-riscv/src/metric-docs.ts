/** What the riscv backend's counters and instructions mean (the metric registry's riscv rows). */
import type { ArchMetricDocs, MetricDoc } from '@tlbsim/core';

const insn = (definition: string): MetricDoc => ({ unit: 'instructions', definition, kernel: 'model only' });

export const RISCV_METRIC_DOCS: ArchMetricDocs = {
  counters: {
    'interrupts.IPI1': {
      unit: 'interrupts',
      definition: 'function-call IPIs this hart took (flush_tlb_range via on_each_cpu_mask without SBI fences, tlb_remove_table_sync_one)',
      kernel: '/proc/interrupts IPI1 ("Function call interrupts")',
    },
    'sbi.rfence': {
      unit: 'interrupts',
      definition: 'SBI remote fences the firmware delivered to this hart (it interrupts the hart in M-mode, invisibly to Linux)',
      kernel: 'model only (firmware; not in /proc/interrupts)',
    },
  },
  instructions: {
    'sfence.vma': insn('local fence of every address and ASID (local_flush_tlb_all)'),
    'sfence.vma asid': insn('local fence of one ASID (local_flush_tlb_all_asid)'),
    'sfence.vma addr': insn('local fence of one page, no ASID (local_flush_tlb_page)'),
    'sfence.vma addr,asid': insn('local fence of one page of one ASID (local_flush_tlb_page_asid)'),
    'sinval.vma addr': insn('Svinval: invalidate one page, no ASID, ordered by sfence.w.inval / sfence.inval.ir'),
    'sinval.vma addr,asid': insn('Svinval: invalidate one page of one ASID'),
    'sfence.w.inval': insn('Svinval: order earlier page-table stores before the sinval.vma batch'),
    'sfence.inval.ir': insn('Svinval: order the sinval.vma batch before later implicit references'),
    'M-mode sfence.vma': insn('fence of everything the SBI firmware executed on a hart for a remote fence'),
    'M-mode sfence.vma asid': insn('whole-ASID fence the SBI firmware executed on a hart (a request above its range limit)'),
    'M-mode sfence.vma addr': insn('per-page fence, no ASID, the SBI firmware executed on a hart'),
    'M-mode sfence.vma addr,asid': insn('per-page fence of one ASID the SBI firmware executed on a hart'),
    'SBI remote_sfence_vma': insn('ecall asking the firmware to fence a hart mask, no ASID (one per 64-hart window)'),
    'SBI remote_sfence_vma_asid': insn('ecall asking the firmware to fence one ASID on a hart mask (one per 64-hart window)'),
  },
};
