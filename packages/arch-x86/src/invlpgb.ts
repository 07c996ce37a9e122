/**
 * AMD INVLPGB broadcast invalidation and global ASIDs (CONFIG_BROADCAST_TLB_FLUSH, v6.15+):
 * the allocator, consider_global_asid, finish_asid_transition, broadcast_tlb_flush, and the
 * INVLPGB helpers of asm/tlb.h.
 */
import { INVALIDATE_ALL, type Invalidation, type Mm } from '@tlbsim/core';
import { INVLPGB, TLBSYNC } from './counters.js';
import { flushTlbMulti } from './flush.js';
import {
  MAX_ASID_AVAILABLE, PAGE_SHIFT, PMD_SHIFT, TLB_FLUSH_ALL, TLB_NR_DYN_ASIDS, kernPcid, userPcid,
  type FlushTlbInfo, type X86Kernel,
} from './state.js';

/** INVLPGB rAX flag bits */
export const INVLPGB_FLAG_VA = 1 << 0;
export const INVLPGB_FLAG_PCID = 1 << 1;
export const INVLPGB_FLAG_ASID = 1 << 2;
export const INVLPGB_FLAG_INCLUDE_GLOBAL = 1 << 3;
export const INVLPGB_FLAG_FINAL_ONLY = 1 << 4;

const FLAG_NAMES: [number, string][] = [
  [INVLPGB_FLAG_VA, 'VA'], [INVLPGB_FLAG_PCID, 'PCID'], [INVLPGB_FLAG_ASID, 'ASID'],
  [INVLPGB_FLAG_INCLUDE_GLOBAL, 'INCLUDE_GLOBAL'], [INVLPGB_FLAG_FINAL_ONLY, 'FINAL_ONLY'],
];

/** mm_global_asid (0: none, or INVLPGB absent) */
export function mmGlobalAsid(k: X86Kernel, mm: Mm | null): number {
  if (!k.opts.invlpgb || !mm) return 0;
  return k.mmCtx(mm).globalAsid;
}

/** mm_in_asid_transition */
export function mmInAsidTransition(k: X86Kernel, mm: Mm | null): boolean {
  if (!k.opts.invlpgb || !mm) return false;
  return k.mmCtx(mm).asidTransition;
}

/** mm_needs_global_asid: the mm has a global ASID but this CPU still uses another one */
export function mmNeedsGlobalAsid(k: X86Kernel, mm: Mm, asid: number): boolean {
  const g = mmGlobalAsid(k, mm);
  return g !== 0 && asid !== g;
}

/**
 * __invlpgb: one instruction from `cpu`. rAX = addr | flags | ASID-valid (ASID 0 on the host),
 * ECX = stride bit 31 | (nr - 1), EDX = pcid << 16.
 */
export function invlpgb(k: X86Kernel, cpu: number, pcid: number, addr: number, nr: number, pmdStride: boolean, flags: number): void {
  k.instr(cpu, INVLPGB);
  if (!k.ctx.tracing) return;
  const f = flags | INVLPGB_FLAG_ASID;
  k.ctx.trace({
    cpu, name: 'invlpgb', cat: 'tlb',
    args: {
      addr: '0x' + addr.toString(16), nr, pcid, stride: pmdStride ? 1 : 0,
      ecx: (pmdStride ? 2 ** 31 : 0) + (nr - 1), edx: pcid * 65536,
      flags: FLAG_NAMES.filter(([b]) => f & b).map(([, n]) => n).join('|'),
    },
  });
}

export function tlbsync(k: X86Kernel, cpu: number): void {
  k.instr(cpu, TLBSYNC);
}

/** invlpgb_flush_all_nonglobals: every non-global entry of every PCID on every CPU */
export function invlpgbFlushAllNonglobals(k: X86Kernel, cpu: number): void {
  invlpgb(k, cpu, 0, 0, 1, false, 0);
  tlbsync(k, cpu);
  for (const mm of k.mms) k.invalidateAllCpus(mm, INVALIDATE_ALL);
  k.ctx.countFlush(-1, 'full');
}

/** invlpgb_flush_all: everything, globals included */
export function invlpgbFlushAll(k: X86Kernel, cpu: number): void {
  invlpgb(k, cpu, 0, 0, 1, false, INVLPGB_FLAG_INCLUDE_GLOBAL);
  tlbsync(k, cpu);
  for (const mm of k.mms) k.invalidateAllCpus(mm, INVALIDATE_ALL);
  k.ctx.countFlush(-1, 'full');
}

/** reset_global_asid_space: at wrap-around a broadcast flush makes freed ASIDs reusable */
function resetGlobalAsidSpace(k: X86Kernel, cpu: number): void {
  invlpgbFlushAllNonglobals(k, cpu);
  const s = k.asids;
  for (let i = 0; i < MAX_ASID_AVAILABLE; i++) {
    if (s.freed[i]) s.used[i] = 0;
    s.freed[i] = 0;
  }
  s.last = TLB_NR_DYN_ASIDS;
}

/** allocate_global_asid (the first one after boot wraps, flushes, and returns 6) */
function allocateGlobalAsid(k: X86Kernel, cpu: number): number {
  const s = k.asids;
  if (s.last >= MAX_ASID_AVAILABLE - 1) resetGlobalAsidSpace(k, cpu);
  let asid = s.last;
  while (asid < MAX_ASID_AVAILABLE && s.used[asid]) asid++;
  if (asid >= MAX_ASID_AVAILABLE) return 0;
  s.used[asid] = 1;
  s.last = asid;
  s.available--;
  return asid;
}

