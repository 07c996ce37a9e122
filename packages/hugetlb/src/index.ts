/**
 * @tlbsim/hugetlb: hugetlb pages, PMD-table sharing and the unshare IPI rules (V0/V1/V2) for the
 * tlbsim machine. `installHugetlb(machine, { behaviour: 'V2' })` sets `machine.hugetlb`.
 */
export { Hugetlb, installHugetlb, hugetlbOf } from './hugetlb.js';
export { BEHAVIOURS, type Behaviour, type HugetlbOptions, type HugetlbStats } from './options.js';
export { hstatesFor, pmdSharingBuiltIn, type Hstate } from './hstate.js';
export { gupFastStart, type GupFastWalk, type GupFastResult } from './gup.js';
export { checkShareInvariants, pmdTableUsers } from './invariants.js';
export { HUGETLB_METRIC_DOCS } from './metric-docs.js';
