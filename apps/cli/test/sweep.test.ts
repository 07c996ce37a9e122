/**
 * The sweep (its worker threads, --plot, --report: run in this worker, as the output is what they
 * check), partial files and Ctrl-C of the built CLI (real processes), and the workloads' semantics:
 * commands.test.ts's other half, in a file of its own so the two run in parallel workers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busyFor, exited, fixture, tlbsim, tlbsimAsync, tlbsimIn, tlbsimOnTty, tmp, validate } from './helpers.js';
import { ESC, ISSUE_WORKLOADS, SMALL } from './workload-sizes.js';


describe('sweep', () => {
  // --jobs 1 where the workers are not what a test checks: one worker runs in the calling thread
  it('csv: one row per value and variant; the same with one worker and with all', async () => {
    const args = ['sweep', '--workload', 'munmap', '--vary', 'pages=1,8,64', '--arch', 'x86', '--arch', 'arm64'];
    const r = await tlbsimIn(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // no progress bar off a terminal
    const lines = r.stdout.trim().split('\n');
    // every row carries the workload and every parameter it ran with
    expect(lines[0].startsWith('workload,cpus,iterations,pages,peer,aligned,variant,arch,flushes,flushesBy.tlb_flush,ipis,firmwareIpis,')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 8).join(','))).toEqual(
      ['1,x86,x86', '1,arm64,arm64', '8,x86,x86', '8,arm64,arm64', '64,x86,x86', '64,arm64,arm64'].map((v) => `munmap,2,1,${v.replace(',', ',spin,false,')}`),
    );
    const col = lines[0].split(',').indexOf('pagesFreed');
    expect(lines.slice(1).map((l) => l.split(',')[col])).toEqual(['1', '1', '8', '8', '64', '64']);
    expect((await tlbsimIn([...args, '--jobs', '1'])).stdout).toBe(r.stdout);
  });
  it('json: valid against schema/sweep.schema.json', async () => {
    const r = await tlbsimIn(['sweep', '--workload', 'madvise-dontneed', '--vary', 'cpus=1..4', '--set', 'peer=sleep', '--format', 'json', '--jobs', '1']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc, 'sweep.schema.json')).toEqual([]);
    expect(doc.vary).toEqual({ param: 'cpus', values: [1, 2, 3, 4] });
    expect(doc.workload.params).toEqual({ iterations: 1, pages: 8, peer: 'sleep', aligned: false });
    expect(doc.points).toHaveLength(4);
    expect(doc.points[2].results.map((x: { arch: string }) => x.arch)).toEqual(['x86', 'arm64', 'ppc', 'riscv']);
  });
  it('ranges: a..b, a..b:step, a..b*factor', async () => {
    // one worker: the values are what is checked
    const vals = async (spec: string) => JSON.parse((await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'generic', '--vary', spec, '--jobs', '1', '--format', 'json'])).stdout).vary.values;
    expect(await vals('pages=1..4')).toEqual([1, 2, 3, 4]);
    expect(await vals('pages=8..24:8')).toEqual([8, 16, 24]);
    expect(await vals('pages=1..16*2')).toEqual([1, 2, 4, 8, 16]);
    expect(await vals('peer=spin,sleep,none')).toEqual(['spin', 'sleep', 'none']);
  });
  it('--plot draws --metric against the parameter (SVG): variants with the same values as one line, nothing on stdout', async () => {
    const d = tmp();
    const svg = join(d, 'p.svg');
    const r = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,16,64', '--plot', svg, '--metric', 'pagesFreed', '--jobs', '1']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    const s = readFileSync(svg, 'utf8');
    expect(s.startsWith('<svg role="img" aria-label="pagesFreed vs pages (munmap)" xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(s.match(/class="mark-line role-mark/g)).toHaveLength(1);
    expect([...s.matchAll(/<path aria-label="([^"]+)"/g)].map((m) => m[1])).toEqual(['1', '16', '64'].map((v) => `x86 = arm64 = ppc = riscv: pages=${v} → ${v}`));
    expect(readdirSync(d)).toEqual(['p.svg']);
  });
  it('--plot with another extension than .svg: exit 2 before any work, no file', async () => {
    const d = tmp();
    const r = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,8', '--plot', join(d, 'x.png')]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(`tlbsim: error: --plot ${join(d, 'x.png')}: tlbsim draws SVG only, not PNG: give a file name ending in .svg (to get a PNG, convert the SVG, e.g. rsvg-convert -o chart.png chart.svg)\n`);
    expect(readdirSync(d)).toEqual([]);
  });
  it('with --plot/--report the CSV goes to stdout only when --format or --out asks for it', async () => {
    const d = tmp();
    const a = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1', '--plot', join(d, 'a.svg'), '--format', 'csv']);
    expect(a.stdout.split('\n').length).toBe(4); // the header, two points, the final newline
    expect(a.stdout.startsWith('workload,cpus,iterations,pages,peer,aligned,variant,arch,flushes,')).toBe(true);
    const b = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1', '--report', join(d, 'b.html')]);
    expect([b.code, b.stdout]).toEqual([0, '']);
    const c = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1']);
    expect(c.stdout).toBe(a.stdout);
  });
  it('--report writes one self-contained HTML page', async () => {
    const d = tmp();
    const html = join(d, 'r.html');
    const r = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,8', '--report', html, '--jobs', '1']);
    expect(r.code).toBe(0);
    const h = readFileSync(html, 'utf8');
    expect(h.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(h).not.toMatch(/<script|<link|src="http|href="http/);
    expect(h).toContain('<svg');
    expect(h).toContain('<table class="metric" data-metric="ipis">');
  });
  it('progress bar on stderr when it is a terminal', async () => {
    const out = await tlbsimOnTty(['sweep', '--workload', 'munmap', '--vary', 'pages=1..4', '--arch', 'x86', '--out', join(tmp(), 'o.csv')]);
    expect(out).toMatch(/sweep munmap pages \[[#.]+\] \d+\/4/);
  });
});

describe('outputs and errors never leave partial files', () => {
  it('an error leaves an existing output file untouched and creates no file', async () => {
    const d = tmp();
    const out = join(d, 'keep.json');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'json', '--out', out])).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--set', 'pages=0', '--format', 'json', '--out', out]);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe(before);
    const r2 = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,0', '--out', join(d, 'new.csv'), '--report', join(d, 'r.html')]);
    expect(r2.code).toBe(2);
    expect(readdirSync(d)).toEqual(['keep.json']);
  });
  it('an unwritable output path: exit 2, a clear message', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--out', join(tmp(), 'no', 'such', 'dir.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tlbsim: error: cannot write .*dir\.txt: /);
  });
  it('Ctrl-C during a sweep: ends it at once (130 in a shell) and no output file, report, plot or temporary file', async () => {
    const d = tmp();
    const p = tlbsimAsync(['sweep', '--workload', 'tlb_flush1', '--vary', 'pages=20000..40000:1000', '--jobs', '2', '--out', 'o.csv', '--report', 'r.html', '--plot', 'p.svg'], d);
    // well into the sweep (its workers running), whatever the machine's load
    await busyFor(p, 1000);
    // the sweep pool runs with the default action: the signal ends it at once (a shell shows 130);
    // the CLI's handler would exit 130 instead of dying by the signal
    p.kill('SIGINT');
    expect(await exited(p)).toBe('SIGINT');
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('Ctrl-C during a long compare', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} ends the run at once (the simulation loop cannot stall it) and writes nothing`, async () => {
      const d = tmp();
      const p = tlbsimAsync(['compare', '--workload', 'munmap', '--set', 'pages=262144', '--set', 'iterations=200', '--set', 'cpus=8', '--arch', 'x86', '--out', 'o.txt'], d);
      // inside the simulation loop, whatever the machine's load: it runs with the default action
      // (dying by the signal, where the CLI's handler would exit 130 or 143)
      await busyFor(p, 1000);
      p.kill(sig);
      expect(await exited(p)).toBe(sig);
      expect(readdirSync(d)).toEqual([]);
    });
  }
});

describe('workload semantics', () => {
  const json = async (args: string[]) => {
    const r = await tlbsimIn(['compare', ...args, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { results: { arch: string; metrics: Record<string, number>; hugetlb?: Record<string, number | boolean> }[] };
  };
  it('aligned=true: munmap frees the region\'s page table; otherwise it shares one with a mapping that stays', async () => {
    for (const w of ['munmap', 'madvise-dontneed', 'mprotect']) {
      for (const r of (await json(['--workload', w])).results) expect(r.metrics.tablesFreed, `${w} ${r.arch}`).toBe(0);
      for (const r of (await json(['--workload', w, '--set', 'aligned=true'])).results) expect(r.metrics.tablesFreed, `${w} ${r.arch}`).toBeGreaterThan(0);
    }
  });
  it('peer=none: no other thread, so no shootdown IPI; iterations repeat the work', async () => {
    for (const r of (await json(['--workload', 'munmap', '--set', 'peer=none', '--set', 'cpus=4'])).results) expect(r.metrics.ipis).toBe(0);
    const one = (await json(['--workload', 'munmap', '--arch', 'x86'])).results[0].metrics;
    const three = (await json(['--workload', 'munmap', '--arch', 'x86', '--set', 'iterations=3'])).results[0].metrics;
    expect(three.pagesFreed).toBe(3 * one.pagesFreed);
    expect(three.archFlushes).toBe(3 * one.archFlushes);
  });
  it('exit frees every touched page of the process', async () => {
    for (const r of (await json(['--workload', 'exit', '--set', 'rss=100', '--set', 'cpus=4'])).results) expect(r.metrics.pagesFreed).toBe(100);
  });
  it('reclaim unmaps every page from every process', async () => {
    for (const r of (await json(['--workload', 'reclaim', '--set', 'pages=10', '--set', 'cpus=4'])).results) expect(r.metrics.violations).toBe(0);
  });
  it('hugetlb-share: V0 no sync IPI, V1 one per unshared table, V2 one when the last sharer leaves (hugetlb SPEC.md §4.8); ppc shares nothing', async () => {
    const run = async (v: string) => (await json(['--workload', 'hugetlb-share', '--set', `hugetlb=${v}`, '--set', 'gib=4', '--set', 'cpus=8'])).results;
    const [v0, v1, v2] = await Promise.all(['V0', 'V1', 'V2'].map(run));
    for (const k of [0, 1]) {
      expect(v0[k].hugetlb).toMatchObject({ behaviour: 'V0', sharing: true, tablesShared: 4, tablesUnshared: 4, syncIpis: 0 });
      expect(v1[k].hugetlb).toMatchObject({ behaviour: 'V1', tablesUnshared: 4, syncIpis: 4 });
      expect(v1[k].metrics.ipiBroadcasts).toBe(4);
      expect(v1[k].metrics.ipis).toBe(4 * 7);
      expect(v2[k].hugetlb).toMatchObject({ behaviour: 'V2', tablesUnshared: 4, syncIpis: 1 });
    }
    expect(v2[2].arch).toBe('ppc');
    expect(v2[2].hugetlb).toMatchObject({ sharing: false, tablesShared: 0, syncIpis: 0 });
    // three sharers: the newest leaving does not make any table exclusive, so V2 sends nothing
    const s3 = (await json(['--workload', 'hugetlb-share', '--set', 'sharers=3', '--set', 'gib=2', '--arch', 'x86'])).results[0];
    expect(s3.hugetlb).toMatchObject({ tablesShared: 4, tablesUnshared: 2, syncIpis: 0 });
  });
});
