/**
 * Raw TLB maintenance instructions (arm64 asm/tlbflush.h: __tlbi, __tlbi_user, __TLBI_VADDR,
 * __tlbi_level_asid, __tlbi_range, dsb/isb and the __tlbi_sync_s1ish* completion helpers).
 *
 * Every instruction is counted on the issuing CPU under its mnemonic (`TLBI VALE1IS`,
 * `DSB ISH`...) and, when tracing, recorded as a trace event so tests can assert the exact
 * sequence. What the instructions invalidate is reported by the callers (tlbflush.ts), once per
 * operation group, which keeps bookkeeping per flush rather than per page.
 */
import type { ArchContext, Mm } from '@tlbsim/core';
import type { Arm64Config } from './options.js';
import type { GranuleInfo } from './granule.js';

export type TlbiOp =
  | 'VALE1IS' | 'VAE1IS' | 'ASIDE1IS' | 'VALE1' | 'VMALLE1' | 'VMALLE1IS' | 'VAALE1IS' | 'VAAE1IS'
  | 'RVALE1IS' | 'RVAE1IS' | 'RVALE1' | 'RVAALE1IS';
export type DsbDomain = 'ISHST' | 'ISH' | 'NSHST' | 'NSH';

/** Operations on a user ASID: under KPTI each is issued again for the user half of the ASID pair. */
const USER_OPS: ReadonlySet<TlbiOp> = new Set<TlbiOp>(['VALE1IS', 'VAE1IS', 'ASIDE1IS', 'VALE1', 'RVALE1IS', 'RVAE1IS', 'RVALE1']);

/** TLBI_TTL_UNKNOWN: no level hint (the kernel uses INT_MAX; any value outside 0..3). */
export const TTL_UNKNOWN = -1;

export const hex = (n: number): string => (n === Infinity ? '~0' : '0x' + n.toString(16));
const bhex = (n: bigint): string => '0x' + n.toString(16);
const MASK44 = (1n << 44n) - 1n;
const MASK37 = (1n << 37n) - 1n;

/** The instruction emitter of one run, bound to the arch context. */
export class Tlbi {
  private readonly twinUser: boolean;
  constructor(
    private readonly ctx: ArchContext,
    private readonly cfg: Arm64Config,
    private readonly gi: GranuleInfo,
  ) {
    this.twinUser = cfg.opts.kpti;
  }

  dsb(dom: DsbDomain): void {
    const cpu = this.ctx.currentCpu();
    this.ctx.instr(cpu, `DSB ${dom}`);
    if (this.ctx.tracing) this.ctx.trace({ cpu, name: 'dsb', cat: 'tlb', args: { op: dom } });
  }

  isb(): void {
    const cpu = this.ctx.currentCpu();
    this.ctx.instr(cpu, 'ISB');
    if (this.ctx.tracing) this.ctx.trace({ cpu, name: 'isb', cat: 'tlb' });
  }

  /**
   * The barriers after a page-table store (set_pmd, set_pud, set_p4d, set_pgd): DSB ISHST makes
   * the entry visible to the table walkers, ISB drops a translation fault the pipeline may have
   * taken on the old entry. Traced with `pgtable: true` (no TLB maintenance is pending).
   */
  pgtableBarriers(): void {
    const cpu = this.ctx.currentCpu();
    this.ctx.instr(cpu, 'DSB ISHST');
    this.ctx.instr(cpu, 'ISB');
    if (!this.ctx.tracing) return;
    this.ctx.trace({ cpu, name: 'dsb', cat: 'tlb', args: { op: 'ISHST', pgtable: true } });
    this.ctx.trace({ cpu, name: 'isb', cat: 'tlb', args: { pgtable: true } });
  }

  /**
   * The level a non-range operand is hinted with, or null (__tlbi_level_asid): only with FEAT_TTL.
   * Before c910f2b65518 level 0 meant "unknown"; since, it is a real hint and TLBI_TTL_UNKNOWN
   * means none.
   */
  hintLevel(level: number): number | null {
    if (!this.cfg.hints) return null;
    if (!this.cfg.ttlUnknown) return level >= 1 && level <= 3 ? level : null;
    return level >= 0 && level <= 3 ? level : null;
  }

  /** Emit one instruction (with its REPEAT_TLBI copy before a8f78680ee6b) for tracing. */
  private one(cpu: number, op: TlbiOp, args: Record<string, unknown>): void {
    const ctx = this.ctx;
    ctx.instr(cpu, `TLBI ${op}`);
    ctx.trace({ cpu, name: 'tlbi', cat: 'tlb', args: { op, ...args } });
    if (this.cfg.repeatEach) {
      // the workaround's alternative sequence: dsb ish; tlbi <same op and operand>
      ctx.instr(cpu, 'DSB ISH');
      ctx.trace({ cpu, name: 'dsb', cat: 'tlb', args: { op: 'ISH', repeat: true } });
      ctx.instr(cpu, `TLBI ${op}`);
      ctx.trace({ cpu, name: 'tlbi', cat: 'tlb', args: { op, ...args, repeat: true } });
    }
  }

