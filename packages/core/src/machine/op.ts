/**
 * One top-level operation (a system call or a kernel path) on a CPU, and what happens when it
 * returns: RCU may make progress, and the TLB model forgets ranges no pending flush can need.
 */
import type { Machine } from './machine.js';
import { rcuQuiesce } from './rcu.js';
import { batchedFlushOwed } from './tlb-flush-batched.js';

export function runOp<T>(m: Machine, name: string, cpu: number, fn: () => T): T {
  const saved = m.curCpu;
  const savedName = m.opName;
  m.opsStarted = true;
  m.curCpu = cpu;
  m.opName = name;
  try {
    return fn();
  } finally {
    m.curCpu = saved;
    m.opName = savedName;
    rcuQuiesce(m);
    for (const mm of m.mms) {
      if (mm.tlbFlushPending === 0 && mm.outstanding <= 0 && !batchedFlushOwed(mm)) m.tlb.prune(mm);
    }
  }
}
