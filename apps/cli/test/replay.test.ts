/**
 * tlbsim replay (issue #9): the built CLI on strace output, run in this worker (`tlbsimIn`:
 * dist/main.js) where the test checks what it prints, and spawned (dist/cli.js) where only a
 * process shows it: the same output and exit status from the process, determinism across
 * processes, a memory limit. The small fixtures (tiny.txt, the -ff set) are copies in
 * test/fixtures/strace/; the larger captured traces are read from @tlbsim/replay's fixture
 * directory (packages/replay/test/fixtures/strace/) by relative path.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectUsageError, FIXTURES, tlbsim, tlbsimIn, tmp, validate } from './helpers.js';

const OWN = join(FIXTURES, 'strace');
const CAPTURED = fileURLToPath(new URL('../../../packages/replay/test/fixtures/strace/', import.meta.url));
const FF = readdirSync(OWN).filter((f) => /^threads-ff\.\d+$/.test(f)).sort();
const ARCHES = ['x86', 'arm64', 'ppc', 'riscv'];

/** Run in the fixture directory, so reports name the files as given (`tiny.txt:15`). */
const replay = (args: string[], cwd = OWN) => tlbsimIn(['replay', ...args], { cwd });
/** The same in a process of its own. */
const replayProcess = (args: string[], cwd = OWN) => tlbsim(['replay', ...args], { cwd });

interface CallSite { file: string; line: number; text: string; ipis: number; tlbInstructions: number; archFlushes: number }
interface Result {
  arch: string;
  variant: string;
  metrics: Record<string, number> & { tlbInstructions: Record<string, number> };
  cpus: (Record<string, number> & { cpu: number; ipisReceived: number })[];
  violations: unknown[];
  replay: { skippedCount: number; divergences: number; implied: number; assumption: string };
  callSites: { byIpis: CallSite[]; byTlbInstructions: CallSite[] };
}
interface Doc {
  workload: { name: string; params: Record<string, unknown> };
  replay: {
    files: { name: string; lines: number }[];
    lines: number; syscalls: number; failures: number; threads: number; processes: number; cpus: number;
    cpusFrom: string; touch: string; assumption: string; skippedCount: number;
    skipped: { file: string; line: number; reason: string; variants?: string[] }[];
  };
  results: Result[];
}

async function json(args: string[], cwd = OWN): Promise<Doc> {
  const r = await replay([...args, '--format', 'json'], cwd);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  expect(r.stderr).toBe(''); // json: the skipped lines are in the document, not on stderr
  return JSON.parse(r.stdout) as Doc;
}
const byArch = (d: Doc) => Object.fromEntries(d.results.map((r) => [r.variant, r]));
const sites = (l: CallSite[]) => l.map((s) => [s.line, s.ipis, s.tlbInstructions, s.archFlushes]);