  /** Count `n` executions of `op` (+ KPTI twins, + REPEAT_TLBI copies) without tracing. */
  private bulk(cpu: number, op: TlbiOp, n: number): void {
    const twins = this.twinUser && USER_OPS.has(op) ? 2 : 1;
    const perInsn = this.cfg.repeatEach ? 2 : 1;
    this.ctx.instr(cpu, `TLBI ${op}`, n * twins * perInsn);
    if (this.cfg.repeatEach) this.ctx.instr(cpu, 'DSB ISH', n * twins);
  }

  /**
   * `n` by-VA operations at start, start + stride, ... (the loop of __flush_tlb_range_op without
   * range support; __tlbi_level_asid + __tlbi_user for each).
   */
  va(op: TlbiOp, start: number, n: number, stride: number, asid: number, level: number): void {
    if (n <= 0) return;
    const cpu = this.ctx.currentCpu();
    if (!this.ctx.tracing) {
      this.bulk(cpu, op, n);
      return;
    }
    const hint = this.hintLevel(level);
    const ttl = hint === null ? 0 : (this.gi.tg << 2) | hint;
    const user = this.twinUser && USER_OPS.has(op);
    for (let i = 0; i < n; i++) {
      const va = start + i * stride;
      const base = (BigInt(Math.floor(va / 4096)) & MASK44) | (BigInt(ttl) << 44n);
      this.one(cpu, op, { va: hex(va), asid, level: hint, ttl, operand: bhex(base | (BigInt(asid) << 48n)) });
      if (user) this.one(cpu, op, { va: hex(va), asid: asid | 1, level: hint, ttl, operand: bhex(base | (BigInt(asid | 1) << 48n)), user: true });
    }
  }

  /** TLBI ASIDE1IS: everything tagged with one ASID (+ its user twin under KPTI). */
  asid(asid: number): void {
    const cpu = this.ctx.currentCpu();
    if (!this.ctx.tracing) {
      this.bulk(cpu, 'ASIDE1IS', 1);
      return;
    }
    this.one(cpu, 'ASIDE1IS', { asid, operand: bhex(BigInt(asid) << 48n) });
    if (this.twinUser) this.one(cpu, 'ASIDE1IS', { asid: asid | 1, operand: bhex(BigInt(asid | 1) << 48n), user: true });
  }

  /** Operations without an operand (VMALLE1, VMALLE1IS). */
  all(op: TlbiOp): void {
    const cpu = this.ctx.currentCpu();
    if (!this.ctx.tracing) this.bulk(cpu, op, 1);
    else this.one(cpu, op, {});
  }

  /**
   * One range operation (__tlbi_range) covering (num + 1) << (5 * scale + 1) pages from addr.
   * BADDR is the page number, or addr >> 16 under LPA2; the 2-bit TTL is the level if 1..3.
   */
  range(op: TlbiOp, addr: number, asid: number, scale: number, num: number, level: number): void {
    const cpu = this.ctx.currentCpu();
    if (!this.ctx.tracing) {
      this.bulk(cpu, op, 1);
      return;
    }
    const baddr = Math.floor(addr / 2 ** (this.cfg.opts.lpa2 ? 16 : this.gi.pageShift));
    const ttl = level >= 1 && level <= 3 ? level : 0;
    const pages = (num + 1) * 2 ** (5 * scale + 1);
    const base = (BigInt(baddr) & MASK37) | (BigInt(ttl) << 37n) | (BigInt(num) << 39n) | (BigInt(scale) << 44n) | (BigInt(this.gi.tg) << 46n);
    const args = { va: hex(addr), baddr: hex(baddr), tg: this.gi.tg, scale, num, ttl, pages };
    this.one(cpu, op, { ...args, asid, operand: bhex(base | (BigInt(asid) << 48n)) });
    if (this.twinUser && USER_OPS.has(op)) this.one(cpu, op, { ...args, asid: asid | 1, operand: bhex(base | (BigInt(asid | 1) << 48n)), user: true });
  }

  /** The REPEAT_TLBI tail of a completing sync (a8f78680ee6b): TLBI VALE1IS, XZR; DSB ISH. */
  private repeatTail(): void {
    if (!this.cfg.repeatSync) return;
    const cpu = this.ctx.currentCpu();
    this.ctx.instr(cpu, 'TLBI VALE1IS');
    if (this.ctx.tracing) this.ctx.trace({ cpu, name: 'tlbi', cat: 'tlb', args: { op: 'VALE1IS', xzr: true, asid: 0, operand: '0x0' } });
    this.dsb('ISH');
  }

  /** __tlbi_sync_s1ish(mm): complete broadcast user maintenance (a bare dsb(ish) before a8f78680ee6b). */
  syncUser(): void {
    this.dsb('ISH');
    this.repeatTail();
  }
  /** __tlbi_sync_s1ish_batch(): arch_tlbbatch_flush's completion */
  syncBatch(): void {
    this.dsb('ISH');
    this.repeatTail();
  }
  /** __tlbi_sync_s1ish_kernel() */
  syncKernel(): void {
    this.dsb('ISH');
    this.repeatTail();
  }

  /** mmu_notifier_arch_invalidate_secondary_tlbs(mm, start, end) (6bbd42e2df8f): a no-op without SMMU SVA users. */
  notify(mm: Mm, start: number, end: number): void {
    if (!this.cfg.notifier || !this.ctx.tracing) return;
    this.ctx.trace({ cpu: this.ctx.currentCpu(), name: 'mmu_notifier', cat: 'tlb', args: { mm: mm.name, start: hex(start), end: hex(end) } });
  }
}
