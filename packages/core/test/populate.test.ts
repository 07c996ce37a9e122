/**
 * populateVmaRange (mm/populate.ts) leaves exactly the state the per-page loop of touch() it
 * replaces leaves: the whole machine (tables, PTEs, frames, page cache, counters, metrics,
 * checker, TLB model, trace events) compared field by field, on random mappings with pages
 * already present, copy-on-write after fork, THPs, read and write faults and a frame limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entrySize, exitMmap, fork, generic, Machine, madvise, mmap, populateVmaRange, PTE_WRITE, touch, walkToTable, type Mm, type Vma } from '../src/index.js';
import { propertyParams, propertyTestTimeout } from '../src/testing/index.js';

const PAGE = 0x1000;
const PMD = 0x200000;
/** an arena of 3 PMDs (1536 pages) from a PMD boundary: ranges cross PTE tables */
const BASE = 0x40000000;
const ARENA_PAGES = 1536;

/** The reference: touch() on each absent page, one PTE table at a time, stopping at the frame limit. */
function perPage(m: Machine, mm: Mm, v: Vma, start: number, end: number, write: boolean, maxFrames: number): number {
  const span = entrySize(m, 1);
  let a = start;
  while (a < end) {
    const tableEnd = Math.min(end, a - (a % span) + span);
    let pt = walkToTable(m, mm, a, 0, false);
    for (; a < tableEnd; a += PAGE) {
      if (pt && pt.entries[m.index(pt, a)] !== 0) continue;
      if (m.frames.allocated >= maxFrames) return a;
      touch(m, mm, a, { write });
      if (!pt) pt = walkToTable(m, mm, a, 0, false);
    }
  }
  return end;
}

/** Everything reachable from the machine but functions and lookup hints, in traversal order (cycles by reference number). */
function snapshot(root: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Map<object, number>();
  const walk = (x: unknown): void => {
    if (typeof x === 'function') {
      out.push('fn');
      return;
    }
    if (x === null || typeof x !== 'object') {
      out.push(x);
      return;
    }
    const ref = seen.get(x);
    if (ref !== undefined) {
      out.push(`#${ref}`);
      return;
    }
    seen.set(x, seen.size);
    if (ArrayBuffer.isView(x)) {
      out.push(x.constructor.name, Array.from(x as unknown as ArrayLike<number>));
      return;
    }
    if (x instanceof Map) {
      out.push('Map', x.size);
      for (const [k, v] of x) {
        walk(k);
        walk(v);
      }
      return;
    }
    if (x instanceof Set) {
      out.push('Set', x.size);
      for (const v of x) walk(v);
      return;
    }
    out.push(Array.isArray(x) ? 'Array' : x.constructor?.name);
    for (const k of Object.keys(x)) {
      // a table's kids are a lookup hint (childTable), filled by whichever walk came first: not state
      if (k === 'kids') continue;
      out.push(k);
      walk((x as Record<string, unknown>)[k]);
    }
  };
  walk(root);
  return out;
}

const vmaKind = fc.constantFrom('anon-rw', 'anon-r', 'file-private-rw', 'file-shared-rw', 'file-private-r', 'pfnmap');
const setup = fc.record({
  /** up to four VMAs over the arena, at page boundaries */
  cuts: fc.uniqueArray(fc.integer({ min: 1, max: ARENA_PAGES - 1 }), { maxLength: 3 }),
  kinds: fc.array(vmaKind, { minLength: 4, maxLength: 4 }),
  holes: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  /** pages touched before (read or write faults) */
  pre: fc.array(fc.record({ page: fc.nat(ARENA_PAGES - 1), n: fc.integer({ min: 1, max: 40 }), write: fc.boolean() }), { maxLength: 6 }),
  thp: fc.option(fc.nat(2), { nil: undefined }),
  /** fork: populate in the parent or the child, whose private pages are write-protected */
  fork: fc.constantFrom('none', 'parent', 'child'),
  dontneed: fc.option(fc.record({ page: fc.nat(ARENA_PAGES - 1), n: fc.integer({ min: 1, max: 600 }) }), { nil: undefined }),
  range: fc.record({ page: fc.nat(ARENA_PAGES - 1), n: fc.integer({ min: 1, max: ARENA_PAGES }) }),
  write: fc.boolean(),
  /** frames the machine may use beyond those in use, or no limit */
  budget: fc.option(fc.nat(700), { nil: undefined }),
});
type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;

