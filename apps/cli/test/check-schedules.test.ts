/**
 * tlbsim check --schedules N [--seed S] (docs/exploration.md): findings with their seeds and
 * shortest schedules, a seed replays its schedule, bad input exits 2, and no current-kernel
 * configuration of any backend has a finding over 100 schedules of any built-in workload.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectUsageError, tlbsimIn } from './helpers.js';

const example = (f: string) => fileURLToPath(new URL(`../../../docs/examples/${f}`, import.meta.url));
const HUGETLB_V0 = ['check', '--workload', 'hugetlb-share', '--set', 'op=munmap', '--set', 'hugetlb=V0', '--set', 'cpus=3', '--arch', 'arm64'];

describe('bad input', () => {
  it('--seed without --schedules is refused, exit 2', async () => {
    const r = await tlbsimIn(['check', '--workload', 'munmap', '--seed', '1']);
    expect(expectUsageError(r)).toBe('tlbsim: error: --seed picks the first schedule of --schedules N: give --schedules too (--schedules 1 --seed S replays one schedule)');
    expect(r.stdout).toBe('');
  });
  for (const [args, msg] of [
    [['--schedules', '0'], '--schedules must be a whole number from 1 to 100000, got 0'],
    [['--schedules', 'many'], '--schedules must be a whole number from 1 to 100000, got "many"'],
    [['--schedules', '2', '--seed', '1.5'], '--seed must be a whole number from 0 to 4294967295, got "1.5"'],
    [['--feature=-nope'], "--feature -nope: unknown kernel feature 'nope' (tlbsim kernels lists them)"],
    [['--feature', 'eb66ae030829'], '--feature eb66ae030829: feature change \'eb66ae030829\' must start with + (add) or - (remove)'],
    [['--schedules', '2', '--trace', 'x.json'], '--trace records one run: with --schedules it has no single run to record'],
  ] as const) {
    it(`${args.join(' ')}: exit 2`, async () => {
      const r = await tlbsimIn(['check', '--workload', 'munmap', '--arch', 'x86', ...args]);
      expect(expectUsageError(r)).toBe(`tlbsim: error: ${msg}`);
      expect(r.stdout).toBe('');
    });
  }
});

describe('the hugetlb GUP-fast race (1013af4f58) found by exploration', () => {
  it('hugetlb=V0 on arm64: one H2 finding with its seed and shortest schedule (JSON)', async () => {
    const r = await tlbsimIn([...HUGETLB_V0, '--schedules', '100', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['tlbsim', 'workload', 'schedules', 'seed', 'bugs', 'features', 'findings', 'results']);
    expect(doc).toMatchObject({ schedules: 100, seed: 0, findings: 1 });
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0]).toMatchObject({ arch: 'arm64', steps: 4, placements: 10, exhaustive: true });
    expect(doc.results[0].findings).toEqual([{
      hazard: 'H2', op: 'munmap', cpu: 1, address: '0x3fff40000000',
      what: 'page table (level pmd) at 0x3fff40000000 reused while a GUP-fast walker on CPU1 is inside it',
      flush: 'no IPI or RCU grace period waited for the walker on CPU1 (IRQs off) before the table was reused',
      seed: 32, schedules: 7,
      schedule: [
        { op: 'munmap', point: 'unmap_vmas', actor: 'gup-fast', cpu: 1, detail: 'walks 0x3fff40000000 in child0.1' },
        { op: 'munmap', point: 'free_pgtables:after-unlink', actor: 'reclaim', cpu: 2, detail: 'unmaps page 52736 of hugetlb (frame 108)' },
      ],
    }]);
  });
  it('--schedules 1 --seed 32 replays that schedule (text)', async () => {
    const r = await tlbsimIn([...HUGETLB_V0, '--schedules', '1', '--seed', '32']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`check hugetlb-share: cpus=3 iterations=1 gib=1 sharers=2 op=munmap hugetlb=V0, 1 schedule from seed 32

arm64 (arm64 (4K, 48-bit VA, v7.1)): 1 finding in 1 schedule (4 steps; 10 single placements, not all explored)
  1. H2 page-table page freed or reused while still reachable, during munmap
     CPU 1, address 0x3fff40000000
     page table (level pmd) at 0x3fff40000000 reused while a GUP-fast walker on CPU1 is inside it
     flush: no IPI or RCU grace period waited for the walker on CPU1 (IRQs off) before the table was reused
     seen in 1 of 1 schedules; first seed 32 (--schedules 1 --seed 32 replays it)
     shortest schedule found, 2 actors:
       munmap at unmap_vmas: gup-fast on CPU1 (walks 0x3fff40000000 in child0.1)
       munmap at free_pgtables:after-unlink: reclaim on CPU2 (unmaps page 52736 of hugetlb (frame 108))

1 distinct finding
`);
  });
  it('V1 and V2 on arm64, and V0 on x86 (its flush IPI waits for the walker): no findings, exit 0', async () => {
    for (const args of [['--set', 'hugetlb=V1', '--arch', 'arm64'], ['--set', 'hugetlb=V2', '--arch', 'arm64'], ['--set', 'hugetlb=V0', '--arch', 'x86']]) {
      const r = await tlbsimIn(['check', '--workload', 'hugetlb-share', '--set', 'op=munmap', '--set', 'cpus=3', ...args, '--schedules', '100']);
      expect(r.code).toBe(0);
      expect(r.stdout.endsWith('\nno findings\n')).toBe(true);
    }
  });
  it('without --schedules check runs the canonical schedule only: nothing to find', async () => {
    const r = await tlbsimIn(HUGETLB_V0);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('arm64 (arm64 (4K, 48-bit VA, v7.1)): no findings\n');
  });
});

describe('historic races of core, on a kernel without their fix (docs/examples)', () => {
  it('CVE-2018-18281 (-eb66ae030829) on arm64: H1 at move_ptes:after-unlock; none with the fix, none on x86', async () => {
    const args = ['check', example('mremap-file.yaml'), '--arch', 'x86', '--arch', 'arm64', '--schedules', '100', '--format', 'json'];
    const without = await tlbsimIn([...args, '--feature=-eb66ae030829']);
    expect(without.code).toBe(1);
    const doc = JSON.parse(without.stdout);
    expect(doc.features).toEqual(['-eb66ae030829']);
    expect(doc.results.map((r: { arch: string; findings: unknown[] }) => [r.arch, r.findings.length])).toEqual([['x86', 0], ['arm64', 1]]);
    expect(doc.results[1].findings[0]).toMatchObject({
      hazard: 'H1', op: 'mremap', opIndex: 3, address: '0x40001000', seed: 1, schedules: 14,
      schedule: [{ op: 'ops[3].mremap', point: 'move_ptes:after-unlock', actor: 'reclaim', cpu: 1, detail: 'reclaims page 1 of F (frame 6, freed)' }],
    });
    const fixed = await tlbsimIn(args);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout).findings).toBe(0);
  });
  it('CVE-2022-39188 (-b67fbebd4cf9) on x86: H1 at free_pgtables:after-unlink; none with the fix, none on arm64', async () => {
    const args = ['check', example('pfnmap-munmap.yaml'), '--arch', 'x86', '--arch', 'arm64', '--schedules', '100', '--format', 'json'];
    const without = await tlbsimIn([...args, '--feature=-b67fbebd4cf9']);
    expect(without.code).toBe(1);
    const doc = JSON.parse(without.stdout);
    expect(doc.results.map((r: { arch: string; findings: unknown[] }) => [r.arch, r.findings.length])).toEqual([['x86', 1], ['arm64', 0]]);
    expect(doc.results[0].findings[0]).toMatchObject({
      hazard: 'H1', op: 'munmap', opIndex: 3, address: '0x40000000', seed: 7, schedules: 10,
      schedule: [{ op: 'ops[3].munmap', point: 'free_pgtables:after-unlink', actor: 'revoke', cpu: 1, detail: 'revokes dev (0 linked VMAs zapped) and frees its memory' }],
    });
    const fixed = await tlbsimIn(args);
    expect(fixed.code).toBe(0);
  });
});

/** Every backend on its current (default) kernel, with the options that change how it flushes. */
const CONFIGS = [
  'x86', 'x86:pcid=off', 'x86:invlpgb=on', 'x86:paravirt=kvm', 'arm64', 'arm64:tlbiRange=on', 'arm64:granule=64k',
  'ppc', 'ppc:mmu=hash', 'riscv', 'riscv:rfence=ipi', 'generic',
].flatMap((a) => ['--arch', a]);

