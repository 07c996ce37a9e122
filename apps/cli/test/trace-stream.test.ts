/**
 * --trace streams each run's events to the file as they happen (trace-file.ts): the bytes equal
 * core's whole-array formatters over the same runs kept in memory; --trace-limit keeps the first
 * N events of each run and says so; an error leaves no trace file and no temporary file.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, perfettoEvents, toFtrace, toJsonl, toPerfetto } from '@tlbsim/core';
import { replay } from '@tlbsim/replay';
import { makeBackend, parseArchSpecs } from '../src/arches.js';
import { fileInputs } from '../src/replay/inputs.js';
import { setupHugetlb } from '../src/workloads/hugetlb-share.js';
import { runJob, type Job, type VariantRun } from '../src/engine.js';
import { findWorkload, resolveParams } from '../src/workloads/index.js';
import { busyFor, exited, FIXTURES, tlbsimAsync, tlbsimIn, tmp } from './helpers.js';

const ARCHES = ['x86', 'arm64', 'ppc', 'riscv'];
const munmap: Job = { kind: 'workload', workload: 'munmap', params: resolveParams(findWorkload('munmap'), []) };
const inMemory = (job: Job, arches = ARCHES): VariantRun[] => parseArchSpecs(arches).map((v) => runJob(job, v, { trace: true }));

/** what --trace wrote before it streamed: the formatters over every run's events kept in memory */
function whole(format: 'perfetto' | 'jsonl' | 'ftrace', runs: VariantRun[]): string {
  const labelled = runs.map((r) => ({ arch: r.variant.id, label: `${r.variant.id}: ${r.result.label}`, nrCpus: r.nrCpus, events: r.result.events! }));
  if (format === 'perfetto') return JSON.stringify(toPerfetto(labelled)) + '\n';
  if (format === 'jsonl') return toJsonl(labelled);
  return runs.map((r) => `# tlbsim ${r.variant.id}: ${r.result.label}\n` + toFtrace(r.result.events!, r.ftrace ? { ftrace: r.ftrace } : undefined)).join('\n');
}

const argsOf = (arches: string[]) => arches.flatMap((a) => ['--arch', a]);