/** compare's document shape: the replay additions removed, the rest validates against its schema. */
describe('tiny.txt: exact counts on every architecture', () => {
  // tiny.txt (see core's test/replay.test.ts for the hand derivation on generic config G): thread
  // 100 and its clone 101 overlap, so 2 CPUs. Line 7 munmaps 4 touched pages while 101 runs on
  // CPU1 (the PTE table is freed too); line 10's mmap fails (ENOMEM: counted, not applied); line
  // 11 is 101's MADV_DONTNEED of 2 touched pages while 100 runs on CPU0; line 14's brk grows the
  // heap by 33 pages; line 15 is garbage (skipped); line 17's exit_group touches the 2 + 33 pages
  // left and tears the mm down while CPU1 still has it loaded (lazily). Pages freed: 4 + 2 + 35.
  let d: Doc;
  let r: Record<string, Result>;
  beforeAll(async () => {
    d = await json(['tiny.txt', '--arch', 'all']);
    r = byArch(d);
  });

  it('the trace: 18 lines, 11 syscalls, 1 failure, 1 skipped line (named), 2 threads, 1 process, 2 CPUs', async () => {
    expect(d.workload).toEqual({ name: 'replay', params: { touch: 'all', cpus: 2 } });
    expect(d.replay).toMatchObject({
      files: [{ name: 'tiny.txt', lines: 18 }],
      lines: 18, syscalls: 11, failures: 1, threads: 2, processes: 1, cpus: 2, cpusFrom: 'trace', touch: 'all', skippedCount: 1,
    });
    expect(d.replay.skipped).toEqual([{ file: 'tiny.txt', line: 15, reason: 'unparseable: unrecognised line "this line is not strace output"' }]);
    expect(d.replay.assumption).toMatch(/^touch=all: /);
    expect(d.results.map((x) => x.variant)).toEqual(ARCHES);
    for (const x of d.results) {
      expect(x.violations).toEqual([]);
      expect(x.metrics.violations).toBe(0);
      expect(x.cpus.length).toBe(2);
      expect(x.replay).toMatchObject({ skippedCount: 1, divergences: 0, implied: 0 });
      expect(x.replay.assumption).toMatch(/^touch=all: /);
      expect(x.metrics.pagesFreed).toBe(41);
      expect(x.metrics.rcuCallbacks).toBe(2);
    }
  });

  it('x86: an IPI only where the other CPU runs (or lazily holds) the mm; MERGE_VMAS: one flush per munmap', async () => {
    const x = r.x86;
    expect(x.metrics).toMatchObject({ archFlushes: 3, ipis: 3, ipiBroadcasts: 0, fullFlushes: 2, rangedFlushes: 4, tablesFreed: 7 });
    // munmap: 4 pages INVLPG locally + 4 on CPU1; madvise: 2 + 2; CR3 writes: the two switch_mm
    // (execve, thread 101 on CPU1) and the exit's full flush on both CPUs
    expect(x.metrics.tlbInstructions).toEqual({ 'CR3 write': 4, INVLPG: 12 });
    // CPU1 takes the munmap's and the exit's IPIs, CPU0 the madvise's
    expect(x.cpus.map((c) => [c.ipisReceived, c['interrupts.TLB'], c.nr_tlb_remote_flush, c.nr_tlb_local_flush_one])).toEqual([[1, 1, 2, 4], [2, 2, 1, 2]]);
    expect(sites(x.callSites.byIpis)).toEqual([[7, 1, 8, 1], [11, 1, 4, 1], [17, 1, 2, 1]]);
    expect(x.callSites.byIpis[0].text).toBe('munmap(0x7f0000000000, 16384) = 0');
    expect(sites(x.callSites.byTlbInstructions)).toEqual([[7, 1, 8, 1], [11, 1, 4, 1], [17, 1, 2, 1], [1, 0, 1, 0], [5, 0, 1, 0]]);
  });

  it('arm64: broadcast TLBI, never an IPI; the munmap flushes at tlb_end_vma and again for the freed table', async () => {
    const a = r.arm64;
    expect(a.metrics).toMatchObject({ archFlushes: 4, ipis: 0, fullFlushes: 1, rangedFlushes: 3, tablesFreed: 7 });
    // leaf TLBIs for the 4 + 2 pages, one non-leaf for the freed PTE table, ASID flush at exit;
    // + 9 DSB ISHST; ISB pairs of table writes: p4d/pud/pmd_populate for the first page at
    // 0x7f0000000000 (munmap's site) and at the brk (exit's), pmd_populate for 0x7f0000200000
    // (madvise's), and exit's two p4d_clear
    expect(a.metrics.tlbInstructions).toEqual({ 'DSB ISH': 4, 'DSB ISHST': 13, ISB: 9, 'TLBI ASIDE1IS': 1, 'TLBI VAE1IS': 1, 'TLBI VALE1IS': 6 });
    expect(a.callSites.byIpis).toEqual([]);
    expect(sites(a.callSites.byTlbInstructions)).toEqual([[7, 0, 15, 2], [17, 0, 13, 1], [11, 0, 6, 1]]);
  });

  it('ppc (radix): tlbie broadcasts; the one IPI is the exit trimming the lazy CPU from mm_cpumask', async () => {
    const p = r.ppc;
    expect(p.metrics).toMatchObject({ archFlushes: 3, ipis: 1, fullFlushes: 2, rangedFlushes: 2, tablesFreed: 8 });
    // the traced process's mm (its execve) costs radix__init_new_context's ptesync; isync
    expect(p.metrics.tlbInstructions).toEqual({
      cp_abort: 2, eieio: 2, isync: 3, ptesync: 9, 'slbia IH=3': 2, 'tlbie RIC=0': 6, 'tlbie RIC=1': 1, 'tlbiel RIC=2': 2, tlbsync: 2,
    });
    expect(p.cpus.map((c) => [c.ipisReceived, c.mm_cpumask_trim])).toEqual([[0, 0], [1, 1]]);
    expect(sites(p.callSites.byIpis)).toEqual([[17, 1, 12, 1]]);
    expect(sites(p.callSites.byTlbInstructions)).toEqual([[17, 1, 12, 1], [7, 0, 9, 1], [11, 0, 6, 1], [1, 0, 2, 0]]);
  });

  it('riscv: SBI remote fences, no IPI; the firmware flushes the whole ASID (range limit one page) on both CPUs', async () => {
    const v = r.riscv;
    expect(v.metrics).toMatchObject({ archFlushes: 4, ipis: 0, fullFlushes: 8, rangedFlushes: 0, tablesFreed: 5 });
    expect(v.metrics.tlbInstructions).toEqual({ 'M-mode sfence.vma asid': 8, 'SBI remote_sfence_vma_asid': 4 });
    expect(v.cpus.map((c) => [c['sbi.rfence'], c['interrupts.IPI1']])).toEqual([[4, 0], [4, 0]]);
    expect(v.callSites.byIpis).toEqual([]);
    expect(sites(v.callSites.byTlbInstructions)).toEqual([[7, 0, 6, 2], [11, 0, 3, 1], [17, 0, 3, 1]]);
  });

  it('--cpus 1: both threads share CPU0, so x86 sends no IPI at all', async () => {
    const one = await json(['tiny.txt', '--arch', 'x86', '--cpus', '1']);
    expect(one.replay).toMatchObject({ cpus: 1, cpusFrom: 'option', threads: 2 });
    expect(one.results[0].metrics).toMatchObject({ ipis: 0, pagesFreed: 41, violations: 0 });
    expect(one.results[0].callSites.byIpis).toEqual([]);
    const four = await json(['tiny.txt', '--arch', 'x86', '--cpus', '4']);
    expect(four.results[0].cpus.length).toBe(4);
    expect(four.workload.params).toEqual({ touch: 'all', cpus: 4 });
  });

  it('--touch none frees no data page, --touch written the writable ones (all of them here); the report states it', async () => {
    const none = await json(['tiny.txt', '--touch', 'none']);
    expect(none.replay.touch).toBe('none');
    expect(none.replay.assumption).toMatch(/^touch=none: /);
    for (const x of none.results) expect(x.metrics).toMatchObject({ pagesFreed: 0, tablesFreed: 0, archFlushes: 0, violations: 0 });
    // with nothing mapped, only ppc's exit still trims the lazy CPU
    expect(none.results.map((x) => x.metrics.ipis)).toEqual([0, 0, 1, 0]);
    const written = await json(['tiny.txt', '--touch', 'written']);
    expect(written.results.map((x) => x.metrics.pagesFreed)).toEqual([41, 41, 41, 41]);
    expect(written.replay.assumption).toMatch(/^touch=written: /);
    const table = await replay(['tiny.txt', '--touch', 'none']);
    expect(table.stdout).toContain('touch=none)');
    expect(table.stdout).toMatch(/^Assumption: touch=none: /m);
  });
});

