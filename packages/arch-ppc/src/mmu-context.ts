/**
 * Per-run state and `mm->context` (book3s64 mm_context_t): the PID / context id, the
 * active_cpus count that flush_type_needed and mm_is_thread_local read, and attached
 * coprocessors (copros).
 */
import type { ArchContext, Mm } from '@tlbsim/core';
import type { ResolvedPpcOptions } from './options.js';
import type { PpcKernel } from './kernel-features.js';

export interface MmContext {
  /** mm->context.id: the radix PID (also the hash context id); allocated from 1 */
  id: number;
  /** atomic context.active_cpus: CPUs that switched to the mm since last trimmed, +1 while copros > 0 */
  activeCpus: number;
  /** atomic context.copros: nest-MMU users */
  copros: number;
  /** which CPUs this backend has counted in activeCpus (mirrors mm_cpumask) */
  readonly counted: Uint8Array;
}

/** Everything one machine's powerpc backend keeps: options, CPU features, per-CPU state. */
export class PpcRun {
  /** CPU_FTR_ARCH_31 (POWER10) */
  readonly arch31: boolean;
  /** CPU_FTR_P9_TLBIE_ERAT_BUG */
  readonly eratBug: boolean;
  /** CPU_FTR_P9_TLBIE_STQ_BUG */
  readonly stqBug: boolean;
  /** tlbie_enabled (debugfs-writable) and tlbie_capable */
  tlbieEnabled: boolean;
  tlbieCapable: boolean;
  /** per-CPU mm_cpumask_trim_clock */
  readonly trimClock: Uint32Array;
  readonly pageShift: number;
  readonly pmdShift: number;
  readonly pudShift: number;
  singleCeiling: number;
  localCeiling: number;
  private nextId = 1;

  constructor(readonly ctx: ArchContext, readonly o: ResolvedPpcOptions, readonly k: PpcKernel) {
    this.arch31 = o.cpu === 'power10';
    this.eratBug = o.p9Errata !== 'none';
    this.stqBug = o.p9Errata === 'erat+stq';
    this.tlbieEnabled = o.tlbie;
    // disable_tlbie clears both; a copro user can only exist while tlbie is capable (debugfs off)
    this.tlbieCapable = o.tlbie || o.coprocessors > 0;
    this.trimClock = new Uint32Array(ctx.nrCpus);
    this.pageShift = ctx.geometry.pageShift;
    this.pmdShift = ctx.geometry.levels[1].shift;
    this.pudShift = ctx.geometry.levels[2].shift;
    this.singleCeiling = o.ceiling;
    this.localCeiling = o.localCeiling;
  }

  /** mm->context, created when the mm is first seen (init_new_context + copro attach). */
  mmContext(mm: Mm): MmContext {
    return this.ctx.mmState(mm, () => {
      const copros = this.o.coprocessors;
      // mm_context_add_copro: the first copro adds one to active_cpus, forcing global flushes
      return { id: this.nextId++, activeCpus: copros > 0 ? 1 : 0, copros, counted: new Uint8Array(this.ctx.nrCpus) };
    });
  }

  /** The task running on `cpu` uses `mm` (current->mm == mm). */
  currentUses(cpu: number, mm: Mm): boolean {
    return this.ctx.cpus[cpu].currentMm === mm;
  }
}

/**
 * switch_mm_irqs_off: the first time a CPU switches to an mm since it was last trimmed, it sets
 * its bit in mm_cpumask and increments active_cpus. Radix tags the TLB by PID, so switching away
 * flushes nothing and leaves the bit set; only the trimming paths clear it.
 */
export function switchMm(r: PpcRun, cpu: number, next: Mm): void {
  const c = r.mmContext(next);
  if (!c.counted[cpu]) {
    c.counted[cpu] = 1;
    c.activeCpus++;
  }
  // core set the mask bit before calling us; keep it set even if something cleared it
  r.ctx.mmCpumask(next).set(cpu);
}

/** The bookkeeping half of leaving an mm's cpumask (dec_mm_active_cpus + cpumask_clear_cpu). */
export function leaveCpumask(r: PpcRun, cpu: number, mm: Mm): void {
  const c = r.mmContext(mm);
  if (c.counted[cpu]) {
    c.counted[cpu] = 0;
    c.activeCpus--;
  }
  r.ctx.mmCpumask(mm).clear(cpu);
}
