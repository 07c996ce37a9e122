/**
 * Issue 17, `tlbsim replay`: huge and MAP_NORESERVE mappings replay in bounded memory and time
 * (the touch policy is stated in the output), malformed results and empty inputs are bad input.
 * The CLI is spawned asynchronously (never spawnSync: it would block vitest's worker).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, run, sh, tlbsimIn, type Ran } from './helpers.js';



/** Run the built CLI with a heap bound (a run that needs more for these inputs is a bug). */
function tlbsim(args: string[], cwd: string, kill?: [NodeJS.Signals, number]): Promise<Ran> {
  return run(process.execPath, ['--max-old-space-size=512', CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: 120_000, kill });
}

/** What needs no process of its own (no heap bound, no signal, no FIFO) runs in this worker. */
const inWorker = (args: string[], cwd: string): Promise<Ran> => tlbsimIn(args, { cwd });

/** The one line of a usage error (exit 2, nothing on stdout). */
function usageError(r: Ran): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}
const NO_LINE = (name: string) => `tlbsim: error: no strace system-call line in ${name} (0 lines read; expected the output of strace -f -tt -e trace=memory,process -o FILE PROGRAM)`;
const TINY = readFileSync(fileURLToPath(new URL('../../../packages/replay/test/fixtures/strace/tiny.txt', import.meta.url)), 'utf8');
const tmp = () => mkdtempSync(join(tmpdir(), 'tlbsim-replay-robust-'));
const T16 = 2 ** 44;
const SHADOW = `1000 10:00:00.000001 mmap(0x7fff8000, ${T16}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7fff8000`;

interface Doc {
  replay: { assumption: string; skippedCount: number };
  results: { variant: string; metrics: { pagesFreed: number; violations: number }; replay: { touchCapped: number; assumption: string; divergences: number } }[];
}

describe('huge mappings (failure 5)', () => {
  it('a sanitizer\'s 16 TiB MAP_NORESERVE shadow, unmapped and exited: exit 0, no page touched, the policy stated', async () => {
    const d = tmp();
    writeFileSync(join(d, 'asan.txt'), `${SHADOW}\n1000 10:00:00.000002 munmap(0x7fff8000, ${T16}) = 0\n1000 10:00:00.000003 exit_group(0) = ?\n1000 10:00:00.000004 +++ exited with 0 +++\n`);
    const r = await tlbsim(['replay', 'asan.txt', '--arch', 'x86', '--arch', 'arm64', '--format', 'json'], d);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.replay.assumption).toContain('A mapping made accessible with MAP_NORESERVE at mmap (a sanitizer\'s shadow memory, a sparse table) is assumed used sparsely: none of its pages is touched');
    expect(doc.replay.assumption).toContain('at most the lowest 262144 pages of one mapping are faulted in by one call');
    expect(doc.results.map((x) => [x.variant, x.metrics.pagesFreed, x.replay.touchCapped, x.replay.divergences, x.metrics.violations])).toEqual([
      ['x86', 0, 0, 0, 0],
      ['arm64', 0, 0, 0, 0],
    ]);
  });

  it('16 TiB without MAP_NORESERVE: the lowest 2^18 pages touched, the rest counted (row replay.touchCapped and the assumption)', async () => {
    const d = tmp();
    writeFileSync(join(d, 'big.txt'), `${SHADOW.replace('|MAP_NORESERVE', '')}\n1000 10:00:00.000002 exit_group(0) = ?\n`);
    const r = await tlbsim(['replay', 'big.txt', '--arch', 'x86'], d);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^pagesFreed +262144$/m);
    expect(r.stdout).toMatch(/^replay\.touchCapped +4294705152$/m);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('These bounds left 4294705152 pages untouched.');
  });
});

