/**
 * Fuzzing the replay (issue 17): random and mutated strace text, and random bytes, through the
 * line parser, the event assembly and the engine on a simulated machine. Property: the parser
 * never throws; the engine throws nothing (or, with strict, only ReplayError naming FILE:LINE);
 * what the touch assumption faults in stays within its bounds. A few seconds in the normal run;
 * TLBSIM_FUZZ_RUNS=N runs N per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generic, type Machine } from '@tlbsim/core';
import { parseLine, ReplayError, replaySync, StraceParser, TOUCH_BOUNDS, type ReplayOptions } from '../src/index.js';

const RUNS = Number(process.env.TLBSIM_FUZZ_RUNS) || 0;
const runs = (dflt: number) => RUNS || dflt;
/** generous: a long run (TLBSIM_FUZZ_RUNS) takes as long as it needs */
const TIMEOUT = Math.max(30_000, RUNS * 200);

const hex = (n: number) => `0x${n.toString(16)}`;
const BASE = 0x7f0000000000;
const ADDR = fc.constantFrom(0, BASE, BASE + 0x1000, BASE + 0x10000, BASE + 0x200000, BASE + 0x800, 0x7fff8000, 0x10000, 2 ** 47, 2 ** 53);
const LEN = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(0, 1, 4096, 8192, 0x10000, 0x200000, 0x201000) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 30, 2 ** 44, 2 ** 46, 2 ** 60) },
);
const PROT = fc.constantFrom('PROT_NONE', 'PROT_READ', 'PROT_READ|PROT_WRITE', 'PROT_READ|PROT_EXEC', 'PROT_READ|PROT_WRITE|0x10', 'PROT_BOGUS', '7', 'x');
const MFLAGS = fc
  .subarray(['MAP_SHARED', 'MAP_PRIVATE', 'MAP_FIXED', 'MAP_FIXED_NOREPLACE', 'MAP_ANONYMOUS', 'MAP_NORESERVE', 'MAP_POPULATE', 'MAP_LOCKED', 'MAP_HUGETLB', 'MAP_HUGE_2MB', 'MAP_HUGE_1GB', 'MAP_STACK', '0x40'], { maxLength: 5 })
  .map((f) => f.join('|') || '0');
const RES = fc.oneof(ADDR.map(hex), fc.constantFrom('0', '-1 ENOMEM (Cannot allocate memory)', '?', '-5', '0x7f0000000801', 'garbage'));
const TID = fc.constantFrom(1000, 1001, 1002, 1003);

const call: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(ADDR, LEN, PROT, MFLAGS, fc.constantFrom(-1, 3, 4), fc.constantFrom(0, 4096, 0x26000), RES).map(([a, l, p, f, fd, o, r]) => `mmap(${a ? hex(a) : 'NULL'}, ${l}, ${p}, ${f}, ${fd}, ${hex(o)}) = ${r}`),
  fc.tuple(ADDR, LEN).map(([a, l]) => `munmap(${hex(a)}, ${l}) = 0`),
  fc.tuple(ADDR, LEN, PROT).map(([a, l, p]) => `mprotect(${hex(a)}, ${l}, ${p}) = 0`),
  fc.tuple(ADDR, LEN, fc.constantFrom('MADV_DONTNEED', 'MADV_FREE', 'MADV_DONTNEED_LOCKED', 'MADV_WILLNEED', 'MADV_HUGEPAGE', '0x99')).map(([a, l, adv]) => `madvise(${hex(a)}, ${l}, ${adv}) = 0`),
  fc.tuple(ADDR, LEN, LEN, fc.constantFrom('0', 'MREMAP_MAYMOVE', 'MREMAP_MAYMOVE|MREMAP_FIXED', 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP'), ADDR, RES).map(([a, o, n, f, na, r]) => `mremap(${hex(a)}, ${o}, ${n}, ${f}${f.includes('FIXED') ? `, ${hex(na)}` : ''}) = ${r}`),
  fc.tuple(ADDR, RES).map(([a, r]) => `brk(${a ? hex(a) : 'NULL'}) = ${r}`),
  fc.tuple(fc.constantFrom('CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM', 'CLONE_CHILD_CLEARTID|SIGCHLD', 'CLONE_VM|CLONE_VFORK|SIGCHLD'), TID).map(([f, t]) => `clone(child_stack=NULL, flags=${f}) = ${t}`),
  fc.tuple(fc.constantFrom('{flags=CLONE_VM|CLONE_THREAD, exit_signal=0}', '{flags=0, exit_signal=SIGCHLD}'), TID).map(([a, t]) => `clone3(${a}, 88) = ${t}`),
  TID.map((t) => `fork() = ${t}`),
  TID.map((t) => `vfork() = ${t}`),
  fc.constantFrom('execve("/bin/true", ["true"], 0x7ffd /* 3 vars */) = 0', 'exit_group(0) = ?', 'exit(0) = ?', 'wait4(-1, NULL, 0, NULL) = 1001', 'mlock(0x7f0000000000, 4096) = 0'),
);

const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: call },
  { weight: 1, arbitrary: call.map((c) => `${c.slice(0, c.indexOf('(') + 1 + Math.min(8, c.indexOf(')')))} <unfinished ...>`) },
  { weight: 1, arbitrary: fc.constantFrom('mmap', 'munmap', 'clone', 'execve', 'wait4').map((n) => `<... ${n} resumed>) = 0`) },
  { weight: 1, arbitrary: fc.constantFrom('+++ exited with 0 +++', '+++ killed by SIGKILL +++', '+++ superseded by execve in pid 1000 +++', '--- SIGCHLD {si_signo=SIGCHLD} ---', 'strace: Process 1001 attached', '', 'not strace') },
);

