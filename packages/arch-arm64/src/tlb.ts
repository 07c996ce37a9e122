/**
 * arm64 asm/tlb.h: tlb_flush() (the mmu_gather hook) and tlb_get_level() (the TTL hint).
 */
import { tlbGetUnmapShift, type GatherView } from '@tlbsim/core';
import type { Arm64Config } from './options.js';
import { TLBF_NONE, TLBF_NOWALKCACHE, type TlbFlush } from './tlbflush.js';
import { TTL_UNKNOWN } from './tlbi.js';

/**
 * tlb_get_level: the level of the leaf entries that were cleared, when exactly one level was, and
 * no table was freed (then the leaf level is unknowable). v5.9-v6.8 had no p4d case and used 0
 * for "unknown"; v6.9 added level 0 for p4ds and TLBI_TTL_UNKNOWN.
 */
export function tlbGetLevel(g: GatherView, k: number): number {
  if (k < 509) return TTL_UNKNOWN; // no hints before the v5.9 TTL series
  if (g.freedTables) return TTL_UNKNOWN;
  const n = Number(g.clearedPtes) + Number(g.clearedPmds) + Number(g.clearedPuds) + Number(g.clearedP4ds);
  if (n !== 1) return TTL_UNKNOWN;
  if (g.clearedPtes) return 3;
  if (g.clearedPmds) return 2;
  if (g.clearedPuds) return 1;
  return k >= 609 ? 0 : TTL_UNKNOWN;
}

/**
 * tlb_flush: leaf-only invalidation (VALE1IS) unless page tables were freed, or (v7.1,
 * c2ff4764e03e) a hugetlb PMD table was unshared, which also needs the walk cache cleaned
 * (VAE1IS). The stride is the smallest cleared level's entry size. A fullmm teardown flushes the
 * whole ASID only when tables were freed: stale leaf entries of a dying mm are harmless because
 * its ASID is not reused before a rollover, which makes every CPU flush its TLB locally.
 */
export function tlbFlush(tf: TlbFlush, cfg: Arm64Config, g: GatherView, shifts: { page: number; pmd: number; pud: number; p4d: number }): void {
  const walk = g.freedTables || (cfg.k >= 701 && g.unsharedTables);
  if (g.fullmm) {
    if (g.freedTables) tf.flushTlbMm(g.mm);
    return;
  }
  const stride = 2 ** tlbGetUnmapShift(g, shifts);
  tf.flushTlbRangeStride(g.mm, g.start, g.end, stride, tlbGetLevel(g, cfg.k), walk ? TLBF_NONE : TLBF_NOWALKCACHE);
}
