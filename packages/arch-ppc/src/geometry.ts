/**
 * book3s64 page-table geometry and page sizes. Both MMUs keep Linux's 4-level tree (P4D folded
 * at build time), but the index sizes differ per MMU and base page size; the kernel picks them
 * at boot (RADIX_* vs H_* *_INDEX_SIZE).
 */
import type { Geometry, LevelSpec } from '@tlbsim/core';
import type { BasePageSize, MmuMode } from './options.js';

interface Shape {
  /** index bits per level: pte, pmd, pud, pgd */
  bits: [number, number, number, number];
  taskSize: number;
}

/** TASK_SIZE_USER64: 4 PB with 64K pages, 64 TB with 4K pages (asm/task_size_64.h) */
const TASK_SIZE_4PB = 2 ** 52;
const TASK_SIZE_64TB = 2 ** 46;

const SHAPES: Record<MmuMode, Record<BasePageSize, Shape>> = {
  // radix: 64K -> 32-entry PTE tables (2M), 4K -> 512 (2M); PMD 1G, PUD 512G, PGD 13 bits
  radix: {
    65536: { bits: [5, 9, 9, 13], taskSize: TASK_SIZE_4PB },
    4096: { bits: [9, 9, 9, 13], taskSize: TASK_SIZE_64TB },
  },
  // hash: 64K -> 256-entry PTE tables mapping 16M, PMD 16G, PUD 16T; 4K -> 2M, 256M, 128G
  hash: {
    65536: { bits: [8, 10, 10, 8], taskSize: TASK_SIZE_4PB },
    4096: { bits: [9, 7, 9, 9], taskSize: TASK_SIZE_64TB },
  },
};

export function ppcGeometry(mmu: MmuMode, pageSize: BasePageSize): Geometry {
  const s = SHAPES[mmu][pageSize];
  const pageShift = Math.log2(pageSize);
  const [pte, pmd, pud, pgd] = s.bits;
  const pgdShift = pageShift + pte + pmd + pud;
  const levels: LevelSpec[] = [
    { name: 'pte', shift: pageShift, entries: 2 ** pte, folding: 'none' },
    { name: 'pmd', shift: pageShift + pte, entries: 2 ** pmd, folding: 'none' },
    { name: 'pud', shift: pageShift + pte + pmd, entries: 2 ** pud, folding: 'none' },
    // pgtable-nop4d.h: p4d is folded into the pgd at build time
    { name: 'p4d', shift: pgdShift, entries: 1, folding: 'compile' },
    { name: 'pgd', shift: pgdShift, entries: 2 ** pgd, folding: 'none' },
  ];
  return { pageShift, levels, taskSize: s.taskSize, firstUserAddress: 0 };
}

/** hugetlb page sizes (hstates) of each configuration */
export function ppcHugePageSizes(mmu: MmuMode): number[] {
  return mmu === 'radix' ? [2 ** 21, 2 ** 30] : [2 ** 24, 2 ** 34];
}

/** THP size: PMD_SIZE; hash supports THP only when PMD_SIZE is 16M (64K pages), else none (0). */
export function ppcThpSize(mmu: MmuMode, pageSize: BasePageSize): number {
  const g = ppcGeometry(mmu, pageSize);
  const pmd = 2 ** g.levels[1].shift;
  if (mmu === 'hash' && pmd !== 2 ** 24) return 0;
  return pmd;
}

/**
 * Page-table fragments per page (PTE_FRAG_NR / PMD_FRAG_NR, book3s64 pgtable-frag.c). Several
 * tables share one page; the page is freed when its last fragment is. Informational: core
 * gives every table its own frame, and fragments change no TLB flush (flushes are per range).
 */
export function ppcFragments(mmu: MmuMode, pageSize: BasePageSize): { pte: number; pmd: number } {
  if (mmu === 'radix') return pageSize === 65536 ? { pte: 256, pmd: 16 } : { pte: 1, pmd: 1 };
  return pageSize === 65536 ? { pte: 16, pmd: 4 } : { pte: 1, pmd: 4 };
}

/** Radix AP (actual page size) encodings used in the RB of a VA-form tlbie/tlbiel. */
export function radixAp(shift: number): number {
  switch (shift) {
    case 12: return 0;
    case 16: return 5;
    case 21: return 1;
    case 30: return 2;
    default: throw new Error(`ppc: no radix AP encoding for a 2^${shift}-byte page`);
  }
}

export function sizeName(shift: number): string {
  if (shift >= 30) return `${2 ** (shift - 30)}G`;
  if (shift >= 20) return `${2 ** (shift - 20)}M`;
  return `${2 ** (shift - 10)}K`;
}
