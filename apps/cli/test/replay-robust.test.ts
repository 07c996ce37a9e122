/**
 * Issue 17, `tlbsim replay`: huge and MAP_NORESERVE mappings replay in bounded memory and time
 * (the touch policy is stated in the output), malformed results and empty inputs are bad input.
 * The CLI is spawned asynchronously (never spawnSync: it would block vitest's worker).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI with a heap bound (a run that needs more for these inputs is a bug). */
function tlbsim(args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--max-old-space-size=512', CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

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
