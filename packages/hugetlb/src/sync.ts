import type { Machine } from '@tlbsim/core';

/**
 * tlb_remove_table_sync_one() through core's hook layer (the backend's own, or asm-generic's
 * synchronous IPI to every other CPU, which waits for GUP-fast walkers running with IRQs off).
 * Returns whether it was not a NOP (no MMU_GATHER_RCU_TABLE_FREE: nothing to wait for), for
 * hugetlb's syncIpis statistic.
 */
export function tlbRemoveTableSyncOne(m: Machine): boolean {
  if (!m.kconfig.MMU_GATHER_RCU_TABLE_FREE) return false;
  m.hooks.tlbRemoveTableSyncOne();
  return true;
}
