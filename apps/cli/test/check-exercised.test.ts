/**
 * tlbsim check says what it checked (issue 15, item 4): per hazard class and per --bug whether it
 * was exercised and how often, exit 3 when nothing it was asked to exercise was, folded findings
 * counted, each finding with its flush and cached translation; and --seed is gone (item 6).
 * What check prints is checked in-process (tlbsimIn); one real process shows the exit status 3
 * a shell sees.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, fixture, tlbsimIn, tmp, validate } from './helpers.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI in a process of its own, asynchronously, killed after `ms`. */
function spawned(args: string[], ms = 30_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`tlbsim ${args.join(' ')}: no exit after ${ms} ms`));
    }, ms);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Run a command line in this worker (what it prints and its exit status). */
const run = (args: string[]): Promise<Ran> => tlbsimIn(args);

interface HazardJson {
  checks: number;
  findings: number;
  affected: number;
  why?: string;
}
interface ResultJson {
  variant: string;
  violations: { hazard: string; cpu: number; address: number; op: string; opIndex?: number; flush?: string; cached?: { cpu: number; address: number; sinceNs: number }; affected?: number }[];
  exercised: { hazards: Record<'H1' | 'H2' | 'H3' | 'H4', HazardJson>; bugs: Record<string, { acted: number; why?: string }> };
}
interface Doc {
  findings: number;
  notExercised: { variant: string; bug?: string; why: string }[];
  results: ResultJson[];
}

async function json(args: string[]): Promise<{ code: number | null; doc: Doc }> {
  const r = await run([...args, '--format', 'json']);
  const doc = JSON.parse(r.stdout) as Doc;
  expect(validate(doc, 'results.schema.json')).toEqual([]);
  return { code: r.code, doc };
}

const MUNMAP = ['check', '--workload', 'munmap'];
const NO_TABLE = { checks: 0, findings: 0, affected: 0, why: 'no page table freed' };
const NO_REDUCTION = { checks: 0, findings: 0, affected: 0, why: 'no permission of a present entry reduced' };

