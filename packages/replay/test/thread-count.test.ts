/**
 * The first pass's light scanner (thread-count.ts): where it is sure, it reads the pid and the
 * call's name as LineScan.head() does, and the first pass then counts exactly what the full
 * parser counts (maxLive, processes, lines per input) on every fixture and on random traces of
 * clones, unfinished/resumed pairs, -ff files, signals, killed threads and execve from a thread.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyParams, propertyTestTimeout } from '@tlbsim/core/testing';
import { COUNT_THREADS_ONLY, Replayer } from '../src/engine.js';
import { readAsync, readSync, type EventSink, type ReplayInput } from '../src/inputs.js';
import { LineScan } from '../src/strace-scan.js';
import { IDLE_PID, NOT_SURE, ThreadCountScan } from '../src/thread-count.js';
import { THREAD_CALL_NAMES } from '../src/syscall-args.js';
import { Tally } from '../src/tally.js';

/** maxLive, processes, kernel recordings and the lines of each input: light first pass, or every line parsed */
function firstPass(inputs: ReplayInput[], light: boolean): unknown[] {
  let recordings = 0;
  const counter = new Replayer({ ...COUNT_THREADS_ONLY, recording: () => recordings++ }, new Tally(), false);
  // the same sink without skipsLine: every line parsed (its own shortcut, ignoresCallsOf, kept)
  const full: EventSink = {
    announce: (ev) => counter.announce(ev), feed: (ev, input) => counter.feed(ev, input), finish: () => counter.finish(),
    recording: (r) => counter.recording(r), ignoresCallsOf: counter.ignoresCallsOf,
  };
  const n = readSync(inputs, light ? counter : full);
  return [counter.threads.maxLive, counter.threads.processes, recordings, n];
}

function same(inputs: ReplayInput[]): void {
  expect(firstPass(inputs, true)).toEqual(firstPass(inputs, false));
}
const lines = (text: string) => text.split(/\r\n|\r|\n/);

const STRACE = new URL('./fixtures/strace/', import.meta.url);
const KERNEL = new URL('./fixtures/kernel/', import.meta.url);
const CLI = new URL('../../../apps/cli/test/fixtures/strace/', import.meta.url);

