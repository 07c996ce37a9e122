/**
 * tlbsim record and tlbsim replay of a kernel recording (issue #22). The replay tests use the
 * committed recordings of @tlbsim/replay (packages/replay/test/fixtures/kernel/) and always run;
 * the recording tests need root and tracefs and are skipped with the reason otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, expectUsageError, tlbsimIn, tmp } from './helpers.js';

const KERNEL = fileURLToPath(new URL('../../../packages/replay/test/fixtures/kernel/', import.meta.url));
const replay = (args: string[]) => tlbsimIn(['replay', ...args], { cwd: KERNEL });

describe('tlbsim replay of a kernel recording', () => {
  it('prints the kernel\'s flushes of the same run next to the prediction, by initiator (x86)', async () => {
    const r = await replay(['git-status.trace.gz', '--arch', 'x86']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('replay of git-status.trace.gz (403 lines, 50 syscalls, 8 failed, 0 skipped; 1 thread, 2 processes; 2 CPUs; touch=none)');
    const at = lines.indexOf('The kernel in the same run (recorded tlb:tlb_flush, ipi, csd: never an input) and the prediction, by what the thread was doing:');
    expect(lines.slice(at + 1, at + 10)).toEqual([
      '  x86:',
      '    initiator   flushes kernel  flushes tlbsim  flushes  flush IPIs kernel  flush IPIs tlbsim  flush IPIs',
      '    ----------  --------------  --------------  -------  -----------------  -----------------  ----------',
      '    page fault              26              26  MATCH                    0                  0  MATCH',
      '    munmap                   6               6  MATCH                    0                  0  MATCH',
      '    mprotect                 5               5  MATCH                    0                  0  MATCH',
      '    execve                   2               2  MATCH                    0                  0  MATCH',
      '    total                   39              39  MATCH                    0                  0  MATCH',
      '',
    ]);
    expect(r.stdout).toMatch(/Assumption: Page faults as recorded \(exceptions:page_fault_user\)/);
  });

  it('json: the recording\'s facts and each x86 result\'s comparison; other architectures replay it too', async () => {
    const r = await replay(['xz-T2.trace.gz', '--arch', 'x86', '--arch', 'arm64', '--format', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.replay.recording).toEqual({ cpus: 2, faults: 6552, refusedFaults: 0, lost: 0, root: 23703 });
    expect(d.results[0].kernel.at(-1)).toEqual({ kind: 'total', recorded: { flushes: 890, ipis: 20 }, predicted: { flushes: 890, ipis: 29 } });
    expect(d.results[1].variant).toBe('arm64');
    expect(d.results[1].metrics.flushes).toBeGreaterThan(0);
  });

  it('markdown has the comparison section; arm64 alone shows none', async () => {
    const md = await replay(['git-status.trace.gz', '--arch', 'x86', '--format', 'markdown']);
    expect(md.stdout).toContain('#### The kernel in the same run\n');
    expect(md.stdout).toContain('| total | 39 | 39 | MATCH | 0 | 0 | MATCH |');
    const arm = await replay(['git-status.trace.gz', '--arch', 'arm64']);
    expect(arm.stdout).not.toContain('The kernel in the same run');
  });

  it('--pid replays the tree rooted at PID; a bad PID is a usage error', async () => {
    const r = await replay(['py-json.trace.gz', '--arch', 'x86', '--pid', '22420', '--format', 'json']);
    expect(JSON.parse(r.stdout).replay).toMatchObject({ processes: 1, threads: 1, recording: { root: 22420, faults: 63 } });
    expect(expectUsageError(await replay(['py-json.trace.gz', '--pid', 'abc']))).toMatch(/--pid/);
  });

  it('a corrupt .gz is one line naming the file', async () => {
    const d = tmp();
    const f = join(d, 'bad.trace.gz');
    (await import('node:fs')).writeFileSync(f, 'not gzip');
    expect(expectUsageError(await tlbsimIn(['replay', f]))).toBe(`tlbsim: error: cannot read strace output ${f}: incorrect header check`);
  });
});

describe('tlbsim record: usage', () => {
  it('needs the program after --', async () => {
    expect(expectUsageError(await tlbsimIn(['record']))).toBe('tlbsim: error: tlbsim record needs the program to record: tlbsim record [-o FILE] -- CMD ARGS...');
    expect(expectUsageError(await tlbsimIn(['record', '-o', 'x.trace']))).toBe('tlbsim: error: tlbsim record needs the program to record: tlbsim record [-o FILE] -- CMD ARGS...');
    expect(expectUsageError(await tlbsimIn(['record', 'ls', '-l']))).toMatch(/^tlbsim: error: (unknown option "-l"|tlbsim record takes the program after "--")/);
    expect(expectUsageError(await tlbsimIn(['record', 'ls']))).toBe('tlbsim: error: tlbsim record takes the program after "--": tlbsim record [-o FILE] -- ls');
  });
  it('--help', async () => {
    const r = await tlbsimIn(['record', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tlbsim record \[-o FILE\] -- CMD ARGS\.\.\./);
  });
});

const TRACEFS = '/sys/kernel/tracing';
const why = process.platform !== 'linux' ? 'not Linux' : process.getuid?.() !== 0 ? 'not root' : !existsSync(join(TRACEFS, 'trace_marker')) ? `no tracefs at ${TRACEFS}` : !existsSync(join(TRACEFS, 'events/sched/sched_process_fork')) ? 'no sched tracepoints' : undefined;

function run(args: string[], onSpawn?: (pid: number) => void, uid?: number, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const ids = uid === undefined ? {} : { uid, gid: uid };
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, ...ids, ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr, pid: c.pid! }));
    onSpawn?.(c.pid!);
  });
}
const instancesOf = (pid: number) => readdirSync(join(TRACEFS, 'instances')).filter((d) => d === `tlbsim-${pid}`);

describe.skipIf(why !== undefined)(`tlbsim record on this machine${why ? ` (skipped: ${why})` : ''}`, () => {
  it('records a program that forks and execs, gzip-compressed, which replay reads; nothing is left behind', async () => {
    const d = tmp();
    const out = join(d, 'sh.trace.gz');
    const r = await run(['record', '-o', out, '--', '/bin/sh', '-c', '/bin/true; exit 5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^tlbsim record: ${out.replace(/[.]/g, '\\.')}: \\d+ lines, \\d+ CPUs, pid \\d+, the program exited with 5\\n$`));
    expect(instancesOf(r.pid)).toEqual([]);
    const text = gunzipSync(readFileSync(out)).toString('utf8');
    expect(text).toMatch(/^# tracer: nop\n/);
    expect(text).toMatch(/sched_process_exec: filename=\/bin\/true/);
    expect(readdirSync(d)).toEqual(['sh.trace.gz']);
    const p = await tlbsimIn(['replay', out, '--arch', 'x86', '--format', 'json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).replay.processes).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('refuses in one line, exit 2, as an unprivileged user, and writes nothing', async (ctx) => {
    // uid 65534 must be able to reach the CLI (not so in a checkout under a private directory)
    const reach = (f: string) => f.split('/').slice(0, -1).every((_, i, a) => (statSync(a.slice(0, i + 1).join('/') || '/').mode & 0o001) !== 0);
    if (!reach(CLI) || !reach(process.execPath)) ctx.skip();
    const r = await run(['record', '-o', '/tmp/tlbsim-record-refused.trace', '--', '/bin/true'], undefined, 65534, '/tmp');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('tlbsim: error: record: cannot record: not root (tracefs files are root-only: run as root, or with CAP_SYS_ADMIN and CAP_DAC_OVERRIDE)\n');
    expect(existsSync('/tmp/tlbsim-record-refused.trace')).toBe(false);
  }, 120_000);

  it('Ctrl-C while recording puts every setting back and writes no file', async () => {
    const d = tmp();
    const out = join(d, 'sleep.trace');
    let timer: NodeJS.Timeout | undefined;
    const r = await run(['record', '-o', out, '--', 'sleep', '30'], (pid) => {
      const poll = () => {
        if (existsSync(join(TRACEFS, 'instances', `tlbsim-${pid}`))) timer = setTimeout(() => process.kill(pid, 'SIGINT'), 300);
        else timer = setTimeout(poll, 20);
      };
      poll();
    });
    clearTimeout(timer);
    expect(r.code).toBe(130);
    expect(instancesOf(r.pid)).toEqual([]);
    expect(readdirSync(d)).toEqual([]);
  }, 120_000);
});
