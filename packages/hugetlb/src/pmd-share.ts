// ================================================================ sharing (hugetlb SPEC.md §2)
/** The creation side of PMD-table sharing: a fault attaches another mapping's PMD table. */
import { mkPte, walkToTable, type Mm, type PageTable, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import type { Hstate } from './hstate.js';

/** want_pmd_share */
export function wantPmdShare(ctx: HugetlbContext, vma: Vma, addr: number): boolean {
  if (!ctx.sharing) return false;
  if (!vma.flags.shared) return false;
  if (!ctx.hasVmaLock(vma)) return false;
  const s = addr - (addr % ctx.pudSize);
  return vma.start <= s && s + ctx.pudSize <= vma.end;
}

/** page_table_shareable: the address in `svma` that maps file index `idx`, or -1 */
function pageTableShareable(ctx: HugetlbContext, svma: Vma, vma: Vma, addr: number, idx: number): number {
  const saddr = svma.start + (idx - svma.pgoff) * ctx.ps;
  const sbase = saddr - (saddr % ctx.pudSize);
  const pmdIdx = (a: number) => Math.floor(a / ctx.pmdSize) % ctx.m.geometry.levels[1].entries;
  const a = vma.flags;
  const b = svma.flags;
  // equal flags, except that only one of them may be VM_LOCKED
  const sameFlags = a.read === b.read && a.write === b.write && a.exec === b.exec && a.shared === b.shared &&
    a.anon === b.anon && a.hugetlb === b.hugetlb && a.pfnmap === b.pfnmap && a.mixedmap === b.mixedmap;
  if (pmdIdx(addr) !== pmdIdx(saddr) || !sameFlags || sbase < svma.start || sbase + ctx.pudSize > svma.end || !ctx.hasVmaLock(svma)) return -1;
  return saddr;
}

/** huge_pmd_share: attach another mapping's PMD table to our empty PUD entry, if one qualifies */
function hugePmdShare(ctx: HugetlbContext, mm: Mm, vma: Vma, addr: number, pud: PageTable, pi: number): void {
  const h = ctx.hstateOf(vma);
  const idx = ctx.fileIndex(vma, addr - (addr % ctx.ps));
  let spte: PageTable | null = null;
  // i_mmap_rwsem for read; walk the file's interval tree (every other VMA mapping idx)
  outer: for (const { mm: smm, vma: svma } of ctx.mappingsOf(vma.file!)) {
    if (svma === vma) continue;
    const pages = (svma.end - svma.start) / ctx.ps;
    if (idx < svma.pgoff || idx >= svma.pgoff + pages) continue;
    const saddr = pageTableShareable(ctx, svma, vma, addr, idx);
    if (saddr < 0) continue;
    const slot = ctx.walk(smm, saddr, h);
    if (slot) {
      spte = slot.t;
      break outer;
    }
  }
  if (!spte) return;
  // ptdesc_pmd_pts_inc, then populate our PUD under mm->page_table_lock (never lost here)
  spte.share++;
  pud.entries[pi] = mkPte(spte.frame, 0);
  pud.present++;
  mm.nrPmds++;
  ctx.registry.attach(spte, mm, addr - (addr % ctx.pudSize));
  ctx.stats.tablesShared++;
  ctx.note(`huge_pmd_share ${mm.name} 0x${addr.toString(16)} -> table of ${spte.owner.name} (share ${spte.share})`, { mm: mm.name, share: spte.share });
}

/** huge_pte_alloc: the entry slot for `addr`, allocating tables (sharing a PMD table if allowed) */
export function hugePteAlloc(ctx: HugetlbContext, mm: Mm, vma: Vma, addr: number, h: Hstate, allowShare: boolean): { t: PageTable; i: number } | null {
  const m = ctx.m;
  if (h.level === 1 && h.shareable && allowShare && wantPmdShare(ctx, vma, addr)) {
    const pud = walkToTable(m, mm, addr, 2, true);
    if (pud && pud.level === 2) {
      const pi = m.index(pud, addr);
      if (pud.entries[pi] === 0) hugePmdShare(ctx, mm, vma, addr, pud, pi);
    }
  }
  const t = walkToTable(m, mm, addr, h.level, true);
  if (!t || t.level !== h.level) return null;
  return { t, i: m.index(t, addr) };
}
