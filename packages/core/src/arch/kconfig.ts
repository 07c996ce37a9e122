/**
 * The Kconfig symbols that change the generic mmu_gather layer (core SPEC.md §8.1).
 * A backend declares which it selects; core honours each the way the kernel does.
 */
export interface Kconfig {
  MMU_GATHER_TABLE_FREE: boolean;
  MMU_GATHER_RCU_TABLE_FREE: boolean;
  MMU_GATHER_PAGE_SIZE: boolean;
  MMU_GATHER_NO_RANGE: boolean;
  MMU_GATHER_NO_GATHER: boolean;
  MMU_GATHER_MERGE_VMAS: boolean;
  MMU_GATHER_NO_FLUSH_CACHE: boolean;
  PT_RECLAIM: boolean;
  ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: boolean;
  ARCH_WANT_HUGE_PMD_SHARE: boolean;
  /** SMP: delayed rmap and tlb_remove_table_sync_one exist only on SMP kernels. */
  SMP: boolean;
}

export const KCONFIG_SYMBOLS = [
  'MMU_GATHER_TABLE_FREE', 'MMU_GATHER_RCU_TABLE_FREE', 'MMU_GATHER_PAGE_SIZE', 'MMU_GATHER_NO_RANGE',
  'MMU_GATHER_NO_GATHER', 'MMU_GATHER_MERGE_VMAS', 'MMU_GATHER_NO_FLUSH_CACHE', 'PT_RECLAIM',
  'ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH', 'ARCH_WANT_HUGE_PMD_SHARE', 'SMP',
] as const satisfies readonly (keyof Kconfig)[];

/** Config G of core SPEC.md §8.2: what e.g. arm32 uses. */
export const GENERIC_KCONFIG: Kconfig = {
  MMU_GATHER_TABLE_FREE: true,
  MMU_GATHER_RCU_TABLE_FREE: true,
  MMU_GATHER_PAGE_SIZE: false,
  MMU_GATHER_NO_RANGE: false,
  MMU_GATHER_NO_GATHER: false,
  MMU_GATHER_MERGE_VMAS: false,
  MMU_GATHER_NO_FLUSH_CACHE: false,
  PT_RECLAIM: false,
  ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: false,
  ARCH_WANT_HUGE_PMD_SHARE: false,
  SMP: true,
};

/**
 * Apply the kernel's `select`/`depends on` relations so a declared config is self-consistent:
 * RCU_TABLE_FREE selects TABLE_FREE, NO_RANGE selects MERGE_VMAS, PT_RECLAIM selects
 * RCU_TABLE_FREE (v6.14+). Throws on combinations the kernel cannot build.
 */
export function resolveKconfig(k: Kconfig): Kconfig {
  const r = { ...k };
  if (r.PT_RECLAIM) r.MMU_GATHER_RCU_TABLE_FREE = true;
  if (r.MMU_GATHER_RCU_TABLE_FREE) r.MMU_GATHER_TABLE_FREE = true;
  if (r.MMU_GATHER_NO_RANGE) r.MMU_GATHER_MERGE_VMAS = true;
  if (r.MMU_GATHER_NO_GATHER && !r.MMU_GATHER_TABLE_FREE) {
    throw new Error('Kconfig: MMU_GATHER_NO_GATHER depends on MMU_GATHER_TABLE_FREE');
  }
  if (r.PT_RECLAIM && !r.SMP) throw new Error('Kconfig: PT_RECLAIM depends on SMP');
  return r;
}
