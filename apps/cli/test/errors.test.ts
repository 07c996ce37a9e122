/**
 * Bad input: a one-line error that names the culprit and lists the valid choices (with a
 * did-you-mean), exit status 2, no stack trace. The command lines run in this worker (`tlbsimIn`);
 * commands.test.ts checks that the CLI process exits 2 with the same line.
 */
import { describe, expect, it } from 'vitest';
import { expectUsageError, fixture, tlbsimIn } from './helpers.js';

const W = ['compare', '--workload'];
/** The message of a bad `--arch` (expectUsageError checks the one `tlbsim: error: ` line and exit 2). */
const archError = async (spec: string) => expectUsageError(await tlbsimIn([...W, 'munmap', '--arch', spec])).replace(/^tlbsim: error: /, '');

describe('unknown names', () => {
  it('command', async () => {
    const e = expectUsageError(await tlbsimIn(['compar']));
    expect(e).toContain('unknown command "compar" (did you mean "compare"?)');
    expect(e).toContain('valid commands: compare, run, check, sweep, workloads, arches');
    expectUsageError(await tlbsimIn(['help', 'sweeep']));
    expect(expectUsageError(await tlbsimIn(['--frobnicate']))).toContain('unknown option "--frobnicate"');
  });
  it('workload', async () => {
    const e = expectUsageError(await tlbsimIn([...W, 'munmpa']));
    expect(e).toContain('unknown workload "munmpa" (did you mean "munmap"?)');
    expect(e).toContain('valid workloads: munmap, madvise-dontneed, madvise-free, mprotect, mremap, exit, hugetlb-share, reclaim, tlb_flush1, tlb_flush2, tlb_flush3');
    expect(expectUsageError(await tlbsimIn(['workloads', 'tlb_flush4']))).toContain('did you mean "tlb_flush1"?');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'exitt', '--vary', 'rss=1']))).toContain('did you mean "exit"?');
  });
  it('parameter', async () => {
    const e = expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'page=4']));
    expect(e).toContain('unknown parameter "page" for workload munmap (did you mean "pages"?)');
    expect(e).toContain('valid parameters: cpus, iterations, pages, peer, aligned');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'pages']))).toContain('use KEY=VALUE');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pagse=1,2']))).toContain('did you mean "pages"?');
  });
  it('parameter value', async () => {
    const e = expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'peer=spinning']));
    expect(e).toContain('peer cannot be "spinning"');
    expect(e).toContain('valid values: spin, sleep, none');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'aligned=maybe']))).toContain('aligned is true or false');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'pages=1.5']))).toContain('pages must be an integer');
    expect(expectUsageError(await tlbsimIn([...W, 'hugetlb-share', '--set', 'hugetlb=V3']))).toContain('valid values: kernel, V0, V1, V2');
  });
  it('architecture', async () => {
    const e = expectUsageError(await tlbsimIn([...W, 'munmap', '--arch', 'x68']));
    expect(e).toContain('unknown architecture "x68" (did you mean "x86"?)');
    expect(e).toContain('valid architectures: x86, arm64, ppc, riscv, generic, all');
    expect(expectUsageError(await tlbsimIn(['arches', 'amd64']))).toContain('unknown architecture "amd64"');
  });
  it("architecture option: the backend's option error, in core's one format, after where it was given", async () => {
    expect(await archError('arm64:granul=64k')).toBe(
      "--arch arm64:granul=64k: arm64: unknown option 'granul' (did you mean 'granule'? valid options: granule, vaBits, tlbiRange, ttl, lpa2, kpti, repeatTlbi, asidBits, kernel, ptReclaim, cost)",
    );
    expect(await archError('generic:foo=1')).toBe("--arch generic:foo=1: generic: unknown option 'foo' (generic has no options)");
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--arch', 'all:granule=4k']))).toContain('--arch all takes no options');
    expect(await archError('arm64:granule')).toBe("--arch arm64:granule: arm64: option 'granule' must be given a value (arm64:granule=VALUE)");
    expect(await archError('arm64:cost=1')).toBe(
      "--arch arm64:cost=1: arm64: option 'cost' must be a cost-model object, set through the library API: arm64({ cost: { ... } }) (got '1')",
    );
  });
  it('architecture option value: booleans, numbers and enums parse per the option spec', async () => {
    expect(await archError('arm64:granule=8k')).toBe(
      "--arch arm64:granule=8k: arm64: option 'granule' must be one of '4k', '16k', '64k' (got '8k'; did you mean '4k'?)",
    );
    expect(await archError('arm64:tlbiRange=maybe')).toBe(
      "--arch arm64:tlbiRange=maybe: arm64: option 'tlbiRange' must be one of on, off, true, false (got 'maybe')",
    );
    expect(await archError('x86:ceiling=-1')).toBe("--arch x86:ceiling=-1: x86: option 'ceiling' must be an integer >= 0 (got -1)");
    for (const v of ['on', 'true', 'TRUE', '1']) expect((await tlbsimIn([...W, 'munmap', '--arch', `arm64:tlbiRange=${v}`, '--format', 'csv'])).code).toBe(0);
    const ok = JSON.parse((await tlbsimIn([...W, 'munmap', '--arch', 'arm64:granule=64K,tlbiRange=off', '--format', 'json'])).stdout);
    expect(ok.results[0].variant).toBe('arm64:granule=64k,tlbiRange=off');
    expect(ok.results[0].options).toMatchObject({ granule: '64k', tlbiRange: false });
    // an alias names the same column as the option's own name
    const alias = JSON.parse((await tlbsimIn([...W, 'munmap', '--arch', 'x86:tlbSinglePageFlushCeiling=10', '--format', 'json'])).stdout);
    expect(alias.results[0].variant).toBe('x86:ceiling=10');
    // a combination the backend refuses is bad input too
    expect(await archError('arm64:granule=64k,lpa2=on')).toBe(
      "--arch arm64:granule=64k,lpa2=on: arm64: option 'lpa2' must be false with granule '64k' (FEAT_LPA2 is used only with the 4k and 16k granules; 64k reaches 52 bits with FEAT_LPA)",
    );
  });
  it('command-line option', async () => {
    const e = expectUsageError(await tlbsimIn([...W, 'munmap', '--foramt', 'json']));
    expect(e).toContain('unknown option "--foramt" for "tlbsim compare" (did you mean "--format"?)');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--format', 'yaml']))).toContain('valid values: table, json, csv, markdown');
    expect(expectUsageError(await tlbsimIn(['compare', '--workload']))).toContain('--workload');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--trace', 'x.json', '--trace-format', 'pprof']))).toContain('valid values: perfetto, jsonl, ftrace');
    expect(expectUsageError(await tlbsimIn(['check', '--workload', 'munmap', '--bug', 'free-pages']))).toContain('valid values: free-pages-before-flush, free-tables-without-flush, skip-mprotect-flush');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,2', '--plot', 'x.svg', '--metric', 'ipi']))).toContain('unknown metric "ipi" (did you mean "ipis"?)');
  });
  it('missing pieces', async () => {
    expect(expectUsageError(await tlbsimIn(['compare']))).toContain('needs --workload NAME');
    expect(expectUsageError(await tlbsimIn(['run']))).toContain('needs exactly one scenario file');
    expect(expectUsageError(await tlbsimIn(['check']))).toContain('needs a scenario file or --workload NAME');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap']))).toContain('needs --vary KEY=V1,V2');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1', '--vary', 'cpus=2']))).toContain('give --vary once');
  });
});

