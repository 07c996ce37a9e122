/**
 * Unix conventions (issue 16, point 2): `-` reads stdin and `-o -` writes stdout; --color with
 * NO_COLOR, FORCE_COLOR, TERM=dumb and non-terminals; a progress line with the time left on a
 * terminal's stderr; negative numbers after a space; errors that name the user's path; one-line
 * scenario errors that say each thing once. In-process runs where a process is not needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEta, progress, progressLine } from '../src/progress.js';
import { expectUsageError, fixture, tlbsim, tlbsimIn, tlbsimOnTty, tmp } from './helpers.js';

const ESC = '\x1b[';
const TWO = readFileSync(fixture('two-threads.yaml'), 'utf8');

describe('- is stdin, -o - is stdout', () => {
  it('run - and check - read the scenario from stdin (named stdin in the output and errors)', async () => {
    const [file, piped, check] = await Promise.all([
      tlbsimIn(['run', fixture('two-threads.yaml'), '--arch', 'x86', '--format', 'csv']),
      tlbsimIn(['run', '-', '--arch', 'x86', '--format', 'csv'], { stdin: TWO }),
      tlbsimIn(['check', '-', '--arch', 'x86'], { stdin: TWO }),
    ]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(file.stdout.replaceAll(fixture('two-threads.yaml'), 'stdin'));
    expect(check.code).toBe(0);
    expect(check.stdout.split('\n')[0]).toBe('check scenario two-threads-munmap (stdin, 2 CPUs)');
    expect(expectUsageError(await tlbsimIn(['run', '-'], { stdin: '' }))).toBe('tlbsim: error: stdin: expected an object, got nothing');
    expect(expectUsageError(await tlbsimIn(['run', '-'], { stdin: '{"processes": []' }))).toMatch(/^tlbsim: error: stdin: invalid JSON: /);
  });
  it('replay - reads the strace from stdin, once', async () => {
    const trace = readFileSync(fixture('strace/tiny.txt'), 'utf8');
    const [file, piped] = await Promise.all([
      tlbsimIn(['replay', fixture('strace/tiny.txt'), '--arch', 'x86', '--format', 'csv']),
      tlbsimIn(['replay', '-', '--arch', 'x86', '--format', 'csv'], { stdin: trace }),
    ]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(file.stdout.replaceAll(fixture('strace/tiny.txt'), 'stdin'));
    expect(piped.stderr.split('\n')[0]).toBe('tlbsim: stdin:15: skipped: unparseable: unrecognised line "this line is not strace output"');
    expect(expectUsageError(await tlbsimIn(['replay', '-', '-'], { stdin: trace }))).toBe('tlbsim: error: tlbsim replay reads stdin (-) once: give - once');
  });
  it('-o - writes stdout and no file named -; two outputs on stdout are refused', async () => {
    const d = tmp();
    const [plain, dash] = await Promise.all([tlbsimIn(['workloads', '--format', 'json'], { cwd: d }), tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '-o', '-'], { cwd: d })]);
    expect(dash.stdout).toBe((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86'])).stdout);
    expect(plain.code).toBe(0);
    expect(readdirSync(d)).toEqual([]);
    expect(expectUsageError(await tlbsimIn(['compare', '--workload', 'munmap', '-o', '-', '--trace', '-'], { cwd: d }))).toBe('tlbsim: error: --out and --trace both write stdout (-): give each output its own file');
  });
});

describe('--color auto|always|never', () => {
  it('always colours a pipe, never and auto do not; a bad value is refused', async () => {
    const [always, never, auto] = await Promise.all(['always', 'never', 'auto'].map((c) => tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--color', c])));
    expect(always.stdout).toContain(`${ESC}1mmetric`);
    expect(never.stdout).not.toContain(ESC);
    expect(auto.stdout).toBe(never.stdout);
    expect(expectUsageError(await tlbsimIn(['workloads', '--color', 'sometimes']))).toBe('tlbsim: error: unknown value "sometimes" for --color; valid values: auto, always, never');
  });
  it('auto: FORCE_COLOR colours a pipe (not a file --out names), FORCE_COLOR=0 and TERM=dumb keep a terminal plain, NO_COLOR wins', async () => {
    const d = tmp();
    const args = ['compare', '--workload', 'munmap', '--arch', 'x86'];
    const [forced, file, zero, dumb, both] = await Promise.all([
      tlbsim(args, { env: { FORCE_COLOR: '1' } }),
      tlbsim([...args, '--out', join(d, 'o.txt')], { env: { FORCE_COLOR: '1' } }),
      tlbsimOnTty(args, { FORCE_COLOR: '0' }),
      tlbsimOnTty(args, { TERM: 'dumb' }),
      tlbsim(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }),
    ]);
    expect(forced.stdout).toContain(`${ESC}1mmetric`);
    expect(readFileSync(join(d, 'o.txt'), 'utf8')).not.toContain(ESC);
    expect(file.stdout).toBe('');
    expect(zero).toContain('flushesBy.tlb_flush');
    expect(zero).not.toContain(ESC);
    expect(dumb).toContain('flushesBy.tlb_flush');
    expect(dumb).not.toContain(ESC);
    expect(both.stdout).not.toContain(ESC);
  });
});

describe('progress line', () => {
  it('a bar, done/total, the time left and the step running; cut to the terminal width', () => {
    expect(progressLine('run big.yaml', 1, 4, 3000, 80, 'x86')).toBe('run big.yaml [##########..............................] 1/4, 9s left  x86');
    expect(progressLine('run big.yaml', 0, 4, 10, 80)).toBe('run big.yaml [........................................] 0/4, estimating');
    expect(progressLine('run big.yaml', 4, 4, 10, 80)).toBe('run big.yaml [########################################] 4/4');
    expect(progressLine('x', 1, 2, 1000, 30)).toBe('x [######......] 1/2, 1s left');
    expect(progressLine('a long label', 1, 2, 1000, 30)).toBe('a long label [#####.....] 1/2');
    expect([formatEta(400), formatEta(59_400), formatEta(185_000), formatEta(3_725_000)]).toEqual(['0s', '59s', '3m05s', '1h02m']);
  });
  it('only on a terminal, only after the delay, at most ten times a second, cleared at the end', () => {
    let t = 0;
    const out: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => out.push(s) };
    const p = progress('sweep', 10, { stream: tty, delayMs: 1000, now: () => t });
    p.tick(1);
    t = 1500;
    p.tick(2);
    t = 1550;
    p.tick(3); // within 100 ms of the last line
    t = 1700;
    p.tick(4);
    p.end();
    expect(out).toEqual([
      '\rsweep [########................................] 2/10, 6s left\x1b[K',
      '\rsweep [################........................] 4/10, 3s left\x1b[K',
      '\r\x1b[K',
    ]);
    const pipe: string[] = [];
    const q = progress('sweep', 10, { stream: { isTTY: false, write: (s: string) => pipe.push(s) }, delayMs: 0 });
    q.tick(5);
    q.end();
    expect(pipe).toEqual([]);
  });
  it('compare on a terminal: on stderr, with the time left', async () => {
    const out = await tlbsimOnTty(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64'], { TLBSIM_PROGRESS_DELAY_MS: '0' });
    expect(out).toMatch(/\rmunmap \[[#.]+\] [01]\/2, (estimating|\d+s left) {2}(x86|arm64)\x1b\[K/);
    expect(out).toContain('\r\x1b[K');
  });
});

describe('numbers and errors', () => {
  it('a negative number after a space is the value (and its range check answers)', async () => {
    expect(expectUsageError(await tlbsimIn(['replay', fixture('strace/tiny.txt'), '--cpus', '-1']))).toBe('tlbsim: error: --cpus must be an integer from 1 to 1024, got "-1"');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1', '-j', '-2']))).toBe('tlbsim: error: --jobs must be an integer from 1 to 1024, got "-2"');
    expect(expectUsageError(await tlbsimIn(['compare', '--workload', 'munmap', '--out', '--format']))).toBe('tlbsim: error: option --out of "tlbsim compare" needs a value');
  });
  it('an unwritable output names the path given, never a temporary file', async () => {
    expect(expectUsageError(await tlbsimIn(['compare', '--workload', 'munmap', '--out', '/proc/nope/x.json']))).toBe('tlbsim: error: cannot write /proc/nope/x.json: no such directory');
    expect(expectUsageError(await tlbsimIn(['compare', '--workload', 'munmap', '--out', '/proc/x.json']))).toBe('tlbsim: error: cannot write /proc/x.json: files cannot be created in that directory');
  });
  it('a YAML error says its position once and why; an overlap names no architecture', async () => {
    expect(expectUsageError(await tlbsimIn(['run', '-'], { stdin: 'a: b: c\n' }))).toBe('tlbsim: error: stdin: invalid YAML at line 1, column 5: bad indentation of a mapping entry');
    const overlap = 'machine: {cpus: 2}\nprocesses: [{name: A, threads: [{name: t, cpu: 0}]}]\nops:\n  - mmap: {process: A, addr: 0x1000, length: 4K}\n  - mmap: {process: A, addr: 0x1000, length: 4K}\n';
    expect(expectUsageError(await tlbsimIn(['run', '-', '--arch', 'arm64', '--arch', 'x86'], { stdin: overlap }))).toBe('tlbsim: error: stdin: ops[1].mmap.addr: [0x1000, 0x2000) overlaps the VMA [0x1000, 0x2000)');
  });
});