/** A trace: lines with or without the pid column and a timestamp. */
const trace = fc
  .tuple(fc.array(fc.tuple(TID, fc.nat(86_399), line), { maxLength: 24 }), fc.boolean(), fc.boolean())
  .map(([ls, pid, ts]) => ls.map(([t, s, l]) => `${pid ? `${t} ` : ''}${ts ? `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000001 ` : ''}${l}`));

/** A trace with characters deleted, inserted or replaced, lines cut or repeated. */
const mutated = fc
  .tuple(trace, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('del', 'ins', 'cut', 'dup'), fc.constantFrom('(', ')', ',', '=', '"', '<', '>', '|', ' ', '\0', '\u00e9', '9', 'x', '/*', '\r')), { maxLength: 6 }))
  .map(([ls, muts]) => {
    const out = [...ls];
    for (const [li, ci, how, ch] of muts) {
      if (!out.length) break;
      const i = li % out.length;
      const s = out[i];
      const c = s.length ? ci % s.length : 0;
      if (how === 'del') out[i] = s.slice(0, c) + s.slice(c + 1);
      else if (how === 'ins') out[i] = s.slice(0, c) + ch + s.slice(c);
      else if (how === 'cut') out[i] = s.slice(0, c);
      else out.splice(i, 0, s);
    }
    return out;
  });

/** Random bytes as text (invalid UTF-8 replaced), split into lines as a file reader would. */
const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('utf8').split(/\r\n|\r|\n/));

const text = fc.oneof(trace, mutated, bytes);

/** Replay, checking the bounds; returns whether it was refused (strict only). */
function outcome(lines: string[], opts: ReplayOptions): 'replayed' | 'refused' {
  let m: Machine | undefined;
  try {
    const r = replaySync([{ name: 'f.txt', lines }], generic(), { ...opts, setup: (x) => (m = x) });
    expect(r.lines).toBe(lines.length);
    expect(r.skippedCount).toBeLessThanOrEqual(lines.length);
  } catch (e) {
    if (!(e instanceof ReplayError) || !opts.strict) throw e;
    expect(e.message).toMatch(/^f\.txt:\d+: \S/);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lines.length);
    return 'refused';
  }
  // the touch bounds: what is in use is at most the total plus the page tables of the last call
  expect(m!.frames.allocated).toBeLessThanOrEqual(TOUCH_BOUNDS.total + (1 << 14));
  return 'replayed';
}

describe('the replay never crashes on what strace (or anything else) can print', { timeout: TIMEOUT }, () => {
  it('the line parser and the event assembly never throw', () => {
    fc.assert(
      fc.property(text, (lines) => {
        const p = new StraceParser('f.txt', 1);
        for (const l of lines) {
          parseLine(l);
          const ev = p.push(l);
          expect(ev.file).toBe('f.txt');
        }
        expect(p.lines).toBe(lines.length);
      }),
      { numRuns: runs(400) },
    );
  });
  it('the engine: no error without strict, only ReplayError with it; the touch bounds hold', () => {
    fc.assert(
      fc.property(text, fc.constantFrom(undefined, 1, 3), fc.constantFrom('all', 'none', 'written') as fc.Arbitrary<'all' | 'none' | 'written'>, fc.boolean(), (lines, cpus, touch, strict) => {
        outcome(lines, { cpus, touch, strict });
      }),
      { numRuns: runs(120) },
    );
  });
});
