// The generic backend runs the shared conformance suite, like every arch package does.
import { generic } from '../src/index.js';
import { runArchConformance } from '../src/conformance/index.js';

runArchConformance({ name: 'generic (config G)', arch: () => generic() });
runArchConformance({ name: 'generic (config X-like)', arch: () => generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true } }) });
runArchConformance({ name: 'generic (config P-like)', arch: () => generic({ kconfig: { MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_MERGE_VMAS: true } }) });
// the remaining Kconfig combinations the random-operation property runs on
runArchConformance({ name: 'generic (MMU_GATHER_NO_RANGE)', arch: () => generic({ kconfig: { MMU_GATHER_NO_RANGE: true } }) });
runArchConformance({ name: 'generic (TABLE_FREE without RCU)', arch: () => generic({ kconfig: { MMU_GATHER_RCU_TABLE_FREE: false, MMU_GATHER_TABLE_FREE: true } }) });
runArchConformance({ name: 'generic (no TABLE_FREE, no RCU)', arch: () => generic({ kconfig: { MMU_GATHER_RCU_TABLE_FREE: false, MMU_GATHER_TABLE_FREE: false } }) });
