/**
 * Sharing invariants of hugetlb SPEC.md §8: share_count >= 0, and u = share_count + 1 equals the number
 * of PUD entries (over all live mms) that point at the PMD table.
 */
import { PTE_LEAF, pteFrame, type Machine, type PageTable } from '@tlbsim/core';

/** Count, for every PMD table reachable from a live mm, how many PUD entries point at it. */
export function pmdTableUsers(m: Machine): Map<PageTable, number> {
  const users = new Map<PageTable, number>();
  const visit = (t: PageTable) => {
    for (let i = 0; i < t.entries.length; i++) {
      const e = t.entries[i];
      if (e === 0 || e & PTE_LEAF) continue;
      const child = m.tables.get(pteFrame(e));
      if (!child) continue;
      if (t.level === 2) users.set(child, (users.get(child) ?? 0) + 1);
      else if (child.level >= 2) visit(child);
    }
  };
  for (const mm of m.mms) if (!mm.dead) visit(mm.pgd);
  return users;
}

/** Violations of the share-count invariants, in words (empty when all hold). */
export function checkShareInvariants(m: Machine): string[] {
  const problems: string[] = [];
  for (const [t, n] of pmdTableUsers(m)) {
    if (t.share < 0) problems.push(`PMD table at 0x${t.base.toString(16)} has share count ${t.share}`);
    if (t.share + 1 !== n) problems.push(`PMD table at 0x${t.base.toString(16)}: share count ${t.share} but ${n} PUD entries point at it`);
  }
  return problems;
}
