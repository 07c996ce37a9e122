/** The shared backend conformance suite over the configurations whose rules differ most. */
import { runArchConformance } from '@tlbsim/core/conformance';
import { arm64 } from '../src/index.js';

runArchConformance({ name: 'arm64 (defaults: 4K, 48-bit, 7.1)', arch: () => arm64() });
runArchConformance({ name: 'arm64 (TLBIRANGE, KPTI, REPEAT_TLBI)', arch: () => arm64({ tlbiRange: true, kpti: true, repeatTlbi: true }) });
runArchConformance({ name: 'arm64 (16K, 47-bit, TLBIRANGE)', arch: () => arm64({ granule: '16k', vaBits: 47, tlbiRange: true }) });
runArchConformance({ name: 'arm64 (64K, 48-bit: three levels)', arch: () => arm64({ granule: '64k' }) });
runArchConformance({ name: 'arm64 (4K, 39-bit: PUD folded)', arch: () => arm64({ vaBits: 39, tlbiRange: true }) });
runArchConformance({ name: 'arm64 (4K, 52-bit LPA2, TLBIRANGE, PT_RECLAIM)', arch: () => arm64({ vaBits: 52, lpa2: true, tlbiRange: true, ptReclaim: true }) });
runArchConformance({ name: 'arm64 (6.12, REPEAT_TLBI: no deferral)', arch: () => arm64({ kernel: '6.12', repeatTlbi: true }) });
runArchConformance({ name: 'arm64 (6.12.94: the REPEAT_TLBI backport defers again)', arch: () => arm64({ kernel: '6.12.94', repeatTlbi: true }) });
runArchConformance({ name: 'arm64 (6.1, the oldest: no batched unmap, 8-bit ASIDs)', arch: () => arm64({ kernel: '6.1', asidBits: 8 }) });
runArchConformance({ name: 'arm64 (6.1.176, TLBIRANGE: the 2026 stable backports)', arch: () => arm64({ kernel: '6.1.176', tlbiRange: true }) });
