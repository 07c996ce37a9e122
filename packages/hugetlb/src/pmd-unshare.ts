// ================================================================ unsharing (hugetlb SPEC.md §3)
/** huge_pmd_unshare: detaching a shared PMD table from one mm; the policy decides the rest. */
import { clearTableEntry, pteFrame, type Mm, type PageTable, type Vma } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import type { Hstate } from './hstate.js';
import { noteRewrite } from './reuse-check.js';
import type { Unshares } from './unshare-policy.js';

/**
 * huge_pmd_unshare: if the PMD table mapping `addr` is shared, detach it from `mm` (clear our PUD
 * entry) and return true. How the share count drops is the policy's (`u.dropShare`: V1 broadcasts
 * the GUP-fast sync, V2 records it in the gather, tlb_unshare_pmd_ptdesc). The caller skips the
 * rest of the PUD region on success.
 */
export function hugePmdUnshare(ctx: HugetlbContext, u: Unshares, mm: Mm, vma: Vma, addr: number, t: PageTable): boolean {
  const h = ctx.hstateOf(vma);
  if (!ctx.sharing || h.size !== ctx.pmdSize || h.level !== 1) return false;
  if (t.share === 0) return false;
  ctx.assertImmap(vma, 'huge_pmd_unshare', addr);
  const slot = ctx.pudSlot(mm, addr)!;
  const pudBase = addr - (addr % ctx.pudSize);
  if (ctx.unmapLog) logTable(ctx, mm, t, pudBase);
  // pud_clear
  clearTableEntry(slot.pud, slot.pi);
  slot.pud.present--;
  ctx.registry.recordUnsharer(t, { mm, base: pudBase, epoch: ctx.m.tlb.epoch });
  // keep the TLB model's range records for this mm until the table's reuse is checked
  mm.outstanding++;
  ctx.registry.detach(t, mm, pudBase);
  u.dropShare(t, addr);
  mm.nrPmds--; // mm_dec_nr_pmds
  ctx.stats.tablesUnshared++;
  const full = t.share === 0;
  if (full) {
    ctx.stats.tablesFullyUnshared++;
    ctx.registry.markExclusiveAgain(t);
  }
  ctx.note(`huge_pmd_unshare ${mm.name} 0x${pudBase.toString(16)} share->${t.share}${full ? ' (exclusive now)' : ''}`, { mm: mm.name, share: t.share });
  // an interleaving point of schedule exploration (core SPEC.md §13), i_mmap_rwsem still held
  if (ctx.m.explore) ctx.m.explore.at('huge_pmd_unshare', { mm, addr });
  return true;
}

/** Try to unshare the PMD table holding `slot` (level-1 hstates); note a rewrite if it stays. */
export function tryUnshare(ctx: HugetlbContext, u: Unshares, mm: Mm, vma: Vma, addr: number, h: Hstate, t: PageTable): boolean {
  if (h.level !== 1) return false;
  if (hugePmdUnshare(ctx, u, mm, vma, addr, t)) return true;
  noteRewrite(ctx, t);
  return false;
}

/** For the punch-hole H1 check: every leaf of `t` as `mm` maps it from `base`. */
function logTable(ctx: HugetlbContext, mm: Mm, t: PageTable, base: number): void {
  const epoch = ctx.m.tlb.epoch;
  for (let i = 0; i < t.entries.length; i++) {
    const e = t.entries[i];
    if (e !== 0) ctx.unmapLog!.push({ mm, addr: base + i * ctx.pmdSize, frame: pteFrame(e), epoch });
  }
}