/** Build the machine of `s`, then fault in the range with `populate`; returns the stops and the machine. */
function run(s: Setup, populate: typeof perPage): { stops: number[]; m: Machine } {
  const m = new Machine({ arch: generic(), cpus: 2, trace: true });
  let mm = m.createMm('A');
  m.addThread(mm, 'a', 0, 'running');
  const file = m.createFile('f');
  const bounds = [0, ...[...s.cuts].sort((a, b) => a - b), ARENA_PAGES];
  m.op('mmap', 0, () => {
    for (let k = 0; k + 1 < bounds.length; k++) {
      if (s.holes[k] && k > 0) continue;
      const kind = s.kinds[k];
      mmap(m, mm, {
        addr: BASE + bounds[k] * PAGE, length: (bounds[k + 1] - bounds[k]) * PAGE, read: true, write: kind.endsWith('rw'),
        shared: kind === 'file-shared-rw' || kind === 'pfnmap', file: kind.startsWith('file') || kind === 'pfnmap' ? file : undefined,
        pgoff: bounds[k], pfnmap: kind === 'pfnmap',
      });
    }
  });
  if (s.thp !== undefined) m.op('fault', 0, () => touch(m, mm, BASE + s.thp! * PMD, { thp: true }));
  for (const p of s.pre) {
    m.op('fault', 0, () => {
      for (let a = BASE + p.page * PAGE; a < BASE + Math.min(ARENA_PAGES, p.page + p.n) * PAGE; a += PAGE) touch(m, mm, a, { write: p.write });
    });
  }
  if (s.fork !== 'none') {
    const child = m.op('fork', 0, () => fork(m, mm, 'B'));
    if (s.fork === 'child') {
      m.addThread(child, 'b', 1, 'running');
      mm = child;
    }
  }
  if (s.dontneed) {
    const d = s.dontneed;
    const n = Math.min(d.n, ARENA_PAGES - d.page);
    m.op('madvise', 0, () => madvise(m, mm, BASE + d.page * PAGE, n * PAGE, 'dontneed'));
  }
  const start = BASE + s.range.page * PAGE;
  const end = BASE + Math.min(ARENA_PAGES, s.range.page + s.range.n) * PAGE;
  const maxFrames = s.budget === undefined ? Infinity : m.frames.allocated + s.budget;
  const stops: number[] = [];
  m.op('populate', 0, () => {
    // the range over each VMA it crosses, as the strace replay's touch assumption does
    for (const v of [...mm.vmas]) {
      if (v.end <= start || v.start >= end) continue;
      stops.push(populate(m, mm, v, Math.max(start, v.start), Math.min(end, v.end), s.write && v.flags.write, maxFrames));
    }
  });
  m.op('exit', 0, () => exitMmap(m, mm));
  return { stops, m };
}

describe('populateVmaRange', () => {
  it('leaves the machine exactly as touch() on each absent page does (random mappings and ranges)', () => {
    fc.assert(
      fc.property(setup, (s) => {
        const ref = run(s, perPage);
        const got = run(s, populateVmaRange);
        expect(got.stops).toEqual(ref.stops);
        expect(snapshot(got.m)).toEqual(snapshot(ref.m));
      }),
      propertyParams(200),
    );
  }, propertyTestTimeout());

  it('faults the absent pages of a range and stops at the frame limit', () => {
    const m = new Machine({ arch: generic(), cpus: 1 });
    const mm = m.createMm('A');
    m.addThread(mm, 'a', 0, 'running');
    const file = m.createFile('f');
    m.op('mmap', 0, () => mmap(m, mm, { addr: BASE, length: 1024 * PAGE, read: true, write: true, file }));
    const v = mm.vmas[0];
    m.op('fault', 0, () => touch(m, mm, BASE + 5 * PAGE, { write: false }));
    // pgd + 3 lower tables + 1 page-cache page
    expect(m.frames.allocated).toBe(5);
    // 511 copies in the first table (its page 5 is present); then a new PTE table and 100 copies
    const stop = m.op('populate', 0, () => populateVmaRange(m, mm, v, BASE, BASE + 1024 * PAGE, true, 5 + 511 + 1 + 100));
    expect(stop).toBe(BASE + 612 * PAGE);
    expect(mm.rss).toBe(612);
    expect(mm.nrPtes).toBe(2);
    // the page present before keeps its read-only PTE: no copy-on-write is forced on it
    const pt = walkToTable(m, mm, BASE, 0, false)!;
    expect(pt.entries[5] & PTE_WRITE).toBe(0);
    expect(pt.entries[6] & PTE_WRITE).toBe(PTE_WRITE);
  });
});
