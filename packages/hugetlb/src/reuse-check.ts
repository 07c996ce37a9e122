/**
 * The reuse check: the first time the last owner rewrites a PMD table that was shared and became
 * exclusive, nobody may still walk it through a former sharer's PUD entry (the GUP-fast race
 * 1013af4f58 closed).
 */
import { TableState, type PageTable } from '@tlbsim/core';
import type { HugetlbContext } from './context.js';
import type { Unsharer } from './share-registry.js';

/** A table the last owner is about to modify: if it was shared until recently, check for walkers. */
export function noteRewrite(ctx: HugetlbContext, t: PageTable): void {
  if (t.share !== 0 || !ctx.registry.takeExclusiveAgain(t)) return;
  if (t.state === TableState.Freed) return;
  ctx.stats.reuseChecks++;
  ctx.note(`hugetlb_reuse ${t.owner.name} rewrites the formerly shared PMD table at 0x${t.base.toString(16)}`);
  const recs = ctx.registry.takeUnsharers(t);
  for (const r of recs) r.mm.outstanding--;
  if (!ctx.checkReuse) return;
  // (b) a GUP-fast walker of a former sharer still inside the table
  ctx.m.checker.tableFreedOrReused(t, 'reused');
  checkUnsharerWalkCaches(ctx, t, recs);
}

/**
 * (a) for the former sharers: a CPU running one's user code may still hold the walk-cache entry
 * of its cleared PUD entry (pointing into `t`) unless an invalidation that drops walk-cache
 * entries covered that PUD region since the unshare (arm64's leaf-only TLBI does not:
 * c2ff4764e03e). A lazy CPU is not counted: it cannot use user translations before it switches.
 */
function checkUnsharerWalkCaches(ctx: HugetlbContext, t: PageTable, recs: readonly Unsharer[]): void {
  const m = ctx.m;
  if (!m.checker.enabled) return;
  const users = ctx.registry.usersOf(t);
  let found = 0;
  for (const r of recs) {
    if (users.some((u) => u.mm === r.mm && u.base === r.base)) continue; // attached again
    for (const cpu of m.cpus) {
      if (cpu.loadedMm !== r.mm || !cpu.runningUser) continue;
      if (!m.tlb.walkMayBeCached(cpu.id, r.mm, r.base, ctx.pudSize, r.epoch, true)) continue;
      const what = `PMD table unshared by ${r.mm.name} at 0x${r.base.toString(16)} reused by ${t.owner.name} while CPU${cpu.id} (running ${r.mm.name}) may still cache the walk entry pointing into it`;
      const flush = `no walk-cache invalidation of ${r.mm.name} covering 0x${r.base.toString(16)} reached CPU${cpu.id} since the unshare`;
      const cached = { cpu: cpu.id, address: r.base, sinceNs: m.tlb.state(cpu.id, r.mm)?.walkSinceNs ?? 0 };
      // the table is one affected item however many sharers' CPUs may still reach it
      m.checker.report({ hazard: 'H2', cpu: cpu.id, address: r.base, what, flush, cached, affected: 1 }, found++ === 0 ? 1 : 0);
    }
  }
}
