/**
 * Issue 17, the replay side: the touch policy for MAP_NORESERVE and huge mappings (a sanitizer's
 * 16 TiB shadow mapping replays in bounded memory and time), and strace lines whose results the
 * kernel cannot have returned (refused as malformed).
 */
import { describe, expect, it } from 'vitest';
import { generic, makeGeometry, type Machine } from '@tlbsim/core';
import { ReplayError, replaySync, TOUCH_BOUNDS, type ReplayOptions, type ReplayResult } from '../src/index.js';

function run(lines: string[], opts: ReplayOptions = {}): { r: ReplayResult; m: Machine } {
  let m!: Machine;
  const r = replaySync([{ name: 't', lines: lines.map((l) => `1000 ${l}`) }], generic(), { cpus: 1, ...opts, setup: (x) => (m = x) });
  return { r, m };
}

const T16 = 2 ** 44;
const RW = 'PROT_READ|PROT_WRITE';
const { perMapping, total } = TOUCH_BOUNDS;

describe('touch policy: MAP_NORESERVE and huge mappings', () => {
  it('the bounds are 2^18 pages of one mapping per call and 2^21 pages of simulated memory in use', () => {
    expect(TOUCH_BOUNDS).toEqual({ perMapping: 262144, total: 2097152 });
  });

  it('a sanitizer\'s 16 TiB MAP_NORESERVE shadow is never touched: exit frees no page, nothing is capped', () => {
    const { r, m } = run([
      `mmap(0x7fff8000, ${T16}, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7fff8000`,
      `munmap(0x7fff8000, 65536) = 0`,
      'exit_group(0) = ?',
    ]);
    expect([r.syscalls, r.skippedCount, r.divergences]).toEqual([3, 0, 0]);
    expect(r.metrics.pagesFreed).toBe(0);
    expect(r.touchCapped).toBe(0);
    expect(m.frames.allocated).toBe(1); // the pgd
    expect(r.assumption).toContain('A mapping made accessible with MAP_NORESERVE at mmap (a sanitizer\'s shadow memory, a sparse table) is assumed used sparsely: none of its pages is touched');
    expect(r.assumption).toContain(`at most the lowest ${perMapping} pages of one mapping are faulted in by one call (a hugetlb page counts as one), and none once the simulated machine has ${total} pages in use`);
    expect(r.assumption).not.toContain('These bounds left');
  });

  it('a PROT_NONE MAP_NORESERVE reservation that mprotect opens (glibc\'s thread arenas) is touched like any other mapping', () => {
    const { r } = run([
      `mmap(NULL, 67108864, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7f0000000000`,
      `mprotect(0x7f0000000000, 135168, ${RW}) = 0`,
      `munmap(0x7f0000000000, 67108864) = 0`,
    ]);
    expect(r.metrics.pagesFreed).toBe(33);
    expect(r.touchCapped).toBe(0);
  });

  it('MAP_NORESERVE with PROT_NONE then MAP_FIXED over it without NORESERVE (commit by mmap): the committed part is touched', () => {
    const { r } = run([
      `mmap(NULL, 1048576, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7f0000000000`,
      `mmap(0x7f0000000000, 65536, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`,
      `munmap(0x7f0000000000, 1048576) = 0`,
    ]);
    expect(r.metrics.pagesFreed).toBe(16);
  });

  it('a 16 TiB mapping without MAP_NORESERVE: the lowest 2^18 pages are touched, the rest counted and said', () => {
    const { r, m } = run([
      `mmap(0x7fff8000, ${T16}, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7fff8000`,
      `munmap(0x7fff8000, ${T16}) = 0`,
    ]);
    expect(r.divergences).toBe(0);
    expect(r.metrics.pagesFreed).toBe(perMapping);
    expect(r.touchCapped).toBe(2 ** 32 - perMapping);
    expect(r.assumption).toContain(`These bounds left ${2 ** 32 - perMapping} pages untouched.`);
    expect(m.frames.allocated).toBe(1); // the pgd: everything else was freed
  });

  it('touching again considers the same lowest pages: a second call on the range adds nothing', () => {
    const { r } = run([
      `mmap(0x7fff8000, ${T16}, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7fff8000`,
      `mprotect(0x7fff8000, ${T16}, PROT_READ) = 0`,
      `munmap(0x7fff8000, ${T16}) = 0`,
    ]);
    expect(r.metrics.pagesFreed).toBe(perMapping);
    expect(r.touchCapped).toBe(2 * (2 ** 32 - perMapping));
  });

  it('mremap of a page to 16 TiB, then exit: bounded the same way', () => {
    const { r } = run([
      `mmap(NULL, 4096, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x10000000000`,
      `mremap(0x10000000000, 4096, ${T16}, MREMAP_MAYMOVE) = 0x200000000000`,
      'exit_group(0) = ?',
    ]);
    expect([r.skippedCount, r.divergences]).toEqual([0, 0]);
    // the page touched before the move, then the lowest 2^18 pages of the moved mapping at exit
    expect(r.metrics.pagesFreed).toBe(perMapping);
    expect(r.touchCapped).toBe(2 ** 32 - perMapping);
  });

  it('MAP_POPULATE of a 16 TiB MAP_NORESERVE mapping populates (the kernel does), bounded', () => {
    const { r } = run([
      `mmap(NULL, ${T16}, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_POPULATE, -1, 0) = 0x100000000000`,
      'exit_group(0) = ?',
    ]);
    expect(r.metrics.pagesFreed).toBe(perMapping);
    expect(r.touchCapped).toBe(2 ** 32 - perMapping);
  });

  // two million faults: a generous time limit on a loaded machine
  it('in total: no page is faulted in once the machine has 2^21 frames in use', { timeout: 120_000 }, () => {
    // nine separate 1 GiB mappings (gaps keep them from merging), each within the per-mapping
    // bound, unmapped by one call
    const lines: string[] = [];
    const at = (i: number) => `0x${(0x100000000000 + i * 2 ** 31).toString(16)}`;
    for (let i = 0; i < 9; i++) lines.push(`mmap(${at(i)}, 1073741824, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = ${at(i)}`);
    lines.push(`munmap(${at(0)}, ${9 * 2 ** 31}) = 0`);
    const { r, m } = run(lines);
    // frames in use when the machine fills: the pgd and one PUD table; seven whole GiBs of data
    // with their 512 PTE tables and PMD table each; in the eighth GiB D8 data pages, its PMD table
    // and ceil(D8 / 512) PTE tables: D8 + ceil(D8 / 512) = 2^21 - 2 - 7 * 513 - 7 * 2^18 - 1, so
    // D8 = 258046. The rest of the eighth GiB and all of the ninth are left untouched.
    const d8 = 258046;
    expect(d8 + Math.ceil(d8 / 512)).toBe(total - 2 - 7 * 513 - 7 * perMapping - 1);
    expect(r.metrics.pagesFreed).toBe(7 * perMapping + d8);
    expect(r.metrics.tablesFreed).toBe(7 * 513 + 1 + 504 + 1); // and the PUD table
    expect(r.touchCapped).toBe(perMapping - d8 + perMapping);
    expect(r.assumption).toContain(`These bounds left ${perMapping - d8 + perMapping} pages untouched.`);
    expect(m.frames.allocated).toBe(1); // the pgd
  });
});

