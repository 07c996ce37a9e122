import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { generic, makeGeometry, type Machine, type Mm } from '@tlbsim/core';
import { ReplayError, replay, replaySync, type ReplayOptions, type ReplayResult } from '../src/index.js';
import { CONFIG_X } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/strace/${name}`, import.meta.url), 'utf8').split('\n').filter(Boolean);

/** Replay lines on the generic backend, keeping the machine for inspection. */
function run(lines: string[], opts: ReplayOptions = {}, kconfig = {}): { r: ReplayResult; m: Machine } {
  let m!: Machine;
  const r = replaySync([{ name: 't', lines }], generic({ kconfig }), { ...opts, setup: (x) => (m = x) });
  return { r, m };
}
const vmas = (mm: Mm) => mm.vmas.map((v) => [v.start.toString(16), v.end.toString(16), (v.flags.read ? 'r' : '-') + (v.flags.write ? 'w' : '-') + (v.flags.exec ? 'x' : '-'), v.name ?? '']);
const liveMm = (m: Machine, i = 0) => m.mms.filter((x) => !x.dead)[i];

const A = '0x7f0000000000';
const ANON = 'PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0';

describe('exact counts: the tiny fixture', () => {
  // tiny.txt, on 2 CPUs (threads 100 and 101 overlap):
  //  - munmap of 4 touched pages while 101 runs on CPU1; config G flushes at tlb_end_vma (4 pages)
  //    and again at tlb_finish_mmu for the freed PTE table (1 page): 2 flushes, 2 IPIs, 10 page flushes
  //  - the ENOMEM mmap is a failure, not applied
  //  - madvise(DONTNEED) of 2 touched pages on CPU1: 1 flush, 1 IPI (to CPU0), 4 page flushes
  //  - brk grows the heap by 33 pages (untouched until the exit)
  //  - the garbage line is skipped; SIGCHLD and +++ lines are not
  //  - exit_group: the last thread touches the 2 + 33 remaining pages, exit_mmap flushes the mm
  //    on CPU0 and CPU1 (lazy on the mm): 1 flush, 1 IPI, 2 local_flush_tlb_mm
  //  pages freed: 4 + 2 + 35 = 41
  const lines = fixture('tiny.txt');
  it('config G', () => {
    const { r } = run(lines);
    expect(r.lines).toBe(18);
    expect(r.syscalls).toBe(11);
    expect(r.failures).toBe(1);
    expect(r.skippedCount).toBe(1);
    expect(r.skipped).toEqual([{ file: 't', line: 15, reason: 'unparseable: unrecognised line "this line is not strace output"' }]);
    expect(r.cpus.length).toBe(2);
    expect(r.threads).toBe(2);
    expect(r.processes).toBe(1);
    expect(r.metrics.archFlushes).toBe(4);
    expect(r.metrics.ipis).toBe(4);
    expect(r.metrics.pagesFreed).toBe(41);
    expect(r.metrics.tlbInstructions).toEqual({ local_flush_tlb_mm: 2, local_flush_tlb_page: 14 });
    expect(r.metrics.tablesFreed).toBe(7);
    expect(r.violations).toEqual([]);
    expect(r.divergences).toBe(0);
    expect(r.implied).toBe(0);
    expect(r.callSites.byIpis.map((c) => [c.line, c.ipis, c.tlbInstructions, c.archFlushes])).toEqual([[7, 2, 10, 2], [11, 1, 4, 1], [17, 1, 2, 1]]);
    expect(r.callSites.byTlbInstructions.map((c) => c.line)).toEqual([7, 11, 17]);
    expect(r.callSites.byIpis[0].text).toBe('munmap(0x7f0000000000, 16384) = 0');
  });
  it('config X (MERGE_VMAS, PT_RECLAIM): the munmap flushes once', () => {
    const { r } = run(lines, {}, CONFIG_X);
    expect([r.syscalls, r.failures, r.skippedCount]).toEqual([11, 1, 1]);
    expect(r.metrics.archFlushes).toBe(3);
    expect(r.metrics.ipis).toBe(3);
    expect(r.metrics.pagesFreed).toBe(41);
    expect(r.metrics.tlbInstructions).toEqual({ local_flush_tlb_mm: 2, local_flush_tlb_page: 12 });
    expect(r.violations).toEqual([]);
  });
  it('touch=none frees no data pages; touch=written frees the writable ones', () => {
    expect(run(lines, { touch: 'none' }).r.metrics.pagesFreed).toBe(0);
    expect(run(lines, { touch: 'written' }).r.metrics.pagesFreed).toBe(41);
  });
});

describe('mmap and munmap', () => {
  it('touch rules: PROT_NONE, read-only anonymous, read-only file and shared file mappings', () => {
    const t = [
      `1 mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000`,
      `1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000`,
      `1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f0000020000`,
      `1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = 0x7f0000030000`,
      `1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, 4, 0) = 0x7f0000040000`,
      `1 munmap(0x7f0000000000, 327680) = 0`,
    ];
    // all: the read-only anonymous (2, read faults) and the writable private file mapping (2, COW)
    expect(run(t).r.metrics.pagesFreed).toBe(4);
    expect(run(t, { touch: 'written' }).r.metrics.pagesFreed).toBe(2);
    expect(run(t, { touch: 'none' }).r.metrics.pagesFreed).toBe(0);
  });
  it('uses the traced address; MAP_FIXED unmaps what is in the way first', () => {
    const { r, m } = run([
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      `1 mmap(0x7f0000001000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000`,
    ]);
    expect(vmas(liveMm(m))).toEqual([
      ['7f0000000000', '7f0000001000', 'rw-', ''], ['7f0000001000', '7f0000002000', 'r--', ''], ['7f0000002000', '7f0000004000', 'rw-', ''],
    ]);
    expect(r.metrics.pagesFreed).toBe(1);
    expect(r.divergences).toBe(0);
  });
  it('a kernel-chosen address that the model still maps is a divergence (unmapped, then mapped)', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 mmap(NULL, 4096, ${ANON}) = ${A}`]);
    expect(r.divergences).toBe(1);
    // only the overlap is unmapped (its page freed); the new mapping merges with the rest
    expect(r.metrics.pagesFreed).toBe(1);
    expect(vmas(liveMm(m))).toEqual([['7f0000000000', '7f0000004000', 'rw-', '']]);
  });
  it('a failed mmap is counted and not applied', () => {
    const { r, m } = run([`1 mmap(NULL, 70368744177664, ${ANON}) = -1 ENOMEM (Cannot allocate memory)`]);
    expect([r.syscalls, r.failures]).toEqual([1, 1]);
    expect(liveMm(m).vmas).toEqual([]);
  });
  it('MAP_POPULATE populates at once, whatever the touch rule', () => {
    const { r } = run([`1 mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE, -1, 0) = ${A}`, `1 munmap(${A}, 16384) = 0`], { touch: 'none' });
    expect(r.metrics.pagesFreed).toBe(4);
  });
});

