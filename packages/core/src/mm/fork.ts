import type { Machine } from '../machine/machine.js';
import type { Mm, Vma } from '../machine/mm.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_LEAF, PTE_WRITE, PTE_YOUNG, pteFrame } from '../machine/pte.js';
import { entrySize, setEntry, walkToTable } from './pgtable.js';
import { walkPmdRange } from './pagewalk.js';
import { copyVma } from './mmap.js';
import { pushPageReduction, type Reduction } from './mprotect.js';

/**
 * fork's dup_mmap: copy the VMAs; copy_page_range only where vma_needs_copy says so (PFNMAP and
 * MIXEDMAP VMAs, and VMAs with an anon_vma: private memory that has anonymous pages); in a COW
 * mapping every writable entry is write-protected in parent and child (copy_present_pte,
 * copy_huge_pmd); then flush_tlb_mm(parent) so no CPU keeps a writable translation (checked as
 * H3). Shared mappings are left for the child to fault in; hugetlb goes to the hugetlb package.
 */
export function fork(m: Machine, parent: Mm, childName: string): Mm {
  const child = m.createMm(childName);
  const ps = m.pageSize;
  const pmdShift = m.geometry.levels[1].shift;
  const tableSpan = entrySize(m, 1);
  const fr = m.frames;
  const reductions: Reduction[] = [];
  for (const v of parent.vmas) {
    child.vmas.push(copyVma(v));
    if (v.flags.hugetlb && m.hugetlb?.copyRange) {
      m.hugetlb.copyRange(m, parent, child, v, child.vmas[child.vmas.length - 1], reductions);
      continue;
    }
    if (v.flags.hugetlb || !vmaNeedsCopy(m, v)) continue;
    const cow = !v.flags.shared; // is_cow_mapping: private and (may)writable
    walkPmdRange(m, parent, v.start, v.end, {
      pmdLeaf(pmd, pi, a) {
        // copy_huge_pmd: share the THP, write-protect it in both
        let pe = pmd.entries[pi];
        const f = pteFrame(pe);
        fr.addRefcount(f, 1);
        fr.addMapcount(f, 1);
        if (cow && pe & PTE_WRITE) {
          const old = pe;
          pe &= ~PTE_WRITE;
          const changed = setEntry(m, pmd.entries, pi, pe);
          m.hooks.pteUpdate(parent, a - (a % tableSpan), old, pe, 1);
          reductions.push({ start: a - (a % tableSpan), end: a - (a % tableSpan) + tableSpan, epoch: changed, shift: pmdShift });
        }
        const cpmd = walkToTable(m, child, a, 1, true)!;
        cpmd.entries[m.index(cpmd, a)] = pe;
        cpmd.present++;
        // the child's deposited PTE table is not modelled: deposits are kept per folio
      },
      pteTable(_pmd, _pi, pt, a, next) {
        copyPteRange(m, parent, child, pt, a, next, cow, reductions);
      },
    });
  }
  m.hooks.flushTlbMm(parent);
  m.checker.permissionReduced(parent, reductions);
  return child;
}

/** vma_needs_copy: PFNMAP/MIXEDMAP, or an anon_vma (private memory with anonymous pages) */
function vmaNeedsCopy(m: Machine, v: Vma): boolean {
  if (v.flags.pfnmap || v.flags.mixedmap) return true;
  if (v.flags.shared) return false;
  return v.flags.anon || v.hasAnonVma === true;
}

/** copy_pte_range, in one lazy-MMU section per PTE table */
function copyPteRange(m: Machine, parent: Mm, child: Mm, pt: PageTable, a: number, end: number, cow: boolean, reductions: Reduction[]): void {
  const ps = m.pageSize;
  const fr = m.frames;
  m.hooks.enterLazyMmu(m.curCpu);
  for (; a < end; a += ps) {
    const i = m.index(pt, a);
    let e = pt.entries[i];
    if (e === 0) continue;
    const f = pteFrame(e);
    if (f !== 0) {
      const head = m.tailHead.size ? m.tailHead.get(f) ?? f : f;
      fr.addRefcount(head, 1);
      fr.addMapcount(head, 1);
    }
    if (cow && e & PTE_WRITE) {
      // copy_present_pte: ptep_set_wrprotect on the parent, the child gets the same
      const old = e;
      e &= ~PTE_WRITE;
      const changed = setEntry(m, pt.entries, i, e);
      m.hooks.pteUpdate(parent, a, old, e, 0);
      pushPageReduction(reductions, a, ps, changed);
    }
    const cpt = walkToTable(m, child, a, 0, true)!;
    // the child's copy starts old (pte_mkold)
    cpt.entries[m.index(cpt, a)] = e & ~(PTE_LEAF | PTE_YOUNG);
    cpt.present++;
  }
  m.hooks.leaveLazyMmu(m.curCpu);
}
