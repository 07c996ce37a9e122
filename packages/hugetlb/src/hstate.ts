/**
 * hstates: the hugetlb page sizes a configuration offers, and at which page-table level (and
 * with how many contiguous entries) each one is mapped. hugetlb SPEC.md §6.2.
 */
import type { Geometry, Kconfig } from '@tlbsim/core';

export interface Hstate {
  /** huge_page_size(h) in bytes */
  size: number;
  /** huge_page_shift(h) */
  shift: number;
  /** logical level of the entries that map it: 0 pte, 1 pmd, 2 pud */
  level: number;
  /** entries per huge page (arm64 contiguous-bit sizes: 16 or 32; otherwise 1) */
  contig: number;
  /** this size may use shared PMD tables (size == PMD_SIZE and sharing is built in) */
  shareable: boolean;
  /** the kernel's sysfs name, e.g. `hugepages-2048kB` */
  name: string;
}

/**
 * CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING: ARCH_WANT_HUGE_PMD_SHARE (split PMD locks assumed), with
 * a real PMD level under a real PUD level (a folded level has no table that could be shared).
 */
export function pmdSharingBuiltIn(geo: Geometry, k: Kconfig): boolean {
  return k.ARCH_WANT_HUGE_PMD_SHARE && geo.levels[1].folding === 'none' && geo.levels[2].folding === 'none';
}

/**
 * The hstate for each size the backend declares (hugetlb_add_hstate): the largest real level whose
 * entry size divides the page size; a page larger than one entry uses contiguous entries.
 */
export function hstatesFor(geo: Geometry, sizes: readonly number[], k: Kconfig): Hstate[] {
  const sharing = pmdSharingBuiltIn(geo, k);
  const pmdSize = 2 ** geo.levels[1].shift;
  const out: Hstate[] = [];
  for (const size of sizes) {
    let level = -1;
    for (let l = 2; l >= 0; l--) {
      const spec = geo.levels[l];
      const es = 2 ** spec.shift;
      if (spec.folding === 'none' && size >= es && size % es === 0 && size / es <= spec.entries) {
        level = l;
        break;
      }
    }
    if (level < 0) throw new RangeError(`hugetlb size ${size} cannot be mapped with this geometry`);
    const contig = size / 2 ** geo.levels[level].shift;
    out.push({
      size, shift: Math.log2(size), level, contig,
      shareable: sharing && size === pmdSize && contig === 1,
      name: `hugepages-${size / 1024}kB`,
    });
  }
  return out.sort((a, b) => a.size - b.size);
}