describe('malformed results (failure 9)', () => {
  const TRACE = [
    '1000 10:00:00.000001 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000',
    '1000 10:00:00.000002 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000100800',
    '1000 10:00:00.000003 mmap(0x7f0000200000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000300000',
    '1000 10:00:00.000004 munmap(0x7f0000000000, 8192) = 0',
  ].join('\n') + '\n';
  it('an unaligned mmap result and a MAP_FIXED mmap returning another address are skipped lines, named FILE:LINE', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.txt'), TRACE);
    const r = await inWorker(['replay', 'bad.txt', '--arch', 'x86', '--format', 'csv'], d);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'tlbsim: bad.txt:2: skipped: unparseable: mmap: the result 0x7f0000100800 is not aligned to the 4096-byte page\n' +
        'tlbsim: bad.txt:3: skipped: unparseable: mmap: MAP_FIXED at 0x7f0000200000 returned 0x7f0000300000\n' +
        'tlbsim: 2 of 4 lines skipped (--strict makes an unparseable line an error)\n',
    );
  });
  it('--strict: the first is an error, exit 2, no output file', async () => {
    const d = tmp();
    writeFileSync(join(d, 'bad.txt'), TRACE);
    expect(usageError(await inWorker(['replay', 'bad.txt', '--strict', '--arch', 'x86', '--out', 'o.txt'], d))).toBe(
      'tlbsim: error: bad.txt:2: mmap: the result 0x7f0000100800 is not aligned to the 4096-byte page (--strict)',
    );
    expect(readdirSync(d)).toEqual(['bad.txt']);
  });
});

describe('empty inputs are "no strace system-call line", whatever the file type (failure 9)', () => {
  it('an empty regular file and /dev/null: exit 2, the same message', async () => {
    const d = tmp();
    writeFileSync(join(d, 'empty.txt'), '');
    expect(usageError(await inWorker(['replay', 'empty.txt', '--arch', 'x86'], d))).toBe(NO_LINE('empty.txt'));
    expect(usageError(await inWorker(['replay', '/dev/null', '--arch', 'x86'], d))).toBe(NO_LINE('/dev/null'));
  });
  it('a FIFO closed without a word: exit 2; a FIFO with a trace is replayed (read once, whatever the passes and architectures)', async () => {
    const d = tmp();
    await sh('mkfifo', [join(d, 'pipe')]);
    const empty = tlbsim(['replay', 'pipe', '--arch', 'x86'], d);
    await (await open(join(d, 'pipe'), 'w')).close();
    expect(usageError(await empty)).toBe(NO_LINE('pipe'));
    const full = tlbsim(['replay', 'pipe', '--arch', 'x86', '--arch', 'arm64', '--format', 'csv'], d);
    const w = await open(join(d, 'pipe'), 'w');
    await w.writeFile(TINY);
    await w.close();
    const r = await full;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['replay,touch,metric,x86,arm64', 'pipe,all,flushes,3,4', 'pipe,all,flushesBy.tlb_flush,3,4', 'pipe,all,ipis,3,0']);
    // what the same trace gives from a regular file
    writeFileSync(join(d, 'tiny.txt'), TINY);
    expect(r.stdout.replaceAll('pipe,', 'tiny.txt,')).toBe((await inWorker(['replay', 'tiny.txt', '--arch', 'x86', '--arch', 'arm64', '--format', 'csv'], d)).stdout);
    expect(r.stderr).toBe('tlbsim: pipe:15: skipped: unparseable: unrecognised line "this line is not strace output"\ntlbsim: 1 of 18 lines skipped (--strict makes an unparseable line an error)\n');
  });
  it('SIGTERM while waiting for a FIFO\'s writer ends it at once', async () => {
    const d = tmp();
    await sh('mkfifo', [join(d, 'pipe')]);
    const r = await tlbsim(['replay', 'pipe', '--out', 'o.txt'], d, ['SIGTERM', 500]);
    expect(r.signal ?? r.code).toBe('SIGTERM');
    expect(readdirSync(d)).toEqual(['pipe']);
  });
  it('SIGTERM at any moment of the start-up, before the FIFO read blocks, ends it too', async () => {
    // a signal caught by the CLI's handler would wait for a turn of the event loop that a blocked
    // read never gives: the handler is armed only after the inputs are read (src/interrupts.ts)
    const d = tmp();
    await sh('mkfifo', [join(d, 'pipe')]);
    const rs = await Promise.all([30, 90, 150].map((cpuMs) => run(process.execPath, [CLI, 'replay', 'pipe', '--out', 'o.txt'], { cwd: d, timeoutMs: 120_000, killAfterCpu: ['SIGTERM', cpuMs], kill: ['SIGTERM', 5000] })));
    expect(rs.map((r) => r.signal ?? r.code)).toEqual(['SIGTERM', 'SIGTERM', 'SIGTERM']);
    expect(readdirSync(d)).toEqual(['pipe']);
  });
});
