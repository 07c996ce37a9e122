import type { PageTable } from './page-table.js';

export interface VmaFlags {
  read: boolean;
  write: boolean;
  exec: boolean;
  shared: boolean;
  /** anonymous memory (no file) */
  anon: boolean;
  hugetlb: boolean;
  /** VM_PFNMAP: raw PFNs, no struct page */
  pfnmap: boolean;
  /** VM_MIXEDMAP */
  mixedmap: boolean;
  locked: boolean;
}

/** A file (or shm object) whose page cache holds its pages. */
export interface SimFile {
  id: number;
  name: string;
  /** page index in the file -> head frame */
  pages: Map<number, number>;
}

export interface Vma {
  start: number;
  end: number;
  flags: VmaFlags;
  file: SimFile | null;
  /** file offset of `start`, in pages */
  pgoff: number;
  /** log2 of the hugetlb page size, for hugetlb VMAs */
  hugeShift: number;
  /** identity shared by a parent's anonymous VMA and its forked copies (the anon_vma root) */
  anonRoot: number;
  /** a private file mapping that has anonymous (COW) pages has an anon_vma (fork copies it) */
  hasAnonVma?: boolean;
  /** user label for traces */
  name?: string;
}

/** A CPU bitmap sized to the machine (mm_cpumask and IPI target sets). */
export class Cpumask {
  readonly bits: Uint8Array;
  constructor(n: number) {
    this.bits = new Uint8Array(n);
  }
  set(c: number): void {
    this.bits[c] = 1;
  }
  clear(c: number): void {
    this.bits[c] = 0;
  }
  has(c: number): boolean {
    return this.bits[c] === 1;
  }
  list(): number[] {
    const r: number[] = [];
    for (let i = 0; i < this.bits.length; i++) if (this.bits[i]) r.push(i);
    return r;
  }
  weight(): number {
    let n = 0;
    for (let i = 0; i < this.bits.length; i++) n += this.bits[i];
    return n;
  }
}

export class Mm {
  vmas: Vma[] = [];
  /** mm_users: threads and temporary references */
  users = 0;
  /** mm->tlb_flush_pending: live gathers and other pending-flush users */
  tlbFlushPending = 0;
  /** mm->tlb_flush_batched: bits 0-14 pending count, bits 16+ flushed snapshot (mm/rmap.c) */
  tlbFlushBatched = 0;
  readonly cpumask: Cpumask;
  nrPtes = 0;
  nrPmds = 0;
  nrPuds = 0;
  rss = 0;
  /** per-backend state (x86 context.tlb_gen, arm64 ASID...), keyed by the backend */
  readonly arch = new Map<string, unknown>();
  /** unlinked tables and cleared pages not yet freed: ranges in the TLB model must be kept */
  outstanding = 0;
  dead = false;
  constructor(
    readonly id: number,
    readonly name: string,
    public pgd: PageTable,
    nCpus: number,
  ) {
    this.cpumask = new Cpumask(nCpus);
  }

  /** The VMA containing addr, or undefined. Binary search over the sorted VMA list. */
  findVma(addr: number): Vma | undefined {
    let lo = 0;
    let hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid];
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }
  /** Index of the first VMA with end > addr. */
  firstVmaIndexEndingAfter(addr: number): number {
    let lo = 0;
    let hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.vmas[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insertVma(v: Vma): void {
    const i = this.firstVmaIndexEndingAfter(v.start);
    this.vmas.splice(i, 0, v);
  }
}