describe('the light first pass', () => {
  it('counts what the full first pass counts on every fixture', () => {
    for (const dir of [STRACE, CLI]) {
      const files = readdirSync(dir).filter((f) => !f.endsWith('.md') && !f.endsWith('.c'));
      for (const f of files) same([{ name: f, lines: lines(readFileSync(new URL(f, dir), 'utf8')) }]);
      // strace -ff: the per-pid files together
      const ff = files.filter((f) => f.startsWith('threads-ff.'));
      same(ff.map((f) => ({ name: f, lines: lines(readFileSync(new URL(f, dir), 'utf8')) })));
    }
    for (const f of readdirSync(KERNEL).filter((f) => f.endsWith('.gz'))) {
      same([{ name: f.replace(/\.gz$/, ''), lines: lines(gunzipSync(readFileSync(new URL(f, KERNEL))).toString('utf8')) }]);
    }
    const node = lines(readFileSync(new URL('node.txt', STRACE), 'utf8'));
    expect(firstPass([{ name: 'node.txt', lines: node }], true)).toEqual([7, 1, 0, [node.length]]);
    // and most of its lines are read by the light scan
    const counter = new Replayer(COUNT_THREADS_ONLY, new Tally(), false);
    let skipped = 0;
    const spy: EventSink = {
      announce: (ev) => counter.announce(ev), feed: (ev, input) => counter.feed(ev, input), finish: () => counter.finish(), ignoresCallsOf: counter.ignoresCallsOf,
      skipsLine: (text, tid) => {
        const r = counter.skipsLine!(text, tid);
        if (r !== NOT_SURE) skipped++;
        return r;
      },
    };
    readSync([{ name: 'node.txt', lines: node }], spy);
    expect(skipped).toBeGreaterThan(node.length / 2);
  });

  it('counts the same when the lines are read asynchronously', async () => {
    const node = lines(readFileSync(new URL('threads.txt', STRACE), 'utf8'));
    const counter = new Replayer(COUNT_THREADS_ONLY, new Tally(), false);
    async function* src() {
      yield* node;
    }
    const n = await readAsync([{ name: 'threads.txt', lines: src }], counter);
    expect([counter.threads.maxLive, counter.threads.processes, n]).toEqual(firstPass([{ name: 'threads.txt', lines: node }], false).filter((_, i) => i !== 2));
  });

  const TID = fc.constantFrom(1000, 1001, 1002, 1003, 1004, 1005);
  const TIME = fc.constantFrom('', '17:39:15.897675 ', '7:39:15 ', '17:39:15. ', '17:39:15.1\t', '123:39:15.5 ', '1700000000.123456 ', '0.000012  ', '12.x ', '17:39:1 ');
  const NAME = fc.constantFrom(...THREAD_CALL_NAMES, 'mmap', 'munmap', 'wait4', 'futex', 'exitx', 'clone_x', 'execve2', 'forks', '_x', 'A9');
  const ARGS = fc.constantFrom('', 'NULL, 4096', '"a)b", 1', 'child_stack=NULL, flags=CLONE_VM|CLONE_THREAD', 'flags=CLONE_CHILD_CLEARTID|SIGCHLD', '{flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88', '"/bin/true", ["true"], 0x1 /* 3 vars */');
  const RESULT = fc.constantFrom('0', '?', '1001', '1002', '1003', '1004', '1005', '-1 EAGAIN (Resource temporarily unavailable)', '0x7f0000000000', '0 <0.000010>');
  const TAIL = fc.constantFrom('', ' ', '  \r', '\t', ' <unfinished ...>', ' <unfinished ...>  ', '<unfinished ...>');
  const body = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(NAME, ARGS, RESULT, TAIL).map(([n, a, r, t]) => (t.includes('unfinished') ? `${n}(${a}${t}` : `${n}(${a}) = ${r}${t}`)) },
    { weight: 2, arbitrary: fc.tuple(NAME, RESULT).map(([n, r]) => `<... ${n} resumed>) = ${r}`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('+++ exited with 0 +++', '+++ killed by SIGKILL +++', '+++ killed by SIGSEGV (core dumped) +++', '--- SIGCHLD {si_signo=SIGCHLD} ---', '--- stopped by SIGSTOP ---'), TID).map(([l]) => l) },
    { weight: 1, arbitrary: TID.map((t) => `+++ superseded by execve in pid ${t} +++`) },
    { weight: 1, arbitrary: fc.constantFrom('', 'strace: Process 1001 attached', 'garbage', '[ Process PID=1001 runs in 32 bit mode. ]', '(', '12 ', '  ') },
  );
  const PREFIX = fc.tuple(fc.constantFrom('', ' ', '\t'), TID, fc.constantFrom(' ', '  ', '\t', '', '\u00a0'), fc.constantFrom(true, false), fc.constantFrom('', '[00007f1234567890] ')).map(([lead, t, sp, pid, ip]) => ({ lead, t, sp, pid, ip }));
  const line = fc.tuple(PREFIX, TIME, body).map(([p, time, b]) => `${p.lead}${p.pid ? `${p.t}${p.sp}` : ''}${time}${p.ip}${b}`);
  /** traces mostly with a pid column, some -ff files without one (the file's pid is the thread) */
  const trace = fc.tuple(fc.array(line, { maxLength: 60 }), fc.constantFrom('trace', 'trace.1000', 'trace.1001'));

  it('is sure only where the full scan reads the same pid and a call of another name', () => {
    const scan = new ThreadCountScan();
    const sc = new LineScan();
    fc.assert(
      fc.property(fc.oneof(line, fc.string(), fc.string({ unit: 'binary' })), (text) => {
        const r = scan.scan(text, -1);
        if (r === NOT_SURE) return;
        sc.head(text);
        expect(sc.callNotNamed(THREAD_CALL_NAMES)).toBe(true);
        expect(Number.isNaN(sc.pid) ? -1 : sc.pid).toBe(scan.tid);
        expect(r === IDLE_PID).toBe(!Number.isNaN(sc.pid));
      }),
      propertyParams(5000),
    );
  }, propertyTestTimeout());

  it('counts what the full first pass counts on random traces', () => {
    fc.assert(
      fc.property(trace, ([ls, name]) => same([{ name, lines: ls }])),
      propertyParams(3000),
    );
  }, propertyTestTimeout());

  it('counts what the full first pass counts on random traces of one thread\'s calls', () => {
    // long runs of one process's threads: most lines are then read by the light scan
    const calls = fc.tuple(fc.constantFrom(1000, 1001, 1002), fc.constantFrom(
      'mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000', 'munmap(0x7f0000000000, 4096) = 0', 'futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>',
      '<... futex resumed>) = 0', 'clone(child_stack=NULL, flags=CLONE_VM|CLONE_THREAD <unfinished ...>', '<... clone resumed>) = 1001', '<... clone resumed>) = 1002',
      'clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 1002', 'execve("/bin/true", ["true"], 0x1 /* 3 vars */) = 0', 'exit(0) = ?', 'exit_group(0) = ?',
      '+++ exited with 0 +++', '+++ killed by SIGKILL +++', '+++ superseded by execve in pid 1000 +++', '--- SIGSEGV {si_signo=SIGSEGV} ---', 'munmap(0x7f0000000000, 4096) = ?',
    )).map(([t, l]) => `${t} 10:00:00.000001 ${l}`);
    fc.assert(
      fc.property(fc.array(calls, { maxLength: 80 }), (ls) => same([{ name: 'trace', lines: ['1000 execve("/bin/x", ["x"], 0x1) = 0', ...ls] }])),
      propertyParams(3000),
    );
  }, propertyTestTimeout());
});
