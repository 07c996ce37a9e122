/**
 * The walk's table hints (childTable, machine/pgtable-pages.ts): whatever the unmaps, frees and
 * reuses of table frames did, an entry's hint never stands for another table than the one its
 * frame names, a walk through hints reaches the same table as the lookup by frame, and no hint
 * holds on to a freed table (a long trace's memory stays bounded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generic, Machine, madvise, mmap, munmap, pteFrame, PTE_LEAF, TableState, touch, walkToTable, type PageTable } from '../src/index.js';
import { childTable, releaseKids, TableIndex } from '../src/machine/pgtable-pages.js';
import { propertyParams, propertyTestTimeout } from '../src/testing/index.js';

const PAGE = 0x1000;
const PMD = 0x200000;
const PUD = 0x40000000;
const BASE = 0x40000000;
/** spans 4 PUD entries of 4 PMD tables' worth each: unmaps free PTE and PMD tables, new faults reuse their frames */
const SPANS = 16;

/** every table entry of the tree under `t`: its hint (if any) is the table its frame names */
function checkHints(m: Machine, t: PageTable): number {
  let n = 0;
  // no hint keeps a freed table (and its entries) alive: clears drop the slot's hint, frees the table's own
  t.kids?.forEach((k) => expect(k?.state).not.toBe(TableState.Freed));
  // a hint array (new or a freed table's, emptied) holds hints between the lowest and highest slot set only: what releaseKids empties
  t.kids?.forEach((k, i) => {
    if (i < t.kidsLo || i > t.kidsHi) expect(k).toBeUndefined();
  });
  t.entries.forEach((e, i) => {
    if (e === 0 || e & PTE_LEAF || t.level === 0) return;
    const byFrame = m.tables.get(pteFrame(e))!;
    const hint = t.kids?.[i];
    if (hint !== undefined && hint.frame === pteFrame(e)) expect(hint).toBe(byFrame);
    expect(childTable(m, t, i, e)).toBe(byFrame);
    n += 1 + checkHints(m, byFrame);
  });
  return n;
}

const op = fc.record({
  kind: fc.constantFrom('map-touch', 'munmap', 'dontneed'),
  span: fc.nat(SPANS - 1),
  pages: fc.integer({ min: 1, max: 600 }),
});

describe('table hints (childTable)', () => {
  it('never stand for another table than the frame in the entry, over unmaps and reused frames', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const m = new Machine({ arch: generic(), cpus: 2 });
        const mm = m.createMm('A');
        m.addThread(mm, 'a', 0, 'running');
        for (const o of ops) {
          const addr = BASE + Math.floor(o.span / 4) * PUD + (o.span % 4) * PMD * 2 + PAGE * 3;
          const len = o.pages * PAGE;
          if (o.kind === 'map-touch') {
            m.op('mmap', 0, () => mmap(m, mm, { addr, length: len, read: true, write: true }));
            m.op('fault', 0, () => {
              for (let a = addr; a < addr + len; a += PAGE) touch(m, mm, a, { write: true });
            });
          } else if (o.kind === 'munmap') m.op('munmap', 0, () => munmap(m, mm, addr, len));
          else m.op('madvise', 0, () => madvise(m, mm, addr, len, 'dontneed'));
          checkHints(m, mm.pgd);
          // a walk through the hints ends where the per-level lookups end
          const pt = walkToTable(m, mm, addr, 0, false);
          if (pt) expect(m.tables.get(pt.frame)).toBe(pt);
        }
        expect(m.metrics.violations).toEqual([]);
      }),
      propertyParams(150),
    );
  }, propertyTestTimeout());

  it('a hint left on a slot whose table was freed and whose frame went to a new table is not used', () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    const mm = m.createMm('A');
    m.addThread(mm, 'a', 0, 'running');
    const at = (a: number) => walkToTable(m, mm, a, 0, false);
    m.op('mmap', 0, () => mmap(m, mm, { addr: BASE, length: PMD * 2, read: true, write: true }));
    m.op('fault', 0, () => touch(m, mm, BASE, { write: true }));
    const first = at(BASE)!;
    // the whole PMD-aligned range goes: free_pgtables frees the PTE table (its frame is free again)
    m.op('munmap', 0, () => munmap(m, mm, BASE, PMD * 2));
    expect(at(BASE)).toBeNull();
    m.op('mmap', 0, () => mmap(m, mm, { addr: BASE, length: PMD * 2, read: true, write: true }));
    m.op('fault', 0, () => touch(m, mm, BASE + PMD, { write: true }));
    m.op('fault', 0, () => touch(m, mm, BASE, { write: true }));
    const second = at(BASE)!;
    expect(second).not.toBe(first);
    expect(second.frame === first.frame || m.tables.get(first.frame) !== first).toBe(true);
    expect(m.tables.get(second.frame)).toBe(second);
  });

  it("a hint array goes back to the pool empty, whatever hints it still holds", () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    const mm = m.createMm('A');
    m.addThread(mm, 'a', 0, 'running');
    const fault = (a: number) => {
      m.op('fault', 0, () => touch(m, mm, a, { write: true }));
      return walkToTable(m, mm, a, 1, false)!; // its pmd table
    };
    m.op('mmap', 0, () => mmap(m, mm, { addr: PUD, length: 2 * PUD, read: true, write: true }));
    // a pmd table with hints in slots 1 and 5 (the lowest and highest set), its array released while they are still there
    fault(PUD + PMD);
    const t = fault(PUD + 5 * PMD);
    for (const i of [5, 1]) childTable(m, t, i, t.entries[i]);
    expect([t.kidsLo, t.kidsHi]).toEqual([1, 5]);
    const array = t.kids;
    releaseKids(t);
    // the next table to need one takes it (the pool's last), holding its own hint only
    const u = fault(2 * PUD + 3 * PMD);
    childTable(m, u, 3, u.entries[3]);
    expect(u.kids).toBe(array);
    expect(u.kids!.flatMap((k, i) => (k ? [i] : []))).toEqual([3]);
  });

  it('the index of an address is exact above 2^32, and a level of other than 2^n entries is refused', () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    const pgd = m.createMm('A').pgd;
    // x86-64's pgd: bits 39..47 (float arithmetic: the address exceeds 32 bits)
    expect(m.index(pgd, 0x7fff_ffff_f000)).toBe(255);
    expect(m.index(pgd, 0x0000_8000_0000 * 256 + 0x1000)).toBe(1);
    const levels = m.geometry.levels.map((l, i) => (i === 1 ? { ...l, entries: 500 } : l));
    expect(() => new TableIndex({ ...m.geometry, levels })).toThrow('level pmd: 500 entries is not a power of two');
  });
});
