/**
 * Sweeps in slices (issue 20): `tlbsim sweep --shard K/N` and `tlbsim merge`. The merge of every
 * shard is the unsharded sweep's output byte for byte (CSV, JSON, plot, report), whatever order
 * the shard files are given in; every kind of bad shard set is refused with exit 2.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShard, readShard, shardFile, shardIndices } from '../src/shard.js';
import type { Outcome } from '../src/engine.js';
import { tlbsimIn, tmp } from './helpers.js';

const SWEEP = ['sweep', '--workload', 'tlb_flush2', '--vary', 'pages=1,3,8,16,2', '--arch', 'x86', '--arch', 'riscv', '--jobs', '1'];

async function shards(dir: string, n: number, extra: string[] = []): Promise<string[]> {
  const files: string[] = [];
  for (let k = 1; k <= n; k++) {
    const f = join(dir, `shard-${k}.json`);
    const r = await tlbsimIn([...SWEEP, ...extra, '--shard', `${k}/${n}`, '--out', f]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    files.push(f);
  }
  return files;
}

describe('--shard K/N', () => {
  it('point j goes to shard (j mod N) + 1: interleaved slices that cover every point once', () => {
    expect(shardIndices(5, { index: 1, count: 2 })).toEqual([0, 2, 4]);
    expect(shardIndices(5, { index: 2, count: 2 })).toEqual([1, 3]);
    expect(shardIndices(2, { index: 3, count: 4 })).toEqual([]);
    const all = [1, 2, 3].flatMap((k) => shardIndices(7, { index: k, count: 3 })).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
  it('parses K/N with 1 <= K <= N; anything else is a usage error naming the option', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '2', '1/2/3', 'a/b', '-1/2', '1/10001']) expect(() => parseShard(bad)).toThrow(/^--shard must be K\/N/);
  });
});

describe('shard files', () => {
  it('keep what JSON cannot hold: undefined, -0, NaN and the infinities come back as they were', () => {
    const odd = { a: undefined, z: -0, n: NaN, inf: Infinity, ninf: -Infinity, list: [undefined, 1, -0], s: 'x' } as unknown as Outcome;
    const spec = { workload: 'munmap', key: 'pages', variants: [{ id: 'x86', name: 'x86', given: {} }], points: [{ value: 1, params: { pages: 1 } }, { value: 2, params: { pages: 2 } }], includeSetup: false };
    const back = readShard('s.json', shardFile(spec, { index: 2, count: 2 }, [[odd]]));
    expect(back.results).toHaveLength(1);
    expect(back.results[0].point).toBe(1);
    const r = back.results[0].results[0] as unknown as Record<string, unknown>;
    expect(Object.keys(r)).toEqual(['a', 'z', 'n', 'inf', 'ninf', 'list', 's']);
    expect(r.a).toBeUndefined();
    expect(Object.is(r.z, -0)).toBe(true);
    expect(r.n).toBeNaN();
    expect([r.inf, r.ninf, r.s]).toEqual([Infinity, -Infinity, 'x']);
    expect(Object.is((r.list as number[])[2], -0)).toBe(true);
    expect((r.list as unknown[])[0]).toBeUndefined();
  });
});

describe('tlbsim merge', () => {
  it('the merge of 2 shards is the unsharded CSV and JSON, byte for byte, in any file order', async () => {
    const d = tmp();
    const [whole, wholeJson, files] = await Promise.all([tlbsimIn(SWEEP), tlbsimIn([...SWEEP, '--format', 'json']), shards(d, 2)]);
    expect(whole.code).toBe(0);
    const csv = await tlbsimIn(['merge', files[1], files[0]]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(whole.stdout);
    const json = await tlbsimIn(['merge', ...files, '--format', 'json']);
    expect(json.stdout).toBe(wholeJson.stdout);
  });

  it('more shards than points (empty shards), and the plot and report drawn from the merged data', async () => {
    const d = tmp();
    const files = await shards(d, 7);
    const whole = await tlbsimIn([...SWEEP, '--plot', join(d, 'w.svg'), '--report', join(d, 'w.html'), '--metric', 'pagesFreed', '--out', join(d, 'w.csv')]);
    expect(whole.code).toBe(0);
    const m = await tlbsimIn(['merge', ...files.reverse(), '--plot', join(d, 'm.svg'), '--report', join(d, 'm.html'), '--metric', 'pagesFreed', '--out', join(d, 'm.csv')]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    for (const [a, b] of [['w.csv', 'm.csv'], ['w.svg', 'm.svg'], ['w.html', 'm.html']]) expect(readFileSync(join(d, b), 'utf8')).toBe(readFileSync(join(d, a), 'utf8'));
  });

  it('refuses an incomplete, repeated, mixed or foreign set of shards, and a shard with --plot (exit 2, one line, no output file)', async () => {
    const d = tmp();
    const files = await shards(d, 3);
    const other = join(d, 'other.json');
    expect((await tlbsimIn([...SWEEP, '--set', 'cpus=4', '--shard', '2/3', '--out', other])).code).toBe(0);
    const otherN = join(d, 'other-n.json');
    expect((await tlbsimIn([...SWEEP, '--shard', '1/2', '--out', otherN])).code).toBe(0);
    const junk = join(d, 'junk.json');
    writeFileSync(junk, '{"format":"something else"}\n');
    const cases: [string[], string][] = [
      [[files[0], files[2]], `tlbsim: error: shard 2/3 missing: tlbsim merge needs all 3 shards of the sweep\n`],
      [[files[0], files[1], files[1], files[2]], `tlbsim: error: ${files[1]} and ${files[1]} are both shard 2/3: give each shard once\n`],
      [[files[0], other, files[2]], `tlbsim: error: ${other} and ${files[0]} come from different sweeps (workload, --vary, --set, --arch, --cost or --include-setup differ): merge the shards of one sweep\n`],
      [[files[0], otherN], `tlbsim: error: ${otherN} is shard 1/2 but ${files[0]} is shard 1/3: merge the shards of one sweep\n`],
      [[junk], `tlbsim: error: ${junk}: not a tlbsim sweep shard file (write one with tlbsim sweep ... --shard K/N --out FILE)\n`],
      [[join(d, 'none.json')], `tlbsim: error: cannot read ${join(d, 'none.json')}: no such file\n`],
      [[], 'tlbsim: error: tlbsim merge needs the shard files: tlbsim merge SHARD... (written by tlbsim sweep ... --shard K/N)\n'],
    ];
    for (const [args, err] of cases) {
      const r = await tlbsimIn(['merge', ...args, '--out', join(d, 'out.csv')]);
      expect([r.code, r.stderr, r.stdout]).toEqual([2, err, '']);
    }
    const p = await tlbsimIn([...SWEEP, '--shard', '1/3', '--plot', join(d, 'p.svg')]);
    expect([p.code, p.stderr]).toEqual([2, 'tlbsim: error: --shard writes a shard file for tlbsim merge: give --plot to tlbsim merge instead\n']);
    expect(readdir(d)).toEqual(['other-n.json', 'other.json', 'junk.json', 'shard-1.json', 'shard-2.json', 'shard-3.json'].sort());
  });
});

const readdir = (d: string) => readdirSync(d).sort();