describe('results the kernel cannot have returned are malformed lines (failure 9)', () => {
  const RESULTS: [string, string][] = [
    [`mmap(NULL, 8192, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000800`, 'mmap: the result 0x7f0000000800 is not aligned to the 4096-byte page'],
    [`mmap(0x7f0000000000, 8192, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000`, 'mmap: MAP_FIXED at 0x7f0000000000 returned 0x7f0000010000'],
    [`mmap(0x7f0000000000, 8192, ${RW}, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000`, 'mmap: MAP_FIXED_NOREPLACE at 0x7f0000000000 returned 0x7f0000010000'],
    [`mmap(0x7f0000000001, 8192, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000001`, 'mmap: the result 0x7f0000000001 is not aligned to the 4096-byte page'],
    [`mmap(NULL, 8192, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -5`, 'mmap: the result -0x5 is not aligned to the 4096-byte page'],
    [`mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f0000100010`, 'mremap: the result 0x7f0000100010 is not aligned to the 4096-byte page'],
    [`mremap(0x7f0000000000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f0000200000) = 0x7f0000300000`, 'mremap: MREMAP_FIXED to 0x7f0000200000 returned 0x7f0000300000'],
  ];
  for (const [line, reason] of RESULTS) {
    it(reason, () => {
      const { r } = run([`mmap(0x7f0000000000, 4096, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`, line]);
      expect(r.syscalls).toBe(2);
      expect(r.skipped).toEqual([{ file: 't', line: 2, reason: `unparseable: ${reason}` }]);
      expect(r.divergences).toBe(0);
      // --strict: the error of the first such line, in the first pass already
      expect(() => run(['mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000400000', line], { strict: true, cpus: undefined })).toThrow(new ReplayError('t', 2, reason));
    });
  }
  it('aligned results, and MAP_FIXED returning its address, are replayed', () => {
    const ok = run([`mmap(0x7f0000000000, 8192, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`, `mmap(NULL, 8192, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000`]).r;
    expect([ok.skippedCount, ok.divergences]).toEqual([0, 0]);
    const small = `mmap(NULL, 8192, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000`;
    expect(run([small]).r.skippedCount).toBe(0);
  });
  it('a failed call is not checked (its result is an error)', () => {
    const { r } = run([`mmap(0x7f0000000000, 8192, ${RW}, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)`]);
    expect([r.failures, r.skippedCount]).toEqual([1, 0]);
  });
});

