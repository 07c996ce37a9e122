/**
 * One top-level operation (a system call or a kernel path) on a CPU, and what happens when it
 * returns: RCU may make progress, and the TLB model forgets ranges no pending flush can need.
 */
import type { Machine } from './machine.js';
import { Metrics } from '../metrics/metrics.js';
import { rcuQuiesce } from './rcu.js';
import { batchedFlushOwed } from './tlb-flush-batched.js';

export function runOp<T>(m: Machine, name: string, cpu: number, fn: () => T): T {
  const saved = m.curCpu;
  const savedName = m.opName;
  const top = m.opDepth === 0;
  // attribution: what a top-level operation counted, under its label (a scenario's `ops[3].munmap`)
  const label = top ? (m.opLabel ?? name) : m.currentOp;
  const bucket = top && m.perOp !== null ? opBucket(m, label!) : undefined;
  if (bucket) m.metrics.mark(bucket);
  const found = m.metrics.violations.length;
  const start = m.now;
  m.opsStarted = true;
  m.opDepth++;
  m.currentOp = label;
  m.curCpu = cpu;
  m.opName = name;
  try {
    return fn();
  } finally {
    // the actors a schedule placed in this operation stop before it returns (core SPEC.md §13)
    if (top && m.explore) m.explore.opEnd();
    m.curCpu = saved;
    m.opName = savedName;
    rcuQuiesce(m);
    for (const mm of m.mms) {
      if (mm.tlbFlushPending === 0 && mm.outstanding <= 0 && !batchedFlushOwed(mm)) m.tlb.prune(mm);
    }
    m.opDepth--;
    if (top) {
      if (bucket) {
        m.metrics.closeMark();
        bucket.violations.push(...m.metrics.violations.slice(found));
      }
      // the operation as a slice on its CPU's track, its flushes and IPIs inside (Perfetto)
      if (m.tracing) m.record({ ts: start, dur: m.now - start, cpu, name: label!, cat: 'op', op: label });
      m.currentOp = undefined;
    }
  }
}

function opBucket(m: Machine, label: string): Metrics {
  let b = m.perOp!.get(label);
  if (!b) {
    b = new Metrics(m.cpus.length, m.arch.perCpuCounters, false);
    m.perOp!.set(label, b);
  }
  return b;
}
