/**
 * Cost defaults for riscv. Counts are tlbsim's primary output; these only turn them into an
 * estimate. core SPEC.md §11.2 has no RISC-V measurement, and none was found in the sources
 * read, so every figure below is an order-of-magnitude estimate, labelled as such and overridable
 * with the `cost` option. The one relation taken from the kernel is the design rule behind
 * tlb_flush_all_threshold (Alexandre Ghiti, "riscv: Make __flush_tlb_range() loop over pte instead
 * of flushing the whole tlb", 2023): flushing more than 64 single entries is assumed to cost more
 * than one whole-ASID flush plus the refills it causes, i.e. a page fence is priced well under
 * 1/64 of (ASID flush + refill).
 */
import type { CostModel } from '@tlbsim/core';

const EST = 'estimate (order of magnitude, no RISC-V measurement in core SPEC.md §11.2; override with the cost option)';

/** pseudo-mnemonic priced per hart an SBI remote fence reaches other than the caller */
export const SBI_TARGET_COST_KEY = 'SBI rfence: per target hart';

export const RISCV_COST: CostModel = {
  ipiSend: 1000,
  ipiPerTarget: 200,
  instructions: {
    'sfence.vma': 150,
    'sfence.vma asid': 120,
    'sfence.vma addr': 25,
    'sfence.vma addr,asid': 25,
    'sinval.vma addr': 5,
    'sinval.vma addr,asid': 5,
    'sfence.w.inval': 10,
    'sfence.inval.ir': 30,
    'M-mode sfence.vma': 150,
    'M-mode sfence.vma asid': 120,
    'M-mode sfence.vma addr': 25,
    'M-mode sfence.vma addr,asid': 25,
    'SBI remote_sfence_vma': 1500,
    'SBI remote_sfence_vma_asid': 1500,
    [SBI_TARGET_COST_KEY]: 400,
  },
  defaultInstruction: 25,
  pageFree: 20,
  tableFree: 40,
  rcuCallback: 50,
  sources: {
    ipiSend: 'rule of thumb, ~1 us base (core SPEC.md §11.2, secondary source [S]); Linux IPIs through an SBI IPI controller cost more',
    ipiPerTarget: 'rule of thumb, ~200 ns per receiving CPU (core SPEC.md §11.2 [S])',
    'sfence.vma': `${EST}; drains the pipeline and drops every entry (refills not included)`,
    'sfence.vma asid': `${EST}; whole-ASID invalidation, priced near a global one`,
    'sfence.vma addr': `${EST}; one serialising fence per page; 64 of them exceed an ASID flush + refills (tlb_flush_all_threshold rule, Ghiti 2023)`,
    'sfence.vma addr,asid': `${EST}; as sfence.vma addr`,
    'sinval.vma addr': `${EST}; Svinval splits ordering from invalidation, so each sinval.vma is cheap and pipelined`,
    'sinval.vma addr,asid': `${EST}; as sinval.vma addr`,
    'sfence.w.inval': `${EST}; orders earlier stores before the sinval.vma batch`,
    'sfence.inval.ir': `${EST}; orders the batch before later implicit page-table reads`,
    'M-mode sfence.vma': `${EST}; executed by the SBI firmware on each fenced hart, priced as the S-mode form`,
    'M-mode sfence.vma asid': `${EST}; as M-mode sfence.vma`,
    'M-mode sfence.vma addr': `${EST}; as M-mode sfence.vma`,
    'M-mode sfence.vma addr,asid': `${EST}; as M-mode sfence.vma`,
    'SBI remote_sfence_vma': `${EST}; ecall into M-mode, firmware fences the caller and waits for the targets`,
    'SBI remote_sfence_vma_asid': `${EST}; as SBI remote_sfence_vma`,
    [SBI_TARGET_COST_KEY]: `${EST}; machine-mode software interrupt, firmware handler and acknowledgement on each other hart`,
    pageFree: 'same as the generic backend',
    tableFree: 'same as the generic backend',
    rcuCallback: 'same as the generic backend',
  },
};
