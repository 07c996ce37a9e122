/**
 * The touch assumption: strace shows no page faults, so before a range is unmapped or changed the
 * replay faults in the pages the rule says the program used.
 */
import { entrySize, touch, walkToTable, type Machine, type Mm, type Vma } from '@tlbsim/core';
import type { TouchRule } from './options.js';

export class TouchAssumption {
  private readonly ps: number;

  constructor(private readonly m: Machine, readonly rule: TouchRule) {
    this.ps = 2 ** m.geometry.pageShift;
  }

  private eligible(v: Vma): boolean {
    if (this.rule === 'none' || v.flags.pfnmap) return false;
    if (v.flags.hugetlb && !this.m.hugetlb) return false;
    const f = v.flags;
    if (this.rule === 'written') return f.write && (f.anon || !f.shared);
    return (f.anon && (f.read || f.write || f.exec)) || (!f.shared && f.write);
  }

  /**
   * Fault in the pages of v within [s, e) that are not mapped yet (a page already mapped, even
   * write-protected after fork, counts as touched: no copy-on-write is forced).
   */
  private touchVma(mm: Mm, v: Vma, s: number, e: number, write: boolean): void {
    const m = this.m;
    const a0 = Math.max(s, v.start);
    const a1 = Math.min(e, v.end);
    if (v.flags.hugetlb) {
      const step = 2 ** v.hugeShift;
      for (let a = a0 - (a0 % step); a < a1; a += step) touch(m, mm, a, { write: false });
      return;
    }
    const ps = this.ps;
    const span = entrySize(m, 1);
    let a = a0 - (a0 % ps);
    while (a < a1) {
      const chunkEnd = Math.min(a1, a - (a % span) + span);
      let pt = walkToTable(m, mm, a, 0, false);
      for (; a < chunkEnd; a += ps) {
        if (pt && pt.entries[m.index(pt, a)] !== 0) continue;
        touch(m, mm, a, { write });
        if (!pt) pt = walkToTable(m, mm, a, 0, false);
      }
    }
  }

  /** Touch the eligible pages of [s, e) (before they are unmapped or changed). */
  range(mm: Mm, s: number, e: number): void {
    if (this.rule === 'none') return;
    const vmas = mm.vmas;
    const list: Vma[] = [];
    for (let i = mm.firstVmaIndexEndingAfter(s); i < vmas.length && vmas[i].start < e; i++) if (this.eligible(vmas[i])) list.push(vmas[i]);
    for (const v of list) this.touchVma(mm, v, s, e, v.flags.write);
  }

  /** Touch the eligible pages of the whole mm (before fork, exit, execve). */
  all(mm: Mm): void {
    if (this.rule === 'none') return;
    for (const v of [...mm.vmas]) if (this.eligible(v)) this.touchVma(mm, v, v.start, v.end, v.flags.write);
  }

  /** MAP_POPULATE / MAP_LOCKED: the kernel populates at mmap (write-faults private writable memory). */
  populate(mm: Mm, s: number, e: number): void {
    const v = mm.findVma(s);
    if (!v || v.flags.pfnmap || (v.flags.hugetlb && !this.m.hugetlb)) return;
    this.touchVma(mm, v, s, e, v.flags.write && !v.flags.shared);
  }
}