describe('found by the fuzz suite', () => {
  it('MAP_HUGETLB on a machine without a hugetlb implementation is a skipped line, not an error when it is unmapped', () => {
    const line = 'mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, -1, 0) = 0x7f0000200000';
    const { r } = run([line, line.replace('mmap(NULL,', 'mmap(0x7f0000200000,').replace('MAP_HUGETLB', 'MAP_HUGETLB|MAP_FIXED'), 'munmap(0x7f0000200000, 2097152) = 0']);
    const reason = 'not replayed: MAP_HUGETLB needs a hugetlb implementation on the machine (@tlbsim/hugetlb, installed by setup)';
    expect(r.skipped).toEqual([{ file: 't', line: 1, reason }, { file: 't', line: 2, reason }]);
    expect(r.divergences).toBe(0);
  });
});

describe('moving a huge mapping', () => {
  it('mremap of a 16 TiB MAP_NORESERVE mapping to a fixed address moves it whole, still not touched (the page-table walk skips empty PUD entries)', () => {
    const { r, m } = run([
      `mmap(NULL, ${T16}, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x10000000000`,
      `mremap(0x10000000000, ${T16}, ${T16}, MREMAP_MAYMOVE|MREMAP_FIXED, 0x400000000000) = 0x400000000000`,
    ]);
    expect([r.skippedCount, r.divergences, r.metrics.pagesFreed, r.touchCapped]).toEqual([0, 0, 0, 0]);
    expect(m.mms[0].vmas.map((v) => [v.start.toString(16), v.end.toString(16), v.name])).toEqual([['400000000000', '500000000000', 'noreserve']]);
  });
});

describe('found by the CLI fuzz suite', () => {
  it('a length of 2^64 on a remapped address space (a 39-bit VA, as riscv Sv39) is refused at once, not walked 1 GiB at a time', () => {
    const geometry = makeGeometry({ pageShift: 12, bitsPerLevel: 9, realLevels: 3, taskSize: 2 ** 39 });
    const lines = [
      `mmap(NULL, 16384, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`,
      'munmap(0x7f0000000000, 18446744073709551615) = 0',
      `mmap(NULL, 18446744073709551615, ${RW}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000100000`,
    ].map((l) => `1000 ${l}`);
    const r = replaySync([{ name: 't', lines }], generic({ geometry }), { cpus: 1 });
    expect(r.skipped).toEqual([{ file: 't', line: 3, reason: 'not replayed: the simulated mmap refused: the target address space cannot hold this range next to the others' }]);
    // the munmap's piece covers the used slot: the mapping is gone
    expect(r.metrics.pagesFreed).toBe(4);
  });
});
