/**
 * Default costs (ns) for powerpc, seeded from the measurements of core SPEC.md §11.2. Counts are the primary
 * output; these only turn them into an estimate. Override any figure with the `cost` option.
 */
import type { CostModel } from '@tlbsim/core';

/**
 * Per-page local invalidation: Nick Piggin's local-ceiling commit measured mprotect of N pages
 * with tlbiel on POWER9 at 7.4 us (32) .. 98.3 us (512), a slope of ~0.19 us per page. That
 * slope includes the PTE update, so 190 ns is an upper bound for one tlbiel.
 */
const TLBIEL = 190;
/**
 * Global invalidation: the kernel switches to a PID flush after 33 tlbie but only after 256
 * tlbiel (tlb_single_page_flush_ceiling vs tlb_local_single_page_flush_ceiling), i.e. it
 * judges one broadcast tlbie ~256/33 = 7.8x as costly as one tlbiel: 1470 ns.
 */
const TLBIE = Math.round((TLBIEL * 256) / 33);

export const PPC_COST: CostModel = {
  ipiSend: 1000,
  ipiPerTarget: 200,
  instructions: {
    'tlbiel RIC=0': TLBIEL,
    'tlbiel RIC=1': TLBIEL,
    'tlbiel RIC=2': TLBIEL,
    tlbiel: TLBIEL,
    'tlbie RIC=0': TLBIE,
    'tlbie RIC=1': TLBIE,
    'tlbie RIC=2': TLBIE,
    tlbie: TLBIE,
    ptesync: 50,
    eieio: 5,
    tlbsync: 300,
    cp_abort: 20,
    'slbia IH=3': 100,
    isync: 20,
    'hcall H_RPT_INVALIDATE': 3000,
    'hcall H_REMOVE': 2000,
    'hcall H_BULK_REMOVE': 3000,
    /** not an instruction: clearing the V bit of one HPTE in the hash table (lock, compare, store) */
    'hpte invalidate': 40,
  },
  defaultInstruction: 100,
  pageFree: 20,
  tableFree: 40,
  rcuCallback: 50,
  sources: {
    tlbiel: 'POWER9 mprotect slope ~0.19 us/page with local tlbiel (Nick Piggin, local flush ceiling commit; core SPEC.md §11.2 [V]); an upper bound',
    tlbie: 'derived: the kernel ceilings (33 global vs 256 local pages before a PID flush) weigh one tlbie as ~7.8 tlbiel',
    'tlbiel RIC=0': 'as tlbiel; a POWER9 whole-PID local flush is 128 of them (core SPEC.md §11.2 [V])',
    ptesync: 'assumption: a heavyweight sync, tens of ns',
    tlbsync: 'assumption: waits for the broadcast invalidation to complete; a few hundred ns',
    ipiSend: 'rule of thumb, ~1 us base (core SPEC.md §11.2 [S])',
    ipiPerTarget: 'rule of thumb, ~200 ns per receiving CPU (core SPEC.md §11.2 [S])',
    'hcall H_RPT_INVALIDATE': 'assumption: hypervisor call plus a partition-scoped tlbie, a few us',
    'hcall H_REMOVE': 'assumption: hypervisor call, one HPTE removed and its tlbie, ~2 us',
    'hcall H_BULK_REMOVE': 'assumption: one hypervisor call for up to 4 HPTEs and their tlbies, ~3 us',
    'hpte invalidate': 'assumption: lock + compare + store on one HPTE',
  },
};
