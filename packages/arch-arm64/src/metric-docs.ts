/** What the arm64 backend's instructions mean (the metric registry's arm64 rows; it keeps no counters). */
import type { ArchMetricDocs, MetricDoc } from '@tlbsim/core';

const insn = (definition: string): MetricDoc => ({ unit: 'instructions', definition, kernel: 'model only' });

export const ARM64_METRIC_DOCS: ArchMetricDocs = {
  counters: {},
  instructions: {
    'TLBI VALE1IS': insn('broadcast invalidation of one page of one ASID, last level only (leaf entries; walk caches kept)'),
    'TLBI VAE1IS': insn('broadcast invalidation of one page of one ASID at every level (walk caches included: page tables were freed)'),
    'TLBI RVALE1IS': insn('FEAT_TLBIRANGE broadcast invalidation of a range of one ASID, last level only'),
    'TLBI RVAE1IS': insn('FEAT_TLBIRANGE broadcast invalidation of a range of one ASID at every level'),
    'TLBI ASIDE1IS': insn('broadcast invalidation of a whole ASID (flush_tlb_mm, or a range above the per-page limit)'),
    'TLBI VAALE1IS': insn('broadcast invalidation of one page for every ASID, last level (kernel mappings)'),
    'TLBI RVAALE1IS': insn('FEAT_TLBIRANGE broadcast invalidation of a range for every ASID, last level (kernel mappings)'),
    'TLBI VMALLE1IS': insn('broadcast invalidation of every entry of this VMID (flush_tlb_all, large kernel ranges)'),
    'TLBI VMALLE1': insn('local invalidation of every entry (ASID rollover on this CPU)'),
    'TLBI VALE1': insn('local invalidation of one page, last level'),
    'DSB ISHST': insn('store barrier, inner shareable: page-table updates visible to other walkers before the TLBI, and after each table entry set_pmd/set_pud/set_p4d/set_pgd write'),
    'DSB ISH': insn('full barrier, inner shareable: waits until broadcast TLBIs completed on every CPU'),
    'DSB NSHST': insn('store barrier, non-shareable (before a local TLBI)'),
    'DSB NSH': insn('full barrier, non-shareable (after a local TLBI)'),
    ISB: insn('instruction synchronisation barrier after kernel-range TLB maintenance, and after each table entry set_pmd/set_pud/set_p4d/set_pgd write'),
  },
};
