import type { Machine } from '../machine/machine.js';
import type { Mm } from '../machine/mm.js';
import { FOLIO_ANON } from '../machine/frames.js';
import { PTE_LEAF, PTE_WRITE, pteFrame } from '../machine/pte.js';
import { entrySize, walkToTable } from './pgtable.js';
import type { Reduction } from './mprotect.js';

/**
 * fork's dup_mmap: copy the VMAs; for private anonymous memory copy the PTEs write-protected in
 * both parent and child (copy-on-write), then flush_tlb_mm(parent) so no CPU keeps a writable
 * translation (checked as H3). Shared mappings are not copied (the child faults them in);
 * hugetlb mappings are left to the hugetlb package (copy_hugetlb_page_range).
 */
export function fork(m: Machine, parent: Mm, childName: string): Mm {
  const child = m.createMm(childName);
  const ps = 2 ** m.geometry.pageShift;
  const fr = m.frames;
  const reductions: Reduction[] = [];
  for (const v of parent.vmas) {
    child.vmas.push({ ...v, flags: { ...v.flags } });
    if (v.flags.hugetlb && m.hugetlb?.copyRange) {
      m.hugetlb.copyRange(m, parent, child, v, child.vmas[child.vmas.length - 1], reductions);
      continue;
    }
    if (v.flags.shared || v.flags.hugetlb || v.flags.pfnmap) continue;
    // copy_pte_range runs in lazy-MMU mode (hash batches the parent's write-protect updates)
    const tableSpan = entrySize(m, 1);
    m.runtime.enterLazyMmu?.(m.curCpu);
    for (let a = v.start; a < v.end; a += ps) {
      if (a !== v.start && a % tableSpan === 0) {
        // one lazy-MMU section per PTE table, as copy_pte_range has
        m.runtime.leaveLazyMmu?.(m.curCpu);
        m.runtime.enterLazyMmu?.(m.curCpu);
      }
      const pt = walkToTable(m, parent, a, 0, false);
      if (!pt || pt.level !== 0) {
        a = a - (a % tableSpan) + tableSpan - ps;
        continue;
      }
      const i = m.index(pt, a);
      let e = pt.entries[i];
      if (e === 0) continue;
      const f = pteFrame(e);
      if (f !== 0) {
        const head = m.tailHead.get(f) ?? f;
        fr.refcount[head]++;
        fr.mapcount[head]++;
        if (fr.flags[head] & FOLIO_ANON && e & PTE_WRITE) {
          const old = e;
          e &= ~PTE_WRITE;
          pt.entries[i] = e;
          const changed = m.tlb.epoch;
          m.runtime.pteUpdate?.(parent, a, old, e, 0);
          reductions.push({ start: a, end: a + ps, epoch: changed });
        }
      }
      const cpt = walkToTable(m, child, a, 0, true)!;
      cpt.entries[m.index(cpt, a)] = e & ~PTE_LEAF;
      cpt.present++;
    }
    m.runtime.leaveLazyMmu?.(m.curCpu);
  }
  m.runtime.flushTlbMm(parent);
  m.checker.permissionReduced(parent, reductions);
  return child;
}
