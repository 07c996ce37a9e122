/**
 * The local flush primitives (arch/x86/mm/tlb.c): what one CPU executes to invalidate its own
 * TLB. They count instructions; the callers report what was invalidated to the checker.
 */
import { CR3_WRITE, CR4_WRITE, INVPCID, NR_TLB_LOCAL_FLUSH_ONE } from './counters.js';
import { ID_INVLPG, kernPcid, type X86Kernel } from './state.js';

/** invalidate_user_asid: under PTI the user PCID is flushed on the next return to user */
export function invalidateUserAsid(k: X86Kernel, cpu: number, asid: number): void {
  if (!k.opts.pcid || !k.opts.pti) return;
  const bit = kernPcid(asid);
  if (bit < 31) k.cpus[cpu].userPcidFlushMask |= 1 << bit;
}

/**
 * `n` calls of native_flush_tlb_one_user: INVLPG on the current PCID; under PTI the user PCID
 * too, with INVPCID (single address) where the CPU has it and CR4.PCIDE is set, else deferred.
 */
export function flushTlbOneUser(k: X86Kernel, cpu: number, n: number): void {
  if (n <= 0) return;
  k.instrById(cpu, ID_INVLPG, n);
  if (!k.opts.pti) return;
  if (k.opts.invpcid && k.opts.pcid) k.instr(cpu, INVPCID, n);
  else invalidateUserAsid(k, cpu, k.cpus[cpu].loadedMmAsid);
}

/** native_flush_tlb_local: mark the user PCID, rewrite CR3 without NOFLUSH (current PCID) */
export function flushTlbLocal(k: X86Kernel, cpu: number): void {
  invalidateUserAsid(k, cpu, k.cpus[cpu].loadedMmAsid);
  k.instr(cpu, CR3_WRITE);
}

/**
 * __flush_tlb_all (PGE is always present on x86-64): INVPCID all contexts including globals,
 * or two CR4.PGE toggles without INVPCID.
 */
export function flushTlbAllLocal(k: X86Kernel, cpu: number): void {
  if (k.opts.invpcid) k.instr(cpu, INVPCID);
  else k.instr(cpu, CR4_WRITE, 2);
}

/** `n` calls of flush_tlb_one_kernel (one kernel page each) */
export function flushTlbOneKernel(k: X86Kernel, cpu: number, n: number): void {
  k.counter(cpu, NR_TLB_LOCAL_FLUSH_ONE, n);
  flushTlbOneUser(k, cpu, n);
  // under PTI kernel mappings are not global: other PCIDs must be flushed before reuse
  if (k.opts.pti && n > 0) k.cpus[cpu].invalidateOther = true;
}