/** use_global_asid: give `mm` a global ASID; CPUs move onto it lazily (asid_transition) */
export function useGlobalAsid(k: X86Kernel, mm: Mm, cpu: number): void {
  if (!k.opts.invlpgb) return;
  const c = k.mmCtx(mm);
  if (c.globalAsid) return;
  if (!k.asids.available) return;
  const asid = allocateGlobalAsid(k, cpu);
  if (!asid) return;
  c.asidTransition = true;
  c.globalAsid = asid;
}

/** mm_free_global_asid: reusable only after the next wrap-around flush */
export function mmFreeGlobalAsid(k: X86Kernel, mm: Mm): void {
  if (!k.opts.invlpgb) return;
  const c = k.mmCtx(mm);
  if (!c.globalAsid) return;
  k.asids.freed[c.globalAsid] = 1;
  c.globalAsid = 0;
  k.asids.available++;
}

/** mm_active_cpus_exceeds: more than `threshold` CPUs run the mm, not lazily */
function mmActiveCpusExceeds(k: X86Kernel, mm: Mm, threshold: number): boolean {
  const mask = k.ctx.mmCpumask(mm);
  if (mask.weight() <= threshold) return false;
  let n = 0;
  for (const cpu of mask.list()) {
    if (k.loaded(cpu) !== mm || k.cpus[cpu].isLazy) continue;
    if (++n > threshold) return true;
  }
  return false;
}

/** consider_global_asid: sampled when (pid & 31) == (jiffies & 31), for mms on 4+ CPUs */
export function considerGlobalAsid(k: X86Kernel, mm: Mm, cpu: number): void {
  if (!k.opts.invlpgb) return;
  if ((k.pid(cpu) & 31) !== (k.ctx.jiffies() & 31)) return;
  if (mmActiveCpusExceeds(k, mm, 3)) useGlobalAsid(k, mm, cpu);
}

/** finish_asid_transition: IPI stragglers still on a dynamic ASID, else end the transition */
function finishAsidTransition(k: X86Kernel, info: FlushTlbInfo): void {
  const mm = info.mm!;
  if (!mmInAsidTransition(k, mm)) return;
  const g = mmGlobalAsid(k, mm);
  const mask = k.ctx.mmCpumask(mm).list();
  for (const cpu of mask) {
    if (k.loaded(cpu) !== mm) continue;
    if (k.cpus[cpu].loadedMmAsid !== g) {
      // the flush IPI makes them switch (flush_tlb_func step 4); the flag stays set
      flushTlbMulti(k, mask, info);
      return;
    }
  }
  k.mmCtx(mm).asidTransition = false;
}

/** broadcast_tlb_flush: INVLPGB for the global PCID(s), no IPIs, no vmstat, no trace */
export function broadcastTlbFlush(k: X86Kernel, info: FlushTlbInfo): void {
  const cpu = info.initiatingCpu;
  const mm = info.mm!;
  const asid = mmGlobalAsid(k, mm);
  const pmd = info.strideShift === PMD_SHIFT;
  let inv: Invalidation;
  if (info.end === TLB_FLUSH_ALL) {
    invlpgb(k, cpu, kernPcid(asid), 0, 1, false, INVLPGB_FLAG_PCID);
    if (k.opts.pti) invlpgb(k, cpu, userPcid(asid), 0, 1, false, INVLPGB_FLAG_PCID);
    inv = INVALIDATE_ALL;
  } else {
    const step = 2 ** info.strideShift;
    let addr = info.start;
    do {
      let nr = 1;
      // 1 GiB strides: one page per instruction, encoded with the 4 KiB stride
      if (info.strideShift <= PMD_SHIFT) {
        nr = Math.min(Math.max(Math.floor((info.end - addr) / step), 1), k.opts.invlpgbCountMax);
      }
      invlpgb(k, cpu, kernPcid(asid), addr, nr, pmd, INVLPGB_FLAG_PCID | INVLPGB_FLAG_VA);
      if (k.opts.pti) invlpgb(k, cpu, userPcid(asid), addr, nr, pmd, INVLPGB_FLAG_PCID | INVLPGB_FLAG_VA);
      addr += nr * step;
    } while (addr < info.end);
    // FINAL_ONLY is never set: page-walk caches go too
    inv = { start: info.start, end: addr, stride: step, leaf: true, walk: true };
  }
  k.invalidateAllCpus(mm, inv);
  k.ctx.countFlush(-1, info.end === TLB_FLUSH_ALL ? 'full' : 'ranged');
  finishAsidTransition(k, info);
  tlbsync(k, cpu);
}

/** invlpgb_kernel_range_flush: kernel pages in chunks of invlpgb_count_max, then TLBSYNC */
export function invlpgbKernelRangeFlush(k: X86Kernel, cpu: number, start: number, end: number): void {
  for (let addr = start; addr < end;) {
    const nr = Math.min(Math.max(Math.floor((end - addr) / 2 ** PAGE_SHIFT), 1), k.opts.invlpgbCountMax);
    // invlpgb_flush_addr_nosync: INCLUDE_GLOBAL without the VA flag, as written in the kernel
    invlpgb(k, cpu, 0, addr, nr, false, INVLPGB_FLAG_INCLUDE_GLOBAL);
    addr += nr * 2 ** PAGE_SHIFT;
  }
  tlbsync(k, cpu);
  k.ctx.countFlush(-1, 'ranged');
}
