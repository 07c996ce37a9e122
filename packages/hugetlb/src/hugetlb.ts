/**
 * The hugetlb implementation installed into a core Machine: hstates, faults, PMD-table sharing
 * and unsharing, and every unshare caller, in three kernel behaviours (hugetlb.md §1-§4).
 *
 * Each method names the kernel function it models. The code is a re-statement of behaviour in our
 * own words; no kernel code is reproduced.
 */
import {
  FOLIO_ANON, FOLIO_DIRTY, FrameKind, PTE_DIRTY, PTE_EXEC, PTE_LEAF, PTE_WRITE, PTE_YOUNG, TableState,
  alignDown, alignUp, fail, mkPte, mmap, munmap, pteFrame, tableSpan, tlbGatherMmu, tlbGatherMmuVma, walkToTable,
  type HugetlbHooks, type Machine, type Mm, type MmuGather, type OpResult, type PageTable, type SimFile, type Vma,
  OK,
} from '@tlbsim/core';
import { hstatesFor, pmdSharingBuiltIn, type Hstate } from './hstate.js';

/**
 * The three kernel behaviours of huge_pmd_unshare and its callers (hugetlb.md §0, "Version labels").
 * - `V0`: before 1013af4f58 (e.g. v6.13-v6.15): no synchronisation with GUP-fast at all.
 * - `V1`: 1013af4f58 (v6.16 .. v6.19-rc and the 2025 stable backports): one
 *   tlb_remove_table_sync_one() broadcast inside every successful huge_pmd_unshare().
 * - `V2`: 8ce720d5bd (2026 mainline, 6.18.13+): unsharing is recorded in the mmu_gather
 *   (`unshared_tables`, `fully_unshared_tables`) and huge_pmd_unshare_flush() flushes once and
 *   broadcasts once per flush point, and only when a table became exclusive.
 */
export type Behaviour = 'V0' | 'V1' | 'V2';
export const BEHAVIOURS: readonly Behaviour[] = ['V0', 'V1', 'V2'];

export interface HugetlbOptions {
  /** kernel behaviour, default `V2` */
  behaviour?: Behaviour;
  /**
   * Report (H2) when a formerly shared PMD table that became exclusive is first touched by its
   * last owner while a GUP-fast walker of another sharer may still be inside it, or while a CPU
   * running a former sharer's user code may still hold a walk-cache entry (its old PUD entry)
   * pointing into it. Default true.
   */
  checkReuse?: boolean;
}

/** Counters of hugetlb events (monotonic; tests take differences around an operation). */
export interface HugetlbStats {
  /** page faults handled (hugetlb_fault) */
  faults: number;
  /** huge_pmd_share attached a table of another mapping */
  tablesShared: number;
  /** huge_pmd_unshare returned 1 */
  tablesUnshared: number;
  /** of those, the table's share count went to 0 (it became exclusive) */
  tablesFullyUnshared: number;
  /** tlb_remove_table_sync_one() calls made by hugetlb code that were not NOPs */
  syncIpis: number;
  /**
   * TLB flushes made by hugetlb code while it held i_mmap_rwsem: arch tlb_flush calls from the
   * gather (tlb_end_vma, forced flush, huge_pmd_unshare_flush...) plus direct
   * flush_hugetlb_tlb_range()/flush_tlb_range() calls. The "flush" of hugetlb.md §7.
   */
  flushes: number;
  /** of `flushes`, the direct flush_hugetlb_tlb_range()/flush_tlb_range() calls (V0/V1 callers, rmap) */
  directFlushes: number;
  /** flush_tlb_range of one huge page for a copy-on-write break (hugetlb_wp) */
  cowFlushes: number;
  /** formerly shared tables checked at their first reuse by the last owner */
  reuseChecks: number;
}

/** One mm whose PUD entry points at a PMD table, and the VA that entry maps. */
interface TableUser {
  mm: Mm;
  base: number;
}

/** A freed-or-unmapped record for H1 checks of pages freed outside a gather (punch hole). */
interface UnmapRec {
  mm: Mm;
  addr: number;
  frame: number;
  epoch: number;
}

