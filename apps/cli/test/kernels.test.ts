/**
 * The kernel axis on the command line (src/kernels.ts, src/changes.ts, src/commands/kernels.ts):
 * --kernel LIST columns, --feature, --changes, sweep --vary kernel, scenario machine.kernel,
 * tlbsim kernels and docs/kernels.md, and the refusals (exit 2, one line).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelsMarkdown } from '../src/commands/kernels.js';
import { tlbsimIn, tmp } from './helpers.js';

const DOC = new URL('../../../docs/kernels.md', import.meta.url);
const json = (s: string) => JSON.parse(s) as { results: { variant: string; label: string; metrics: { ipiBroadcasts: number; flushes: number }; hugetlb?: { behaviour: string } }[]; changes?: unknown[] };

describe('--kernel', () => {
  it('a list gives one column per architecture and release, in the order given', async () => {
    const r = await tlbsimIn(['compare', '-w', 'hugetlb-share', '--set', 'gib=4', '--arch', 'x86', '--arch', 'riscv', '--kernel', '6.1,6.18,6.18.44', '--format', 'json']);
    expect(r.code).toBe(0);
    const d = json(r.stdout);
    expect(d.results.map((x) => x.variant)).toEqual(['x86@6.1', 'x86@6.18', 'x86@6.18.44', 'riscv@6.1', 'riscv@6.18', 'riscv@6.18.44']);
    expect(d.results.map((x) => x.hugetlb!.behaviour)).toEqual(['V0', 'V1', 'V2', 'V0', 'V1', 'V2']);
    // riscv Sv39 has no PUD level to share PMD tables under: nothing to unshare, whatever the behaviour
    expect(d.results.map((x) => x.metrics.ipiBroadcasts)).toEqual([0, 4, 1, 0, 0, 0]);
    expect(d.results[0].label).toBe('x86-64 6.1 (PCID, no PTI)');
  });
  it('one release keeps the column names; the table header shows them', async () => {
    const one = await tlbsimIn(['compare', '-w', 'munmap', '--arch', 'x86', '--kernel', '6.1']);
    expect(one.stdout).toContain('\nmetric                                  x86\n');
    expect(one.stdout).toContain('x86  x86-64 6.1 (PCID, no PTI); base page 4 KiB');
    const two = await tlbsimIn(['compare', '-w', 'munmap', '--arch', 'x86', '--kernel', '6.1,7.1']);
    expect(two.stdout).toMatch(/\nmetric +x86@6\.1 +x86@7\.1\n/);
  });
  it('--feature adds or removes one change on every column', async () => {
    const r = await tlbsimIn(['compare', '-w', 'hugetlb-share', '--set', 'gib=4', '--arch', 'x86', '--kernel', '6.18', '--feature', '+8ce720d5bd', '--format', 'json']);
    expect(json(r.stdout).results.map((x) => [x.hugetlb!.behaviour, x.metrics.ipiBroadcasts])).toEqual([['V2', 1]]);
    const minus = await tlbsimIn(['compare', '-w', 'hugetlb-share', '--set', 'gib=4', '--arch', 'x86', '--feature=-hugetlb-unshare-batched', '--format', 'json']);
    expect(json(minus.stdout).results.map((x) => [x.hugetlb!.behaviour, x.metrics.ipiBroadcasts])).toEqual([['V1', 4]]);
  });
  it('a workload hugetlb= override still wins over the kernel', async () => {
    const r = await tlbsimIn(['compare', '-w', 'hugetlb-share', '--set', 'gib=4', '--set', 'hugetlb=V1', '--arch', 'x86', '--kernel', '6.1', '--format', 'json']);
    expect(json(r.stdout).results.map((x) => x.hugetlb!.behaviour)).toEqual(['V1']);
  });
});

describe('refusals: exit 2, one line', () => {
  const cases: [string[], string][] = [
    [['compare', '-w', 'munmap', '--kernel', '5.15'], 'tlbsim: error: --kernel 5.15: kernel 5.15 is older than the oldest modelled release, 6.1\n'],
    [['compare', '-w', 'munmap', '--kernel', '6.1,5.10'], 'tlbsim: error: --kernel 5.10: kernel 5.10 is older than the oldest modelled release, 6.1\n'],
    [['compare', '-w', 'munmap', '--kernel', '6.1,6.1.0'], 'tlbsim: error: --kernel 6.1,6.1.0: 6.1 is given twice\n'],
    [['compare', '-w', 'munmap', '--feature', '+nope'], "tlbsim: error: --feature +nope: unknown kernel feature 'nope' (tlbsim kernels lists them)\n"],
    [['compare', '-w', 'munmap', '--feature', 'x86-invlpgb'], "tlbsim: error: --feature x86-invlpgb: feature change 'x86-invlpgb' must start with + (add) or - (remove)\n"],
    [['compare', '-w', 'munmap', '--arch', 'x86:invlpgb=on', '--kernel', '6.14,6.15'], "tlbsim: error: --arch x86:invlpgb=on with --kernel 6.14: x86: option 'invlpgb' must be false with kernel '6.14' (INVLPGB support was merged in v6.15)\n"],
    [['compare', '-w', 'munmap', '--changes'], 'tlbsim: error: --changes compares adjacent releases: give --kernel with two or more (e.g. --kernel 6.1,6.6,6.12,6.18,7.1)\n'],
    [['compare', '-w', 'munmap', '--kernel', '6.1,7.1', '--changes', '--format', 'csv'], 'tlbsim: error: --changes is shown with --format table, markdown or json, not csv\n'],
    [['sweep', '-w', 'munmap', '--vary', 'kernel=6.1,4.19'], 'tlbsim: error: --vary kernel= 4.19: kernel 4.19 is older than the oldest modelled release, 6.1\n'],
    [['compare', '-w', 'munmap', '--arch', 'x86:kernel=5.4'], "tlbsim: error: --arch x86:kernel=5.4: x86: option 'kernel' must be a kernel release from 6.1 to 7.1, e.g. 6.18.44 or mainline, or one of 'v6.15', 'v6.14', 'v6.13' (kernel 5.4 is older than the oldest modelled release, 6.1)\n"],
  ];
  for (const [args, err] of cases) {
    it(args.slice(3).join(' '), async () => {
      const r = await tlbsimIn(args);
      expect([r.code, r.stdout, r.stderr]).toEqual([2, '', err]);
    });
  }
});

describe('compare --changes', () => {
  it('names the feature behind each metric that differs between adjacent releases', async () => {
    const r = await tlbsimIn(['compare', '-w', 'hugetlb-share', '--set', 'gib=4', '--arch', 'x86', '--kernel', '6.12,6.18,6.18.44,7.1', '--changes']);
    expect(r.code).toBe(0);
    const tail = r.stdout.slice(r.stdout.indexOf('changes between adjacent releases'));
    expect(tail).toBe([
      'changes between adjacent releases (a feature is named when rerunning the newer release with it toggled changes that metric; "explains it" when that gives the older value):',
      'x86 6.12 -> 6.18:',
      '  ipis 0 -> 4: 1013af4f58 hugetlb-unshare-sync (explains it)',
      '  ipiBroadcasts 0 -> 4: 1013af4f58 hugetlb-unshare-sync (explains it)',
      '  rcuCallbacks 0 -> 1: 6375e95f381e pt-reclaim + a37259732a7d x86-rcu-table-free (together, explains it)',
      '  estimatedNs 790 -> 3080: 1013af4f58 hugetlb-unshare-sync',
      '  counters.interrupts.CAL 0 -> 4: 1013af4f58 hugetlb-unshare-sync (explains it)',
      '  hugetlb.syncIpis 0 -> 4: 1013af4f58 hugetlb-unshare-sync (explains it)',
      'x86 6.18 -> 6.18.44:',
      '  ipis 4 -> 1: 8ce720d5bd hugetlb-unshare-batched (explains it)',
      '  ipiBroadcasts 4 -> 1: 8ce720d5bd hugetlb-unshare-batched (explains it)',
      '  estimatedNs 3080 -> 1400: 8ce720d5bd hugetlb-unshare-batched (explains it)',
      '  counters.interrupts.CAL 4 -> 1: 8ce720d5bd hugetlb-unshare-batched (explains it)',
      '  hugetlb.syncIpis 4 -> 1: 8ce720d5bd hugetlb-unshare-batched (explains it)',
      'x86 6.18.44 -> 7.1: no metric differs',
      '',
    ].join('\n'));
  });
  it('attributes a scenario\'s multi-VMA MADV_DONTNEED to 43c4cfde7e37 (JSON carries the steps)', async () => {
    const dir = tmp();
    const file = join(dir, 'dontneed.yaml');
    writeFileSync(file, `machine: { cpus: 2 }
processes: [ { name: A, threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1 } ] } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 16K }
  - mmap: { process: A, addr: 0x40400000, length: 16K, prot: r }
  - touch: { thread: t0, addr: 0x40000000, pages: 4 }
  - touch: { thread: t0, addr: 0x40400000, pages: 4, write: false }
  - madvise: { thread: t0, addr: 0x40000000, length: 0x404000, advice: dontneed }
`);
    const r = await tlbsimIn(['run', file, '--arch', 'x86', '--kernel', '6.15,6.16', '--changes', '--format', 'json']);
    expect(r.code).toBe(0);
    const d = json(r.stdout);
    expect(d.results.map((x) => [x.variant, x.metrics.flushes])).toEqual([['x86@6.15', 2], ['x86@6.16', 1]]);
    const steps = d.changes as { column: string; from: string; to: string; changes: { metric: string; before: number; after: number; features: { id: string; explains: boolean }[] }[] }[];
    expect(steps.map((s) => [s.column, s.from, s.to])).toEqual([['x86', '6.15', '6.16']]);
    expect(steps[0].changes.find((c) => c.metric === 'flushes')).toEqual({ metric: 'flushes', before: 2, after: 1, features: [{ id: '43c4cfde7e37', name: 'madvise-dontneed-one-gather', explains: true }] });
  });
});

describe('scenario machine.kernel and --kernel', () => {
  it('the scenario picks the kernel; --kernel overrides it', async () => {
    const dir = tmp();
    const file = join(dir, 'k.yaml');
    writeFileSync(file, `machine: { cpus: 1, kernel: '6.1' }
processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 4K }
`);
    const a = await tlbsimIn(['run', file, '--arch', 'x86', '--format', 'json']);
    expect(json(a.stdout).results[0].label).toBe('x86-64 6.1 (PCID, no PTI)');
    const b = await tlbsimIn(['run', file, '--arch', 'x86', '--kernel', '6.18.44', '--format', 'json']);
    expect(json(b.stdout).results[0].label).toBe('x86-64 6.18.44 (PCID, no PTI)');
    writeFileSync(file, readFileSync(file, 'utf8').replace("kernel: '6.1'", "kernel: '5.15'"));
    const c = await tlbsimIn(['run', file, '--arch', 'x86']);
    expect([c.code, c.stderr]).toEqual([2, `tlbsim: error: ${file}: machine.kernel: kernel 5.15 is older than the oldest modelled release, 6.1\n`]);
  });
});

describe('tlbsim kernels', () => {
  it('docs/kernels.md is its markdown (regenerate: tlbsim kernels --format markdown > docs/kernels.md)', async () => {
    expect(readFileSync(DOC, 'utf8')).toBe(kernelsMarkdown());
    const r = await tlbsimIn(['kernels', '--format', 'markdown']);
    expect(r.stdout).toBe(readFileSync(DOC, 'utf8'));
  });
  it('json: releases, oldest, mainline and every feature with commit, release, backports and packages', async () => {
    const r = await tlbsimIn(['kernels', '--format', 'json']);
    const d = JSON.parse(r.stdout) as { releases: string[]; oldest: string; mainline: string; features: { id: string; name: string; mainline: string; backports: Record<string, number>; packages: string[] }[] };
    expect([d.releases[0], d.oldest, d.mainline]).toEqual(['6.1', '6.1', '7.1']);
    expect(d.features.find((f) => f.id === '8ce720d5bd')).toMatchObject({ name: 'hugetlb-unshare-batched', mainline: '6.19', backports: { '6.1': 167, '6.12': 74, '6.18': 13 }, packages: ['hugetlb'] });
    expect(d.features.find((f) => f.id === 'a37259732a7d')).toMatchObject({ name: 'x86-rcu-table-free', mainline: '6.15', packages: ['x86'] });
  });
  it('text lists each feature with its release and backports', async () => {
    const r = await tlbsimIn(['kernels']);
    expect(r.stdout).toContain('\n3ef938c35035  x86-flush-range-freed-tables  (v6.15; x86)\n  flush_tlb_range() passes freed_tables=true, so lazy CPUs are IPIed too (before: false)\n  backported to 6.1.134, 6.6.87, 6.12.23, 6.13.11\n');
    expect((await tlbsimIn(['kernels', 'extra'])).stderr).toBe('tlbsim: error: tlbsim kernels takes no argument (got "extra")\n');
  });
});

describe('sweep --vary kernel', () => {
  it('one row per release and column', async () => {
    const r = await tlbsimIn(['sweep', '-w', 'hugetlb-share', '--set', 'gib=4', '--arch', 'x86', '--vary', 'kernel=6.1,6.18,6.19', '--jobs', '1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const head = lines[0].split(',');
    const col = head.indexOf('ipiBroadcasts');
    const [k, v] = [head.indexOf('kernel'), head.indexOf('variant')];
    expect(lines.slice(1).map((l) => [l.split(',')[k], l.split(',')[v], l.split(',')[col]])).toEqual([['6.1', 'x86', '0'], ['6.18', 'x86', '4'], ['6.19', 'x86', '1']]);
  });
});
