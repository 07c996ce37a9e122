/**
 * The state one hugetlb installation shares between its modules: the configuration (hstates,
 * sizes, whether PMD sharing is built in), the unshare policy of the chosen kernel behaviour, the
 * sharing registry, the locks, and the small page-table and flush helpers every caller uses.
 */
import { alignDown, alignUp, tableSpan, walkToTable, type Machine, type Mm, type MmuGather, type PageTable, type SimFile, type Vma } from '@tlbsim/core';
import { hstatesFor, pmdSharingBuiltIn, type Hstate } from './hstate.js';
import { ZERO_STATS, type Behaviour, type HugetlbOptions, type HugetlbStats } from './options.js';
import { behaviourOf } from './features.js';
import { ShareRegistry } from './share-registry.js';
import { tlbRemoveTableSyncOne } from './sync.js';
import { unsharePolicy, type UnsharePolicy } from './unshare-policy.js';

/** A freed-or-unmapped record for H1 checks of pages freed outside a gather (punch hole). */
export interface UnmapRec {
  mm: Mm;
  addr: number;
  frame: number;
  epoch: number;
}

export class HugetlbContext {
  readonly behaviour: Behaviour;
  readonly policy: UnsharePolicy;
  readonly checkReuse: boolean;
  /** hstates of this configuration, smallest first */
  readonly hstates: readonly Hstate[];
  /** CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING */
  readonly sharing: boolean;
  readonly pmdSize: number;
  readonly pudSize: number;
  readonly stats: HugetlbStats = { ...ZERO_STATS };
  readonly ps: number;
  readonly registry = new ShareRegistry();
  /** VMA boundaries for which hugetlb_split already ran: `${mm.id}:${addr}` */
  readonly splitDone = new Set<string>();
  /** collects unmapped translations while a punch hole runs (for the H1 check at the free) */
  unmapLog: UnmapRec[] | null = null;

  /** VMAs without a hugetlb VMA lock (allocation failed, or freed at final unmap) */
  private readonly noVmaLock = new WeakSet<Vma>();
  /** i_mmap_rwsem held for write, per file (a depth count) */
  private readonly immapWrite = new Map<SimFile, number>();

  constructor(readonly m: Machine, opts: HugetlbOptions = {}) {
    // the machine's kernel decides; `behaviour` overrides it (a what-if, like --feature)
    this.behaviour = opts.behaviour ?? behaviourOf(m.kernel);
    if (!['V0', 'V1', 'V2'].includes(this.behaviour)) throw new RangeError(`unknown hugetlb behaviour ${String(this.behaviour)}`);
    this.checkReuse = opts.checkReuse ?? true;
    const geo = m.geometry;
    this.ps = 2 ** geo.pageShift;
    this.pmdSize = 2 ** geo.levels[1].shift;
    this.pudSize = 2 ** geo.levels[2].shift;
    this.sharing = pmdSharingBuiltIn(geo, m.kconfig);
    this.hstates = hstatesFor(geo, m.arch.hugePageSizes, m.kconfig);
    this.policy = unsharePolicy(this.behaviour, this);
  }

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

  note(s: string, args?: Record<string, unknown>): void {
    const m = this.m;
    m.note(s);
    if (m.tracing) m.trace({ cpu: m.curCpu, name: s.split(' ')[0], cat: 'hugetlb', args });
  }

  lockImmap(file: SimFile | null): void {
    if (!file) return;
    this.immapWrite.set(file, (this.immapWrite.get(file) ?? 0) + 1);
  }
  unlockImmap(file: SimFile | null): void {
    if (!file) return;
    const n = (this.immapWrite.get(file) ?? 0) - 1;
    if (n <= 0) this.immapWrite.delete(file);
    else this.immapWrite.set(file, n);
  }
  /** i_mmap_assert_write_locked (hugetlb SPEC.md §8 invariant 4) */
  assertImmap(vma: Vma, where: string, addr: number): void {
    if (vma.file) this.m.checker.warnIf(!this.immapWrite.has(vma.file), this.m.curCpu, addr, () => `${where} without i_mmap_rwsem held for write`);
  }

  /** The last huge page inside the span of the `h.level` table containing `addr` (the |= last_addr_mask skip). */
  lastInTable(addr: number, h: Hstate): number {
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
  pudSlot(mm: Mm, addr: number): { pud: PageTable; pi: number } | null {
    const pud = walkToTable(this.m, mm, addr, 2, false);
    if (!pud || pud.level !== 2) return null;
    return { pud, pi: this.m.index(pud, addr) };
  }

  /** tlb_remove_table_sync_one() from hugetlb code (counted when it is not a NOP) */
  syncOne(): void {
    if (tlbRemoveTableSyncOne(this.m)) this.stats.syncIpis++;
  }

  /** flush_hugetlb_tlb_range (and rmap's flush_tlb_range on a hugetlb VMA): a direct arch flush */
  directFlush(mm: Mm, vma: Vma, start: number, end: number): void {
    this.stats.directFlushes++;
    this.stats.flushes++;
    this.note(`flush_hugetlb_tlb_range(${mm.name}) [0x${start.toString(16)}, 0x${end.toString(16)})`);
    this.m.hooks.flushTlbRange(mm, start, end, { exec: vma.flags.exec, hugetlb: true, hugeShift: vma.hugeShift });
  }

  /** huge_pmd_unshare_flush -> tlb_flush_unshared_tables: the flush point of a V2 batch */
  hugePmdUnshareFlush(g: MmuGather, vma: Vma): void {
    this.assertImmap(vma, 'huge_pmd_unshare_flush', g.start);
    if (g.fullyUnsharedTables && this.m.kconfig.MMU_GATHER_RCU_TABLE_FREE) this.stats.syncIpis++;
    g.flushUnsharedTables();
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

  /** The page-cache index (in base pages) of the huge page at `haddr` of `vma`. */
  fileIndex(vma: Vma, haddr: number): number {
    return vma.pgoff + (haddr - vma.start) / this.ps;
  }

  /** All live (mm, vma) pairs mapping hugetlb file `file` (the file's i_mmap interval tree). */
  mappingsOf(file: SimFile): { mm: Mm; vma: Vma }[] {
    const r: { mm: Mm; vma: Vma }[] = [];
    for (const mm of this.m.mms) {
      if (mm.dead) continue;
      for (const vma of mm.vmas) if (vma.file === file && vma.flags.hugetlb) r.push({ mm, vma });
    }
    return r;
  }
}
