/** The shared backend conformance suite over the x86 configurations whose rules differ most. */
import { runArchConformance } from '@tlbsim/core/conformance';
import { x86 } from '../src/index.js';

runArchConformance({ name: 'x86 (defaults: v6.15, PCID, no PTI)', arch: () => x86() });
runArchConformance({ name: 'x86 (no PCID)', arch: () => x86({ pcid: false }) });
runArchConformance({ name: 'x86 (PTI, no INVPCID)', arch: () => x86({ pti: true, invpcid: false }) });
runArchConformance({ name: 'x86 (INVLPGB x2, PTI)', arch: () => x86({ invlpgb: true, invlpgbCountMax: 2, pti: true }) });
runArchConformance({ name: 'x86 (KVM PV flush)', arch: () => x86({ paravirt: 'kvm' }) });
runArchConformance({ name: 'x86 (Hyper-V PV flush)', arch: () => x86({ paravirt: 'hyperv' }) });
runArchConformance({ name: 'x86 (Xen PV)', arch: () => x86({ paravirt: 'xen' }) });
runArchConformance({ name: 'x86 (v6.14)', arch: () => x86({ kernel: 'v6.14' }) });
runArchConformance({ name: 'x86 (v6.13: page tables freed after the flush, no RCU)', arch: () => x86({ kernel: 'v6.13' }) });
runArchConformance({ name: 'x86 (ceiling 0)', arch: () => x86({ ceiling: 0 }) });