describe('mprotect, madvise', () => {
  it('mprotect write-protects touched pages with a flush, and the checker is satisfied', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 mprotect(${A}, 8192, PROT_READ) = 0`]);
    expect(vmas(liveMm(m))).toEqual([['7f0000000000', '7f0000002000', 'r--', ''], ['7f0000002000', '7f0000004000', 'rw-', '']]);
    expect(r.metrics.archFlushes).toBe(1);
    expect(r.violations).toEqual([]);
  });
  it('mprotect of a range the trace never mapped (made by execve) creates an implied mapping', () => {
    const { r, m } = run([`1 mprotect(0x555555554000, 4096, PROT_READ) = 0`]);
    expect(r.implied).toBe(1);
    expect(vmas(liveMm(m))).toEqual([['555555554000', '555555555000', 'r--', 'implied']]);
  });
  it('MADV_DONTNEED frees the pages, MADV_FREE does not, MADV_DONTFORK is ignored with a reason', () => {
    const mk = (adv: string) => [`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 madvise(${A}, 16384, ${adv}) = 0`];
    expect(run(mk('MADV_DONTNEED')).r.metrics.pagesFreed).toBe(4);
    const free = run(mk('MADV_FREE')).r;
    expect(free.metrics.pagesFreed).toBe(0);
    expect(free.metrics.archFlushes).toBe(1);
    const df = run(mk('MADV_DONTFORK')).r;
    expect(df.metrics.pagesFreed).toBe(0);
    expect(df.skipped).toEqual([{ file: 't', line: 2, reason: 'ignored: madvise MADV_DONTFORK: changes VMA flags only' }]);
  });
});

describe('mremap', () => {
  it('MREMAP_MAYMOVE lands at the traced address with its pages moved', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 mremap(${A}, 16384, 65536, MREMAP_MAYMOVE) = 0x7f0000200000`]);
    expect(vmas(liveMm(m))).toEqual([['7f0000200000', '7f0000210000', 'rw-', '']]);
    expect(r.metrics.pagesFreed).toBe(0);
    expect(r.metrics.rangedFlushes).toBeGreaterThan(0);
    const after = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 mremap(${A}, 16384, 65536, MREMAP_MAYMOVE) = 0x7f0000200000`, `1 munmap(0x7f0000200000, 65536) = 0`]).r;
    expect(after.metrics.pagesFreed).toBe(16);
    expect(after.violations).toEqual([]);
  });
  it('MREMAP_FIXED moves to the given address, unmapping what was there', () => {
    const { r, m } = run([
      `1 mmap(NULL, 8192, ${ANON}) = ${A}`,
      `1 mmap(NULL, 8192, ${ANON}) = 0x7f0000100000`,
      `1 mremap(${A}, 8192, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f0000100000) = 0x7f0000100000`,
    ]);
    expect(vmas(liveMm(m))).toEqual([['7f0000100000', '7f0000102000', 'rw-', '']]);
    expect(r.metrics.pagesFreed).toBe(2);
    expect(r.divergences).toBe(0);
  });
  it('grows and shrinks in place', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 mremap(${A}, 16384, 32768, 0) = ${A}`, `1 mremap(${A}, 32768, 8192, 0) = ${A}`]);
    expect(vmas(liveMm(m))).toEqual([['7f0000000000', '7f0000002000', 'rw-', '']]);
    expect(r.metrics.pagesFreed).toBe(6);
  });
});

