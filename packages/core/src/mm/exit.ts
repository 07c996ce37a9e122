import type { Machine } from '../machine/machine.js';
import type { Thread } from '../machine/cpu.js';
import type { Mm } from '../machine/mm.js';
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
