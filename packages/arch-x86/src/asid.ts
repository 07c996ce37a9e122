/**
 * Per-CPU ASID (PCID) slots: choose_new_asid and clear_asid_other (arch/x86/mm/tlb.c).
 */
import type { Mm } from '@tlbsim/core';
import { mmGlobalAsid } from './invlpgb.js';
import { TLB_NR_DYN_ASIDS, type X86Kernel } from './state.js';

export interface NewAsid {
  asid: number;
  needFlush: boolean;
}

/** clear_asid_other: after a PTI kernel flush, every slot but the loaded one must flush on reuse */
export function clearAsidOther(k: X86Kernel, cpu: number): void {
  const st = k.cpus[cpu];
  if (!k.opts.pti) {
    st.invalidateOther = false;
    return;
  }
  for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
    if (a === st.loadedMmAsid) continue;
    st.ctxs[a].ctxId = 0;
    // the PCID's old entries are abandoned, not flushed: stop tracking whose they were
    st.ctxs[a].owner = null;
  }
  st.invalidateOther = false;
}

/** choose_new_asid(next, next_tlb_gen) on `cpu` (next null: init_mm) */
export function chooseNewAsid(k: X86Kernel, cpu: number, next: Mm | null, nextGen: number): NewAsid {
  if (!k.opts.pcid) return { asid: 0, needFlush: true };
  // a global ASID is kept current by INVLPGB broadcasts
  if (next) {
    const g = mmGlobalAsid(k, next);
    if (g) return { asid: g, needFlush: false };
  }
  const st = k.cpus[cpu];
  if (st.invalidateOther) clearAsidOther(k, cpu);
  const id = k.ctxIdOf(next);
  for (let a = 0; a < TLB_NR_DYN_ASIDS; a++) {
    if (st.ctxs[a].ctxId !== id) continue;
    return { asid: a, needFlush: st.ctxs[a].tlbGen < nextGen };
  }
  // no slot on this CPU: take the next one round-robin
  let asid = st.nextAsid++;
  if (asid >= TLB_NR_DYN_ASIDS) {
    asid = 0;
    st.nextAsid = 1;
  }
  return { asid, needFlush: true };
}
