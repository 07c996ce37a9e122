/**
 * Fuzzing `tlbsim replay` (issue 17): random and mutated strace files and random bytes through
 * the built CLI, spawned asynchronously with a time and memory bound. Property: exit 0, or exit 2
 * with one line `tlbsim: error: ...` naming the input; never 70, never a stack trace, never a
 * crash or a hang, no output file on error. A few runs in the normal test run;
 * TLBSIM_FUZZ_RUNS=N runs N.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLI, run, type Ran } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../packages/replay/test/fixtures/strace/', import.meta.url));
// each run spawns a node process (about half a second on an idle core): few by default
const RUNS = Number(process.env.TLBSIM_FUZZ_RUNS) || 6;
const PER_RUN_MS = 60_000;

/** The built CLI under a heap bound (the touch bounds keep any trace well below it), killed (a failure) after PER_RUN_MS. */
function tlbsim(args: string[], cwd: string): Promise<Ran> {
  return run(process.execPath, ['--max-old-space-size=512', CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeoutMs: PER_RUN_MS });
}

const BASE = ['tiny.txt', 'python.txt', 'threads.txt'].map((f) => readFileSync(join(FIXTURES, f), 'utf8').split('\n'));
const T16 = 2 ** 44;
/** Lines worth inserting: huge and sparse mappings, malformed results, partial calls, noise. */
const INSERTS = [
  `mmap(0x7fff8000, ${T16}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7fff8000`,
  `mmap(NULL, ${4 * T16}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x100000000000`,
  `mremap(0x7f0000000000, 16384, ${T16}, MREMAP_MAYMOVE) = 0x200000000000`,
  'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000801',
  'mmap(0x7f0000000000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000100000',
  'mmap(NULL, 2097152, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, -1, 0) = 0x7f0000200000',
  'munmap(0x7f0000000000, 18446744073709551615) = 0',
  'clone(child_stack=NULL, flags=CLONE_VM|CLONE_THREAD) = 1234',
  'mmap(NULL, 4096, PROT_READ <unfinished ...>',
  '<... munmap resumed>) = 0',
  'exit_group(0) = ?',
  '+++ exited with 0 +++',
  '\u0000\u00ff(',
  '',
];

const PIDS = ['', '100 ', '101 ', '[pid 102] '];
const strace = fc
  .tuple(
    fc.constantFrom(...BASE.keys()),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'drop', 'dup', 'cut'), fc.constantFrom(...INSERTS), fc.constantFrom(...PIDS), fc.nat()), { maxLength: 6 }),
  )
  .map(([b, muts]) => {
    const lines = [...BASE[b]];
    for (const [at, how, ins, pid, cut] of muts) {
      const i = at % (lines.length + 1);
      if (how === 'insert') lines.splice(i, 0, pid + ins);
      else if (how === 'drop') lines.splice(i, 1);
      else if (how === 'dup' && i < lines.length) lines.splice(i, 0, lines[i]);
      else if (i < lines.length) lines[i] = lines[i].slice(0, cut % (lines[i].length + 1));
    }
    return Buffer.from(lines.join('\n'));
  });
const bytes = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b));
const input = fc.oneof({ weight: 3, arbitrary: strace }, { weight: 1, arbitrary: bytes });
const options = fc.tuple(fc.constantFrom('all', 'none', 'written'), fc.boolean(), fc.constantFrom('csv', 'json', 'table'), fc.constantFrom('x86', 'arm64', 'ppc', 'riscv'));

describe('tlbsim replay never crashes on what a user can feed it', { timeout: Math.max(120_000, RUNS * PER_RUN_MS) }, () => {
  it('random and mutated strace files, random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(input, options, async (data, [touch, strict, format, arch]) => {
        const d = mkdtempSync(join(tmpdir(), 'tlbsim-replay-fuzz-'));
        writeFileSync(join(d, 'in.txt'), data);
        const args = ['replay', 'in.txt', '--touch', touch, '--format', format, '--arch', arch, '--out', 'o.txt', ...(strict ? ['--strict'] : [])];
        const r = await tlbsim(args, d);
        const what = `tlbsim ${args.join(' ')}\ninput: ${JSON.stringify(data.toString('latin1').slice(0, 3000))}\nexit ${r.code} signal ${r.signal}\nstderr: ${r.stderr}`;
        expect(r.signal, what).toBe(null);
        expect([0, 2], what).toContain(r.code);
        expect(r.stderr, what).not.toMatch(/internal error|\n\s+at |\.[jt]s:\d+:\d+|FATAL ERROR/);
        const files = readdirSync(d).sort();
        if (r.code === 2) {
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines.length, what).toBe(1);
          expect(lines[0], what).toMatch(/^tlbsim: error: .*\bin\.txt\b/);
          expect(files, what).toEqual(['in.txt']);
        } else expect(files, what).toEqual(['in.txt', 'o.txt']);
        rmSync(d, { recursive: true, force: true });
      }),
      { numRuns: RUNS },
    );
  });
});
