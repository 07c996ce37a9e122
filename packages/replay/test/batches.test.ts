/**
 * Line sources read a batch at a time (batchedLines, what the CLI's file reader gives): the same
 * replay as the lines one by one, one input or several merged, with empty batches; a source
 * stopped early by an error is closed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generic } from '@tlbsim/core';
import { batchedLines, ReplayError, replay, replaySync, type BatchedLines } from '../src/index.js';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/strace/${f}`, import.meta.url), 'utf8').split('\n').filter(Boolean);

/** the lines in batches of 1, 2, 0, 3, 0, 1, 2, 0, 3... lines */
function inBatches(lines: string[]): BatchedLines {
  return batchedLines(async function* () {
    const sizes = [1, 2, 0, 3];
    for (let i = 0, k = 0; i < lines.length; k++) {
      const n = sizes[k % sizes.length];
      yield lines.slice(i, i + n);
      i += n;
    }
    yield [];
  });
}

describe('batched line sources', () => {
  it('one input: the same replay as its lines one by one, and the same lines when iterated as lines', async () => {
    const lines = fixture('threads.txt');
    const src = inBatches(lines);
    const got: string[] = [];
    for await (const l of src) got.push(l);
    expect(got).toEqual(lines);
    const r = await replay([{ name: 'threads.txt', lines: src }], generic());
    expect(r).toEqual(replaySync([{ name: 'threads.txt', lines }], generic()));
    expect(r.lines).toBe(lines.length);
  });

  it('several inputs (strace -ff) merged as their lines are', async () => {
    const names = ['20343', '20344', '20345', '20346', '20347', '20348'].map((p) => `threads-ff.${p}`);
    const batched = await replay(names.map((n) => ({ name: n, lines: inBatches(fixture(n)) })), generic());
    const async = await replay(names.map((n) => ({ name: n, lines: () => (async function* () { yield* fixture(n); })() })), generic());
    const sync = replaySync(names.map((n) => ({ name: n, lines: fixture(n) })), generic());
    expect(batched).toEqual(sync);
    expect(async).toEqual(sync);
  });

  it('a reading stopped by an error closes its source', async () => {
    let closed = 0;
    const src = batchedLines(async function* () {
      try {
        yield ['1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000', '1 what is this'];
        yield ['1 munmap(0x7f0000000000, 4096) = 0'];
      } finally {
        closed++;
      }
    });
    await expect(replay([{ name: 'x', lines: src }], generic(), { strict: true })).rejects.toThrow(new ReplayError('x', 2, 'unrecognised line "what is this"'));
    expect(closed).toBe(1);
  });
});
