/**
 * Per-granule constants (arm64 asm/pgtable-hwdef.h, asm/tlbflush.h, Kconfig ARM64_CONT_P?D_SHIFT)
 * and the page-table geometry of a (granule, VA bits) configuration.
 */
import { makeGeometry, type Geometry } from '@tlbsim/core';
import type { Granule } from './options.js';

export interface GranuleInfo {
  granule: Granule;
  pageShift: number;
  /** PTRS_PER_PTE = PAGE_SIZE / 8, also MAX_DVM_OPS (historically MAX_TLBI_OPS) */
  ptrsPerPte: number;
  /** log2 entries per table level */
  bitsPerLevel: number;
  /** the TG field of TLBI operands: 4K = 1, 16K = 2, 64K = 3 */
  tg: number;
  /** ARM64_CONT_PTE_SHIFT / ARM64_CONT_PMD_SHIFT defaults */
  contPteShift: number;
  contPmdShift: number;
}

export const GRANULES: Readonly<Record<Granule, GranuleInfo>> = {
  '4k': { granule: '4k', pageShift: 12, ptrsPerPte: 512, bitsPerLevel: 9, tg: 1, contPteShift: 4, contPmdShift: 4 },
  '16k': { granule: '16k', pageShift: 14, ptrsPerPte: 2048, bitsPerLevel: 11, tg: 2, contPteShift: 7, contPmdShift: 5 },
  '64k': { granule: '64k', pageShift: 16, ptrsPerPte: 8192, bitsPerLevel: 13, tg: 3, contPteShift: 5, contPmdShift: 5 },
};

/** MAX_TLBI_RANGE_PAGES = __TLBI_RANGE_PAGES(31, 3): (31 + 1) << (5 * 3 + 1) pages, any granule. */
export const MAX_TLBI_RANGE_PAGES = 32 * 2 ** 16;

/**
 * CONFIG_PGTABLE_LEVELS from the VA size: each level resolves bitsPerLevel bits above the page
 * offset; the top level takes whatever is left (16K/48-bit: a 2-entry pgd). Absent levels are
 * folded at compile time (asm-generic/pgtable-nop?d.h).
 */
export function arm64Geometry(g: GranuleInfo, vaBits: number): Geometry {
  const levelBits = vaBits - g.pageShift;
  const realLevels = Math.ceil(levelBits / g.bitsPerLevel);
  const topBits = levelBits - (realLevels - 1) * g.bitsPerLevel;
  return makeGeometry({
    pageShift: g.pageShift,
    bitsPerLevel: g.bitsPerLevel,
    realLevels,
    taskSize: 2 ** vaBits,
    topBits: topBits === g.bitsPerLevel ? undefined : topBits,
    folding: 'compile',
  });
}

/** PMD_SIZE: the size a level-2 (PMD) entry maps, folded or not. */
export function pmdSize(geo: Geometry): number {
  return 2 ** geo.levels[1].shift;
}
export function pudSize(geo: Geometry): number {
  return 2 ** geo.levels[2].shift;
}

/**
 * The hugetlb sizes arm64_hugetlb_valid_size() accepts: CONT_PTE_SIZE, PMD_SIZE, CONT_PMD_SIZE,
 * and PUD_SIZE only where PUD block mappings exist (pud_sect_supported(): 4K granule).
 */
export function hugePageSizes(g: GranuleInfo, geo: Geometry): number[] {
  const page = 2 ** g.pageShift;
  const pmd = pmdSize(geo);
  const sizes = [page * 2 ** g.contPteShift, pmd, pmd * 2 ** g.contPmdShift];
  if (g.granule === '4k') sizes.push(2 ** 30);
  return sizes;
}

/** ARCH_WANT_HUGE_PMD_SHARE: ARM64_4K_PAGES || (ARM64_16K_PAGES && !ARM64_VA_BITS_36) */
export function wantsHugePmdShare(g: GranuleInfo, vaBits: number): boolean {
  return g.granule === '4k' || (g.granule === '16k' && vaBits !== 36);
}
