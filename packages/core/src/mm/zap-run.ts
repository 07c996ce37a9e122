/**
 * zap_present_ptes for a run of order-0 pages (mm/memory.c), the zap's common case: PTEs of one
 * table cleared one after another, each page's mapcount dropped and the page queued in the
 * gather's active batch, written straight into its slots. A small function of its own so that
 * the loop compiles tight.
 */
import type { MmuGather } from '../gather/mmu-gather.js';
import type { Frames } from '../machine/frames.js';
import type { Machine } from '../machine/machine.js';
import type { PageTable } from '../machine/page-table.js';
import { PTE_DIRTY, PTE_FLAG_BITS } from '../machine/pte.js';

/**
 * Zap the present order-0 pages of pt.entries[i, iEnd) (entry i maps `addr`, present, with a
 * struct page, not a dirty file page; the active batch has room), stopping before a PFN entry or
 * a dirty file page (the caller's general path takes those) or after the page that fills the
 * batch. Returns the index reached, or its complement (~index, negative) when the gather is full
 * and must be flushed before more pages are queued.
 */
export function zapPresentPtesRun(m: Machine, g: MmuGather, pt: PageTable, i: number, iEnd: number, addr: number, locked: number): number {
  const fr: Frames = m.frames;
  const ents = pt.entries;
  const ps = m.levelSizes[0];
  const b = g.active;
  const full = b.max - 1;
  const n0 = b.nr;
  const bFrame = b.frame;
  const bAddr = b.addr;
  const removeEntry = g.archRemovesEntries;
  let n = n0;
  const i0 = i;
  let lastI = i;
  for (; i < iEnd; i++) {
    const pte = ents[i];
    if (pte === 0) continue;
    const f = pte >>> PTE_FLAG_BITS;
    // the rmap drop first: the TLB hook below does not look at the frame
    if (f === 0 || !fr.zapMapcount(f, (pte & PTE_DIRTY) !== 0)) break;
    ents[i] = 0;
    lastI = i;
    const a = addr + (i - i0) * ps;
    if (removeEntry) m.hooks.removeTlbEntry(g, a);
    bFrame[n] = f;
    bAddr[n] = a;
    if (++n === full) {
      i++;
      break;
    }
  }
  // what every slot of the run shares: no flag, the page size, the PTE lock's stamp
  b.flags.fill(0, n0, n);
  b.sizeShift.fill(m.geometry.pageShift, n0, n);
  b.epoch.fill(locked, n0, n);
  const last = addr + (lastI - i0) * ps;
  b.cover(addr, last + ps, locked, m.geometry.pageShift);
  const queued = n - n0;
  pt.present -= queued;
  g.mm.rss -= queued;
  return g.queuedPages(n, addr, last) ? ~i : i;
}
