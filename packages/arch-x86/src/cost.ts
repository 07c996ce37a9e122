/**
 * Nanosecond costs for x86-64. Counts are the primary output; these only feed `estimatedNs`.
 * Figures come from the measurements of core SPEC.md §11.2 where there is one; the rest are marked as estimates.
 */
import { withCostOverrides, type CostModel } from '@tlbsim/core';

export const X86_COST: CostModel = {
  // Amit 2019, after concurrent local+remote flushing: 663 ns (no remote), 1225 ns (1 remote),
  // 1421 ns (3 remote) per MADV_DONTNEED+touch: send ~460 ns, ~100 ns per extra target.
  ipiSend: 460,
  ipiPerTarget: 100,
  instructions: {
    INVLPG: 140,
    'CR3 write': 250,
    INVPCID: 200,
    'CR4 write': 150,
    INVLPGB: 100,
    TLBSYNC: 400,
    hypercall: 1000,
  },
  defaultInstruction: 100,
  pageFree: 20,
  tableFree: 40,
  rcuCallback: 50,
  sources: {
    ipiSend: 'core SPEC.md §11.2: Nadav Amit, "flush remote and local TLBs concurrently" RFC cover letter, May 2019 [V]: 663 / 1225 / 1421 ns per op with 0 / 1 / 3 remote CPUs -> ~460 ns fixed',
    ipiPerTarget: 'core SPEC.md §11.2: same benchmark [V]: (1421 - 1225) / 2 ~ 100 ns per additional receiving CPU',
    INVLPG: 'core SPEC.md §11.2: Alex Shi 2012, first x86 range-flush patch [V]: INVLPG ~140 ns (Amit 2019: "100s of cycles")',
    'CR3 write': 'estimate (no figure in core SPEC.md §11.2): a serialising CR3 load of a few hundred cycles; the refill cost after a full flush (~100 ns per entry, Alex Shi 2012) is not charged',
    INVPCID: 'estimate (no figure in core SPEC.md §11.2): comparable to INVLPG plus the PCID lookup',
    'CR4 write': 'estimate (no figure in core SPEC.md §11.2): one of the two CR4.PGE toggles of __flush_tlb_all without INVPCID',
    INVLPGB: 'estimate: asynchronous issue; core SPEC.md §11.2 (Rik van Riel, INVLPGB series [V]) gives only the aggregate: TLB invalidation ~40% -> ~4% of CPU time',
    TLBSYNC: 'estimate: waits for this CPU\'s INVLPGBs to complete system-wide (no per-instruction figure in core SPEC.md §11.2)',
    hypercall: 'estimate (no figure in core SPEC.md §11.2): one VM exit and hypervisor TLB work, order of 1 us',
    pageFree: 'estimate: freeing one page to the allocator',
    tableFree: 'estimate: freeing one page-table page (destructor + free)',
    rcuCallback: 'estimate: running one RCU callback',
  },
};

export function x86Cost(over?: Partial<CostModel>): CostModel {
  return withCostOverrides(X86_COST, over);
}
