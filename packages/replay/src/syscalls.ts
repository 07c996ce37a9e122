/**
 * Each memory system call of the trace as the mm operations that replay it: the traced addresses
 * mapped onto the machine's, what the kernel had mapped at execve implied, what MAP_FIXED
 * replaced unmapped first, and the pages the touch rule assumes used faulted in before a change.
 */
import { madvise, mmap, movePageTables, mprotect, mremap, munmap, type Machine, type Mm, type OpResult, type SimFile } from '@tlbsim/core';
import type { AddressMap, SimRange } from './address-map.js';
import type { SimThread, MachineThreads } from './machine-threads.js';
import { BLOCKED } from './ordering.js';
import type { CallEvent } from './strace-events.js';
import { madviseIgnoredReason, type Decoded, type MemoryCall } from './syscall-args.js';
import type { Tally } from './tally.js';
import { NORESERVE_LABEL, type TouchAssumption } from './touch.js';

/** The event must wait: the kernel chose [start, end) for rec while another thread released it. */
export type WaitForRelease = (rec: SimThread, start: number, end: number) => boolean;

export class SyscallReplay {
  private readonly m: Machine;
  private readonly ps: number;
  private readonly files = new Map<number, SimFile>();

  constructor(
    private readonly threads: MachineThreads,
    private readonly touch: TouchAssumption,
    private readonly tally: Tally,
    private readonly waitForRelease: WaitForRelease,
  ) {
    this.m = threads.m;
    this.ps = 2 ** this.m.geometry.pageShift;
  }

  /** A memory call that succeeded in the trace; {@link BLOCKED} when it must wait (`mayBlock`). */
  apply(ev: CallEvent, rec: SimThread, d: MemoryCall, mayBlock: boolean): number {
    const ret = ev.result.value!;
    switch (d.op) {
      case 'brk':
        return this.brk(ev, rec, d, ret);
      case 'mmap':
        return this.mmapCall(ev, rec, d, ret, mayBlock);
      case 'munmap':
        return this.munmapCall(ev, rec, d);
      case 'mprotect':
        return this.mprotectCall(ev, rec, d);
      case 'madvise':
        return this.madviseCall(ev, rec, d);
      case 'mremap':
        return this.mremapCall(ev, rec, d, ret, mayBlock);
    }
  }

  // ---------------------------------------------------------------- model helpers
  private hasVma(mm: Mm, s: number, e: number): boolean {
    const v = mm.vmas[mm.firstVmaIndexEndingAfter(s)];
    return v !== undefined && v.start < e;
  }

  /** The kernel succeeded on [s, e), so it was mapped: map what the model lacks (made by execve). */
  private fillHoles(mm: Mm, s: number, e: number): void {
    const holes: SimRange[] = [];
    let at = s;
    for (let i = mm.firstVmaIndexEndingAfter(s); i < mm.vmas.length && mm.vmas[i].start < e; i++) {
      const v = mm.vmas[i];
      if (v.start > at) holes.push({ start: at, end: v.start });
      at = Math.max(at, v.end);
    }
    if (at < e) holes.push({ start: at, end: e });
    for (const h of holes) {
      const r = mmap(this.m, mm, { addr: h.start, length: h.end - h.start, read: true, write: true, exec: false, name: 'implied' });
      if (r.ok) this.tally.implied++;
    }
  }

  /** MAP_FIXED: unmap what is in the way, as the kernel does (touching first). */
  private clearRange(mm: Mm, s: number, e: number): void {
    if (!this.hasVma(mm, s, e)) return;
    this.touch.range(mm, s, e);
    munmap(this.m, mm, s, e - s);
  }

  private fileFor(fd: number): SimFile {
    let f = this.files.get(fd);
    if (!f) {
      f = this.m.createFile(`fd ${fd}`);
      this.files.set(fd, f);
    }
    return f;
  }

  /** the trace's addresses in the address space of rec's process */
  private mapOf(rec: SimThread): AddressMap {
    return this.threads.maps.of(rec.proc.mm);
  }

  private modelHas(rec: SimThread, start: number, len: number): boolean {
    const mm = rec.proc.mm;
    for (const p of this.mapOf(rec).pieces(start, len)) if (this.hasVma(mm, p.start, p.end)) return true;
    return false;
  }

  /** A kernel-chosen range the model still maps, released by another thread's unfinished call? */
  private mustWait(rec: SimThread, start: number, len: number): boolean {
    if (!this.modelHas(rec, start, len)) return false;
    return this.waitForRelease(rec, start, start + len);
  }

  private pageUp(a: number): number {
    const p = this.threads.maps.tracePage;
    return a % p ? a + p - (a % p) : a;
  }