describe('brk', () => {
  it('grows as an anonymous mapping at the old break and shrinks with munmap; a failed brk is a failure', () => {
    const { r, m } = run([
      '1 brk(NULL) = 0x555555559000',
      '1 brk(0x55555557a000) = 0x55555557a000',
      '1 brk(0x55555559b000) = 0x55555559b000',
      '1 brk(0x555555569800) = 0x555555569800',
      '1 brk(0x7fffffffffff) = 0x555555569800',
    ]);
    expect(vmas(liveMm(m))).toEqual([['555555559000', '55555556a000', 'rw-', 'heap']]);
    expect(r.metrics.pagesFreed).toBe(0x9b - 0x6a);
    expect(r.failures).toBe(1);
  });
  it('a brk without brk(NULL) first is skipped with a reason', () => {
    const { r } = run(['1 brk(0x55555557a000) = 0x55555557a000']);
    expect(r.skipped[0].reason).toMatch(/start of the heap is unknown/);
  });
});

describe('processes and threads', () => {
  it('clone with CLONE_VM makes a thread on another CPU: unmaps send IPIs', () => {
    const t = [
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      `1 clone(child_stack=0x7f0000100000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM) = 2`,
      `1 munmap(${A}, 16384) = 0`,
    ];
    const { r } = run(t);
    expect(r.cpus.length).toBe(2);
    expect(r.metrics.ipis).toBe(2);
    // on one CPU the two threads share it: nobody to interrupt
    expect(run(t, { cpus: 1 }).r.metrics.ipis).toBe(0);
  });
  it('fork copies the address space (COW flush in the parent), the child exits, its mm is torn down', () => {
    const { r, m } = run([
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      `1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = 2`,
      `2 munmap(${A}, 16384) = 0`,
      `2 exit_group(0) = ?`,
      `2 +++ exited with 0 +++`,
    ]);
    expect(r.processes).toBe(2);
    expect(r.metrics.fullFlushes).toBeGreaterThan(0);
    expect(r.violations).toEqual([]);
    // the parent keeps its 4 pages; the child's mm is dead (kept only while CPU1 is lazy on it)
    const live = m.mms.filter((x) => !x.dead);
    expect(live.length).toBe(1);
    expect(vmas(live[0])).toEqual([['7f0000000000', '7f0000004000', 'rw-', '']]);
    expect(m.mms.length).toBe(2);
    expect(m.cpus[1].loadedMm?.dead).toBe(true);
  });
  it('vfork + execve: the child borrows the mm until it execs into a new one', () => {
    const { r, m } = run([
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 vfork( <unfinished ...>',
      '2 execve("/usr/bin/as", ["as"], 0x7f00 /* 1 var */ <unfinished ...>',
      '1 <... vfork resumed>) = 2',
      '2 <... execve resumed>) = 0',
      `2 mmap(NULL, 8192, ${ANON}) = 0x7f1000000000`,
    ]);
    expect(r.processes).toBe(2);
    expect(r.threads).toBe(2);
    expect(m.mms.map((x) => [x.name, vmas(x).length])).toEqual([['pid 1', 1], ['as[2]', 1]]);
  });
  it('execve replaces the address space; the old one is torn down', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, '1 execve("/bin/true", ["true"], 0x1 /* 0 vars */) = 0']);
    expect(r.metrics.pagesFreed).toBe(4);
    expect(m.mms.map((x) => x.name)).toEqual(['true[1]']);
  });
  it('a failed execve changes nothing', () => {
    const { r, m } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, '1 execve("/nope", ["nope"], 0x1 /* 0 vars */) = -1 ENOENT (No such file or directory)']);
    expect([r.failures, r.metrics.pagesFreed, m.mms.length]).toEqual([1, 0, 1]);
  });
  it('exit ends a thread; the mm goes with the last one', () => {
    const { r } = run([
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0}, 88) = 2',
      '2 exit(0) = ?',
      '2 +++ exited with 0 +++',
      '1 exit_group(0) = ?',
      '1 +++ exited with 0 +++',
    ]);
    expect(r.metrics.pagesFreed).toBe(4);
    expect(r.metrics.fullFlushes).toBe(2); // exit_mmap: CPU0 itself and CPU1, lazy on the mm
  });
  it('an execve by a non-leader thread (superseded) replaces the group with one thread', () => {
    const { r, m } = run([
      `100 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '100 clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0}, 88) = 101',
      '101 execve("/bin/true", ["true"], 0x1 /* 0 vars */ <unfinished ...>',
      '101 +++ superseded by execve in pid 100 +++',
      '100 <... execve resumed>) = 0',
      `100 mmap(NULL, 4096, ${ANON}) = 0x7f1000000000`,
    ]);
    expect(r.metrics.pagesFreed).toBe(4);
    expect(m.mms.filter((x) => !x.dead).map((x) => [x.name, x.users])).toEqual([['true[100]', 1]]);
    expect(r.skippedCount).toBe(0);
  });
  it('strace without -f: untraced threads are not created, untraced children are forked and dropped', () => {
    const { r } = run([
      `mmap(NULL, 16384, ${ANON}) = ${A}`,
      'clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0}, 88) = 2',
      'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = 3',
    ]);
    expect(r.cpus.length).toBe(1);
    expect(r.processes).toBe(2);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      'partly replayed: thread 2 is not traced (strace without -f) and is not created',
      'partly replayed: child 3 is not traced (strace without -f): forked, and its mm dropped at once',
    ]);
  });
});

describe('ordering across threads', () => {
  it('an address handed out while another thread is still unmapping it waits for that unmap', () => {
    const t = [
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0}, 88) = 2',
      `1 munmap(${A}, 16384 <unfinished ...>`,
      `2 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 <... munmap resumed>) = 0',
    ];
    const { r, m } = run(t);
    expect(r.divergences).toBe(0);
    expect(r.metrics.pagesFreed).toBe(4);
    expect(vmas(liveMm(m))).toEqual([['7f0000000000', '7f0000004000', 'rw-', '']]);
  });
  it('a child whose lines come before its parent\'s clone returns is attached to that clone', () => {
    const { r } = run([
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SIGHAND, exit_signal=0} <unfinished ...>',
      `2 munmap(${A}, 16384) = 0`,
      '1 <... clone3 resumed> => {parent_tid=[2]}, 88) = 2',
    ]);
    expect(r.processes).toBe(1);
    expect(r.threads).toBe(2);
    expect(r.metrics.pagesFreed).toBe(4);
    expect(r.metrics.ipis).toBe(2);
  });
});

