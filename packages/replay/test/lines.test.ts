import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, linesOf } from '../src/index.js';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const r: string[] = [];
  for await (const l of it) r.push(l);
  return r;
}

/** the chunks of `text` cut at `cuts` */
function chunks(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const r: string[] = [];
  let from = 0;
  for (const c of [...at, text.length]) {
    r.push(text.slice(from, c));
    from = c;
  }
  return r;
}

describe('linesOf', () => {
  it('splits as readline with crlfDelay: Infinity does, however the text is cut into chunks', async () => {
    const text = fc.array(fc.constantFrom('a', 'bc', ' ', '\n', '\r', '\r\n', '\n\n', 'é'), { maxLength: 40 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(200), { maxLength: 8 }), async (t, cuts) => {
        const parts = chunks(t, cuts);
        const want = await collect(createInterface({ input: Readable.from(parts, { objectMode: false }), crlfDelay: Infinity }));
        expect(await collect(linesOf(Readable.from(parts)))).toEqual(want);
        const sp = new LineSplitter();
        const out: string[] = [];
        for (const p of parts) sp.push(p, out);
        sp.end(out);
        expect(out).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('ends lines at \\n, \\r\\n and a lone \\r; a \\r\\n across two chunks ends one line', async () => {
    expect(await collect(linesOf(Readable.from(['a\r', '\nb\rc\n\nd'])))).toEqual(['a', 'b', 'c', '', 'd']);
    expect(await collect(linesOf(Readable.from(['a\r', '', '\nb\n'])))).toEqual(['a', 'b']);
  });
});
