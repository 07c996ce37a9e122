/**
 * arm64 asm/tlb.h: tlb_flush() (the mmu_gather hook) and tlb_get_level() (the TTL hint).
 */
import { tlbGetUnmapShift, type GatherView } from '@tlbsim/core';
import type { Arm64Config } from './options.js';
import { TLBF_NONE, TLBF_NOWALKCACHE, type TlbFlush } from './tlbflush.js';
import { TTL_UNKNOWN } from './tlbi.js';

/**
 * tlb_get_level: the level of the leaf entries that were cleared, when exactly one level was, and
 * no table was freed (then the leaf level is unknowable). Before c910f2b65518 (6.9) there was no
 * p4d case and 0 meant "unknown"; since, level 0 is a p4d hint and TLBI_TTL_UNKNOWN means none.
 */
export function tlbGetLevel(g: GatherView, cfg: Pick<Arm64Config, 'ttlUnknown'>): number {
  if (g.freedTables) return TTL_UNKNOWN;
  const n = Number(g.clearedPtes) + Number(g.clearedPmds) + Number(g.clearedPuds) + Number(g.clearedP4ds);
  if (n !== 1) return TTL_UNKNOWN;
  if (g.clearedPtes) return 3;
  if (g.clearedPmds) return 2;
  if (g.clearedPuds) return 1;
  return cfg.ttlUnknown ? 0 : TTL_UNKNOWN;
}

/**
 * tlb_flush: leaf-only invalidation (VALE1IS) unless page tables were freed, or (c2ff4764e03e,
 * 7.1 and the 2026 stables) a hugetlb PMD table was unshared, which also needs the walk cache cleaned
 * (VAE1IS). The stride is the smallest cleared level's entry size. A fullmm teardown flushes the
 * whole ASID only when tables were freed: stale leaf entries of a dying mm are harmless because
 * its ASID is not reused before a rollover, which makes every CPU flush its TLB locally.
 */
export function tlbFlush(tf: TlbFlush, cfg: Arm64Config, g: GatherView, shifts: { page: number; pmd: number; pud: number; p4d: number }): void {
  const walk = g.freedTables || (cfg.unshareWalkCache && g.unsharedTables);
  if (g.fullmm) {
    if (g.freedTables) tf.flushTlbMm(g.mm);
    return;
  }
  const stride = 2 ** tlbGetUnmapShift(g, shifts);
  tf.flushTlbRangeStride(g.mm, g.start, g.end, stride, tlbGetLevel(g, cfg), walk ? TLBF_NONE : TLBF_NOWALKCACHE);
}
