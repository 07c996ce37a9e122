import type { Machine } from '../machine/machine.js';
import type { Thread } from '../machine/cpu.js';
import type { Mm } from '../machine/mm.js';
import { TableState } from '../machine/page-table.js';
import { releaseKids } from '../machine/pgtable-pages.js';
import { tlbGatherMmu } from '../gather/mmu-gather.js';
import { freePgtables } from './free-pgtables.js';
import { unmapVmas } from './zap.js';
import { USER_PGTABLES_CEILING } from './munmap.js';

/** exit_mmap: a fullmm gather over every VMA, then all page tables, then finish */
export function exitMmap(m: Machine, mm: Mm): void {
  const g = tlbGatherMmu(m, mm, true);
  const vmas = mm.vmas;
  unmapVmas(m, g, vmas, 0, Infinity);
  freePgtables(m, g, vmas, m.geometry.firstUserAddress, USER_PGTABLES_CEILING);
  g.finish();
  mm.vmas = [];
  mm.dead = true;
  m.hooks.destroyMm(mm);
}

/**
 * A thread exits: exit_mm leaves its CPU lazy on the mm; the last user tears the mm down
 * (mmput -> exit_mmap) from that CPU. The CPU then idles.
 */
export function exitThread(m: Machine, t: Thread): void {
  const c = m.cpus[t.cpu];
  const mm = t.mm;
  t.state = 'exited';
  if (c.curr === t) {
    c.curr = null;
    if (mm && c.loadedMm === mm && !c.lazy) m.hooks.enterLazy(t.cpu, mm);
    c.lazy = true;
  }
  if (!mm) return;
  mm.users--;
  if (mm.users === 0) exitMmap(m, mm);
}

/**
 * __mmdrop (kernel/fork.c): the last reference to a torn-down mm is gone (no thread uses it, no
 * CPU has it loaded, no flush or freed table is pending): mm_free_pgd gives its pgd page back
 * (pgd_free, not through a gather: no TLB can reach it any more; tablesFreed counts the lower
 * tables only), and the machine forgets the mm. Without this, every process of a long trace kept
 * its pgd.
 */
export function mmdrop(m: Machine, mm: Mm): void {
  const i = m.mms.indexOf(mm);
  if (i >= 0) m.mms.splice(i, 1);
  m.tlb.forget(mm);
  const pgd = mm.pgd;
  if (m.tables.get(pgd.frame) === pgd) {
    pgd.state = TableState.Freed;
    releaseKids(pgd);
    m.tables.delete(pgd.frame);
    m.frames.free(pgd.frame);
  }
}