describe('errors, skipped lines, options', () => {
  it('strict makes an unparseable line an error with its line number', () => {
    expect(() => run(['1 brk(NULL) = 0x1000', 'garbage'], { strict: true })).toThrowError(ReplayError);
    expect(() => run(['1 brk(NULL) = 0x1000', 'garbage'], { strict: true })).toThrowError('t:2: unrecognised line "garbage"');
    expect(() => run(['1 mmap(NULL) = 0x1000'], { strict: true })).toThrowError(/t:1: mmap: expected 6 arguments/);
  });
  it('keeps at most 100 skipped lines and counts them all', () => {
    const { r } = run(['1 brk(NULL) = 0x1000', ...Array.from({ length: 150 }, (_, i) => `junk ${i}`)]);
    expect(r.skipped.length).toBe(100);
    expect(r.skippedCount).toBe(150);
    expect(r.lines).toBe(151);
  });
  it('call sites: at most 10 each, by IPIs and by TLB instructions, highest first', () => {
    const t = [`1 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 2`];
    for (let i = 0; i < 15; i++) t.push(`1 mmap(NULL, ${4096 * (i + 1)}, ${ANON}) = 0x7f00${(i + 16).toString(16)}000000`, `1 munmap(0x7f00${(i + 16).toString(16)}000000, ${4096 * (i + 1)}) = 0`);
    const { r } = run(t);
    expect(r.callSites.byIpis.length).toBe(10);
    expect(r.callSites.byTlbInstructions.length).toBe(10);
    const instr = r.callSites.byTlbInstructions.map((c) => c.tlbInstructions);
    expect(instr).toEqual([...instr].sort((a, b) => b - a));
    expect(r.callSites.byTlbInstructions[0].text).toBe('munmap(0x7f001e000000, 61440) = 0');
  });
  it('trace: one syscall event per replayed call', () => {
    const { r } = run([`1 mmap(NULL, 16384, ${ANON}) = ${A}`, `1 munmap(${A}, 16384) = 0`], { trace: true });
    expect(r.events!.filter((e) => e.cat === 'syscall').map((e) => e.name)).toEqual(['mmap', 'munmap']);
  });
  it('validates options', () => {
    expect(() => run([], { cpus: 0 })).toThrowError(/cpus/);
    expect(() => run([], { touch: 'some' as never })).toThrowError(/touch/);
  });
  it('states the assumption in words', () => {
    const { r } = run([]);
    expect(r.touch).toBe('all');
    expect(r.assumption).toMatch(/^touch=all: before a range is unmapped, changed/);
    expect(run([], { touch: 'none' }).r.assumption).toMatch(/^touch=none/);
  });
});