/** Every built-in workload, small. */
const WORKLOADS = [
  ['munmap', 'aligned=true', 'peer=sleep'], ['madvise-dontneed', 'aligned=true'], ['madvise-free'],
  ['mprotect', 'aligned=true'], ['mremap', 'aligned=true'], ['exit', 'rss=8'],
  ['hugetlb-share', 'op=munmap'], ['hugetlb-share', 'op=exit'], ['reclaim', 'pages=4'],
  ['tlb_flush1', 'pages=8'], ['tlb_flush2', 'pages=8'], ['tlb_flush3', 'pages=8'],
];

describe('no false findings: current kernels, every backend configuration, 100 schedules of every built-in workload', () => {
  // each workload is one in-process run over every configuration (a few seconds); the budget is the timeout
  for (const [w, ...sets] of WORKLOADS) {
    it(`${w} ${sets.join(' ')}`, async () => {
      const r = await tlbsimIn(['check', '--workload', w, '--set', 'cpus=3', ...sets.flatMap((s) => ['--set', s]), ...CONFIGS, '--schedules', '100', '--format', 'json']);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout);
      expect(doc.results.map((x: { arch: string; findings: unknown[] }) => [x.arch, x.findings])).toEqual(doc.results.map((x: { arch: string }) => [x.arch, []]));
      expect(doc.findings).toBe(0);
      expect(r.code).toBe(0);
      // the schedules reached interleaving points on every configuration (something was explored)
      for (const x of doc.results) expect(x.steps, x.arch).toBeGreaterThan(0);
    }, 120_000);
  }
});
