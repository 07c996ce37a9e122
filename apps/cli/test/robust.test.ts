// Issue 17: nothing a user can type crashes the CLI; limits, signals and outputs.
// The CLI is spawned asynchronously (never spawnSync: it would block vitest's worker).
import { createReadStream, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, run, sh, tlbsimIn, type Ran } from './helpers.js';



/**
 * Run a command line: in this worker (what it prints and its exit status) unless the test needs
 * a process of its own (a signal, a time limit), then the built CLI; `kill` sends a signal after
 * that many ms (when it is still running).
 */
function tlbsim(args: string[], o: { cwd?: string; kill?: [NodeJS.Signals, number]; killAfterCpu?: [NodeJS.Signals, number]; timeoutMs?: number; process?: boolean } = {}): Promise<Ran> {
  if (!o.kill && !o.killAfterCpu && !o.timeoutMs && !o.process) return tlbsimIn(args, { cwd: o.cwd });
  return run(process.execPath, [CLI, ...args], { cwd: o.cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: o.timeoutMs, kill: o.kill, killAfterCpu: o.killAfterCpu });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'tlbsim-robust-'));

/** exit 2 with exactly one line `tlbsim: error: ...` and no stack trace; returns the message. */
function usageError(r: Ran): string {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at |\.[jt]s:\d+/);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tlbsim: error: /);
  return lines[0].slice('tlbsim: error: '.length);
}

const COMMANDS = 'compare, run, check, sweep, workloads, arches, metrics, new-arch, replay, measure, kernels, record, merge';

// ---------------------------------------------------------------- block: command lookup
describe('names inherited from Object are no commands', () => {
  it('a real process says the same as the in-process run (exit 2, one line)', async () => {
    for (const args of [['toString'], ['help', '__proto__'], ['run', 'nope.yaml']]) {
      const [a, b] = await Promise.all([tlbsim(args, { process: true }), tlbsim(args)]);
      expect([a.code, a.stdout, a.stderr]).toEqual([b.code, b.stdout, b.stderr]);
    }
  });
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`tlbsim ${name}`, async () => {
      expect(usageError(await tlbsim([name]))).toBe(`unknown command "${name}"; valid commands: ${COMMANDS} (tlbsim --help)`);
    });
    it(`tlbsim help ${name}`, async () => {
      expect(usageError(await tlbsim(['help', name]))).toBe(`unknown command "${name}"; valid commands: ${COMMANDS}`);
    });
  }
  it('tlbsim compare --arch toString', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--arch', 'toString']))).toBe('unknown architecture "toString"; valid architectures: x86, arm64, ppc, riscv, generic, all');
  });
  it('tlbsim compare --workload constructor', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'constructor']))).toMatch(/^unknown workload "constructor"; valid workloads: munmap, /);
  });
});

// ---------------------------------------------------------------- block: repeated options
describe('an option that takes one value, given twice or empty, is refused', () => {
  it('--workload twice', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--workload', 'mprotect']))).toBe('option --workload of "tlbsim compare" is given twice ("munmap" and "mprotect"): give it once');
  });
  it('--format twice, short and long', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '-f', 'json', '--format', 'csv']))).toBe('option --format of "tlbsim compare" is given twice ("json" and "csv"): give it once');
  });
  it('--set for the same key twice', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--set', 'pages=1', '--set', 'pages=2']))).toBe('--set pages= is given twice ("1" and "2"): give it once');
  });
  it('--out ""', async () => {
    const d = tmp();
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--out', ''], { cwd: d }))).toBe('option --out of "tlbsim compare" needs a value, got an empty one');
    expect(readdirSync(d)).toEqual([]);
  });
  it('--arch and --set stay repeatable', async () => {
    const r = await tlbsim(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64', '--set', 'pages=2', '--set', 'cpus=2', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86,arm64');
  });
});

