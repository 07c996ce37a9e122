import type { Machine } from '../machine/machine.js';
import type { Vma } from '../machine/mm.js';
import type { MmuGather } from '../gather/mmu-gather.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF } from '../machine/pte.js';
import { childTable, clearTableEntry } from '../machine/pgtable-pages.js';
import { entrySize } from './pgtable.js';

/** 2^64: "0 means the top of the address space" for floor/ceiling arithmetic on unsigned longs */
const TOP = 2 ** 64;
const lim = (x: number) => (x === 0 ? TOP : x);

/**
 * free_pgtables (mm/memory.c, core SPEC.md §9.5): free the page tables under the VMAs being
 * removed, coalescing VMAs closer than PMD_SIZE, within [floor, ceiling).
 */
export function freePgtables(m: Machine, g: MmuGather, vmas: readonly Vma[], floor: number, ceiling: number): void {
  g.freeVmas();
  // the VMAs are unlinked from the rmap here (unlink_anon_vmas, unlink_file_vma)
  if (m.explore) m.explore.at('free_pgtables:after-unlink', { mm: g.mm, vmas });
  const pmdSize = entrySize(m, 1);
  let i = 0;
  while (i < vmas.length) {
    const first = vmas[i];
    let last = first;
    i++;
    while (i < vmas.length && vmas[i].start <= last.end + pmdSize) {
      last = vmas[i];
      i++;
    }
    const next = vmas[i];
    freePgdRange(m, g, first.start, last.end, floor, next ? next.start : ceiling);
  }
}

/** free_pgd_range: trim [addr, end) to whole PMD units inside floor/ceiling, then walk */
export function freePgdRange(m: Machine, g: MmuGather, addr: number, end: number, floor: number, ceiling: number): void {
  const pmdSize = entrySize(m, 1);
  addr -= addr % pmdSize;
  if (addr < floor) {
    addr += pmdSize;
    if (addr === 0) return;
  }
  if (ceiling !== 0) {
    ceiling -= ceiling % pmdSize;
    if (ceiling === 0) return;
  }
  if (lim(end) - 1 > lim(ceiling) - 1) end -= pmdSize;
  if (addr > lim(end) - 1) return;
  g.changePageSize(m.pageSize);
  // walk the pgd entries covering [addr, end)
  const pgd = g.mm.pgd;
  const size = entrySize(m, 4);
  const e = lim(end);
  while (addr < e) {
    const next = Math.min(addr - (addr % size) + size, e);
    const idx = m.index(pgd, addr);
    if (pgd.entries[idx] !== 0) freeLevel(m, g, 3, pgd, idx, addr, next, floor, ceiling);
    addr = next;
  }
}

/**
 * free_p?d_range for logical level `level` (3 = p4d ... 1 = pmd), whose table is pointed to by
 * `parent.entries[pi]` (for a folded level, that slot points straight at the level below).
 */
function freeLevel(m: Machine, g: MmuGather, level: number, parent: PageTable, pi: number, addr: number, end: number, floor: number, ceiling: number): void {
  const geo = m.geometry;
  const folded = geo.levels[level].folding !== 'none';
  const start = addr;
  let table: PageTable | null = null;
  if (folded) {
    freeLevel(m, g, level - 1, parent, pi, addr, end, floor, ceiling);
  } else {
    table = childTable(m, parent, pi, parent.entries[pi]);
    // the entries of [addr, end) by index: none entries (most, in a sparse tree) cost a read each
    const size = entrySize(m, level);
    const ents = table.entries;
    const i0 = m.index(table, addr);
    const first = Math.floor(addr / size) * size;
    const iEnd = Math.min(ents.length, i0 + Math.ceil((end - first) / size));
    for (let idx = i0; idx < iEnd; idx++) {
      const e = ents[idx];
      if (e === 0 || e & PTE_LEAF) continue;
      const a = idx === i0 ? addr : first + (idx - i0) * size;
      if (level === 1) freePteTable(m, g, table, idx, a);
      else freeLevel(m, g, level - 1, table, idx, a, Math.min(first + (idx - i0 + 1) * size, end), floor, ceiling);
    }
  }
  // then the level-`level` table itself, if the whole of what it maps is inside floor/ceiling
  const span = m.tableSpans[level];
  const s = start - (start % span);
  if (s < floor) return;
  let c = ceiling;
  if (c !== 0) {
    c -= c % span;
    if (c === 0) return;
  }
  if (lim(end) - 1 > lim(c) - 1) return;
  if (table) {
    // the kernel frees it regardless: floor/ceiling guarantee nothing else maps there
    m.checker.warnIf(table.present !== 0, m.curCpu, s, () => `free_pgtables frees a ${geo.levels[level].name} table at 0x${s.toString(16)} that still maps ${table.present} entries`);
    clearTableEntry(parent, pi);
    parent.present--;
    m.hooks.setTableEntry(g.mm, level + 1, false); // pud_clear / p4d_clear / pgd_clear
    m.unlinkTable(table);
    if (level === 1) g.mm.nrPmds--;
    else if (level === 2) g.mm.nrPuds--;
  }
  g.freeTableTlb(level, table, s);
}

/** free_pte_range: clear the PMD entry and queue the PTE table */
function freePteTable(m: Machine, g: MmuGather, pmd: PageTable, idx: number, addr: number): void {
  const pt = childTable(m, pmd, idx, pmd.entries[idx]);
  clearTableEntry(pmd, idx);
  pmd.present--;
  m.hooks.setTableEntry(g.mm, 1, false); // pmd_clear
  m.unlinkTable(pt);
  g.mm.nrPtes--;
  const pmdSize = entrySize(m, 1);
  g.freeTableTlb(0, pt, addr - (addr % pmdSize));
}
