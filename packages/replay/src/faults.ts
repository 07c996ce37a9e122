/**
 * The page faults of a kernel recording replayed: each fault as the kernel handled it
 * (handle_mm_fault: the zero page for a read of anonymous memory, copy-on-write and its flush on
 * a write to a read-only page, fault-around for a read of a file), so the pages present at every
 * later call are the recorded ones, without a touch assumption. A fault on an address the model
 * has no mapping for (what execve mapped: the program, the interpreter, the stack) creates one,
 * one page at a time, growing an adjacent one: "implied" (anonymous), or "implied text" (a
 * private file mapping) for an instruction fetch.
 */
import { doFaultAround, mmap, touch, walkToTable, type Machine, type Mm, type SimFile, type Vma } from '@tlbsim/core';
import type { FaultEvent } from './strace-events.js';

const IMPLIED = 'implied';
const IMPLIED_TEXT = 'implied text';

export class FaultReplay {
  private readonly ps: number;
  private text: SimFile | null = null;
  /** faults the model could not take as the kernel did (a write to what it maps read-only) */
  refused = 0;

  constructor(private readonly m: Machine) {
    this.ps = 2 ** m.geometry.pageShift;
  }

  private implied(mm: Mm, addr: number, exec: boolean): Vma | undefined {
    const m = this.m;
    const ps = this.ps;
    const name = exec ? IMPLIED_TEXT : IMPLIED;
    // grow the implied mapping just below or above, when it is one of the same kind
    const below = mm.findVma(addr - ps);
    if (below && below.name === name && below.end === addr) {
      const next = mm.vmas[mm.firstVmaIndexEndingAfter(addr)];
      if (!next || next.start >= addr + ps) {
        below.end = addr + ps;
        return below;
      }
    }
    const above = mm.findVma(addr + ps);
    if (above && above.name === name && above.start === addr + ps && !exec) {
      const prev = mm.vmas[mm.firstVmaIndexEndingAfter(addr) - 1];
      if (!prev || prev.end <= addr) {
        above.start = addr;
        return above;
      }
    }
    if (exec) this.text ??= m.createFile('implied text');
    const r = mmap(m, mm, { addr, length: ps, read: true, write: !exec, exec, ...(exec ? { file: this.text!, pgoff: addr / ps } : {}), name });
    return r.ok ? mm.findVma(addr) : undefined;
  }

  /** handle_mm_fault for the recorded fault at (target) address `addr`, on the current CPU. */
  fault(mm: Mm, addr: number, ev: FaultEvent): void {
    const m = this.m;
    const a = addr - (addr % this.ps);
    const v = mm.findVma(a) ?? this.implied(mm, a, ev.exec);
    if (!v || (ev.write && !v.flags.write)) {
      this.refused++;
      return;
    }
    if (ev.present && ev.write && !this.mapped(mm, a)) {
      // the kernel had the page mapped read-only (fault-around, or before the recording began)
      touch(m, mm, a, { write: false, zeroPage: true });
    }
    const r = touch(m, mm, a, { write: ev.write, zeroPage: true });
    if (!r.ok) {
      this.refused++;
      return;
    }
    if (!ev.write && !ev.present) doFaultAround(m, mm, v, a);
  }

  /** does the PTE of `a` map anything (a huge mapping counts) */
  private mapped(mm: Mm, a: number): boolean {
    const t = walkToTable(this.m, mm, a, 0, false);
    return t === null ? mm.findVma(a)?.flags.hugetlb === true : t.entries[this.m.index(t, a)] !== 0;
  }
}