describe('output formats', () => {
  it('table: the title, compare\'s grid with replay.* rows, the call sites per architecture, the assumption; skipped lines on stderr', async () => {
    const r = await replay(['tiny.txt']);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out.split('\n')[0]).toBe('replay of tiny.txt (18 lines, 11 syscalls, 1 failed, 1 skipped; 2 threads, 1 process; 2 CPUs; touch=all)');
    expect(out).toMatch(/^metric +x86 +arm64 +ppc +riscv$/m);
    expect(out).toMatch(/^ipis +3 +0 +1 +0$/m);
    expect(out).toMatch(/^pagesFreed +41 +41 +41 +41$/m);
    // zero in every column: hidden, and counted
    expect(out).not.toMatch(/^violations /m);
    expect(out).toMatch(/^\(\d+ rows zero in every column not shown: --all shows them\)$/m);
    expect(out).toMatch(/^replay\.skippedCount +1 +1 +1 +1$/m);
    expect(out).not.toMatch(/^replay\.divergences /m);
    const all = (await replay(['tiny.txt', '--all'])).stdout;
    expect(all).toMatch(/^violations +0 +0 +0 +0$/m);
    expect(all).toMatch(/^replay\.divergences +0 +0 +0 +0$/m);
    expect(all).not.toMatch(/zero in every column/);
    const ipis = out.slice(out.indexOf('Top call sites by IPIs'), out.indexOf('Top call sites by TLB instructions'));
    expect(ipis).toMatch(/^ {2}x86:\n/m);
    expect(ipis).toMatch(/^ {4}tiny\.txt:7 +1 +8 +1 +munmap\(0x7f0000000000, 16384\) = 0$/m);
    expect(ipis).toMatch(/^ {2}arm64: none$/m);
    expect(ipis).toMatch(/^ {4}tiny\.txt:17 +1 +12 +1 +exit_group\(0\) = \?$/m);
    expect(out).toContain('Top call sites by TLB instructions');
    expect(out).toMatch(/^Assumption: touch=all: /m);
    // the address layout differs: ppc (64 KiB pages) scales trace addresses
    expect(out).toMatch(/^ {2}ppc: Each 4096-byte trace page is one target page \(addresses scaled by 16\)/m);
    expect(out).not.toContain('\x1b[');
    expect(r.stderr).toBe(
      'tlbsim: tiny.txt:15: skipped: unparseable: unrecognised line "this line is not strace output"\n' +
        'tlbsim: 1 of 18 lines skipped (--strict makes an unparseable line an error)\n',
    );
  });
  it('csv: the grid only; markdown: the grid, call-site tables and the assumption', async () => {
    const csv = await replay(['tiny.txt', '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n').map((l) => l.split(','));
    // every row says what was replayed and how
    expect(rows[0]).toEqual(['replay', 'touch', 'metric', ...ARCHES]);
    expect(rows.slice(1).every((x) => x[0] === 'tiny.txt' && x[1] === 'all')).toBe(true);
    expect(rows.find((x) => x[2] === 'ipis')).toEqual(['tiny.txt', 'all', 'ipis', '3', '0', '1', '0']);
    expect(rows.find((x) => x[2] === 'tlbInstructions.INVLPG')).toEqual(['tiny.txt', 'all', 'tlbInstructions.INVLPG', '12', '', '', '']);
    expect(rows.find((x) => x[2] === 'replay.skippedCount')).toEqual(['tiny.txt', 'all', 'replay.skippedCount', '1', '1', '1', '1']);
    expect(csv.stderr).toContain('tiny.txt:15');
    const md = await replay(['tiny.txt', '--format', 'markdown', '--arch', 'x86', '--arch', 'arm64']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^### replay of tiny\.txt \(18 lines/);
    expect(md.stdout).toContain('| metric | x86 | arm64 |');
    expect(md.stdout).toContain('#### Top call sites by IPIs');
    expect(md.stdout).toContain('| tiny.txt:7 | 1 | 8 | 1 | `munmap(0x7f0000000000, 16384) = 0` |');
    expect(md.stdout).toContain('| tiny.txt:5 | 0 | 1 | 0 | `mmap(NULL, 8192, PROT_READ\\|PROT_WRITE, MAP_PRIVATE\\|MAP_ANONYMOUS, -1, 0) = 0x7f0000200000` |');
    expect(md.stdout).toContain('**arm64**: none');
    expect(md.stdout).toMatch(/#### Assumption\n\ntouch=all: /);
  });
  it('json: compare\'s document, valid against its schema, with replay and callSites', async () => {
    const d = await json(['tiny.txt']);
    expect(Object.keys(d)).toEqual(['tlbsim', 'workload', 'replay', 'units', 'results']);
    expect(validate(d, 'results.schema.json')).toEqual([]);
    const compareDoc = JSON.parse((await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'json'])).stdout) as Doc;
    // compare's result fields but its per-operation table (a replay reports call sites instead)
    expect(Object.keys(d.results[0])).toEqual([...Object.keys(compareDoc.results[0]).filter((k) => k !== 'ops'), 'replay', 'callSites']);
  });
});

