/** The shared backend conformance suite over the configurations whose rules differ most. */
import { runArchConformance } from '@tlbsim/core/conformance';
import { ppc } from '../src/index.js';

runArchConformance({ name: 'ppc (defaults: radix, POWER10, 64K, tlbie, mainline)', arch: () => ppc() });
runArchConformance({ name: 'ppc (radix, POWER9 DD2.2: ERAT+STQ errata)', arch: () => ppc({ cpu: 'power9-dd2.2' }) });
runArchConformance({ name: 'ppc (radix, tlbie disabled: tlbiel by IPI)', arch: () => ppc({ tlbie: false }) });
runArchConformance({ name: 'ppc (radix, no GTSE: H_RPT_INVALIDATE)', arch: () => ppc({ gtse: false }) });
runArchConformance({ name: 'ppc (radix, nMMU copro, POWER9)', arch: () => ppc({ coprocessors: 1, cpu: 'power9' }) });
runArchConformance({ name: 'ppc (radix, 4K pages, v6.1)', arch: () => ppc({ pageSize: 4096, kernel: '6.1' }) });
runArchConformance({ name: 'ppc (hash, 64K, POWER9)', arch: () => ppc({ mmu: 'hash', cpu: 'power9' }) });
runArchConformance({ name: 'ppc (hash, pseries guest: H_BULK_REMOVE, v6.1)', arch: () => ppc({ mmu: 'hash', platform: 'pseries', kernel: '6.1' }) });
// hash with 4K pages has no THP (hash__has_transparent_hugepage): the suite checks the refusal
runArchConformance({ name: 'ppc (hash, 4K, POWER10)', arch: () => ppc({ mmu: 'hash', pageSize: 4096 }) });
