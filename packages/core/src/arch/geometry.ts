/**
 * Page-table geometry of an architecture configuration.
 * Levels are listed leaf first: pte, pmd, pud, p4d, pgd (the kernel's five logical levels).
 */
export type LevelName = 'pte' | 'pmd' | 'pud' | 'p4d' | 'pgd';
export const LEVEL_NAMES: readonly LevelName[] = ['pte', 'pmd', 'pud', 'p4d', 'pgd'];

/**
 * How a level that does not exist in hardware is folded.
 * - `none`: a real table level.
 * - `runtime`: folded at run time (x86-64 with 4-level paging and 5-level compiled in):
 *   `p4d_free_tlb` still adjusts the gather's range and sets `freed_tables`, but frees nothing.
 * - `compile`: folded at build time (asm-generic/pgtable-nop?d.h): `p?d_free_tlb` is empty.
 */
export type Folding = 'none' | 'runtime' | 'compile';

export interface LevelSpec {
  name: LevelName;
  /** log2 of the VA span one entry of this level maps (PAGE_SHIFT for pte, PMD_SHIFT for pmd...). */
  shift: number;
  /** entries per table of this level (PTRS_PER_*, a power of two, as the index bits make it); 1 when folded. */
  entries: number;
  folding: Folding;
}

export interface Geometry {
  pageShift: number;
  /** Leaf first: [pte, pmd, pud, p4d, pgd]. Always five entries. */
  levels: readonly LevelSpec[];
  /** TASK_SIZE: the top of the user address space (exclusive). */
  taskSize: number;
  /** FIRST_USER_ADDRESS */
  firstUserAddress: number;
}

/** Build a geometry from the page shift, bits per level and the number of real levels (2..5). */
export function makeGeometry(opts: {
  pageShift: number;
  bitsPerLevel: number;
  realLevels: number;
  taskSize: number;
  /** bits of the top level when it is smaller than a full table (arm64 16K with 48-bit VA). */
  topBits?: number;
  /** how the absent levels are folded (x86-64 4-level: runtime) */
  folding?: Exclude<Folding, 'none'>;
}): Geometry {
  const { pageShift, bitsPerLevel, realLevels } = opts;
  const fold = opts.folding ?? 'compile';
  const levels: LevelSpec[] = [];
  // real levels from the bottom: pte, pmd, then (if present) pud, p4d; pgd is always real
  const realNames: LevelName[] = ['pte', 'pmd', 'pud', 'p4d'].slice(0, realLevels - 1) as LevelName[];
  realNames.push('pgd');
  let shift = pageShift;
  for (const name of LEVEL_NAMES) {
    if (realNames.includes(name)) {
      const isTop = name === 'pgd';
      const bits = isTop && opts.topBits !== undefined ? opts.topBits : bitsPerLevel;
      levels.push({ name, shift, entries: 1 << bits, folding: 'none' });
      shift += bitsPerLevel;
    } else {
      // a folded level maps the same span as the level above it
      levels.push({ name, shift, entries: 1, folding: fold });
    }
  }
  // folded levels sit below the pgd: give them the shift of the next real level up
  for (let i = 0; i < levels.length; i++) {
    if (levels[i].folding !== 'none') {
      let j = i + 1;
      while (levels[j].folding !== 'none') j++;
      levels[i] = { ...levels[i], shift: levels[j].shift };
    }
  }
  return { pageShift, levels, taskSize: opts.taskSize, firstUserAddress: 0 };
}

/** x86-64, 4 KiB pages, 4-level paging (P4D folded at run time), TASK_SIZE 0x7ffffffff000. */
export const X86_64_4LEVEL: Geometry = makeGeometry({
  pageShift: 12, bitsPerLevel: 9, realLevels: 4, taskSize: 0x7ffffffff000, folding: 'runtime',
});

export function levelIndex(name: LevelName): number {
  return LEVEL_NAMES.indexOf(name);
}
/** Size in bytes of what one entry at `level` maps. */
export function levelSize(g: Geometry, level: number): number {
  return 2 ** g.levels[level].shift;
}
/** The VA span covered by one table of `level` (the size mapped by one entry of the level above). */
export function tableSpan(g: Geometry, level: number): number {
  const above = g.levels[level + 1];
  return above ? 2 ** above.shift : 2 ** (g.levels[level].shift) * g.levels[level].entries;
}
export function pageSize(g: Geometry): number {
  return 2 ** g.pageShift;
}
/** Index of the entry for `addr` in a table of `level`. */
export function entryIndex(g: Geometry, level: number, addr: number): number {
  const l = g.levels[level];
  return Math.floor(addr / 2 ** l.shift) % l.entries;
}
export function alignDown(addr: number, size: number): number {
  return addr - (addr % size);
}
export function alignUp(addr: number, size: number): number {
  const r = addr % size;
  return r === 0 ? addr : addr + size - r;
}
