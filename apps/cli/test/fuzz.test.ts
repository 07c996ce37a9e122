/**
 * Fuzzing the command line (issue 17): random command lines and mutated scenario files through
 * the built CLI, spawned asynchronously with a time and memory bound. Property: exit 0 (or 1 for
 * check's findings, 3 for a check that exercised nothing), or exit 2 with one line `tlbsim: error: ...`; never 70, never a stack trace,
 * never a crash or a hang, and no temporary file left behind. A few runs in the normal test run;
 * TLBSIM_FUZZ_RUNS=N runs N per property. (replay's strace inputs are fuzzed in replay-fuzz.test.ts.)
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLI, run, type Ran } from './helpers.js';

// each run spawns a node process (about half a second on an idle core): few by default
const RUNS = Number(process.env.TLBSIM_FUZZ_RUNS) || 6;
const PER_RUN_MS = 30_000;

/** The built CLI under a heap bound (a run that needs more than this for these small inputs is a bug), killed (a failure) after PER_RUN_MS. */
function tlbsim(args: string[], cwd: string): Promise<Ran> {
  return run(process.execPath, ['--max-old-space-size=512', CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: PER_RUN_MS });
}

/** The property every run must hold; `before` are the files the run started with. */
function holds(args: string[], r: Ran, files: string[], before: string[]): void {
  const what = `tlbsim ${args.map((a) => JSON.stringify(a)).join(' ')}\nexit ${r.code} signal ${r.signal}\nstderr: ${r.stderr}`;
  expect(r.signal, what).toBe(null);
  expect([0, 1, 2, 3], what).toContain(r.code);
  expect(r.stderr, what).not.toMatch(/tlbsim: internal error:|\n\s+at |\.[jt]s:\d+:\d+|FATAL ERROR/);
  if (r.code === 2 && args.length === 0) {
    // no command at all: the usage on stderr (a test of its own checks it), nothing written
    expect(r.stderr, what).toMatch(/^tlbsim \S+: simulate Linux/);
    expect(files, what).toEqual(before);
  } else if (r.code === 2) {
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length, what).toBe(1);
    expect(lines[0], what).toMatch(/^tlbsim: error: \S/);
    expect(files, what).toEqual(before);
  }
  expect(files.filter((f) => f.endsWith('.tmp')), what).toEqual([]);
}

const COMMANDS = ['compare', 'run', 'check', 'sweep', 'replay', 'workloads', 'arches', 'help', 'toString', '__proto__', '--help', '--version', ''];
const OPTIONS = ['--workload', '-w', '--set', '-s', '--arch', '-a', '--format', '-f', '--out', '-o', '--trace', '--trace-format', '--seed', '--vary', '--jobs', '-j', '--force-jobs', '--plot', '--report', '--metric', '--bug', '--hugetlb', '--help', '--nope', '--out='];
const VALUES = [
  'munmap', 'mprotect', 'exit', 'madvise-dontneed', 'toString', 'constructor', 'x86', 'arm64', 'arm64:granule=64k', 'x86:invlpgb=on', 'all', 'generic', 'ppc:x=1',
  'json', 'csv', 'table', 'markdown', 'text', 'jsonl', 'ftrace', 'pages=1', 'pages=2', 'cpus=2', 'cpus=0', 'pages=0', 'peer=sleep', 'iterations=1', 'pages=1,2',
  'pages=1..3', 'cpus=1..2', 'pages=', '=1', 'ipis', 'tablesFreed', 'free-pages-before-flush', 'V1', 'V9', '1', '2', '0', '-1', '3000', '1e3', '99999999999999999999',
  '', ' ', 'o.txt', 'o.json', 'o.csv', 's.yaml', 's.json', 'missing.yaml', '.', '/dev/null', '\u00e9', 'a\nb',
];

const commandLine = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(fc.oneof(fc.constantFrom(...OPTIONS), fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })), { maxLength: 8 })).map(([c, rest]) => (c ? [c, ...rest] : rest));

const SCENARIO = `machine: { cpus: 2 }
files: [ { name: f } ]
processes:
  - name: A
    threads: [ { name: t0, cpu: 0 }, { name: t1, cpu: 1, state: sleeping } ]
ops:
  - mmap: { process: A, addr: 0x40000000, length: 64K }
  - touch: { thread: t0, addr: 0x40000000, pages: 4 }
  - fork: { thread: t0, child: B, childThread: { name: b0, cpu: 1, state: sleeping } }
  - munmap: { thread: t1, addr: 0x40000000, length: 32K }
  - exit: { thread: b0 }
`;

/** Scenario texts: the sample with a line replaced, dropped or duplicated, or text inserted. */
const scenarioText = fc
  .tuple(
    fc.nat(),
    fc.constantFrom('replace', 'drop', 'dup', 'insert'),
    fc.constantFrom('  - toString: { thread: t0 }', '  - exit: { thread: t1 }', '  - run: { thread: t1, cpu: 0 }', '  - gup_fast_end: { cpu: 0 }', '  - munmap: { thread: t0, addr: .inf, length: null }', 'name: a', '  - mmap: { process: B, length: 1G }', '&a [*a]', '{{', '\uFEFF', '  - spawn: { process: A, thread: { name: t0, cpu: 0 } }'),
  )
  .map(([at, how, line]) => {
    const lines = SCENARIO.split('\n');
    const i = at % lines.length;
    if (how === 'replace') lines[i] = line;
    else if (how === 'drop') lines.splice(i, 1);
    else if (how === 'dup') lines.splice(i, 0, lines[i]);
    else lines.splice(i, 0, line);
    return lines.join('\n');
  });

describe('the CLI never crashes on what a user can type', { timeout: Math.max(120_000, RUNS * 2 * PER_RUN_MS) }, () => {
  it('random command lines', async () => {
    await fc.assert(
      fc.asyncProperty(commandLine, async (args) => {
        const d = mkdtempSync(join(tmpdir(), 'tlbsim-fuzz-'));
        writeFileSync(join(d, 's.yaml'), SCENARIO);
        writeFileSync(join(d, 's.json'), '{"processes": [{"name": "A"}], "ops": []}');
        const before = readdirSync(d).sort();
        const r = await tlbsim(args, d);
        holds(args, r, readdirSync(d).sort(), before);
        rmSync(d, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
  });
  it('mutated scenario files (tlbsim run and check)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioText, fc.constantFrom('s.yaml', 's.json', 's'), fc.constantFrom('run', 'check'), async (text, name, cmd) => {
        const d = mkdtempSync(join(tmpdir(), 'tlbsim-fuzz-'));
        writeFileSync(join(d, name), text);
        const args = [cmd, name, '--arch', 'generic', '--arch', 'x86', '--out', 'o.txt'];
        const before = readdirSync(d).sort();
        const r = await tlbsim(args, d);
        holds(args, r, readdirSync(d).sort(), before);
        rmSync(d, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
  });
});