const ZERO_STATS: HugetlbStats = {
  faults: 0, tablesShared: 0, tablesUnshared: 0, tablesFullyUnshared: 0, syncIpis: 0, flushes: 0,
  directFlushes: 0, cowFlushes: 0, reuseChecks: 0,
};

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
  readonly stats: HugetlbStats = { ...ZERO_STATS };

  private readonly ps: number;
  /** the mms whose PUD points at each PMD table (u = share + 1); absent: just its owner */
  private readonly users = new WeakMap<PageTable, TableUser[]>();
  /** tables whose share count went to 0 and that their last owner has not touched since */
  private readonly exclusiveAgain = new WeakSet<PageTable>();
  /** VMAs without a hugetlb VMA lock (allocation failed, or freed at final unmap) */
  private readonly noVmaLock = new WeakSet<Vma>();
  /** i_mmap_rwsem held for write, per file (a depth count) */
  private readonly immapWrite = new Map<SimFile, number>();
  /** VMA boundaries for which hugetlb_split already ran: `${mm.id}:${addr}` */
  private readonly splitDone = new Set<string>();
  /** unshares of each table since its last reuse check: who dropped its PUD entry, where, when */
  private readonly unsharers = new WeakMap<PageTable, { mm: Mm; base: number; epoch: number }[]>();
  /** collects unmapped translations while a punch hole runs (for the H1 check at the free) */
  private unmapLog: UnmapRec[] | null = null;

  constructor(readonly m: Machine, opts: HugetlbOptions = {}) {
    this.behaviour = opts.behaviour ?? 'V2';
    if (!['V0', 'V1', 'V2'].includes(this.behaviour)) throw new RangeError(`unknown hugetlb behaviour ${String(this.behaviour)}`);
    this.checkReuse = opts.checkReuse ?? true;
    const geo = m.geometry;
    this.ps = 2 ** geo.pageShift;
    this.pmdSize = 2 ** geo.levels[1].shift;
    this.pudSize = 2 ** geo.levels[2].shift;
    this.sharing = pmdSharingBuiltIn(geo, m.kconfig);
    this.hstates = hstatesFor(geo, m.arch.hugePageSizes, m.kconfig);
  }

  // ================================================================ helpers

  /** hstate_vma */
  hstateOf(vma: Vma): Hstate {
    const size = 2 ** vma.hugeShift;
    const h = this.hstates.find((x) => x.size === size);
    if (!h) throw new RangeError(`no hstate of size ${size} on ${this.m.arch.name}`);
    return h;
  }

  /** The hugetlb VMA lock (vm_private_data) exists: only MAP_SHARED VMAs get one. */
  hasVmaLock(vma: Vma): boolean {
    return vma.flags.shared && !this.noVmaLock.has(vma);
  }
  /** Make hugetlb_vma_lock_alloc fail for this VMA (it then never shares). */
  dropVmaLock(vma: Vma): void {
    this.noVmaLock.add(vma);
  }

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

  private note(s: string, args?: Record<string, unknown>): void {
    const m = this.m;
    m.note(s);
    if (m.tracing) m.trace({ cpu: m.curCpu, name: s.split(' ')[0], cat: 'hugetlb', args });
  }

  private lockImmap(file: SimFile | null): void {
    if (!file) return;
    this.immapWrite.set(file, (this.immapWrite.get(file) ?? 0) + 1);
  }
  private unlockImmap(file: SimFile | null): void {
    if (!file) return;
    const n = (this.immapWrite.get(file) ?? 0) - 1;
    if (n <= 0) this.immapWrite.delete(file);
    else this.immapWrite.set(file, n);
  }
  /** i_mmap_assert_write_locked (hugetlb.md §8 invariant 4) */
  private assertImmap(vma: Vma, where: string, addr: number): void {
    if (vma.file) this.m.checker.warnIf(!this.immapWrite.has(vma.file), this.m.curCpu, addr, () => `${where} without i_mmap_rwsem held for write`);
  }

  /** The last huge page inside the span of the `h.level` table containing `addr` (the |= last_addr_mask skip). */
  private lastInTable(addr: number, h: Hstate): number {
    const span = tableSpan(this.m.geometry, h.level);
    return addr - (addr % span) + span - h.size;
  }

  /** hugetlb_walk / huge_pte_offset: the entry slot for `addr` at the hstate's level, no allocation */
  walk(mm: Mm, addr: number, h: Hstate): { t: PageTable; i: number } | null {
    const t = walkToTable(this.m, mm, addr, h.level, false);
    if (!t || t.level !== h.level) return null;
    return { t, i: this.m.index(t, addr) };
  }

  /** The PUD table and index whose entry maps `addr` (the PMD table's parent slot). */
  private pudSlot(mm: Mm, addr: number): { pud: PageTable; pi: number } | null {
    const pud = walkToTable(this.m, mm, addr, 2, false);
    if (!pud || pud.level !== 2) return null;
    return { pud, pi: this.m.index(pud, addr) };
  }

  /** tlb_remove_table_sync_one() */
  private syncOne(): void {
    const m = this.m;
    if (!m.kconfig.MMU_GATHER_RCU_TABLE_FREE) return;
    this.stats.syncIpis++;
    if (m.runtime.tlbRemoveTableSyncOne) m.runtime.tlbRemoveTableSyncOne();
    else m.syncAllCpus();
  }

  /** flush_hugetlb_tlb_range (and rmap's flush_tlb_range on a hugetlb VMA): a direct arch flush */
  private directFlush(mm: Mm, vma: Vma, start: number, end: number): void {
    this.stats.directFlushes++;
    this.stats.flushes++;
    this.note(`flush_hugetlb_tlb_range(${mm.name}) [0x${start.toString(16)}, 0x${end.toString(16)})`);
    this.m.runtime.flushTlbRange(mm, start, end, { exec: vma.flags.exec, hugetlb: true, hugeShift: vma.hugeShift });
  }

  /** adjust_range_if_pmd_sharing_possible */
  adjustRange(vma: Vma, start: number, end: number): [number, number] {
    if (!this.sharing) return [start, end];
    const pud = this.pudSize;
    const vs = alignUp(vma.start, pud);
    const ve = alignDown(vma.end, pud);
    if (!vma.flags.shared || !(ve > vs) || end <= vs || start >= ve) return [start, end];
    if (start > vs) start = alignDown(start, pud);
    if (end < ve) end = alignUp(end, pud);
    return [start, end];
  }

  /** A table the last owner is about to modify: if it was shared until recently, check for walkers. */
  private noteRewrite(t: PageTable): void {
    if (t.share !== 0 || !this.exclusiveAgain.has(t)) return;
    this.exclusiveAgain.delete(t);
    if (t.state === TableState.Freed) return;
    this.stats.reuseChecks++;
    this.note(`hugetlb_reuse ${t.owner.name} rewrites the formerly shared PMD table at 0x${t.base.toString(16)}`);
    const recs = this.unsharers.get(t) ?? [];
    this.unsharers.delete(t);
    for (const r of recs) r.mm.outstanding--;
    if (!this.checkReuse) return;
    // (b) a GUP-fast walker of a former sharer still inside the table
    this.m.checker.tableFreedOrReused(t, 'reused');
    this.checkUnsharerWalkCaches(t, recs);
  }

  /**
   * (a) for the former sharers: a CPU running one's user code may still hold the walk-cache entry
   * of its cleared PUD entry (pointing into `t`) unless an invalidation that drops walk-cache
   * entries covered that PUD region since the unshare (arm64's leaf-only TLBI does not:
   * c2ff4764e03e). A lazy CPU is not counted: it cannot use user translations before it switches.
   */
  private checkUnsharerWalkCaches(t: PageTable, recs: readonly { mm: Mm; base: number; epoch: number }[]): void {
    const m = this.m;
    if (!m.checker.enabled) return;
    const users = this.usersOf(t);
    let found = 0;
    for (const r of recs) {
      if (users.some((u) => u.mm === r.mm && u.base === r.base)) continue; // attached again
      for (const cpu of m.cpus) {
        if (cpu.loadedMm !== r.mm || !cpu.runningUser) continue;
        if (!m.tlb.walkMayBeCached(cpu.id, r.mm, r.base, this.pudSize, r.epoch, true)) continue;
        const what = `PMD table unshared by ${r.mm.name} at 0x${r.base.toString(16)} reused by ${t.owner.name} while CPU${cpu.id} (running ${r.mm.name}) may still cache the walk entry pointing into it`;
        const flush = `no walk-cache invalidation of ${r.mm.name} covering 0x${r.base.toString(16)} reached CPU${cpu.id} since the unshare`;
        const cached = { cpu: cpu.id, address: r.base, sinceNs: m.tlb.state(cpu.id, r.mm)?.walkSinceNs ?? 0 };
        // the table is one affected item however many sharers' CPUs may still reach it
        m.checker.report({ hazard: 'H2', cpu: cpu.id, address: r.base, what, flush, cached, affected: 1 }, found++ === 0 ? 1 : 0);
      }
    }
  }

  /** The page-cache index (in base pages) of the huge page at `haddr` of `vma`. */
  private fileIndex(vma: Vma, haddr: number): number {
    return vma.pgoff + (haddr - vma.start) / this.ps;
  }

  /** All live (mm, vma) pairs mapping hugetlb file `file` (the file's i_mmap interval tree). */
  private mappingsOf(file: SimFile): { mm: Mm; vma: Vma }[] {
    const r: { mm: Mm; vma: Vma }[] = [];
    for (const mm of this.m.mms) {
      if (mm.dead) continue;
      for (const vma of mm.vmas) if (vma.file === file && vma.flags.hugetlb) r.push({ mm, vma });
    }
    return r;
  }

  // ================================================================ sharing (hugetlb.md §2)

  /** want_pmd_share */
  wantPmdShare(vma: Vma, addr: number): boolean {
    if (!this.sharing) return false;
    if (!vma.flags.shared) return false;
    if (!this.hasVmaLock(vma)) return false;
    const s = addr - (addr % this.pudSize);
    return vma.start <= s && s + this.pudSize <= vma.end;
  }

  /** page_table_shareable: the address in `svma` that maps file index `idx`, or -1 */
  private pageTableShareable(svma: Vma, vma: Vma, addr: number, idx: number): number {
    const saddr = svma.start + (idx - svma.pgoff) * this.ps;
    const sbase = saddr - (saddr % this.pudSize);
    const pmdIdx = (a: number) => Math.floor(a / this.pmdSize) % this.m.geometry.levels[1].entries;
    const a = vma.flags;
    const b = svma.flags;
    // equal flags, except that only one of them may be VM_LOCKED
    const sameFlags = a.read === b.read && a.write === b.write && a.exec === b.exec && a.shared === b.shared &&
      a.anon === b.anon && a.hugetlb === b.hugetlb && a.pfnmap === b.pfnmap && a.mixedmap === b.mixedmap;
    if (pmdIdx(addr) !== pmdIdx(saddr) || !sameFlags || sbase < svma.start || sbase + this.pudSize > svma.end || !this.hasVmaLock(svma)) return -1;
    return saddr;
  }

  /** huge_pmd_share: attach another mapping's PMD table to our empty PUD entry, if one qualifies */
  private hugePmdShare(mm: Mm, vma: Vma, addr: number, pud: PageTable, pi: number): void {
    const h = this.hstateOf(vma);
    const idx = this.fileIndex(vma, addr - (addr % this.ps));
    let spte: PageTable | null = null;
    // i_mmap_rwsem for read; walk the file's interval tree (every other VMA mapping idx)
    outer: for (const { mm: smm, vma: svma } of this.mappingsOf(vma.file!)) {
      if (svma === vma) continue;
      const pages = (svma.end - svma.start) / this.ps;
      if (idx < svma.pgoff || idx >= svma.pgoff + pages) continue;
      const saddr = this.pageTableShareable(svma, vma, addr, idx);
      if (saddr < 0) continue;
      const slot = this.walk(smm, saddr, h);
      if (slot) {
        spte = slot.t;
        break outer;
      }
    }
    if (!spte) return;
    // ptdesc_pmd_pts_inc, then populate our PUD under mm->page_table_lock (never lost here)
    spte.share++;
    pud.entries[pi] = mkPte(spte.frame, 0);
    pud.present++;
    mm.nrPmds++;
    this.userList(spte).push({ mm, base: addr - (addr % this.pudSize) });
    this.stats.tablesShared++;
    this.note(`huge_pmd_share ${mm.name} 0x${addr.toString(16)} -> table of ${spte.owner.name} (share ${spte.share})`, { mm: mm.name, share: spte.share });
  }

  /** huge_pte_alloc: the entry slot for `addr`, allocating tables (sharing a PMD table if allowed) */
  private hugePteAlloc(mm: Mm, vma: Vma, addr: number, h: Hstate, allowShare: boolean): { t: PageTable; i: number } | null {
    const m = this.m;
    if (h.level === 1 && h.shareable && allowShare && this.wantPmdShare(vma, addr)) {
      const pud = walkToTable(m, mm, addr, 2, true);
      if (pud && pud.level === 2) {
        const pi = m.index(pud, addr);
        if (pud.entries[pi] === 0) this.hugePmdShare(mm, vma, addr, pud, pi);
      }
    }
    const t = walkToTable(m, mm, addr, h.level, true);
    if (!t || t.level !== h.level) return null;
    return { t, i: m.index(t, addr) };
  }

  // ================================================================ unsharing (hugetlb.md §3)

  /**
   * huge_pmd_unshare: if the PMD table mapping `addr` is shared, detach it from `mm` (clear our PUD
   * entry) and return true. V1 broadcasts the GUP-fast sync here; V2 records it in gather `g`
   * (tlb_unshare_pmd_ptdesc). The caller skips the rest of the PUD region on success.
   */
  private hugePmdUnshare(g: MmuGather | null, mm: Mm, vma: Vma, addr: number, t: PageTable): boolean {
    const h = this.hstateOf(vma);
    if (!this.sharing || h.size !== this.pmdSize || h.level !== 1) return false;
    if (t.share === 0) return false;
    this.assertImmap(vma, 'huge_pmd_unshare', addr);
    const slot = this.pudSlot(mm, addr)!;
    const pudBase = addr - (addr % this.pudSize);
    if (this.unmapLog) this.logTable(mm, t, pudBase);
    // pud_clear
    slot.pud.entries[slot.pi] = 0;
    slot.pud.present--;
    let recs = this.unsharers.get(t);
    if (!recs) this.unsharers.set(t, (recs = []));
    recs.push({ mm, base: pudBase, epoch: this.m.tlb.epoch });
    // keep the TLB model's range records for this mm until the table's reuse is checked
    mm.outstanding++;
    this.detachUser(t, mm, pudBase);
    if (this.behaviour === 'V2') {
      g!.unsharePmdPtdesc(t, addr);
    } else {
      // V1: wait for GUP-fast walkers before anyone can reuse the table (1013af4f58)
      if (this.behaviour === 'V1') this.syncOne();
      t.share--; // ptdesc_pmd_pts_dec
    }
    mm.nrPmds--; // mm_dec_nr_pmds
    this.stats.tablesUnshared++;
    const full = t.share === 0;
    if (full) {
      this.stats.tablesFullyUnshared++;
      this.exclusiveAgain.add(t);
    }
    this.note(`huge_pmd_unshare ${mm.name} 0x${pudBase.toString(16)} share->${t.share}${full ? ' (exclusive now)' : ''}`, { mm: mm.name, share: t.share });
    return true;
  }

  private detachUser(t: PageTable, mm: Mm, base: number): void {
    const u = this.userList(t);
    const k = u.findIndex((x) => x.mm === mm && x.base === base);
    if (k >= 0) u.splice(k, 1);
    if (t.owner === mm && u.length > 0) {
      // the table now belongs to a remaining user (its frees and checks are against that mm)
      t.owner = u[0].mm;
      t.base = u[0].base;
    }
  }

  /** huge_pmd_unshare_flush -> tlb_flush_unshared_tables (V2 only) */
  private hugePmdUnshareFlush(g: MmuGather, vma: Vma): void {
    if (this.behaviour !== 'V2') return;
    this.assertImmap(vma, 'huge_pmd_unshare_flush', g.start);
    if (g.fullyUnsharedTables && this.m.kconfig.MMU_GATHER_RCU_TABLE_FREE) this.stats.syncIpis++;
    g.flushUnsharedTables();
  }

  /** Try to unshare the PMD table holding `slot` (level-1 hstates); note a rewrite if it stays. */
  private tryUnshare(g: MmuGather | null, mm: Mm, vma: Vma, addr: number, h: Hstate, t: PageTable): boolean {
    if (h.level !== 1) return false;
    if (this.hugePmdUnshare(g, mm, vma, addr, t)) return true;
    this.noteRewrite(t);
    return false;
  }

  /** For the punch-hole H1 check: every leaf of `t` as `mm` maps it from `base`. */
  private logTable(mm: Mm, t: PageTable, base: number): void {
    const epoch = this.m.tlb.epoch;
    for (let i = 0; i < t.entries.length; i++) {
      const e = t.entries[i];
      if (e !== 0) this.unmapLog!.push({ mm, addr: base + i * this.pmdSize, frame: pteFrame(e), epoch });
    }
  }

  // ================================================================ faults

  /** hugetlb_fault (hugetlb_no_page / hugetlb_wp) */
  fault(m: Machine, mm: Mm, vma: Vma, addr: number, write: boolean): OpResult {
    const h = this.hstateOf(vma);
    const haddr = addr - (addr % h.size);
    this.stats.faults++;
    const slot = this.hugePteAlloc(mm, vma, haddr, h, true);
    if (!slot) return fail('ENOMEM', 'huge_pte_alloc failed (a larger huge mapping covers the address)');
    const { t, i } = slot;
    const fr = m.frames;
    const e = t.entries[i];
    const leaf = h.level > 0 ? PTE_LEAF : 0;
    const exec = vma.flags.exec ? PTE_EXEC : 0;
    if (e === 0) {
      // hugetlb_no_page
      this.noteRewrite(t);
      let f: number;
      if (vma.flags.shared) {
        const idx = this.fileIndex(vma, haddr);
        const cached = vma.file!.pages.get(idx);
        if (cached === undefined) {
          f = fr.alloc(FrameKind.Data); // the page cache's reference
          vma.file!.pages.set(idx, f);
        } else f = cached;
        fr.refcount[f]++;
        fr.mapcount[f]++;
        if (write) fr.flags[f] |= FOLIO_DIRTY;
      } else {
        // a private mapping gets its own (anonymous) huge folio
        f = fr.alloc(FrameKind.Data);
        fr.flags[f] = FOLIO_ANON;
        fr.mapcount[f] = 1;
      }
      const writable = vma.flags.write && (vma.flags.shared || write);
      const pte = mkPte(f, (writable ? PTE_WRITE : 0) | exec | PTE_YOUNG | (write ? PTE_DIRTY : 0) | leaf);
      for (let k = 0; k < h.contig; k++) t.entries[i + k] = pte;
      t.present += h.contig;
      return OK;
    }
    if (write && !(e & PTE_WRITE)) return this.hugetlbWp(mm, vma, t, i, haddr, h);
    const young = e | PTE_YOUNG | (write ? PTE_DIRTY : 0);
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = young;
    return OK;
  }

  /** hugetlb_wp: reuse the page (shared, or exclusive anonymous) or copy it (COW) */
  private hugetlbWp(mm: Mm, vma: Vma, t: PageTable, i: number, haddr: number, h: Hstate): OpResult {
    const m = this.m;
    const fr = m.frames;
    const old = t.entries[i];
    const f = pteFrame(old);
    const exclusive = (fr.flags[f] & FOLIO_ANON) !== 0 && fr.mapcount[f] === 1 && fr.refcount[f] === 1;
    this.noteRewrite(t);
    if (vma.flags.shared || exclusive) {
      const np = old | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;
      for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
      return OK;
    }
    const nf = fr.alloc(FrameKind.Data);
    fr.flags[nf] = FOLIO_ANON;
    fr.mapcount[nf] = 1;
    // huge_ptep_clear_flush, then install the copy
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = 0;
    const epoch = m.tlb.epoch;
    this.stats.cowFlushes++;
    m.runtime.flushTlbRange(mm, haddr, haddr + h.size, { exec: vma.flags.exec, hugetlb: true, hugeShift: vma.hugeShift });
    const np = mkPte(nf, PTE_WRITE | PTE_YOUNG | PTE_DIRTY | (vma.flags.exec ? PTE_EXEC : 0) | (h.level > 0 ? PTE_LEAF : 0));
    for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
    fr.mapcount[f]--;
    if (--fr.refcount[f] === 0) {
      m.checker.pageFreed(mm, haddr, h.shift, epoch);
      fr.free(f);
      m.metrics.pagesFreed++;
    }
    return OK;
  }

  // ================================================================ zap (hugetlb.md §4.1)

  /** The unmapRange hook: hugetlb_zap_begin, __unmap_hugepage_range, hugetlb_zap_end */
  unmapRange(m: Machine, g: MmuGather, vma: Vma, start: number, end: number): void {
    this.lockImmap(vma.file);
    try {
      this.unmapHugepageRange(g, vma, start, end);
    } finally {
      this.unlockImmap(vma.file);
    }
  }

  /** __unmap_hugepage_range (i_mmap_rwsem held by the caller) */
  private unmapHugepageRange(g: MmuGather, vma: Vma, start: number, end: number): void {
    const m = this.m;
    const mm = g.mm;
    const h = this.hstateOf(vma);
    const sz = h.size;
    const fr = m.frames;
    const f0 = m.metrics.archFlushes;
    start -= start % sz;
    end = alignUp(end, sz);
    g.changePageSize(sz);
    g.startVma(vma);
    let forceFlush = false;
    for (let a = start; a < end; a += sz) {
      const slot = this.walk(mm, a, h);
      if (!slot) {
        a = this.lastInTable(a, h);
        continue;
      }
      const { t, i } = slot;
      if (this.tryUnshare(this.behaviour === 'V2' ? g : null, mm, vma, a, h, t)) {
        if (this.behaviour !== 'V2') {
          g.flushPmdRange(a - (a % this.pudSize), this.pudSize);
          forceFlush = true;
        }
        a = this.lastInTable(a, h);
        continue;
      }
      const e = t.entries[i];
      if (e === 0) continue;
      for (let k = 0; k < h.contig; k++) t.entries[i + k] = 0;
      t.present -= h.contig;
      g.removeHugeTlbEntry(sz, a);
      const f = pteFrame(e);
      if (e & PTE_DIRTY) fr.flags[f] |= FOLIO_DIRTY;
      if (this.unmapLog) this.unmapLog.push({ mm, addr: a, frame: f, epoch: m.tlb.epoch });
      fr.mapcount[f]--; // hugetlb_remove_rmap
      g.removePageSize(f, sz, a);
    }
    g.endVma();
    if (this.behaviour === 'V2') this.hugePmdUnshareFlush(g, vma);
    else if (forceFlush) g.flushMmuTlbonly('unshare');
    this.stats.flushes += m.metrics.archFlushes - f0;
  }

  // ================================================================ mprotect (hugetlb.md §4.2)

  /**
   * hugetlb_change_protection. V0/V1 use no gather and always end with one direct
   * flush_hugetlb_tlb_range; V2 uses its own gather (tlb_gather_mmu_vma), not mprotect's.
   */
  changeProtection(m: Machine, outer: MmuGather, vma: Vma, start: number, end: number, reductions: { start: number; end: number; epoch: number }[]): void {
    const mm = outer.mm;
    const h = this.hstateOf(vma);
    const sz = h.size;
    const [rs, re] = this.adjustRange(vma, start, end);
    const tg = this.behaviour === 'V2' ? tlbGatherMmuVma(m, vma, mm) : null;
    const f0 = m.metrics.archFlushes;
    this.lockImmap(vma.file);
    let sharedPmd = false;
    for (let a = start; a < end; a += sz) {
      const slot = this.walk(mm, a, h);
      if (!slot) {
        a = this.lastInTable(a, h);
        continue;
      }
      const { t, i } = slot;
      if (h.level === 1 && t.share > 0) {
        // the unshared region disappears from this mm: no translation may survive the call
        const base = a - (a % this.pudSize);
        const epoch = m.tlb.epoch;
        for (let k = 0; k < t.entries.length; k++) if (t.entries[k] !== 0) reductions.push({ start: base + k * sz, end: base + k * sz + this.ps, epoch });
      }
      if (this.tryUnshare(tg, mm, vma, a, h, t)) {
        sharedPmd = true;
        a = this.lastInTable(a, h);
        continue;
      }
      const e = t.entries[i];
      if (e === 0) continue;
      const np = this.protEntry(vma, e);
      for (let k = 0; k < h.contig; k++) t.entries[i + k] = np;
      if (tg) tg.removeHugeTlbEntry(sz, a);
      if (((e & PTE_WRITE) && !(np & PTE_WRITE)) || ((e & PTE_EXEC) && !(np & PTE_EXEC))) {
        reductions.push({ start: a, end: a + this.ps, epoch: m.tlb.epoch });
      }
    }
    if (tg) {
      tg.flushMmuTlbonly('explicit');
      this.hugePmdUnshareFlush(tg, vma);
    } else if (sharedPmd) this.directFlush(mm, vma, rs, re);
    else this.directFlush(mm, vma, start, end);
    this.unlockImmap(vma.file);
    this.stats.flushes += m.metrics.archFlushes - f0;
    // mprotect's own gather is live: this finish sees a nested flusher (mm_tlb_flush_nested)
    if (tg) tg.finish();
  }

  /** huge_pte_modify with the VMA's new protection (private mappings stay write-protected: COW) */
  private protEntry(vma: Vma, e: number): number {
    let np = e & ~(PTE_WRITE | PTE_EXEC);
    if (vma.flags.exec) np |= PTE_EXEC;
    if (vma.flags.write && vma.flags.shared) np |= PTE_WRITE;
    return np;
  }

  // ================================================================ VMA split (hugetlb.md §4.4)

  /** The split hook: __split_vma -> hugetlb_split (i_mmap_rwsem held for write by the split) */
  split(m: Machine, mm: Mm, vma: Vma, addr: number): void {
    this.hugetlbSplit(mm, vma, addr);
  }

  /** hugetlb_split: losing PUD alignment around `addr`, unshare that one PUD region now */
  private hugetlbSplit(mm: Mm, vma: Vma, addr: number): void {
    this.splitDone.add(`${mm.id}:${addr}`);
    if (addr % this.pudSize === 0) return;
    const floor = addr - (addr % this.pudSize);
    const ceil = floor + this.pudSize;
    if (floor < vma.start || ceil > vma.end) return;
    this.lockImmap(vma.file);
    try {
      this.hugetlbUnsharePmds(mm, vma, floor, ceil);
    } finally {
      this.unlockImmap(vma.file);
    }
  }

  /** hugetlb_unshare_all_pmds (userfaultfd WP/MINOR registration): every PUD region of the VMA */
  unshareAllPmds(mm: Mm, vma: Vma): void {
    this.lockImmap(vma.file);
    try {
      this.hugetlbUnsharePmds(mm, vma, alignUp(vma.start, this.pudSize), alignDown(vma.end, this.pudSize));
    } finally {
      this.unlockImmap(vma.file);
    }
  }

  /** hugetlb_unshare_pmds */
  private hugetlbUnsharePmds(mm: Mm, vma: Vma, start: number, end: number): void {
    const m = this.m;
    if (!vma.flags.shared || start >= end) return;
    const h = this.hstateOf(vma);
    const tg = this.behaviour === 'V2' ? tlbGatherMmuVma(m, vma, mm) : null;
    const f0 = m.metrics.archFlushes;
    for (let a = start; a < end; a += this.pudSize) {
      const slot = this.walk(mm, a, h);
      if (!slot) continue;
      this.tryUnshare(tg, mm, vma, a, h, slot.t);
    }
    if (tg) this.hugePmdUnshareFlush(tg, vma);
    else this.directFlush(mm, vma, start, end);
    this.stats.flushes += m.metrics.archFlushes - f0;
    if (tg) tg.finish();
  }

  // ================================================================ fork (hugetlb.md §4.6)

  /**
   * copy_hugetlb_page_range when vma_needs_copy: MAP_SHARED hugetlb VMAs are not copied (no
   * anon_vma, no uffd-wp modelled); the child shares tables lazily at its first fault. Private
   * mappings are copied write-protected in both (copy-on-write).
   */
  copyRange(m: Machine, src: Mm, dst: Mm, srcVma: Vma, dstVma: Vma, reductions: { start: number; end: number; epoch: number }[]): void {
    if (srcVma.flags.shared) return;
    const h = this.hstateOf(srcVma);
    const fr = m.frames;
    for (let a = srcVma.start; a < srcVma.end; a += h.size) {
      const slot = this.walk(src, a, h);
      if (!slot) {
        a = this.lastInTable(a, h);
        continue;
      }
      const d = this.hugePteAlloc(dst, dstVma, a, h, true);
      if (!d) break;
      if (h.level === 1 && d.t.share > 0) {
        // a shared destination table already maps the region (ptdesc_pmd_is_shared)
        a = this.lastInTable(a, h);
        continue;
      }
      let e = slot.t.entries[slot.i];
      if (e === 0) continue;
      const f = pteFrame(e);
      fr.refcount[f]++;
      fr.mapcount[f]++;
      if (e & PTE_WRITE) {
        e &= ~PTE_WRITE; // huge_ptep_set_wrprotect on the parent
        for (let k = 0; k < h.contig; k++) slot.t.entries[slot.i + k] = e;
        reductions.push({ start: a, end: a + this.ps, epoch: m.tlb.epoch });
      }
      for (let k = 0; k < h.contig; k++) d.t.entries[d.i + k] = e;
      d.t.present += h.contig;
    }
  }

  // ================================================================ mremap (hugetlb.md §4.3)

  /** The mremap hook (no MREMAP_FIXED through core): shrink or no-op; see {@link mremapHugetlb} */
  mremap(m: Machine, mm: Mm, vma: Vma, old: number, oldLen: number, newLen: number, mayMove: boolean): OpResult & { addr?: number; moved?: boolean } {
    return this.mremapHugetlb(mm, old, oldLen, newLen, { mayMove });
  }

  /**
   * mremap(2) on a hugetlb VMA: lengths round up to the huge page size, addresses must be
   * huge-aligned, growing is refused (the reservation code cannot split), MREMAP_FIXED moves the
   * range with move_vma -> move_hugetlb_page_tables and then unmaps the old range.
   */
  mremapHugetlb(mm: Mm, old: number, oldLen: number, newLen: number, opts: { mayMove?: boolean; fixed?: number } = {}): OpResult & { addr?: number; moved?: boolean } {
    const m = this.m;
    const v = mm.findVma(old);
    if (!v || !v.flags.hugetlb) return fail('EFAULT', 'mremap: no hugetlb VMA at the old address');
    const h = this.hstateOf(v);
    const sz = h.size;
    oldLen = alignUp(oldLen, sz);
    newLen = alignUp(newLen, sz);
    if (old % sz) return fail('EINVAL', 'mremap: hugetlb address not huge-page aligned');
    if (opts.fixed !== undefined && opts.fixed % sz) return fail('EINVAL', 'mremap: new hugetlb address not huge-page aligned');
    if (newLen === 0) return fail('EINVAL', 'mremap: new length is 0');
    if (newLen > oldLen) return fail('EINVAL', 'mremap: a hugetlb mapping cannot grow');
    if (old + oldLen > v.end) return fail('EFAULT', 'mremap: old range is not one mapped VMA');
    if (opts.fixed === undefined) {
      if (newLen < oldLen) {
        const r = munmap(m, mm, old + newLen, oldLen - newLen);
        if (!r.ok) return r;
      }
      return { ok: true, addr: old, moved: false };
    }
    if (!opts.mayMove) return fail('EINVAL', 'MREMAP_FIXED requires MREMAP_MAYMOVE');
    const neu = opts.fixed;
    if (neu < old + oldLen && old < neu + newLen) return fail('EINVAL', 'mremap: old and new ranges overlap');
    // mremap_to: unmap the destination, trim the source to the new length
    let r = munmap(m, mm, neu, newLen);
    if (!r.ok) return r;
    if (oldLen > newLen) {
      r = munmap(m, mm, old + newLen, oldLen - newLen);
      if (!r.ok) return r;
    }
    const src = mm.findVma(old)!;
    // move_vma: copy_vma creates the new VMA (with its own hugetlb VMA lock)
    const nr = mmap(m, mm, {
      addr: neu, length: newLen, read: src.flags.read, write: src.flags.write, exec: src.flags.exec,
      shared: src.flags.shared, file: src.file ?? undefined, pgoff: src.pgoff + (old - src.start) / this.ps,
      hugetlb: true, hugeSize: sz, name: src.name,
    });
    if (!nr.ok) return nr;
    const newVma = mm.findVma(neu)!;
    this.moveHugetlbPageTables(mm, src, newVma, old, neu, newLen);
    r = munmap(m, mm, old, newLen);
    if (!r.ok) return r;
    return { ok: true, addr: neu, moved: true };
  }

  /**
   * move_hugetlb_page_tables. A source entry in a shared table is not moved: the table is unshared
   * and the rest of its PUD region skipped in both ranges (refaulted later from the page cache).
   * The destination is allocated without PMD sharing: huge_pmd_share would need i_mmap_rwsem for
   * read while this function holds it for write.
   */
  private moveHugetlbPageTables(mm: Mm, vma: Vma, newVma: Vma, oldAddr: number, newAddr: number, len: number): void {
    const m = this.m;
    const h = this.hstateOf(vma);
    const sz = h.size;
    const oldEnd = oldAddr + len;
    const [rs, re] = this.adjustRange(vma, oldAddr, oldEnd);
    const tg = this.behaviour === 'V2' ? tlbGatherMmuVma(m, vma, mm) : null;
    const f0 = m.metrics.archFlushes;
    this.lockImmap(vma.file);
    let sharedPmd = false;
    const skip = (a: number) => this.lastInTable(a, h);
    for (; oldAddr < oldEnd; oldAddr += sz, newAddr += sz) {
      const slot = this.walk(mm, oldAddr, h);
      if (!slot) {
        oldAddr = skip(oldAddr);
        newAddr = skip(newAddr);
        continue;
      }
      const { t, i } = slot;
      const e = t.entries[i];
      if (e === 0) continue;
      if (this.tryUnshare(tg, mm, vma, oldAddr, h, t)) {
        sharedPmd = true;
        oldAddr = skip(oldAddr);
        newAddr = skip(newAddr);
        continue;
      }
      const d = this.hugePteAlloc(mm, newVma, newAddr, h, false);
      if (!d) break;
      // move_huge_pte
      for (let k = 0; k < h.contig; k++) {
        t.entries[i + k] = 0;
        d.t.entries[d.i + k] = e;
      }
      t.present -= h.contig;
      d.t.present += h.contig;
      if (tg) tg.removeHugeTlbEntry(sz, oldAddr);
    }
    if (tg) {
      tg.flushMmuTlbonly('explicit');
      this.hugePmdUnshareFlush(tg, vma);
    } else if (sharedPmd) this.directFlush(mm, vma, rs, re);
    else this.directFlush(mm, vma, oldEnd - len, oldEnd);
    this.unlockImmap(vma.file);
    this.stats.flushes += m.metrics.archFlushes - f0;
    if (tg) tg.finish();
  }

  // ================================================================ rmap (hugetlb.md §4.5)

  /**
   * try_to_unmap / try_to_migrate of one hugetlbfs file folio (the page at file index `idx`, in
   * base pages): for every mapping, unshare a shared PMD table (which unmaps the folio from that
   * mapping) or clear the entry with huge_ptep_clear_flush. The rmap walk holds i_mmap_rwsem for
   * write. Returns the number of mappings removed.
   */
  tryToUnmap(file: SimFile, idx: number): number {
    const m = this.m;
    const frame = file.pages.get(idx);
    if (frame === undefined) return 0;
    const fr = m.frames;
    let removed = 0;
    this.lockImmap(file);
    try {
      for (const { mm, vma } of this.mappingsOf(file)) {
        const h = this.hstateOf(vma);
        const pages = (vma.end - vma.start) / this.ps;
        if (idx < vma.pgoff || idx >= vma.pgoff + pages) continue;
        const addr = vma.start + (idx - vma.pgoff) * this.ps;
        const slot = this.walk(mm, addr, h);
        if (!slot) continue;
        const e = slot.t.entries[slot.i];
        if (e === 0 || pteFrame(e) !== frame) continue;
        if (h.level === 1 && this.sharing && h.shareable) {
          // hugetlb VMA lock trylock (uncontended here), then try to unshare
          const tg = this.behaviour === 'V2' ? tlbGatherMmuVma(m, vma, mm) : null;
          const f0 = m.metrics.archFlushes;
          if (this.hugePmdUnshare(tg, mm, vma, addr, slot.t)) {
            if (tg) this.hugePmdUnshareFlush(tg, vma);
            else {
              const [rs, re] = this.adjustRange(vma, addr, addr + h.size);
              this.directFlush(mm, vma, rs, re);
            }
            this.stats.flushes += m.metrics.archFlushes - f0;
            if (tg) tg.finish();
            removed++;
            continue;
          }
          this.noteRewrite(slot.t);
          if (tg) tg.finish();
        }
        // huge_ptep_clear_flush
        for (let k = 0; k < h.contig; k++) slot.t.entries[slot.i + k] = 0;
        slot.t.present -= h.contig;
        const epoch = m.tlb.epoch;
        this.directFlush(mm, vma, addr, addr + h.size);
        if (e & PTE_DIRTY) fr.flags[frame] |= FOLIO_DIRTY;
        fr.mapcount[frame]--;
        if (--fr.refcount[frame] === 0) {
          m.checker.pageFreed(mm, addr, h.shift, epoch);
          fr.free(frame);
          m.metrics.pagesFreed++;
        }
        removed++;
      }
    } finally {
      this.unlockImmap(file);
    }
    return removed;
  }

  // ================================================================ truncate / punch hole

  /**
   * fallocate(PUNCH_HOLE) / truncate on a hugetlbfs file: hugetlb_vmdelete_list (each mapping
   * unmapped with its own gather via unmap_hugepage_range, i_mmap_rwsem held for write
   * throughout), then remove_inode_hugepages drops the page-cache references.
   * `offset` and `len` are in bytes and must be multiples of the huge page size.
   */
  punchHole(file: SimFile, offset: number, len: number): OpResult {
    const m = this.m;
    const maps = this.mappingsOf(file);
    const sz = maps.length ? this.hstateOf(maps[0].vma).size : this.pmdSize;
    if (offset % sz || len % sz || len <= 0) return fail('EINVAL', 'punch hole range not huge-page aligned');
    const startIdx = offset / this.ps;
    const endIdx = (offset + len) / this.ps;
    this.lockImmap(file);
    this.unmapLog = [];
    try {
      for (const { mm, vma } of maps) {
        const pages = (vma.end - vma.start) / this.ps;
        const vs = Math.max(startIdx, vma.pgoff);
        const ve = Math.min(endIdx, vma.pgoff + pages);
        if (vs >= ve) continue;
        // unmap_hugepage_range: its own gather
        const g = tlbGatherMmu(m, mm);
        this.unmapHugepageRange(g, vma, vma.start + (vs - vma.pgoff) * this.ps, vma.start + (ve - vma.pgoff) * this.ps);
        g.finish();
      }
      // remove_inode_hugepages
      const fr = m.frames;
      for (let idx = startIdx; idx < endIdx; idx += sz / this.ps) {
        const f = file.pages.get(idx);
        if (f === undefined) continue;
        file.pages.delete(idx);
        if (--fr.refcount[f] === 0) {
          for (const r of this.unmapLog) if (r.frame === f) m.checker.pageFreed(r.mm, r.addr, Math.log2(sz), r.epoch);
          fr.free(f);
          m.metrics.pagesFreed++;
        }
      }
    } finally {
      this.unmapLog = null;
      this.unlockImmap(file);
    }
    return OK;
  }
}