describe('inputs', () => {
  const t = [`1 mmap(NULL, 16384, ${ANON}) = ${A}`, '1 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 2', `1 munmap(${A}, 16384) = 0`];
  it('async iterables and factories; cpus counted in a first pass', async () => {
    async function* gen() {
      for (const l of t) yield l;
    }
    const r = await replay([{ name: 'a', lines: () => gen() }], generic());
    expect([r.cpus.length, r.metrics.ipis, r.lines]).toEqual([2, 2, 3]);
  });
  it('files read as streams (what the CLI would pass: a factory opening the file each pass)', async () => {
    const path = new URL('./fixtures/strace/threads.txt', import.meta.url);
    const lines = () => createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    const r = await replay([{ name: 'threads.txt', lines }], generic());
    const s = replaySync([{ name: 'threads.txt', lines: fixture('threads.txt') }], generic());
    expect(r).toEqual(s);
  });
  it('a one-shot stream needs cpus', async () => {
    function* gen() {
      yield* t;
    }
    await expect(replay([{ name: 'a', lines: gen() }], generic())).rejects.toThrow(/can be read only once/);
    const r = await replay([{ name: 'a', lines: gen() }], generic(), { cpus: 4 });
    expect([r.cpus.length, r.metrics.ipis]).toEqual([4, 2]);
  });
  it('a stream that reads differently the second time is an error', async () => {
    let n = 0;
    // the first call only checks that the input is not an iterator itself; the second is the first pass
    const flaky = { [Symbol.iterator]: () => (++n <= 2 ? t : t.slice(1))[Symbol.iterator]() };
    await expect(replay([{ name: 'a', lines: flaky }], generic())).rejects.toThrow(/3 lines in the first pass and 2 in the second/);
  });
  it('strace -ff files are merged by timestamp, the pid coming from the file name', () => {
    const r = replaySync([
      { name: 'x.1', lines: [`10:00:00.000001 mmap(NULL, 16384, ${ANON}) = ${A}`, '10:00:00.000002 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 2', `10:00:00.000005 munmap(${A}, 16384) = 0`] },
      { name: 'x.2', lines: [`10:00:00.000003 mmap(NULL, 8192, ${ANON}) = 0x7f0000100000`, '10:00:00.000004 exit(0) = ?', '10:00:00.000004 +++ exited with 0 +++'] },
    ], generic());
    expect(r.threads).toBe(2);
    expect(r.cpus.length).toBe(2);
    expect(r.divergences).toBe(0);
    // thread 2 had exited: CPU1 is lazy on the mm, still in mm_cpumask, so it is interrupted (once:
    // the PTE table stays, it also maps thread 2's mapping)
    expect(r.metrics.ipis).toBe(1);
    expect(r.metrics.pagesFreed).toBe(4);
  });
});

