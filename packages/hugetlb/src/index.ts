/**
 * @tlbsim/hugetlb: hugetlb pages, PMD-table sharing and the unshare IPI rules (V0/V1/V2) for the
 * tlbsim machine. `installHugetlb(machine)` sets `machine.hugetlb`, with the behaviour of the
 * machine's kernel (`new Machine({ kernel: '6.1' })`: V0); `{ behaviour: 'V1' }` overrides it.
 */
export { Hugetlb, installHugetlb, hugetlbOf } from './hugetlb.js';
export { HUGETLB_UNSHARE_BATCHED, HUGETLB_UNSHARE_SYNC, behaviourOf } from './features.js';
export { BEHAVIOURS, type Behaviour, type HugetlbOptions, type HugetlbStats } from './options.js';
export { hstatesFor, pmdSharingBuiltIn, type Hstate } from './hstate.js';
export { gupFastStart, type GupFastWalk, type GupFastResult } from './gup.js';
export { checkShareInvariants, pmdTableUsers } from './invariants.js';
export { HUGETLB_METRIC_DOCS } from './metric-docs.js';