describe('every captured trace, every architecture: replayed, the checker finds nothing', () => {
  // parse counts as @tlbsim/replay's test/fixtures.test.ts has them (checked there against the files)
  const CASES: { name: string; files: string[]; dir: string; lines: number; syscalls: number; failures: number; skipped: number; threads: number; processes: number }[] = [
    { name: 'tiny.txt', files: ['tiny.txt'], dir: OWN, lines: 18, syscalls: 11, failures: 1, skipped: 1, threads: 2, processes: 1 },
    { name: 'node.txt', files: ['node.txt'], dir: CAPTURED, lines: 252, syscalls: 228, failures: 0, skipped: 19, threads: 7, processes: 1 },
    { name: 'python.txt (no -tt)', files: ['python.txt'], dir: CAPTURED, lines: 55, syscalls: 54, failures: 0, skipped: 0, threads: 1, processes: 1 },
    { name: 'cc.txt (8 failed execve)', files: ['cc.txt'], dir: CAPTURED, lines: 166, syscalls: 155, failures: 8, skipped: 0, threads: 2, processes: 3 },
    { name: 'threads.txt (an ENOMEM)', files: ['threads.txt'], dir: CAPTURED, lines: 192, syscalls: 117, failures: 1, skipped: 0, threads: 5, processes: 2 },
    { name: 'threads-nof.txt (no -f, no -tt)', files: ['threads-nof.txt'], dir: CAPTURED, lines: 36, syscalls: 34, failures: 1, skipped: 5, threads: 1, processes: 2 },
    { name: 'threads-ff.* (-ff, 6 files)', files: FF, dir: OWN, lines: 124, syscalls: 117, failures: 1, skipped: 0, threads: 5, processes: 2 },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const d = await json([...c.files, '--arch', 'all'], c.dir);
      expect(d.replay).toMatchObject({ lines: c.lines, syscalls: c.syscalls, failures: c.failures, skippedCount: c.skipped, threads: c.threads, processes: c.processes, cpus: c.threads });
      expect(d.results.map((r) => r.variant)).toEqual(ARCHES);
      for (const r of d.results) {
        expect(r.violations).toEqual([]);
        expect(r.metrics.violations).toBe(0);
        expect(r.replay.divergences).toBe(0);
        expect(r.metrics.pagesFreed).toBeGreaterThan(0);
        expect(r.metrics.archFlushes).toBeGreaterThan(0);
      }
      // a single-threaded trace sends no IPI on x86 (no other CPU ever runs the mm)
      if (c.threads === 1) expect(byArch(d).x86.metrics.ipis).toBe(0);
    });
  }
  it('-ff: the per-pid files are merged by timestamp: line counts per file, threads on 5 CPUs, the order given does not matter', async () => {
    const d = await json([...FF, '--arch', 'x86']);
    expect(d.replay.files).toEqual(FF.map((name, i) => ({ name, lines: [36, 21, 21, 21, 21, 4][i] })));
    expect(d.results[0].metrics.ipis).toBeGreaterThan(0);
    // call sites name the per-thread file and its own line numbers
    for (const s of d.results[0].callSites.byIpis) expect(FF).toContain(s.file);
    const reversed = await replay([...[...FF].reverse(), '--format', 'csv']);
    expect(reversed.stdout).toBe((await replay([...FF, '--format', 'csv'])).stdout);
  });
});

