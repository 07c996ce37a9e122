/**
 * The CPU a machine models and the tlbie errata the kernel gives it. The kernel decides by the
 * processor version register (PVR), on one of two paths:
 * - bare metal (powernv): skiboot's device tree carries `ibm,powerpc-cpu-features`, so
 *   dt_cpu_ftrs.c builds the features and update_tlbie_feature_flag sets ERAT on every POWER9 and
 *   STQ only below Nimbus DD2.3 / Cumulus DD1.3 (and on an unknown chip type);
 * - a pseries guest: no such node, so cputable's CPU_FTRS_POWER9 (every POWER9 entry, DD2.0 to
 *   DD2.3 and the architected one) has both ERAT and STQ.
 * POWER10 has neither.
 */

/** CPU generations and POWER9 revisions (Nimbus, as QEMU and most systems ship it). */
export const CPU_MODELS = ['power10', 'power9', 'power9-dd2.0', 'power9-dd2.1', 'power9-dd2.2', 'power9-dd2.3'] as const;
export type CpuModel = (typeof CPU_MODELS)[number];

/** POWER9 tlbie errata: every POWER9 has the ERAT bug; some also the store-queue (STQ) bug. */
export type P9Errata = 'erat' | 'erat+stq' | 'none';

/** powernv (bare metal, OPAL) or pseries (a PAPR guest: QEMU/KVM, PowerVM) */
export type Platform = 'powernv' | 'pseries';

/** PVR_POWER9 / PVR_POWER10: PVR_VER, the upper 16 bits */
export const PVR_POWER9 = 0x004e;
export const PVR_POWER10 = 0x0080;

/**
 * The PVR of each model: Nimbus POWER9 has chip-type bits 12-15 = 1 (QEMU's
 * CPU_POWERPC_POWER9_DD22 is 0x004e1202); plain `power9` is the newest revision, DD2.3.
 */
export const CPU_PVR: Readonly<Record<CpuModel, number>> = {
  power10: 0x00801200,
  power9: 0x004e1203,
  'power9-dd2.0': 0x004e1200,
  'power9-dd2.1': 0x004e1201,
  'power9-dd2.2': 0x004e1202,
  'power9-dd2.3': 0x004e1203,
};

export const pvrVersion = (pvr: number): number => Math.floor(pvr / 0x10000);

/** CPU_FTR_ARCH_31 */
export const isPower10 = (cpu: CpuModel): boolean => cpu === 'power10';

/**
 * update_tlbie_feature_flag (dt_cpu_ftrs.c): STQ below Nimbus DD2.3 ((pvr & 0xe000) == 0, minor
 * 0xfff < 0x203) and Cumulus DD1.3 ((pvr & 0xc000) == 0, < 0x103); an unknown chip type warns
 * and gets it too. ERAT on every POWER9.
 */
export function dtCpuFtrsErrata(pvr: number): P9Errata {
  if (pvrVersion(pvr) !== PVR_POWER9) return 'none';
  const rev = pvr & 0xfff;
  let stq: boolean;
  if ((pvr & 0xe000) === 0) stq = rev < 0x203;
  else if ((pvr & 0xc000) === 0) stq = rev < 0x103;
  else stq = true;
  return stq ? 'erat+stq' : 'erat';
}

/** The errata the kernel sets for this PVR on this platform (see the file comment). */
export function p9ErrataFor(pvr: number, platform: Platform): P9Errata {
  if (pvrVersion(pvr) !== PVR_POWER9) return 'none';
  return platform === 'pseries' ? 'erat+stq' : dtCpuFtrsErrata(pvr);
}
