/** What the x86 backend's counters and instructions mean (the metric registry's x86 rows). */
import type { ArchMetricDocs } from '@tlbsim/core';

export const X86_METRIC_DOCS: ArchMetricDocs = {
  counters: {
    'interrupts.TLB': {
      unit: 'interrupts',
      definition: 'flush_tlb_func run on behalf of another CPU (the TLB shootdown interrupts this CPU took)',
      kernel: '/proc/interrupts TLB ("TLB shootdowns")',
    },
    'interrupts.CAL': {
      unit: 'interrupts',
      definition: 'function-call interrupts this CPU took, TLB shootdowns included',
      kernel: '/proc/interrupts CAL ("Function call interrupts")',
    },
    nr_tlb_remote_flush: {
      unit: 'calls',
      definition: 'flush_tlb_multi calls made by this CPU (once per call, even when no other CPU qualified in the end)',
      kernel: '/proc/vmstat nr_tlb_remote_flush (CONFIG_DEBUG_TLBFLUSH)',
    },
    nr_tlb_remote_flush_received: {
      unit: 'flushes',
      definition: 'flush requests from other CPUs this CPU handled (flush_tlb_func with a remote initiator)',
      kernel: '/proc/vmstat nr_tlb_remote_flush_received (CONFIG_DEBUG_TLBFLUSH)',
    },
    nr_tlb_local_flush_all: {
      unit: 'flushes',
      definition: "local whole-PCID flushes done by the initiating CPU in flush_tlb_func",
      kernel: '/proc/vmstat nr_tlb_local_flush_all (CONFIG_DEBUG_TLBFLUSH)',
    },
    nr_tlb_local_flush_one: {
      unit: 'pages',
      definition: 'pages flushed one by one on the initiating CPU (flush_tlb_func ranged path, flush_tlb_one_kernel)',
      kernel: '/proc/vmstat nr_tlb_local_flush_one (CONFIG_DEBUG_TLBFLUSH)',
    },
  },
  instructions: {
    INVLPG: {
      unit: 'instructions',
      definition: 'invalidate one page of the current PCID, its paging-structure caches included (native_flush_tlb_one_user)',
      kernel: 'model only (tlb:tlb_flush reports the pages, not the instructions)',
    },
    'CR3 write': {
      unit: 'instructions',
      definition: 'a CR3 load: a context switch (switch_mm_irqs_off) or a whole-PCID flush (native_flush_tlb_local); with PCID and NOFLUSH it keeps the PCID\'s entries',
      kernel: 'model only',
    },
    INVPCID: {
      unit: 'instructions',
      definition: 'INVPCID: one address of the user PCID under PTI (invpcid_flush_one), or everything including global pages (__flush_tlb_all)',
      kernel: 'model only',
    },
    'CR4 write': {
      unit: 'instructions',
      definition: 'a CR4.PGE toggle, twice per __flush_tlb_all on CPUs without INVPCID',
      kernel: 'model only',
    },
    INVLPGB: {
      unit: 'instructions',
      definition: 'AMD broadcast invalidation of a range of a global ASID (up to invlpgb_count_max pages each)',
      kernel: 'model only',
    },
    TLBSYNC: {
      unit: 'instructions',
      definition: "wait until this CPU's INVLPGBs have completed on every CPU",
      kernel: 'model only',
    },
    hypercall: {
      unit: 'instructions',
      definition: 'a paravirtual TLB flush hypercall (Hyper-V HvFlushVirtualAddress*, Xen MMUEXT op) issued instead of IPIs',
      kernel: 'model only',
    },
  },
};
