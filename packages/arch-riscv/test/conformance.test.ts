/**
 * The shared backend conformance suite (core's public `@tlbsim/core/conformance`), run over the
 * riscv configurations whose rules differ most: remote mechanism, ASIDs, Svinval, satp mode.
 */
import { runArchConformance } from '@tlbsim/core/conformance';
import { riscv } from '../src/index.js';

runArchConformance({ name: 'riscv (defaults: Sv39, ASIDs, SBI rfence)', arch: () => riscv() });
runArchConformance({ name: 'riscv (IPI rfence, no ASIDs, Svinval)', arch: () => riscv({ rfence: 'ipi', asid: false, svinval: true }) });
runArchConformance({ name: 'riscv (Sv48, IPI rfence, 4-bit ASIDs)', arch: () => riscv({ satpMode: 'sv48', rfence: 'ipi', asidBits: 4 }) });
runArchConformance({ name: 'riscv (Sv57, Svnapot, threshold 0)', arch: () => riscv({ satpMode: 'sv57', svnapot: true, tlbFlushAllThreshold: 0 }) });
runArchConformance({ name: 'riscv (SiFive CIP-1200, IPI rfence, PT_RECLAIM)', arch: () => riscv({ sifiveCip1200: true, rfence: 'ipi', ptReclaim: true }) });
