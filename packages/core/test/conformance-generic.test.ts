// The generic backend runs the shared conformance suite, like every arch package does.
import { generic } from '../src/index.js';
import { runArchConformance } from '../src/conformance/index.js';

runArchConformance({ name: 'generic (config G)', arch: () => generic() });
runArchConformance({ name: 'generic (config X-like)', arch: () => generic({ kconfig: { MMU_GATHER_MERGE_VMAS: true, PT_RECLAIM: true } }) });
runArchConformance({ name: 'generic (config P-like)', arch: () => generic({ kconfig: { MMU_GATHER_PAGE_SIZE: true, MMU_GATHER_MERGE_VMAS: true } }) });