describe('--trace streams the same bytes as the in-memory formatters', () => {
  const runs = inMemory(munmap);
  for (const [format, file] of [['perfetto', 't.json'], ['jsonl', 't.jsonl'], ['ftrace', 't.txt']] as const) {
    it(`compare, ${format}, four architectures in one file`, async () => {
      const d = tmp();
      const r = await tlbsimIn(['compare', '--workload', 'munmap', ...argsOf(ARCHES), '--trace', join(d, file)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(readFileSync(join(d, file), 'utf8')).toBe(whole(format, runs));
      expect(readdirSync(d)).toEqual([file]);
    });
  }
  it('run: a scenario, perfetto', async () => {
    const src = join(FIXTURES, 'two-threads.yaml');
    const job: Job = { kind: 'scenario', scenario: parseScenario(readFileSync(src, 'utf8'), src), source: src };
    const d = tmp();
    expect((await tlbsimIn(['run', src, '--trace', join(d, 'r.json')])).code).toBe(0);
    expect(readFileSync(join(d, 'r.json'), 'utf8')).toBe(whole('perfetto', inMemory(job)));
  });
  it('check: ftrace of x86 with a re-created bug', async () => {
    const d = tmp();
    const r = await tlbsimIn(['check', '--workload', 'munmap', '--arch', 'x86', '--bug', 'free-pages-before-flush', '--trace', join(d, 'c.txt')]);
    expect(r.code).toBe(1);
    const expected = parseArchSpecs(['x86']).map((v) => runJob(munmap, v, { trace: true, bugs: { freePagesBeforeFlush: true } }));
    expect(readFileSync(join(d, 'c.txt'), 'utf8')).toBe(whole('ftrace', expected));
  });
});

describe('--trace-limit N', () => {
  const runs = inMemory(munmap, ['x86', 'arm64']);
  const counts = runs.map((r) => r.result.events!.length);

  it('perfetto: the first N events of each run, valid JSON, the cut in metadata and a note on stderr', async () => {
    expect(Math.min(...counts)).toBeGreaterThan(5);
    const d = tmp();
    const f = join(d, 'l.json');
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64', '--trace', f, '--trace-limit', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      runs.map((x, i) => `tlbsim: note: ${f}: ${x.variant.id}: --trace-limit 5: recorded the first 5 of ${counts[i]} trace events; the rest were not recorded\n`).join(''),
    );
    const doc = JSON.parse(readFileSync(f, 'utf8')) as { traceEvents: { ph: string; pid: number }[]; metadata: unknown };
    expect(doc.metadata).toEqual({ traceLimit: 5, truncated: runs.map((x, i) => ({ run: x.variant.id, recorded: 5, events: counts[i] })) });
    runs.forEach((x, k) => {
      const mine = doc.traceEvents.filter((e) => e.pid === k + 1 && e.ph !== 'M');
      expect(mine).toEqual(x.result.events!.slice(0, 5).flatMap((e) => perfettoEvents(e, k + 1)));
    });
  });
  it('jsonl: N lines per run, then a trace_limit line', async () => {
    const d = tmp();
    const f = join(d, 'l.jsonl');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64', '--trace', f, '--trace-limit', '3'])).code).toBe(0);
    const lines = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { arch: string; name: string; args?: unknown });
    expect(lines.length).toBe(8);
    expect(lines.map((l) => `${l.arch} ${l.name === 'trace_limit' ? 'limit' : 'event'}`)).toEqual(['x86 event', 'x86 event', 'x86 event', 'x86 limit', 'arm64 event', 'arm64 event', 'arm64 event', 'arm64 limit']);
    expect(lines[3].args).toEqual({ traceLimit: 3, recorded: 3, events: counts[0] });
  });
  it('ftrace: the run ends with a comment saying what was cut', async () => {
    const d = tmp();
    const f = join(d, 'l.txt');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--trace', f, '--trace-limit', '2'])).code).toBe(0);
    const text = readFileSync(f, 'utf8');
    expect(text.endsWith(`\n# tlbsim: --trace-limit 2: recorded the first 2 of ${counts[0]} trace events; the rest were not recorded\n`)).toBe(true);
  });
  it('a limit the runs stay within changes nothing', async () => {
    const d = tmp();
    const f = join(d, 'n.json');
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64', '--trace', f, '--trace-limit', String(Math.max(...counts))]);
    expect(r.stderr).toBe('');
    expect(readFileSync(f, 'utf8')).toBe(whole('perfetto', runs));
  });
  it('mistakes: without --trace, not a positive integer', async () => {
    const a = await tlbsimIn(['compare', '--workload', 'munmap', '--trace-limit', '5']);
    expect([a.code, a.stderr]).toEqual([2, 'tlbsim: error: --trace-limit needs --trace FILE\n']);
    const d = tmp();
    const b = await tlbsimIn(['compare', '--workload', 'munmap', '--trace', join(d, 'x.json'), '--trace-limit', '0']);
    expect([b.code, b.stderr]).toEqual([2, `tlbsim: error: --trace-limit must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got "0"\n`]);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('a run that fails leaves no trace', () => {
  it('replay of a file without strace lines: exit 2, no trace file, no temporary file, the old trace kept', async () => {
    const d = tmp();
    const input = join(d, 'not-strace.txt');
    writeFileSync(input, 'hello\nworld\n');
    const f = join(d, 'old.json');
    writeFileSync(f, 'the previous trace\n');
    const r = await tlbsimIn(['replay', input, '--arch', 'x86', '--trace', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tlbsim: error: no strace system-call line in /);
    expect(readdirSync(d).sort()).toEqual(['not-strace.txt', 'old.json']);
    expect(readFileSync(f, 'utf8')).toBe('the previous trace\n');
  });
  it('replay streams its trace too: the same bytes as in memory', async () => {
    const d = tmp();
    const input = join(FIXTURES, 'strace', 'tiny.txt');
    const a = await tlbsimIn(['replay', input, '--arch', 'x86', '--trace', join(d, 'a.jsonl')]);
    expect(a.code, a.stderr).toBe(0);
    const kept = await replay(fileInputs([input]).inputs, makeBackend(parseArchSpecs(['x86'])[0]), { trace: true, setup: (m) => setupHugetlb(m) });
    expect(kept.events!.filter((e) => e.cat === 'syscall').length).toBe(11);
    expect(readFileSync(join(d, 'a.jsonl'), 'utf8')).toBe(toJsonl([{ arch: 'x86', events: kept.events! }]));
  });
  it('Ctrl-C during a long traced run: no partial trace file; the next run removes the temporary file left', async () => {
    const d = tmp();
    const child = tlbsimAsync(['compare', '--workload', 'tlb_flush1', '--set', 'pages=262144', '--arch', 'x86', '--trace', 't.json'], d);
    await busyFor(child, 1500);
    child.kill('SIGINT');
    expect(await exited(child)).toBe('SIGINT');
    // the process ended at once (the default action): its temporary file is there, t.json is not
    const left = readdirSync(d);
    expect(left.length).toBe(1);
    for (const n of left) expect(n).toMatch(new RegExp(`^\\.t\\.json\\.${child.pid}\\.[0-9a-f]{8}\\.tmp$`));
    // a temporary file of a live process (this one) is not touched
    writeFileSync(join(d, `.t.json.${process.pid}.0badf00d.tmp`), 'in progress');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--trace', join(d, 't.json')])).code).toBe(0);
    expect(readdirSync(d).sort()).toEqual([`.t.json.${process.pid}.0badf00d.tmp`, 't.json']);
  });
});
