import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import { tlbGatherMmu } from '../gather/mmu-gather.js';
import { alignUp } from '../arch/geometry.js';
import { fail, OK, type OpResult } from './errors.js';
import { splitVmaAt } from './mmap.js';
import { freePgtables } from './free-pgtables.js';
import { unmapVmas } from './zap.js';

/** USER_PGTABLES_CEILING: 0 means the top of the address space */
export const USER_PGTABLES_CEILING = 0;

/**
 * Detach the VMAs covering [start, end) (splitting partial ones), returning them with the
 * neighbours that bound free_pgtables.
 */
export function detachVmas(m: Machine, mm: Mm, start: number, end: number): { detached: Vma[]; prev?: Vma; next?: Vma } {
  splitVmaAt(m, mm, start);
  splitVmaAt(m, mm, end);
  const i = mm.firstVmaIndexEndingAfter(start);
  let j = i;
  while (j < mm.vmas.length && mm.vmas[j].start < end) j++;
  const detached = mm.vmas.splice(i, j - i);
  return { detached, prev: mm.vmas[i - 1], next: mm.vmas[i] };
}

/** vms_clear_ptes: one gather, unmap_vmas, free_pgtables(floor, ceiling), tlb_finish_mmu */
export function clearPtes(m: Machine, mm: Mm, detached: Vma[], start: number, end: number, prev?: Vma, next?: Vma): void {
  const g = tlbGatherMmu(m, mm);
  unmapVmas(m, g, detached, start, end);
  freePgtables(m, g, detached, prev ? prev.end : m.geometry.firstUserAddress, next ? next.start : USER_PGTABLES_CEILING);
  g.finish();
}

/** munmap(2) (do_vmi_munmap) */
export function munmap(m: Machine, mm: Mm, start: number, length: number): OpResult {
  const ps = m.pageSize;
  if (start % ps !== 0) return fail('EINVAL', `munmap address 0x${start.toString(16)} is not page-aligned`);
  if (!(length > 0)) return fail('EINVAL', 'munmap length must be greater than 0');
  const end = start + alignUp(length, ps);
  if (end > m.geometry.taskSize) return fail('EINVAL', 'munmap range ends above TASK_SIZE');
  // hugetlb VMAs may only be split at huge-page boundaries
  for (let i = mm.firstVmaIndexEndingAfter(start); i < mm.vmas.length && mm.vmas[i].start < end; i++) {
    const v = mm.vmas[i];
    if (!v.flags.hugetlb) continue;
    const hs = 2 ** v.hugeShift;
    if ((start > v.start && start % hs) || (end < v.end && end % hs)) return fail('EINVAL', 'munmap splits a hugetlb VMA off a huge-page boundary');
  }
  const { detached, prev, next } = detachVmas(m, mm, start, end);
  if (detached.length === 0) return OK;
  clearPtes(m, mm, detached, start, end, prev, next);
  return OK;
}