describe('check: the 8-page munmap with each bug (x86)', () => {
  it('free-pages-before-flush: 4 findings shown, 8 pages affected, exit 1', async () => {
    const r = await run([...MUNMAP, '--bug', 'free-pages-before-flush', '--arch', 'x86']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('check munmap: cpus=2 iterations=1 pages=8 peer=spin aligned=false, re-creating bug free-pages-before-flush');
    expect(lines.slice(2, 8)).toEqual([
      'x86 (x86-64 7.1 (PCID, no PTI)): 4 findings shown, 8 pages affected',
      '  bug free-pages-before-flush: acted 8 times (pages freed before the TLB flush that covers them)',
      '  H1: 8 page frees checked, 4 findings',
      '  H2: not exercised (no page table freed)',
      '  H3: not exercised (no permission of a present entry reduced)',
      '  H4: 9 kernel warning conditions checked',
    ]);
    expect(lines.slice(8, 14)).toEqual([
      '  1. H1 stale translation after free, during munmap',
      '     CPU 0, address 0x3fff40002000',
      '     page at 0x3fff40002000 freed while CPU0 may still hold its translation (no invalidation since its PTE was cleared)',
      "     flush: freed before the gather's TLB flush: tlb_flush of [0x3fff40002000, 0x3fff4000a000) had not run yet",
      '     cached: CPU0 may hold the translation of 0x3fff40002000 since t=250ns (its last load or full flush of the mm)',
      '     affected: 7 pages on CPU0 (one finding per CPU per freed batch; 6 folded into this one)',
    ]);
    expect(r.stdout.endsWith('\n4 findings shown, 8 pages affected\n')).toBe(true);
  });
  it('free-pages-before-flush in JSON: the same counts, each finding with its flush and cached translation', async () => {
    const { code, doc } = await json([...MUNMAP, '--bug', 'free-pages-before-flush', '--arch', 'x86']);
    expect(code).toBe(1);
    expect(doc.findings).toBe(4);
    expect(doc.notExercised).toEqual([]);
    const x = doc.results[0];
    expect(x.exercised).toEqual({
      hazards: { H1: { checks: 8, findings: 4, affected: 8 }, H2: NO_TABLE, H3: NO_REDUCTION, H4: { checks: 9, findings: 0, affected: 0 } },
      bugs: { 'free-pages-before-flush': { acted: 8 } },
    });
    // one finding per CPU per freed batch: a batch of 7 pages, then one of 1 page
    expect(x.violations.map((v) => [v.cpu, v.address, v.affected])).toEqual([
      [0, 0x3fff40002000, 7], [1, 0x3fff40002000, 7], [0, 0x3fff40009000, 1], [1, 0x3fff40009000, 1],
    ]);
    expect(x.violations[1].cached).toEqual({ cpu: 1, address: 0x3fff40002000, sinceNs: 500 });
    expect(x.violations[1].flush).toBe("freed before the gather's TLB flush: tlb_flush of [0x3fff40002000, 0x3fff4000a000) had not run yet");
    expect(x.violations[1].op).toBe('munmap');
    expect(x.violations[1].opIndex).toBe(undefined);
  });
  it('free-tables-without-flush: no page table is freed, so "not exercised", exit 3', async () => {
    const r = await run([...MUNMAP, '--bug', 'free-tables-without-flush', '--arch', 'x86']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('\n  bug free-tables-without-flush: not exercised (no page table was freed)\n');
    expect(r.stdout.endsWith('\nno findings, but not exercised:\n  bug free-tables-without-flush (no page table was freed) on x86\n')).toBe(true);
    const { code, doc } = await json([...MUNMAP, '--bug', 'free-tables-without-flush', '--arch', 'x86']);
    expect(code).toBe(3);
    expect(doc.notExercised).toEqual([{ variant: 'x86', bug: 'free-tables-without-flush', why: 'no page table was freed' }]);
    expect(doc.results[0].exercised.bugs).toEqual({ 'free-tables-without-flush': { acted: 0, why: 'no page table was freed' } });
  });
  it('a real process exits 3 and prints the same as the in-process run', async () => {
    const args = [...MUNMAP, '--bug', 'free-tables-without-flush', '--arch', 'x86'];
    const [a, b] = await Promise.all([spawned(args), run(args)]);
    expect([a.code, a.stdout, a.stderr]).toEqual([3, b.stdout, b.stderr]);
  });
  it('skip-mprotect-flush: munmap reduces no permission, so "not exercised", exit 3', async () => {
    const r = await run([...MUNMAP, '--bug', 'skip-mprotect-flush', '--arch', 'x86']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('\n  bug skip-mprotect-flush: not exercised (no permission of a present entry was reduced)\n');
  });
});

describe('check: where each bug acts', () => {
  it('free-tables-without-flush on a munmap that frees its page table: 2 findings, 1 page table, exit 1', async () => {
    const { code, doc } = await json([...MUNMAP, '--set', 'aligned=true', '--bug', 'free-tables-without-flush']);
    expect(code).toBe(1);
    expect(doc.findings).toBe(8);
    for (const res of doc.results) {
      expect(res.exercised.bugs, res.variant).toEqual({ 'free-tables-without-flush': { acted: 1 } });
      expect(res.exercised.hazards.H2, res.variant).toEqual({ checks: 1, findings: 2, affected: 1 });
      expect(res.violations.map((v) => [v.hazard, v.cpu, v.flush]), res.variant).toEqual([
        ['H2', 0, 'no walk-cache invalidation of app reached CPU0 since the table was unlinked'],
        ['H2', 1, 'no walk-cache invalidation of app reached CPU1 since the table was unlinked'],
      ]);
    }
    const t = await run([...MUNMAP, '--set', 'aligned=true', '--bug', 'free-tables-without-flush', '--arch', 'x86']);
    expect(t.stdout).toContain('x86 (x86-64 7.1 (PCID, no PTI)): 2 findings shown, 1 page table affected\n');
    expect(t.stdout).toContain('\n  H2: 1 page-table free or reuse checked, 2 findings\n');
  });
  it('free-pages-before-flush on every architecture: arm64 and riscv flush at tlb_end_vma first, so it never acts there', async () => {
    const { code, doc } = await json([...MUNMAP, '--bug', 'free-pages-before-flush']);
    expect(code).toBe(1);
    expect(doc.results.map((r) => [r.variant, r.violations.length, r.exercised.bugs['free-pages-before-flush'].acted])).toEqual([
      ['x86', 4, 8], ['arm64', 0, 0], ['ppc', 4, 8], ['riscv', 0, 0],
    ]);
    const why = 'every page the gather freed was already covered by an earlier TLB flush of the gather, at tlb_end_vma or when a batch filled';
    expect(doc.notExercised).toEqual([
      { variant: 'arm64', bug: 'free-pages-before-flush', why },
      { variant: 'riscv', bug: 'free-pages-before-flush', why },
    ]);
  });
  it('free-pages-before-flush acts only on pages no earlier flush of the gather covered', async () => {
    // 65536 pages fill the gather: zap_pte_range flushes the TLB before each forced free, so only
    // the pages queued after the last such flush are freed early
    const { code, doc } = await json([...MUNMAP, '--set', 'pages=65536', '--bug', 'free-pages-before-flush', '--arch', 'x86']);
    expect(code).toBe(1);
    const x = doc.results[0];
    expect(x.exercised.bugs).toEqual({ 'free-pages-before-flush': { acted: 7468 } });
    expect(x.exercised.hazards.H1).toEqual({ checks: 65536, findings: 32, affected: 7468 });
  });
  it('skip-mprotect-flush on the mprotect workload: 2 findings shown, 8 pages affected', async () => {
    const r = await run(['check', '--workload', 'mprotect', '--bug', 'skip-mprotect-flush', '--arch', 'x86']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('x86 (x86-64 7.1 (PCID, no PTI)): 2 findings shown, 8 pages affected\n  bug skip-mprotect-flush: acted 8 times (flushes of a reduced permission skipped)\n');
    expect(r.stdout).toContain('\n  H3: 8 permission reductions checked, 2 findings\n');
    expect(r.stdout).toContain('     affected: 8 pages on CPU1 (one finding per CPU per mprotect or fork; 7 folded into this one)\n');
  });
  it('a scenario finding names its op index', async () => {
    const { code, doc } = await json(['check', fixture('stale-mprotect.yaml'), '--bug', 'skip-mprotect-flush', '--arch', 'x86']);
    expect(code).toBe(1);
    expect(doc.results[0].violations.map((v) => [v.op, v.opIndex, v.affected])).toEqual([['mprotect', 2, 4], ['mprotect', 2, 4]]);
  });
});

describe('check without --bug', () => {
  it('munmap: exit 0, H1 exercised (8 page frees), H2 not', async () => {
    const r = await run([...MUNMAP, '--arch', 'x86']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\n  H1: 8 page frees checked\n  H2: not exercised (no page table freed)\n');
    expect(r.stdout.endsWith('\nno findings\n')).toBe(true);
    const { doc } = await json([...MUNMAP, '--arch', 'x86']);
    expect(doc.results[0].exercised.hazards.H1).toEqual({ checks: 8, findings: 0, affected: 0 });
    expect(doc.results[0].exercised.hazards.H2).toEqual(NO_TABLE);
    expect(doc.results[0].exercised.bugs).toEqual({});
  });
  it('a scenario that frees nothing exercises no hazard class: exit 3', async () => {
    const r = await run(['check', fixture('touch-only.yaml'), '--arch', 'x86', '--arch', 'arm64']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('\n  H4: not exercised (no kernel warning condition evaluated)\n');
    const why = 'no hazard class was exercised (no page or page table freed, no permission reduced, no warning condition evaluated)';
    expect(r.stdout.endsWith(`\nno findings, but not exercised:\n  ${why} on x86, arm64\n`)).toBe(true);
    const { code, doc } = await json(['check', fixture('touch-only.yaml'), '--arch', 'x86']);
    expect(code).toBe(3);
    expect(doc.notExercised).toEqual([{ variant: 'x86', why }]);
  });
  it('exit 3 is documented in check --help and the main help', async () => {
    const c = await run(['check', '--help']);
    expect(c.stdout).toContain('findings, 3 "not exercised" when nothing is found but a --bug never acted in some run');
    const m = await run(['--help']);
    expect(m.stdout).toContain('  check       run the hazard checker; exit 1 when it finds anything, 3 when it checked nothing\n');
    expect(m.stdout).toContain('3 not exercised\n(tlbsim check found nothing, but a --bug never acted or no hazard class was checked at all)');
  });
});

describe('--seed is gone where it changed nothing (check takes it with --schedules: check-schedules.test.ts)', () => {
  for (const args of [['compare', '--workload', 'munmap'], ['run', fixture('two-threads.yaml')], ['sweep', '--workload', 'munmap', '--vary', 'pages=1,2']]) {
    it(`tlbsim ${args[0]} --seed 1: unknown option, exit 2`, async () => {
      const r = await run([...args, '--seed', '1']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^tlbsim: error: unknown option "--seed" for "tlbsim ${args[0]}"`));
    });
  }
  it('a scenario with machine.seed is refused with its field, exit 2', async () => {
    const f = join(tmp(), 's.yaml');
    writeFileSync(f, 'machine: { cpus: 2, seed: 3 }\nprocesses: [ { name: A } ]\nops: []\n');
    const r = await run(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tlbsim: error: ${f}: machine.seed: has no effect (the model makes no random choice): remove it\n`);
  });
  it('no title or JSON document names a seed', async () => {
    const t = await run(['compare', '--workload', 'munmap', '--arch', 'x86']);
    expect(t.stdout.split('\n')[0]).toBe('munmap: cpus=2 iterations=1 pages=8 peer=spin aligned=false');
    const j = await run(['compare', '--workload', 'munmap', '--arch', 'x86', '--format', 'json']);
    expect(Object.keys(JSON.parse(j.stdout))).toEqual(['tlbsim', 'workload', 'units', 'results']);
  });
});
