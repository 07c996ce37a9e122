/**
 * The first pass (counting threads) reads a call of a known thread that changes no thread up to
 * its name only: it counts exactly what reading every line whole counts, on every fixture and on
 * random traces of calls, unfinished/resumed pairs, exits and noise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNT_THREADS_ONLY, Replayer } from '../src/engine.js';
import { readSync, type EventSink } from '../src/inputs.js';
import { Tally } from '../src/tally.js';

/** maxLive, processes and lines of the first pass over `lines`, with the shortcut or without it */
function count(lines: string[], shortcut: boolean): number[] {
  const counter = new Replayer(COUNT_THREADS_ONLY, new Tally(), false);
  // the same sink without ignoresCallsOf: every line read whole
  const whole: EventSink = { announce: (ev) => counter.announce(ev), feed: (ev, input) => counter.feed(ev, input), finish: () => counter.finish() };
  const [n] = readSync([{ name: 'trace', lines }], shortcut ? counter : whole);
  return [counter.threads.maxLive, counter.threads.processes, n];
}

const dir = new URL('./fixtures/strace/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => !f.endsWith('.md') && !f.endsWith('.c'));

const TID = fc.constantFrom(1000, 1001, 1002, 1003, 1004);
const CALL = fc.constantFrom(
  'mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000', 'munmap(0x7f0000000000, 4096) = 0', 'munmap(0x7f0000000000, 4096) = ?',
  'wait4(-1, NULL, 0, NULL) = 1001', 'brk(NULL = 0x1000', 'futex(0x1, FUTEX_WAIT, 0, NULL) = ?', 'exitx(0) = 0', 'clone_x() = 5',
  'clone(child_stack=NULL, flags=CLONE_VM|CLONE_THREAD) = 1001', 'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD) = 1002',
  'clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0}, 88) = 1003', 'fork() = 1004', 'vfork() = 1002', 'execve("/bin/true", ["true"], 0x1 /* 3 vars */) = 0',
  'exit(0) = ?', 'exit_group(0) = ?', 'mmap(NULL, 4096 <unfinished ...>', 'clone(child_stack=NULL, flags=CLONE_VM|CLONE_THREAD <unfinished ...>',
  '<... mmap resumed>) = 0x7f0000000000', '<... clone resumed>) = 1003', '<... wait4 resumed>) = ?', '+++ exited with 0 +++', '+++ superseded by execve in pid 1000 +++',
  '--- SIGCHLD {si_signo=SIGCHLD} ---', 'strace: Process 1001 attached', '', 'garbage',
);
const trace = fc.tuple(fc.array(fc.tuple(TID, CALL), { maxLength: 40 }), fc.boolean()).map(([ls, pid]) => ls.map(([t, l]) => (pid ? `${t} ${l}` : l)));

describe('the first pass reads known threads\' other calls up to their names', () => {
  it('counts what reading every line whole counts: the fixtures', () => {
    for (const f of fixtures) {
      const lines = readFileSync(new URL(f, dir), 'utf8').split('\n');
      expect(count(lines, true)).toEqual(count(lines, false));
    }
    const node = readFileSync(new URL('node.txt', dir), 'utf8').split('\n');
    expect(count(node, true)).toEqual([7, 1, node.length]);
  });

  it('counts what reading every line whole counts: random traces', () => {
    fc.assert(
      fc.property(trace, (lines) => {
        expect(count(lines, true)).toEqual(count(lines, false));
      }),
      { numRuns: 2000 },
    );
  });
});
