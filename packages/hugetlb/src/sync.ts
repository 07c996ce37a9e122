import type { Machine } from '@tlbsim/core';

/**
 * tlb_remove_table_sync_one(): a NOP without MMU_GATHER_RCU_TABLE_FREE; otherwise the backend's
 * own hook, or by default a synchronous IPI to every other CPU (which waits for GUP-fast walkers,
 * who run with IRQs off). Returns whether it was not a NOP.
 */
export function tlbRemoveTableSyncOne(m: Machine): boolean {
  if (!m.kconfig.MMU_GATHER_RCU_TABLE_FREE) return false;
  if (m.runtime.tlbRemoveTableSyncOne) m.runtime.tlbRemoveTableSyncOne();
  else m.syncAllCpus();
  return true;
}