describe('out-of-range values', () => {
  it('pages=0, pages beyond the documented limit, cpus over 1024, cpus=0, iterations=0', async () => {
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'pages=0']))).toContain('pages=0 is out of range: pages must be from 1 to 1048576');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'pages=1048577']))).toContain('pages must be from 1 to 1048576');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'cpus=1025']))).toContain('cpus must be from 1 to 1024');
    expect(expectUsageError(await tlbsimIn([...W, 'munmap', '--set', 'cpus=0']))).toContain('cpus must be from 1 to 1024');
    expect(expectUsageError(await tlbsimIn([...W, 'exit', '--set', 'iterations=0']))).toContain('iterations must be from 1');
    expect(expectUsageError(await tlbsimIn([...W, 'exit', '--set', 'threads=4']))).toContain('threads=4 is more than cpus=2');
    expect(expectUsageError(await tlbsimIn([...W, 'reclaim', '--set', 'cpus=1']))).toContain('needs cpus >= 2');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=8..1']))).toContain('the range is empty');
    expect(expectUsageError(await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'cpus=1024..1026']))).toContain('cpus must be from 1 to 1024');
  });
  it('scenario: an unaligned address names the field path', async () => {
    const e = expectUsageError(await tlbsimIn(['run', fixture('unaligned.yaml')]));
    expect(e).toContain('ops[0].mmap.addr');
    expect(e).toContain('page-aligned');
  });
  it('scenario: cpus over 1024, unknown or mistyped fields, missing file', async () => {
    expect(expectUsageError(await tlbsimIn(['run', fixture('too-many-cpus.yaml')]))).toContain('machine.cpus');
    expect(expectUsageError(await tlbsimIn(['run', fixture('unknown-field.yaml')]))).toContain('ops[0].munmap');
    expect(expectUsageError(await tlbsimIn(['run', fixture('nope.yaml')]))).toContain('no such file');
    expect(expectUsageError(await tlbsimIn(['check', fixture('unaligned.yaml')]))).toContain('ops[0].mmap.addr');
    expect(expectUsageError(await tlbsimIn(['run', fixture('two-threads.yaml'), '--hugetlb', 'V9']))).toContain('valid values: V0, V1, V2');
  });
});
