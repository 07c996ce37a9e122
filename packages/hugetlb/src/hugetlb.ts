/**
 * The hugetlb implementation installed into a core Machine: hstates, faults, PMD-table sharing
 * and unsharing, and every unshare caller, in three kernel behaviours (hugetlb SPEC.md §1-§4).
 *
 * Each method names the kernel function it models. The code is a re-statement of behaviour in our
 * own words; no kernel code is reproduced. This class is the entry point core calls
 * (HugetlbHooks); each concern lives in its own module, and the kernel behaviour (V0, V1, V2) is
 * one unshare policy chosen at installation (unshare-policy.ts).
 */
import type { HugetlbHooks, Machine, Mm, MmuGather, OpResult, PageTable, SimFile, Vma } from '@tlbsim/core';
import { HugetlbContext } from './context.js';
import { hugetlbFault } from './fault.js';
import { copyHugetlbPageRange } from './fork.js';
import type { Hstate } from './hstate.js';
import { hugetlbChangeProtection } from './mprotect.js';
import { mremapHugetlb } from './mremap.js';
import type { Behaviour, HugetlbOptions, HugetlbStats } from './options.js';
import { wantPmdShare } from './pmd-share.js';
import { tryToUnmap } from './rmap.js';
import type { TableUser } from './share-registry.js';
import { hugetlbSplit, hugetlbUnshareAllPmds } from './split.js';
import { punchHole } from './truncate.js';
import { unmapHugepageRange } from './zap.js';

const registry = new WeakMap<Machine, Hugetlb>();

/** The hugetlb instance installed on a machine, if any. */
export function hugetlbOf(m: Machine): Hugetlb | undefined {
  return registry.get(m);
}

/** Install hugetlb into `m` (sets `m.hugetlb`) and return it. */
export function installHugetlb(m: Machine, opts: HugetlbOptions = {}): Hugetlb {
  const h = new Hugetlb(m, opts);
  m.hugetlb = h;
  registry.set(m, h);
  return h;
}

export class Hugetlb implements HugetlbHooks {
  readonly behaviour: Behaviour;
  readonly checkReuse: boolean;
  /** hstates of this configuration, smallest first */
  readonly hstates: readonly Hstate[];
  /** CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING */
  readonly sharing: boolean;
  readonly pmdSize: number;
  readonly pudSize: number;
  readonly stats: HugetlbStats;

  private readonly ctx: HugetlbContext;

  constructor(readonly m: Machine, opts: HugetlbOptions = {}) {
    const ctx = (this.ctx = new HugetlbContext(m, opts));
    this.behaviour = ctx.behaviour;
    this.checkReuse = ctx.checkReuse;
    this.hstates = ctx.hstates;
    this.sharing = ctx.sharing;
    this.pmdSize = ctx.pmdSize;
    this.pudSize = ctx.pudSize;
    this.stats = ctx.stats;
  }

  // ================================================================ helpers

  /** hstate_vma */
  hstateOf(vma: Vma): Hstate {
    return this.ctx.hstateOf(vma);
  }

  /** The hugetlb VMA lock (vm_private_data) exists: only MAP_SHARED VMAs get one. */
  hasVmaLock(vma: Vma): boolean {
    return this.ctx.hasVmaLock(vma);
  }
  /** Make hugetlb_vma_lock_alloc fail for this VMA (it then never shares). */
  dropVmaLock(vma: Vma): void {
    this.ctx.dropVmaLock(vma);
  }

  /** The mms whose PUD entries point at PMD table `t` (u users). */
  usersOf(t: PageTable): readonly TableUser[] {
    return this.ctx.registry.usersOf(t);
  }

  /** hugetlb_walk / huge_pte_offset: the entry slot for `addr` at the hstate's level, no allocation */
  walk(mm: Mm, addr: number, h: Hstate): { t: PageTable; i: number } | null {
    return this.ctx.walk(mm, addr, h);
  }

  /** adjust_range_if_pmd_sharing_possible */
  adjustRange(vma: Vma, start: number, end: number): [number, number] {
    return this.ctx.adjustRange(vma, start, end);
  }

  /** want_pmd_share */
  wantPmdShare(vma: Vma, addr: number): boolean {
    return wantPmdShare(this.ctx, vma, addr);
  }

  // ================================================================ the hooks core calls

  /** hugetlb_fault (hugetlb_no_page / hugetlb_wp) */
  fault(m: Machine, mm: Mm, vma: Vma, addr: number, write: boolean): OpResult {
    return hugetlbFault(this.ctx, mm, vma, addr, write);
  }

  /** The unmapRange hook: hugetlb_zap_begin, __unmap_hugepage_range, hugetlb_zap_end */
  unmapRange(m: Machine, g: MmuGather, vma: Vma, start: number, end: number): void {
    const ctx = this.ctx;
    ctx.lockImmap(vma.file);
    try {
      unmapHugepageRange(ctx, g, vma, start, end);
    } finally {
      ctx.unlockImmap(vma.file);
    }
  }

  /** hugetlb_change_protection, in its own gather (V2) or with a direct flush (V0, V1) */
  changeProtection(m: Machine, outer: MmuGather, vma: Vma, start: number, end: number, reductions: { start: number; end: number; epoch: number }[]): void {
    hugetlbChangeProtection(this.ctx, outer, vma, start, end, reductions);
  }

  /** The split hook: __split_vma -> hugetlb_split (i_mmap_rwsem held for write by the split) */
  split(m: Machine, mm: Mm, vma: Vma, addr: number): void {
    hugetlbSplit(this.ctx, mm, vma, addr);
  }

  /** hugetlb_unshare_all_pmds (userfaultfd WP/MINOR registration): every PUD region of the VMA */
  unshareAllPmds(mm: Mm, vma: Vma): void {
    hugetlbUnshareAllPmds(this.ctx, mm, vma);
  }

  /** fork: copy_hugetlb_page_range (MAP_SHARED VMAs are not copied) */
  copyRange(m: Machine, src: Mm, dst: Mm, srcVma: Vma, dstVma: Vma, reductions: { start: number; end: number; epoch: number }[]): void {
    copyHugetlbPageRange(this.ctx, src, dst, srcVma, dstVma, reductions);
  }

  /** The mremap hook (no MREMAP_FIXED through core): shrink or no-op; see {@link mremapHugetlb} */
  mremap(m: Machine, mm: Mm, vma: Vma, old: number, oldLen: number, newLen: number, mayMove: boolean): OpResult & { addr?: number; moved?: boolean } {
    return this.mremapHugetlb(mm, old, oldLen, newLen, { mayMove });
  }

  /**
   * mremap(2) on a hugetlb VMA: lengths round up to the huge page size, addresses must be
   * huge-aligned, growing is refused, MREMAP_FIXED moves the range (move_hugetlb_page_tables).
   */
  mremapHugetlb(mm: Mm, old: number, oldLen: number, newLen: number, opts: { mayMove?: boolean; fixed?: number } = {}): OpResult & { addr?: number; moved?: boolean } {
    return mremapHugetlb(this.ctx, mm, old, oldLen, newLen, opts);
  }

  // ================================================================ the file side

  /** try_to_unmap / try_to_migrate of one hugetlbfs file folio (file index `idx` in base pages) */
  tryToUnmap(file: SimFile, idx: number): number {
    return tryToUnmap(this.ctx, file, idx);
  }

  /** fallocate(PUNCH_HOLE) / truncate on a hugetlbfs file (`offset`, `len` in bytes, huge-aligned) */
  punchHole(file: SimFile, offset: number, len: number): OpResult {
    return punchHole(this.ctx, file, offset, len);
  }
}