describe('bad input', () => {
  it('--strict: an unparseable line is an error naming file:line, exit 2, no output file', async () => {
    const dir = tmp();
    const out = join(dir, 'out.json');
    const r = await replay(['tiny.txt', '--strict', '--format', 'json', '--out', out]);
    expect(expectUsageError(r)).toBe('tlbsim: error: tiny.txt:15: unrecognised line "this line is not strace output" (--strict)');
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // no temporary file left either
    // a trace without bad lines passes --strict
    expect((await replay([...FF, '--strict', '--arch', 'x86', '--format', 'csv'])).code).toBe(0);
  });
  it('a file that is not strace output: exit 2, naming it', async () => {
    expect(expectUsageError(await replay(['README.md']))).toMatch(/^tlbsim: error: no strace system-call line in README\.md \(\d+ lines read; expected the output of strace/);
  });
  it('a missing or unreadable FILE: exit 2, one line naming it', async () => {
    expect(expectUsageError(await replay(['nope.txt']))).toBe('tlbsim: error: cannot read strace output nope.txt: no such file');
    expect(expectUsageError(await replay(['tiny.txt', 'missing.20001']))).toContain('missing.20001: no such file');
    expect(expectUsageError(await replay(['.']))).toBe('tlbsim: error: cannot read strace output .: it is a directory');
    expect(expectUsageError(await replay([]))).toContain('tlbsim replay needs the strace output FILE');
  });
  it('unknown options and values: did-you-mean and the valid choices', async () => {
    expect(expectUsageError(await replay(['tiny.txt', '--toch', 'none']))).toContain('unknown option "--toch" for "tlbsim replay" (did you mean "--touch"?)');
    const t = expectUsageError(await replay(['tiny.txt', '--touch', 'writen']));
    expect(t).toContain('unknown value "writen" for --touch (did you mean "written"?)');
    expect(t).toContain('valid values: all, none, written');
    expect(expectUsageError(await replay(['tiny.txt', '--format', 'yaml']))).toContain('valid values: table, json, csv, markdown');
    expect(expectUsageError(await replay(['tiny.txt', '--arch', 'arm46']))).toContain('unknown architecture "arm46" (did you mean "arm64"?)');
    expect(expectUsageError(await replay(['tiny.txt', '--cpus', '0']))).toContain('--cpus must be an integer from 1 to 1024, got "0"');
    expect(expectUsageError(await replay(['tiny.txt', '--cpus', 'many']))).toContain('--cpus must be an integer');
    expect(expectUsageError(await replay(['tiny.txt', '--trace-format', 'ftrace']))).toContain('--trace-format needs --trace FILE');
    expect(expectUsageError(await tlbsimIn(['replya', 'x']))).toContain('unknown command "replya" (did you mean "replay"?)');
  });
});

describe('output files, determinism, streaming', () => {
  it('byte-identical output twice (every format, -ff input)', async () => {
    // in this worker twice per format, and once in a process of its own (side by side with the
    // worker's runs): the output depends on nothing else
    const proc = replayProcess([...FF, '--format', 'json']);
    for (const f of ['table', 'json', 'csv', 'markdown']) {
      const a = await replay([...FF, '--format', f]);
      expect(a.code).toBe(0);
      expect(await replay([...FF, '--format', f])).toEqual(a);
      if (f === 'json') expect(await proc).toEqual(a);
    }
  });
  it('--out writes the file atomically (nothing on stdout, no temporary left); an unwritable --out is exit 2', async () => {
    const dir = tmp();
    const out = join(dir, 'replay.json');
    writeFileSync(out, 'old');
    const r = await replay(['tiny.txt', '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe((await replay(['tiny.txt', '--format', 'json'])).stdout);
    expect(readdirSync(dir)).toEqual(['replay.json']);
    expect(expectUsageError(await replay(['tiny.txt', '--out', join(dir, 'no', 'such', 'dir.txt')]))).toContain('cannot write');
  });
  it('--trace: every variant\'s events, with one syscall event per replayed call naming its line', async () => {
    const dir = tmp();
    const r = await replay(['tiny.txt', '--arch', 'x86', '--arch', 'arm64', '--format', 'csv', '--trace', join(dir, 't.json')]);
    expect(r.code).toBe(0);
    const events = (JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { traceEvents: { cat?: string; pid: number; args?: { line?: number } }[] }).traceEvents;
    const syscalls = events.filter((e) => e.cat === 'syscall');
    expect(new Set(syscalls.map((e) => e.pid)).size).toBe(2);
    expect(syscalls.filter((e) => e.args?.line === 7).length).toBe(2);
    expect((await replay(['tiny.txt', '--arch', 'x86', '--format', 'csv', '--trace', join(dir, 't.jsonl')])).code).toBe(0);
    expect(readFileSync(join(dir, 't.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"cat":"syscall"')).length).toBe(syscalls.length / 2);
  });
  it('files are streamed: an 18 MB trace replays in a 16 MiB heap that cannot hold its lines', async () => {
    const dir = tmp();
    const file = join(dir, 'big.txt');
    const parts = ['100 execve("/bin/big", ["big"], 0x7ffc00000000 /* 1 var */) = 0\n'];
    // long signal lines (18 KB each): the bytes to stream, at little parsing cost per byte
    const pad = 'x'.repeat(18_000);
    const noise = Array.from({ length: 2 }, (_, j) => `100 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=${1000 + j}, si_uid=0, si_note="${pad}"} ---\n`).join('');
    for (let i = 0; i < 500; i++) {
      parts.push('100 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n', noise, '100 munmap(0x7f0000000000, 8192) = 0\n');
    }
    parts.push('100 exit_group(0) = ?\n100 +++ exited with 0 +++\n');
    const text = parts.join('');
    expect(text.length).toBeGreaterThan(18_000_000);
    writeFileSync(file, text);
    const r = await tlbsim(['replay', file, '--arch', 'x86', '--format', 'json'], { env: { NODE_OPTIONS: '--max-old-space-size=16' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as Doc;
    expect(d.replay).toMatchObject({ lines: 2003, syscalls: 1002, failures: 0, skippedCount: 0, cpus: 1 });
    expect(d.results[0].metrics).toMatchObject({ pagesFreed: 1000, violations: 0 });
  });
});

describe('the CLI process exits with the status and prints the output of the in-process run', () => {
  for (const [code, args] of [[0, ['tiny.txt']], [2, ['tiny.txt', '--strict']]] as const) {
    it(`tlbsim replay ${args.join(' ')}: exit ${code}`, async () => {
      const p = await replayProcess([...args]);
      expect(p.code, p.stderr).toBe(code);
      expect(p.signal).toBe(null);
      expect(p.stderr).toMatch(/^tlbsim: .*tiny\.txt:15/);
      expect(await replay([...args])).toEqual(p);
    });
  }
});

describe('help', () => {
  it('tlbsim replay --help (and help replay): usage, the strace command, examples; tlbsim --help lists it', async () => {
    const r = await tlbsimIn(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tlbsim replay FILE\.\.\./);
    expect(r.stdout).toContain('strace -f -tt -e trace=memory,process -o FILE PROGRAM');
    for (const o of ['--touch', '--cpus', '--strict', '--arch', '--format', '--out', '--trace', '--trace-format']) expect(r.stdout).toContain(o);
    expect(r.stdout).toContain('Examples:');
    expect((await tlbsimIn(['help', 'replay'])).stdout).toBe(r.stdout);
    expect((await tlbsimIn(['--help'])).stdout).toMatch(/^ {2}replay {6}/m);
  });
});