describe('strace -ff edge', () => {
  it('a child file whose first line has the same timestamp as the parent\'s clone (and sorts first)', () => {
    const r = replaySync([
      { name: 'x.2', lines: [`10:00:00.000002 munmap(${A}, 16384) = 0`, '10:00:00.000003 exit(0) = ?', '10:00:00.000003 +++ exited with 0 +++'] },
      { name: 'x.1', lines: [`10:00:00.000001 mmap(NULL, 16384, ${ANON}) = ${A}`, '10:00:00.000002 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 2'] },
    ], generic());
    expect([r.processes, r.threads, r.metrics.pagesFreed, r.divergences]).toEqual([1, 2, 4, 0]);
  });
});

describe('targets with another page size or a smaller address space', () => {
  const g64k = makeGeometry({ pageShift: 16, bitsPerLevel: 13, realLevels: 3, taskSize: 2 ** 48 });
  const g39 = makeGeometry({ pageShift: 12, bitsPerLevel: 9, realLevels: 3, taskSize: 2 ** 39 });
  for (const [name, geometry] of [['64K pages', g64k], ['39-bit VA', g39]] as const) {
    it(`${name}: the python fixture replays with each trace page one target page`, () => {
      const base = replaySync([{ name: 'python.txt', lines: fixture('python.txt') }], generic());
      const r = replaySync([{ name: 'python.txt', lines: fixture('python.txt') }], generic({ geometry }));
      expect(r.violations).toEqual([]);
      expect(r.divergences).toBe(0);
      expect(r.skippedCount).toBe(base.skippedCount);
      expect(r.metrics.pagesFreed).toBe(base.metrics.pagesFreed);
      expect(r.assumption).toMatch(/placed, in order and on first use, into its address space on the target/);
    });
  }

  // 300 short-lived processes, each mapping at its own bases (ASLR), 64 GiB apart: 4 pages it uses and,
  // 4 GiB above, a 2 GiB reservation (PROT_NONE, never touched) spanning three 1 GiB regions
  const manyProcesses = () => {
    const t = [`1 mmap(NULL, 16384, ${ANON}) = ${A}`];
    for (let i = 0; i < 300; i++) {
      const c = 1000 + i;
      const base = 0x7f0000000000 - (i + 1) * 2 ** 36;
      const at = `0x${base.toString(16)}`;
      t.push(`1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = ${c}`);
      t.push(`${c} execve("/bin/true", ["true"], 0x7ffc00000000 /* 1 var */) = 0`, `${c} mmap(NULL, 16384, ${ANON}) = ${at}`);
      t.push(`${c} mmap(NULL, 2147483648, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x${(base + 2 ** 32 + 2 ** 29).toString(16)}`);
      t.push(`${c} munmap(${at}, 8192) = 0`, `${c} exit_group(0) = ?`, `${c} +++ exited with 0 +++`);
    }
    return t;
  };

  it("39-bit VA: each process's addresses are placed in its own address space, and a process gone gives its room back", () => {
    // with one placement for the whole trace, the dead processes kept their regions: the 512 regions of 1 GiB ran out and 257 mmaps were refused
    const r = replaySync([{ name: 'many', lines: manyProcesses() }], generic({ geometry: g39 }), { cpus: 2 });
    expect([r.processes, r.divergences, r.skippedCount]).toEqual([601, 0, 0]); // an address space per fork and per execve
    // every child's 4 pages freed (2 by its munmap, 2 at its exit; the parent does not exit)
    expect(r.metrics.pagesFreed).toBe(300 * 4);
  });

  it('39-bit VA: a forked child maps the trace\'s addresses where its parent does (dup_mmap keeps the layout)', () => {
    const t = [
      `1 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = 2',
      // the child unmaps its copy of the parent's mapping, and the kernel gives the same range back
      `2 munmap(${A}, 16384) = 0`,
      `2 mmap(NULL, 16384, ${ANON}) = ${A}`,
      '2 exit_group(0) = ?',
      '2 +++ exited with 0 +++',
    ];
    const r = replaySync([{ name: 'fork', lines: t }], generic({ geometry: g39 }), { cpus: 2 });
    // a child placing the range afresh would find its inherited copy there still mapped: a divergence
    expect([r.processes, r.divergences, r.skippedCount]).toEqual([2, 0, 0]);
  });
});

describe('memory stays bounded', () => {
  it('200 forked children that exit leave no address spaces or threads behind', () => {
    const t = [`1 mmap(NULL, 16384, ${ANON}) = ${A}`];
    for (let i = 0; i < 200; i++) {
      const c = 1000 + i;
      t.push(`1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = ${c}`);
      t.push(`${c} mmap(NULL, 8192, ${ANON}) = 0x7f1000000000`, `${c} exit_group(0) = ?`, `${c} +++ exited with 0 +++`);
    }
    const { r, m } = run(t);
    expect(r.processes).toBe(201);
    expect(r.violations).toEqual([]);
    expect(m.mms.length).toBeLessThanOrEqual(2);
    expect(m.threads.length).toBe(1);
    expect(m.files.length).toBe(0);
  });

  it('the page tables of the address spaces dropped are freed, their pgd too (__mmdrop): as many left after 200 children as after 2', () => {
    const trace = (n: number) => {
      const t = [`1 mmap(NULL, 16384, ${ANON}) = ${A}`];
      for (let i = 0; i < n; i++) {
        const c = 1000 + i;
        t.push(`1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = ${c}`);
        t.push(`${c} execve("/bin/true", ["true"], 0x7ffc00000000 /* 1 var */) = 0`, `${c} mmap(NULL, 8192, ${ANON}) = 0x7f1000000000`);
        t.push(`${c} exit_group(0) = ?`, `${c} +++ exited with 0 +++`);
      }
      return t;
    };
    const few = run(trace(2)).m;
    const many = run(trace(200)).m;
    // the parent's pgd and the tables under its mapping (1 + 3 on the generic 4-level geometry),
    // and the pgd of the last child, still loaded (lazily) on the CPU it exited on
    expect(few.tables.size).toBe(5);
    expect(many.tables.size).toBe(5);
    expect(many.frames.allocated).toBe(few.frames.allocated);
  });
});
