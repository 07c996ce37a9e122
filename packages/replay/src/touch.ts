/**
 * The touch assumption: strace shows no page faults, so before a range is unmapped or changed the
 * replay faults in the pages the rule says the program used. What it faults in is bounded (see
 * {@link TOUCH_BOUNDS}): a sanitizer's 16 TiB shadow mapping is normal in a real program and must
 * neither exhaust the simulated memory nor take the replay's time.
 */
import { populateVmaRange, touch, type Machine, type Mm, type Vma } from '@tlbsim/core';
import type { TouchRule } from './options.js';

/** The label of a mapping made accessible with MAP_NORESERVE at mmap: assumed used sparsely, never touched. */
export const NORESERVE_LABEL = 'noreserve';

/** The bounds on what the assumption faults in. */
export const TOUCH_BOUNDS = {
  /** pages of one mapping one call considers (the lowest of its range; a hugetlb page counts as one) */
  perMapping: 1 << 18,
  /** no page is faulted in once the simulated machine has this many frames in use (data, page cache, tables) */
  total: 1 << 21,
} as const;

export class TouchAssumption {
  private readonly ps: number;
  /** pages of the ranges considered that the bounds left as they were */
  capped = 0;

  /** a kernel recording with page faults needs no assumption: the model switches it to 'none' */
  constructor(private readonly m: Machine, public rule: TouchRule) {
    this.ps = 2 ** m.geometry.pageShift;
  }

  private eligible(v: Vma): boolean {
    if (this.rule === 'none' || v.flags.pfnmap || v.name === NORESERVE_LABEL) return false;
    if (v.flags.hugetlb && !this.m.hugetlb) return false;
    const f = v.flags;
    if (this.rule === 'written') return f.write && (f.anon || !f.shared);
    return (f.anon && (f.read || f.write || f.exec)) || (!f.shared && f.write);
  }

  private full(): boolean {
    return this.m.frames.allocated >= TOUCH_BOUNDS.total;
  }

  /**
   * Fault in the pages of v within [s, e) that are not mapped yet (a page already mapped, even
   * write-protected after fork, counts as touched: no copy-on-write is forced). Only the lowest
   * {@link TOUCH_BOUNDS.perMapping} pages of the range are considered, and none once the machine
   * is full; the pages left out are counted in `capped`.
   */
  private touchVma(mm: Mm, v: Vma, s: number, e: number, write: boolean): void {
    const m = this.m;
    const step = v.flags.hugetlb ? 2 ** v.hugeShift : this.ps;
    const a0 = Math.max(s, v.start);
    const first = a0 - (a0 % step);
    const pages = Math.ceil((Math.min(e, v.end) - first) / step);
    const n = Math.min(pages, TOUCH_BOUNDS.perMapping);
    this.capped += pages - n;
    const a1 = first + n * step;
    let a = first;
    if (v.flags.hugetlb) {
      for (; a < a1 && !this.full(); a += step) touch(m, mm, a, { write: false });
      this.capped += (a1 - a) / step;
      return;
    }
    const stop = populateVmaRange(m, mm, v, a, a1, write, TOUCH_BOUNDS.total);
    this.capped += (a1 - stop) / step;
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

  /**
   * MAP_POPULATE / MAP_LOCKED: the kernel populates at mmap (write-faults private writable
   * memory), MAP_NORESERVE or not; bounded as the touches are.
   */
  populate(mm: Mm, s: number, e: number): void {
    const v = mm.findVma(s);
    if (!v || v.flags.pfnmap || (v.flags.hugetlb && !this.m.hugetlb)) return;
    this.touchVma(mm, v, s, e, v.flags.write && !v.flags.shared);
  }
}
