/** Write-protection faults with their flushes (mm/wp-fault.ts) and execve's address-space work (mm/exec.ts). */
import { describe, expect, it } from 'vitest';
import { Machine, doFaultAround, execve, faultsAround, fork, generic, mmap, mprotect, munmap, touch, ZERO_PAGE_FRAME, pteFrame, lookupEntry } from '../src/index.js';

function machine(cpus = 2) {
  const m = new Machine({ arch: generic(), cpus });
  const mm = m.createMm('A');
  const t = m.addThread(mm, 't0', 0, 'running');
  return { m, mm, t };
}
const pte = (m: Machine, mm: Parameters<typeof touch>[1], a: number) => {
  const e = lookupEntry(m, mm, a, 0)!;
  return e.t.entries[e.i];
};
const flushes = (m: Machine, fn: string) => m.metrics.flushesBy.get(fn) ?? 0;
const A = 0x400000;

describe('the zero page (do_anonymous_page, wp_page_copy)', () => {
  it('a read fault maps the zero page (no rss), the first write replaces it with one flush_tlb_page', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000 }));
    m.op('read', 0, () => touch(m, mm, A, { write: false, zeroPage: true }));
    expect(mm.rss).toBe(0);
    expect(pteFrame(pte(m, mm, A))).toBe(ZERO_PAGE_FRAME);
    expect(flushes(m, 'flush_tlb_page')).toBe(0);
    m.op('write', 0, () => touch(m, mm, A, { write: true, zeroPage: true }));
    expect(mm.rss).toBe(1);
    expect(pteFrame(pte(m, mm, A))).not.toBe(ZERO_PAGE_FRAME);
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
    // a second write reuses the now exclusive page
    m.op('write', 0, () => touch(m, mm, A, { write: true, zeroPage: true }));
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
  });
  it('without zeroPage a read fault allocates, and the write needs no flush (scenarios unchanged)', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000 }));
    m.op('read', 0, () => touch(m, mm, A, { write: false }));
    m.op('write', 0, () => touch(m, mm, A, { write: true }));
    expect(mm.rss).toBe(1);
    expect(flushes(m, 'flush_tlb_page')).toBe(0);
  });
  it('mprotect never makes a zero-page PTE writable; munmap of it frees no page', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000 }));
    m.op('read', 0, () => touch(m, mm, A, { write: false, zeroPage: true }));
    m.op('mprotect', 0, () => mprotect(m, mm, A, 0x4000, { read: true, write: false, exec: false }));
    m.op('mprotect', 0, () => mprotect(m, mm, A, 0x4000, { read: true, write: true, exec: false }));
    expect(pte(m, mm, A) & 2).toBe(0);
    const freed = m.metrics.pagesFreed;
    m.op('munmap', 0, () => munmap(m, mm, A, 0x4000));
    expect(m.metrics.pagesFreed).toBe(freed);
  });
});

describe('copy on write (do_wp_page)', () => {
  it('a private file page read then written is copied with one flush', () => {
    const { m, mm } = machine();
    const f = m.createFile('lib.so');
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000, file: f }));
    m.op('read', 0, () => touch(m, mm, A, { write: false }));
    m.op('write', 0, () => touch(m, mm, A, { write: true }));
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
    // the page-cache page stays (the cache holds it)
    expect(f.pages.size).toBe(1);
  });
  it('after fork, the first write of each side to a shared page copies it with a flush; the last one reuses', () => {
    const { m, mm } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000 }));
    m.op('write', 0, () => touch(m, mm, A));
    const child = m.op('fork', 0, () => fork(m, mm, 'B'));
    m.addThread(child, 'c', 1, 'running');
    m.op('write', 0, () => touch(m, mm, A));
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
    m.op('write', 1, () => touch(m, child, A));
    // the child's page is exclusive again once the parent copied: wp_page_reuse, no flush
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
  });
});

describe('execve (exec_mmap, setup_arg_pages)', () => {
  const stack = (m: Machine) => ({ stackTopMax: m.geometry.taskSize, stackTop: m.geometry.taskSize - 2 ** 32, argPages: 1 });
  it('moves the stack: one flush_tlb_range and one tlb_flush in the new mm; the old mm is torn down', () => {
    const { m, mm, t } = machine();
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 0x4000 }));
    m.op('write', 0, () => touch(m, mm, A));
    const neu = m.createMm('B');
    const before = m.metrics.flushesBy.get('tlb_flush') ?? 0;
    m.op('execve', 0, () => execve(m, t, neu, stack(m)));
    expect(mm.dead).toBe(true);
    expect(t.mm).toBe(neu);
    expect(m.cpus[0].loadedMm).toBe(neu);
    expect(flushes(m, 'flush_tlb_range')).toBe(1);
    // exit_mmap of the old mm (1) and free_pgd_range of the old stack place (1)
    expect((m.metrics.flushesBy.get('tlb_flush') ?? 0) - before).toBe(2);
    const v = neu.vmas[0];
    expect([neu.vmas.length, v.end, v.end - v.start]).toEqual([1, m.geometry.taskSize - 2 ** 32, 131072]);
    expect(neu.rss).toBe(1);
  });
  it('an mm another thread still uses is not torn down', () => {
    const { m, mm, t } = machine();
    m.addThread(mm, 't1', 1, 'running');
    m.op('execve', 0, () => execve(m, t, m.createMm('B'), stack(m)));
    expect([mm.dead, mm.users]).toEqual([false, 1]);
  });
});

describe('fault-around (do_fault_around)', () => {
  it('a read fault on a private file mapping maps the 16-page aligned window read-only; a write to one of them copies it with a flush', () => {
    const { m, mm } = machine();
    const f = m.createFile('lib.so');
    // 20 pages from A + 2 pages: the window of page 5 is pages 0..15 of the 16-aligned block, inside the VMA
    m.op('mmap', 0, () => mmap(m, mm, { addr: A, length: 20 * 0x1000, file: f }));
    let mapped = 0;
    m.op('read', 0, () => {
      touch(m, mm, A + 5 * 0x1000, { write: false });
      mapped = doFaultAround(m, mm, mm.findVma(A)!, A + 5 * 0x1000);
    });
    expect(mapped).toBe(15);
    expect([pte(m, mm, A) !== 0, pte(m, mm, A + 15 * 0x1000) !== 0, pte(m, mm, A + 16 * 0x1000)]).toEqual([true, true, 0]);
    m.op('write', 0, () => touch(m, mm, A + 3 * 0x1000, { write: true }));
    expect(flushes(m, 'flush_tlb_page')).toBe(1);
  });
  it('the window starts no lower than the VMA and ends within it; anonymous memory never faults around', () => {
    const { m, mm } = machine();
    const f = m.createFile('lib.so');
    m.op('mmap', 0, () => mmap(m, mm, { addr: A + 3 * 0x1000, length: 4 * 0x1000, file: f }));
    m.op('mmap', 0, () => mmap(m, mm, { addr: A + 0x100000, length: 0x10000 }));
    const n = m.op('read', 0, () => {
      touch(m, mm, A + 0x4000, { write: false });
      return doFaultAround(m, mm, mm.findVma(A + 0x4000)!, A + 0x4000);
    });
    // pages 3..6 of the block: the faulting one (4) is already mapped
    expect(n).toBe(3);
    expect(m.op('read', 0, () => doFaultAround(m, mm, mm.findVma(A + 0x100000)!, A + 0x100000))).toBe(0);
    expect(faultsAround(mm.findVma(A + 0x100000)!)).toBe(false);
  });
});