// ---------------------------------------------------------------- block: outputs
describe('outputs', () => {
  const cases: [string, string[]][] = [
    ['compare --out X --trace X', ['compare', '--workload', 'munmap', '--out', 'X.json', '--trace', 'X.json']],
    ['run --out F --trace F', ['run', 'S.yaml', '--out', 'F', '--trace', 'F']],
    ['sweep --plot F --report F', ['sweep', '--workload', 'munmap', '--vary', 'pages=1,2', '--plot', 'F', '--report', 'F']],
    ['sweep --out F --plot F', ['sweep', '--workload', 'munmap', '--vary', 'pages=1,2', '--out', 'F', '--plot', 'F']],
  ];
  for (const [what, args] of cases) {
    it(`the same path twice is refused before any work: ${what}`, async () => {
      const d = tmp();
      writeFileSync(join(d, 'S.yaml'), 'processes: [ { name: A, threads: [ { name: t0, cpu: 0 } ] } ]\nops: []\n');
      const [a, b] = args.filter((x) => x.startsWith('--') && ['--out', '--trace', '--plot', '--report'].includes(x));
      const file = args[args.indexOf(a) + 1];
      expect(usageError(await tlbsim(args, { cwd: d }))).toBe(`${a} and ${b} both write ${file}: give each output its own file`);
      expect(readdirSync(d)).toEqual(['S.yaml']);
    });
  }
  it('the same file reached through a symlink is the same path', async () => {
    const d = tmp();
    symlinkSync('real.json', join(d, 'link.json'));
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--out', 'real.json', '--trace', 'link.json'], { cwd: d }))).toBe('--out and --trace both write link.json: give each output its own file');
  });
  it('a symlink is written through to its target; the link stays a link', async () => {
    const d = tmp();
    writeFileSync(join(d, 'target.txt'), 'old\n');
    symlinkSync('target.txt', join(d, 'link.txt'));
    symlinkSync('new.txt', join(d, 'dangling.txt'));
    const r = await tlbsim(['compare', '--workload', 'munmap', '--format', 'csv', '--arch', 'x86', '--out', 'link.txt', '--trace', 'dangling.txt'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(join(d, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(d, 'dangling.txt')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'target.txt'), 'utf8').split('\n')[0]).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86');
    expect(readFileSync(join(d, 'new.txt'), 'utf8')).toMatch(/^# tlbsim x86: /);
    expect(readdirSync(d).sort()).toEqual(['dangling.txt', 'link.txt', 'new.txt', 'target.txt']);
  });
  it('a device is written directly, never replaced; a write error names the user\'s path (exit 2)', async () => {
    const r = await tlbsim(['compare', '--workload', 'munmap', '--arch', 'x86', '--out', '/dev/full']);
    expect(usageError(r)).toBe('cannot write /dev/full: no space left on the device');
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });
  it('a FIFO is written directly (a reader gets the data, the FIFO stays)', async () => {
    const d = tmp();
    const fifo = join(d, 'pipe');
    await sh('mkfifo', [fifo]);
    const reader = new Promise<string>((res) => {
      let s = '';
      createReadStream(fifo, 'utf8').on('data', (c) => (s += c)).on('end', () => res(s));
    });
    const r = await tlbsim(['compare', '--workload', 'munmap', '--arch', 'x86', '--format', 'csv', '--out', fifo]);
    expect(r.code, r.stderr).toBe(0);
    expect((await reader).split('\n')[0]).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86');
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(['pipe']);
  });
  it('a directory as output is refused before the run', async () => {
    const d = tmp();
    mkdirSync(join(d, 'sub'));
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--out', 'sub'], { cwd: d }))).toBe('cannot write sub: it is a directory');
  });
  it('a missing directory: the message names the path given, not a temporary file', async () => {
    expect(usageError(await tlbsim(['compare', '--workload', 'munmap', '--arch', 'x86', '--out', '/nonexistent-dir/o.txt']))).toBe('cannot write /nonexistent-dir/o.txt: no such directory');
  });
});

// ---------------------------------------------------------------- block: jobs
describe('sweep --jobs is capped at the cores', () => {
  const cores = availableParallelism();
  it('more workers than cores: refused, naming the cap and --force-jobs', async () => {
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,2', '--jobs', String(cores + 1)]);
    expect(usageError(r)).toBe(`--jobs ${cores + 1} is more than the ${cores} core${cores > 1 ? 's' : ''} of this machine: more workers only compete for them (add --force-jobs to start ${cores + 1} anyway)`);
  });
  it('--force-jobs starts them, with the output of one worker', async () => {
    const args = ['sweep', '--workload', 'munmap', '--vary', 'pages=1,2,3', '--arch', 'x86'];
    const one = await tlbsim([...args, '--jobs', '1']);
    const many = await tlbsim([...args, '--jobs', String(cores + 2), '--force-jobs']);
    expect([one.code, many.code]).toEqual([0, 0]);
    expect(many.stdout).toBe(one.stdout);
    expect(one.stdout.split('\n')).toHaveLength(5);
  });
  it('--jobs 1025 is out of range even when forced', async () => {
    expect(usageError(await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,2', '--jobs', '1025', '--force-jobs']))).toBe('--jobs must be an integer from 1 to 1024, got "1025"');
  });
});

// ---------------------------------------------------------------- block: signals
describe('SIGINT and SIGTERM end every phase at once, leaving no file', () => {
  it('reading a FIFO that has no writer', async () => {
    const d = tmp();
    await sh('mkfifo', [join(d, 'in.yaml')]);
    const r = await tlbsim(['run', 'in.yaml', '--out', 'o.txt'], { cwd: d, kill: ['SIGTERM', 500] });
    expect(r.signal ?? r.code).toBe('SIGTERM');
    expect(readdirSync(d)).toEqual(['in.yaml']);
  });
  it('parsing (and then simulating) a 200,000-op scenario', async () => {
    const d = tmp();
    const ops = Array.from({ length: 200_000 }, (_, i) => (i % 2 ? '  - run: {thread: t0, cpu: 0}\n' : '  - sleep: {thread: t0}\n')).join('');
    writeFileSync(join(d, 's.yaml'), `processes:\n  - name: A\n    threads: [ { name: t0, cpu: 0 } ]\nops:\n${ops}`);
    const r = await tlbsim(['run', 's.yaml', '--out', 'o.txt', '--trace', 't.json'], { cwd: d, killAfterCpu: ['SIGINT', 300] });
    expect(r.signal ?? r.code).toBe('SIGINT');
    expect(readdirSync(d)).toEqual(['s.yaml']);
  });
  it('a sweep with many workers', async () => {
    const d = tmp();
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1..400', '--jobs', '64', '--force-jobs', '--out', 'o.csv', '--plot', 'p.svg'], { cwd: d, killAfterCpu: ['SIGINT', 300] });
    expect(r.signal ?? r.code).toBe('SIGINT');
    expect(readdirSync(d)).toEqual([]);
  });
});

// ---------------------------------------------------------------- block: exit statuses
describe('every --help lists the exit statuses', () => {
  for (const c of ['', 'compare', 'run', 'check', 'sweep', 'workloads', 'arches', 'new-arch', 'replay']) {
    it(`tlbsim ${c || '(main)'} --help`, async () => {
      const r = await tlbsimIn(c ? [c, '--help'] : ['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.endsWith(`Exit status: 0 success; 1 findings (tlbsim check found something); 2 bad input (unknown name,
out-of-range value, invalid scenario, unwritable output: one line naming it); 3 not exercised
(tlbsim check found nothing, but a --bug never acted or no hazard class was checked at all); 70
internal error (a bug of ours: please report it); 130 interrupted by Ctrl-C (SIGINT), 143 by
SIGTERM (nothing partial is written).
`)).toBe(true);
    });
  }
});
