/**
 * The PMD-sharing registry: which mms' PUD entries point at each PMD table (u = share + 1), which
 * tables became exclusive again, and who unshared each table since its last reuse check.
 */
import type { Mm, PageTable } from '@tlbsim/core';

/** One mm whose PUD entry points at a PMD table, and the VA that entry maps. */
export interface TableUser {
  mm: Mm;
  base: number;
}

/** An unshare of a table: who dropped its PUD entry, where, and the TLB epoch then. */
export interface Unsharer {
  mm: Mm;
  base: number;
  epoch: number;
}

export class ShareRegistry {
  /** the mms whose PUD points at each PMD table (u = share + 1); absent: just its owner */
  private readonly users = new WeakMap<PageTable, TableUser[]>();
  /** tables whose share count went to 0 and that their last owner has not touched since */
  private readonly exclusiveAgain = new WeakSet<PageTable>();
  /** unshares of each table since its last reuse check: who dropped its PUD entry, where, when */
  private readonly unsharers = new WeakMap<PageTable, Unsharer[]>();

  /** The mms whose PUD entries point at PMD table `t` (u users). */
  usersOf(t: PageTable): readonly TableUser[] {
    return this.users.get(t) ?? [{ mm: t.owner, base: t.base }];
  }

  private userList(t: PageTable): TableUser[] {
    let u = this.users.get(t);
    if (!u) {
      u = [{ mm: t.owner, base: t.base }];
      this.users.set(t, u);
    }
    return u;
  }

  /** huge_pmd_share attached `t` to `mm`'s PUD entry for `base`. */
  attach(t: PageTable, mm: Mm, base: number): void {
    this.userList(t).push({ mm, base });
  }

  /** huge_pmd_unshare cleared `mm`'s PUD entry for `base`. */
  detach(t: PageTable, mm: Mm, base: number): void {
    const u = this.userList(t);
    const k = u.findIndex((x) => x.mm === mm && x.base === base);
    if (k >= 0) u.splice(k, 1);
    if (t.owner === mm && u.length > 0) {
      // the table now belongs to a remaining user (its frees and checks are against that mm)
      t.owner = u[0].mm;
      t.base = u[0].base;
    }
  }

  recordUnsharer(t: PageTable, r: Unsharer): void {
    let recs = this.unsharers.get(t);
    if (!recs) this.unsharers.set(t, (recs = []));
    recs.push(r);
  }

  /** The unshares of `t` since its last reuse check (forgotten now). */
  takeUnsharers(t: PageTable): Unsharer[] {
    const recs = this.unsharers.get(t) ?? [];
    this.unsharers.delete(t);
    return recs;
  }

  markExclusiveAgain(t: PageTable): void {
    this.exclusiveAgain.add(t);
  }

  /** `t` was exclusive again and untouched since: true once (the mark is cleared). */
  takeExclusiveAgain(t: PageTable): boolean {
    if (!this.exclusiveAgain.has(t)) return false;
    this.exclusiveAgain.delete(t);
    return true;
  }
}
