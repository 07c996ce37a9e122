/**
 * GUP-fast (mm/gup.c gup_fast): a lockless walk of the page tables with IRQs off, which the
 * table-freeing IPI or RCU grace period must wait for.
 */
import type { Walker } from './cpu.js';
import type { Machine } from './machine.js';
import type { Mm } from './mm.js';
import type { PageTable } from './page-table.js';
import { PTE_LEAF, pteFrame } from './pte.js';

/** Start a GUP-fast walk of addr on cpu: IRQs off, pinned on the tables of the path. */
export function gupFastBegin(m: Machine, cpu: number, mm: Mm, addr: number): Walker {
  const c = m.cpus[cpu];
  if (c.irqsOff) throw new Error(`CPU${cpu} already has interrupts disabled`);
  const tables: number[] = [];
  let t: PageTable | undefined = mm.pgd;
  while (t) {
    tables.push(t.frame);
    if (t.level === 0) break;
    const e = t.entries[m.index(t, addr)];
    if (!e || e & PTE_LEAF) break;
    t = m.tables.get(pteFrame(e));
  }
  c.irqsOff = true;
  c.walker = { mm, addr, tables, startEpoch: ++m.tlb.epoch };
  m.gupWalkers++;
  if (m.tracing) m.trace({ cpu, name: 'gup_fast_begin', cat: 'gup', args: { addr: '0x' + addr.toString(16) } });
  return c.walker;
}

/** The walk ends: IRQs back on, the IPIs that waited are delivered. */
export function gupFastEnd(m: Machine, cpu: number): void {
  const c = m.cpus[cpu];
  if (!c.irqsOff) return;
  c.irqsOff = false;
  if (c.walker) m.gupWalkers--;
  c.walker = null;
  if (m.tracing) m.trace({ cpu, name: 'gup_fast_end', cat: 'gup' });
  const pend = c.pendingIpis;
  c.pendingIpis = [];
  for (const d of pend) d();
}
