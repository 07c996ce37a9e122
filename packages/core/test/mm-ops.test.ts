/** mm operations beyond the golden scenarios: mremap, fork COW, reclaim, NO_GATHER, errors. */
import { describe, expect, it } from 'vitest';
import { Machine, generic, mmap, mremap, munmap, touch, fork, reclaimFilePages, madvise, mprotect, lookupEntry, PTE_WRITE, type Kconfig } from '../src/index.js';

function machine(k: Partial<Kconfig> = {}, cpus = 2) {
  const m = new Machine({ arch: generic({ kconfig: k }), cpus });
  const mm = m.createMm('A');
  m.addThread(mm, 't0', 0, 'running');
  m.addThread(mm, 't1', 1, 'running');
  return { m, mm };
}

describe('mremap', () => {
  it('grows in place when the gap allows: no flush', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x8000 }));
    m.op('touch', 0, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
    const r = m.op('mremap', 0, () => mremap(m, mm, 0x400000, 0x8000, 0x10000));
    expect(r).toMatchObject({ ok: true, addr: 0x400000, moved: false });
    expect(m.metrics.archFlushes + m.metrics.rangedFlushes + m.metrics.fullFlushes).toBe(0);
  });
  it('moves when blocked: one flush_tlb_range of the old PTEs, pages keep their frames', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => {
      mmap(m, mm, { addr: 0x400000, length: 0x8000 });
      mmap(m, mm, { addr: 0x408000, length: 0x1000, name: 'blocker' });
    });
    m.op('touch', 0, () => { for (let i = 0; i < 8; i++) touch(m, mm, 0x400000 + i * 0x1000); });
    const frame = (a: number) => { const e = lookupEntry(m, mm, a, 0)!; return e.t.entries[e.i] >>> 6; };
    const before = frame(0x403000);
    const r = m.op('mremap', 0, () => mremap(m, mm, 0x400000, 0x8000, 0x10000));
    expect(r.ok && r.moved).toBe(true);
    expect(frame(r.addr! + 0x3000)).toBe(before);
    expect(lookupEntry(m, mm, 0x403000, 0)?.t.entries[lookupEntry(m, mm, 0x403000, 0)!.i] ?? 0).toBe(0);
    // flush_tlb_range over the 8 moved PTEs on both CPUs (one IPI), then the old range's munmap
    // finds no PTEs and frees no table (the blocker keeps it)
    expect(m.metrics.summary().tlbInstructions).toEqual({ local_flush_tlb_page: 16 });
    expect(m.metrics.ipis).toBe(1);
    expect(m.metrics.pagesFreed).toBe(0);
    expect(m.metrics.violations).toEqual([]);
    expect(m.op('mremap', 0, () => mremap(m, mm, 0x400000, 0x1000, 0x2000, false))).toMatchObject({ ok: false, errno: 'EFAULT' });
  });
  it('without MREMAP_MAYMOVE a blocked grow fails with ENOMEM', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => { mmap(m, mm, { addr: 0x400000, length: 0x8000 }); mmap(m, mm, { addr: 0x408000, length: 0x1000, name: 'b' }); });
    expect(m.op('mremap', 0, () => mremap(m, mm, 0x400000, 0x8000, 0x10000, false))).toMatchObject({ ok: false, errno: 'ENOMEM' });
  });
});

describe('fork', () => {
  it('write-protects the parent, flushes its mm, and a COW write copies with one page flush', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x4000 }));
    m.op('touch', 0, () => { for (let i = 0; i < 4; i++) touch(m, mm, 0x400000 + i * 0x1000); });
    const child = m.op('fork', 0, () => fork(m, mm, 'B'));
    expect(m.metrics.summary().tlbInstructions).toEqual({ local_flush_tlb_mm: 2 });
    const e = lookupEntry(m, mm, 0x400000, 0)!;
    expect(e.t.entries[e.i] & PTE_WRITE).toBe(0);
    m.addThread(child, 'c0', 1, 'sleeping');
    m.op('cow', 0, () => touch(m, mm, 0x400000, { write: true }));
    expect(m.metrics.summary().tlbInstructions.local_flush_tlb_page).toBe(2);
    expect(m.metrics.pagesFreed).toBe(0); // the child still maps the old page
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('reclaim', () => {
  function run(batched: boolean) {
    const m = new Machine({ arch: generic({ kconfig: { ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: batched } }), cpus: 3 });
    const f = m.createFile('cache');
    const mms = ['A', 'B'].map((n, i) => {
      const mm = m.createMm(n);
      m.addThread(mm, `${n}0`, i + 1, 'running');
      m.op('mmap', i + 1, () => mmap(m, mm, { addr: 0x400000, length: 0x4000, shared: true, file: f, write: false }));
      m.op('touch', i + 1, () => { for (let p = 0; p < 4; p++) touch(m, mm, 0x400000 + p * 0x1000, { write: false }); });
      return mm;
    });
    const r = m.op('reclaim', 0, () => reclaimFilePages(m, f, [0, 1, 2, 3]));
    return { m, r, mms };
  }
  it('without batching: one flush_tlb_page per mapping, then the folios are freed', () => {
    const { m, r } = run(false);
    expect(r).toEqual({ freed: 4, unmapped: 8, batched: false });
    expect(m.metrics.ipis).toBe(8);
    expect(m.metrics.pagesFreed).toBe(4);
    expect(m.metrics.violations).toEqual([]);
  });
});

describe('MMU_GATHER_NO_GATHER', () => {
  it('frees pages as they are zapped; with a backend whose PTE clear does not purge, the checker says so', () => {
    const { m, mm } = machine({ MMU_GATHER_NO_GATHER: true });
    m.op('mmap', 0, () => mmap(m, mm, { addr: 0x400000, length: 0x4000 }));
    m.op('touch', 1, () => { for (let i = 0; i < 4; i++) touch(m, mm, 0x400000 + i * 0x1000); });
    m.op('munmap', 0, () => munmap(m, mm, 0x400000, 0x4000));
    expect(m.metrics.batchPagesAllocated).toBe(0);
    expect(m.metrics.pagesFreed).toBe(4);
    expect(m.metrics.violations.map((v) => v.hazard)).toContain('H1');
  });
});

describe('kernel errors are returned, not thrown', () => {
  it('EINVAL, ENOMEM', () => {
    const { m, mm } = machine();
    expect(m.op('x', 0, () => munmap(m, mm, 0x400010, 0x1000))).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(m.op('x', 0, () => munmap(m, mm, 0x400000, 0))).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(m.op('x', 0, () => mprotect(m, mm, 0x400000, 0x1000, { read: true, write: false, exec: false }))).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(m.op('x', 0, () => madvise(m, mm, 0x400000, 0x1000, 'dontneed'))).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(mmap(m, mm, { length: 0 })).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
});
