import { Machine, tlbGatherMmu, type Mm, type MmuGather } from '@tlbsim/core';
import { arm64, arm64Internals, tlbiSequence, type Arm64Options, type Arm64Runtime, type SequenceOptions } from '../src/index.js';

export const K4 = 0x1000;

/** A traced machine on arm64 with process A running a thread on every CPU. */
export function setup(opts: Arm64Options = {}, cpus = 4) {
  const m = new Machine({ arch: arm64(opts), cpus, trace: true });
  const mm = m.createMm('A');
  const threads = Array.from({ length: cpus }, (_, i) => m.addThread(mm, `a${i}`, i, 'running'));
  const rt = m.runtime as Arm64Runtime;
  return { m, mm, threads, rt, asid: arm64Internals(m).asids.asid(mm) };
}

/** Gather fields a golden scenario sets directly. */
export type GatherFields = Partial<Pick<MmuGather, 'start' | 'end' | 'freedTables' | 'clearedPtes' | 'clearedPmds' | 'clearedPuds' | 'clearedP4ds' | 'unsharedTables'>> & { fullmm?: boolean };

/** Build a gather with `f`, run tlb_flush_mmu_tlbonly on CPU0, and return the instructions issued. */
export function flushGather(m: Machine, mm: Mm, f: GatherFields, seq: SequenceOptions = {}): string[] {
  const before = m.events.length;
  m.op('gather', 0, () => {
    const g = tlbGatherMmu(m, mm, f.fullmm ?? false);
    const { fullmm, ...rest } = f;
    void fullmm;
    Object.assign(g, rest);
    g.flushMmuTlbonly();
    g.finish();
  });
  return tlbiSequence(m.events.slice(before), seq);
}

/** The instructions issued while running fn. */
export function seqOf(m: Machine, fn: () => void, seq: SequenceOptions = {}): string[] {
  const before = m.events.length;
  fn();
  return tlbiSequence(m.events.slice(before), seq);
}

/** `n` single by-VA lines from start at stride, e.g. `TLBI VALE1IS 0x400000 asid=2 L3`. */
export function singles(op: string, start: number, n: number, stride: number, asid: number, hint: string | null): string[] {
  return Array.from({ length: n }, (_, i) => `TLBI ${op} 0x${(start + i * stride).toString(16)} asid=${asid}${hint ? ` ${hint}` : ''}`);
}

export const hx = (n: number) => '0x' + n.toString(16);