  // ---------------------------------------------------------------- the memory calls
  private mmapCall(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'mmap' }, addr: number, mayBlock: boolean): number {
    if (d.hugetlb && !this.m.hugetlb) {
      // core creates the VMA but cannot fault or zap it without an implementation
      this.tally.skip(ev.file, ev.line, 'not replayed: MAP_HUGETLB needs a hugetlb implementation on the machine (@tlbsim/hugetlb, installed by setup)');
      return 0;
    }
    const kernelChose = !d.fixed || d.noReplace;
    if (kernelChose && mayBlock && this.mustWait(rec, addr, d.length)) return BLOCKED;
    const sim = this.mapOf(rec).claim(addr, d.length);
    if (!sim) {
      this.tally.refuse(ev, 'mmap', { ok: false, message: 'the target address space cannot hold this range next to the others' });
      return 0;
    }
    const m = this.m;
    const tp = this.threads.maps.tracePage;
    // accessible at mmap without reserving memory (a sanitizer's shadow, a sparse table): used
    // sparsely, never assumed touched; a PROT_NONE reservation mprotect opens later is ordinary
    const sparse = d.noreserve && (d.prot.read || d.prot.write || d.prot.exec);
    this.threads.onThread(rec, 'mmap', (mm) => {
      if (this.hasVma(mm, sim.start, sim.end)) {
        if (kernelChose) this.tally.divergences++;
        this.clearRange(mm, sim.start, sim.end);
      }
      const r = mmap(m, mm, {
        addr: sim.start, length: sim.end - sim.start, read: d.prot.read, write: d.prot.write, exec: d.prot.exec,
        shared: d.shared, file: d.anonymous ? undefined : this.fileFor(d.fd), pgoff: Math.floor(d.offset / tp),
        hugetlb: d.hugetlb, hugeSize: d.hugeSize, locked: d.locked, name: sparse ? NORESERVE_LABEL : undefined,
      });
      if (!r.ok) this.tally.refuse(ev, 'mmap', r);
      else if (d.populate) this.touch.populate(mm, sim.start, sim.end);
    });
    return 0;
  }

  private munmapCall(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'munmap' }): number {
    const m = this.m;
    for (const p of this.mapOf(rec).pieces(d.addr, d.length)) {
      this.threads.onThread(rec, 'munmap', (mm) => {
        this.touch.range(mm, p.start, p.end);
        const r = munmap(m, mm, p.start, p.end - p.start);
        if (!r.ok) this.tally.refuse(ev, 'munmap', r);
      });
    }
    return 0;
  }

  private mprotectCall(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'mprotect' }): number {
    if (d.length === 0) return 0;
    const sim = this.mapOf(rec).claim(d.addr, d.length);
    if (!sim) {
      this.tally.refuse(ev, 'mprotect', { ok: false, message: 'the target address space cannot hold this range' });
      return 0;
    }
    const m = this.m;
    this.threads.onThread(rec, 'mprotect', (mm) => {
      this.fillHoles(mm, sim.start, sim.end);
      this.touch.range(mm, sim.start, sim.end);
      const r = mprotect(m, mm, sim.start, sim.end - sim.start, d.prot);
      if (!r.ok) this.tally.refuse(ev, 'mprotect', r);
    });
    return 0;
  }

  private madviseCall(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'madvise' }): number {
    if (d.advice === null) {
      this.tally.skip(ev.file, ev.line, `ignored: ${madviseIgnoredReason(d.adviceName)}`);
      return 0;
    }
    if (d.length === 0) return 0;
    const sim = this.mapOf(rec).claim(d.addr, d.length);
    if (!sim) {
      this.tally.refuse(ev, 'madvise', { ok: false, message: 'the target address space cannot hold this range' });
      return 0;
    }
    const m = this.m;
    const advice = d.advice;
    this.threads.onThread(rec, 'madvise', (mm) => {
      this.fillHoles(mm, sim.start, sim.end);
      this.touch.range(mm, sim.start, sim.end);
      const r = madvise(m, mm, sim.start, sim.end - sim.start, advice);
      if (!r.ok) this.tally.refuse(ev, 'madvise', r);
    });
    return 0;
  }

  private mremapCall(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'mremap' }, addr: number, mayBlock: boolean): number {
    if (d.oldLength === 0) {
      this.tally.skip(ev.file, ev.line, 'ignored: mremap with old_size 0 (a second mapping of shared memory) is not modelled');
      return 0;
    }
    const m = this.m;
    const amap = this.mapOf(rec);
    const old = amap.claim(d.addr, d.oldLength);
    if (!old) {
      this.tally.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot hold the old range' });
      return 0;
    }
    if (addr === d.addr) {
      const neu = amap.claim(d.addr, d.newLength);
      if (!neu || neu.start !== old.start) {
        this.tally.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot grow this range in place' });
        return 0;
      }
      this.threads.onThread(rec, 'mremap', (mm) => {
        this.fillHoles(mm, old.start, old.end);
        // in place, only a shrink changes pages (the tail is unmapped)
        if (neu.end < old.end) this.touch.range(mm, neu.end, old.end);
        if (neu.end > old.end && this.hasVma(mm, old.end, neu.end)) {
          this.tally.divergences++;
          this.clearRange(mm, old.end, neu.end);
        }
        const r = mremap(m, mm, old.start, old.end - old.start, neu.end - neu.start, false);
        if (!r.ok) this.tally.refuse(ev, 'mremap', r);
      });
      return 0;
    }
    const kernelChose = !d.fixed;
    if (kernelChose && mayBlock && this.mustWait(rec, addr, d.newLength)) return BLOCKED;
    const neu = amap.claim(addr, d.newLength);
    if (!neu) {
      this.tally.refuse(ev, 'mremap', { ok: false, message: 'the target address space cannot hold the new range' });
      return 0;
    }
    this.threads.onThread(rec, 'mremap', (mm) => {
      this.fillHoles(mm, old.start, old.end);
      this.touch.range(mm, old.start, old.end);
      if (this.hasVma(mm, neu.start, neu.end)) {
        if (kernelChose) this.tally.divergences++;
        this.clearRange(mm, neu.start, neu.end);
      }
      const r = this.moveTo(mm, old.start, old.end - old.start, neu.start, neu.end - neu.start, d.dontUnmap);
      if (!r.ok) this.tally.refuse(ev, 'mremap', r);
    });
    return 0;
  }

  /**
   * mremap to a given address (the traced result): map the new range, move the page tables, unmap
   * the old range. Mirrors core's mremap (mm/mremap.ts), which picks the new address itself.
   */
  private moveTo(mm: Mm, old: number, oldLen: number, neu: number, newLen: number, dontUnmap: boolean): OpResult {
    const m = this.m;
    const v = mm.findVma(old);
    if (!v || old + oldLen > v.end) return { ok: false, errno: 'EFAULT', message: 'mremap old range is not one mapped VMA' };
    if (v.flags.hugetlb || v.flags.pfnmap) return { ok: false, errno: 'EINVAL', message: 'moving hugetlb/PFNMAP VMAs to a traced address is not modelled' };
    if (newLen < oldLen) {
      munmap(m, mm, old + newLen, oldLen - newLen);
      oldLen = newLen;
    }
    const ps = this.ps;
    const r = mmap(m, mm, {
      addr: neu, length: newLen, read: v.flags.read, write: v.flags.write, exec: v.flags.exec, shared: v.flags.shared,
      file: v.file ?? undefined, pgoff: v.pgoff + (old - v.start) / ps, name: v.name, locked: v.flags.locked,
    });
    if (!r.ok) return r;
    const nv = mm.findVma(neu);
    if (nv) nv.anonRoot = v.anonRoot; // the moved pages keep their anon_vma
    movePageTables(m, mm, v.flags.exec, old, neu, oldLen);
    if (!dontUnmap) munmap(m, mm, old, oldLen);
    return { ok: true };
  }

  /** brk: the heap grows (mapped anonymous read-write) or shrinks (unmapped) by whole pages. */
  private brk(ev: CallEvent, rec: SimThread, d: Decoded & { op: 'brk' }, ret: number): number {
    const proc = rec.proc;
    if (d.addr === 0) {
      proc.brk = ret;
      return 0;
    }
    if (ret !== d.addr) {
      // brk returns the unchanged break when it fails
      this.tally.failures++;
      proc.brk = ret;
      return 0;
    }
    if (proc.brk === null) {
      this.tally.skip(ev.file, ev.line, 'not replayed: brk without a brk(NULL) before it (the start of the heap is unknown)');
      proc.brk = ret;
      return 0;
    }
    const oldBrk = proc.brk;
    proc.brk = ret;
    const m = this.m;
    const oldEnd = this.pageUp(oldBrk);
    const newEnd = this.pageUp(ret);
    if (newEnd > oldEnd) {
      const sim = this.mapOf(rec).claim(oldEnd, newEnd - oldEnd);
      if (!sim) {
        this.tally.refuse(ev, 'brk', { ok: false, message: 'the target address space cannot hold the heap' });
        return 0;
      }
      this.threads.onThread(rec, 'brk', (mm) => {
        if (this.hasVma(mm, sim.start, sim.end)) {
          this.tally.divergences++;
          this.clearRange(mm, sim.start, sim.end);
        }
        const r = mmap(m, mm, { addr: sim.start, length: sim.end - sim.start, read: true, write: true, exec: false, name: 'heap' });
        if (!r.ok) this.tally.refuse(ev, 'brk', r);
      });
    } else if (newEnd < oldEnd) {
      for (const p of this.mapOf(rec).pieces(newEnd, oldEnd - newEnd)) {
        this.threads.onThread(rec, 'brk', (mm) => {
          this.touch.range(mm, p.start, p.end);
          const r = munmap(m, mm, p.start, p.end - p.start);
          if (!r.ok) this.tally.refuse(ev, 'brk', r);
        });
      }
    }
    return 0;
  }
}
