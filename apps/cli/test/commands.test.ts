/**
 * Every command and output format of the built CLI. What a command prints for given arguments is
 * checked in this worker (`tlbsimIn`: dist/main.js, no node process to start); what only a real
 * process shows is checked on the spawned CLI (dist/cli.js, `tlbsim`): that it exits with the same
 * status and output as the in-process run, terminals and colour, Ctrl-C, and the sweep (worker
 * threads).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busyFor, catches, exited, fixture, tlbsim, tlbsimAsync, tlbsimIn, tlbsimOnTty, tmp, validate } from './helpers.js';

const ISSUE_WORKLOADS = ['munmap', 'madvise-dontneed', 'madvise-free', 'mprotect', 'mremap', 'exit', 'hugetlb-share', 'reclaim', 'tlb_flush1', 'tlb_flush2', 'tlb_flush3'];
/** small parameters per workload so the whole matrix runs quickly */
const SMALL: Record<string, string[]> = {
  'tlb_flush1': ['pages=16'],
  'tlb_flush2': ['pages=16'],
  'tlb_flush3': ['pages=16'],
  reclaim: ['pages=8', 'cpus=3'],
  exit: ['rss=16'],
  'hugetlb-share': ['sharers=3'],
};
const sets = (w: string) => (SMALL[w] ?? []).flatMap((s) => ['--set', s]);
const ESC = '\x1b[';

describe('the CLI process exits with the status and prints the output of the in-process run', () => {
  // the exit statuses 0, 1 and 2 (usage on stderr, a one-line error) of every kind of command
  const LINES: [number, string[]][] = [
    [2, []],
    [0, ['--help']],
    [0, ['--version']],
    [0, ['help', 'check']],
    [2, ['compar']],
    [0, ['workloads', 'munmap']],
    [0, ['arches', 'x86', '--format', 'json']],
    [0, ['run', fixture('two-threads.yaml'), '--format', 'csv']],
    [1, ['check', '--workload', 'munmap', '--bug', 'free-pages-before-flush', '--arch', 'x86']],
    [2, ['compare', '--workload', 'munmap', '--set', 'pages=0']],
  ];
  for (const [code, args] of LINES) {
    it(`tlbsim ${args.join(' ').replace(/\S*\/fixtures\//, '')}: exit ${code}`, async () => {
      const p = await tlbsim(args);
      expect(p.code, p.stderr).toBe(code);
      expect(p.signal).toBe(null);
      expect(p.stdout.length + p.stderr.length).toBeGreaterThan(0);
      expect(await tlbsimIn(args)).toEqual(p);
    });
  }
});

describe('help and version', () => {
  it('tlbsim --help lists every command with examples; exit 0', async () => {
    const r = await tlbsimIn(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['compare', 'run', 'check', 'sweep', 'workloads', 'arches']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toContain('Examples:');
  });
  for (const c of ['compare', 'run', 'check', 'sweep', 'workloads', 'arches']) {
    it(`tlbsim ${c} --help (and -h, and tlbsim help ${c}) shows usage with examples`, async () => {
      const a = await tlbsimIn([c, '--help']);
      expect(a.code).toBe(0);
      expect(a.stdout).toMatch(new RegExp(`^Usage: tlbsim ${c}`));
      expect(a.stdout).toContain('Examples:');
      expect(a.stdout).toContain(`tlbsim ${c}`);
      expect((await tlbsimIn([c, '-h'])).stdout).toBe(a.stdout);
      expect((await tlbsimIn(['help', c])).stdout).toBe(a.stdout);
    });
  }
  it('help and arches cite documents in the repository only', async () => {
    const out = async (args: string[]) => (await tlbsimIn(args)).stdout;
    const cmds = ['compare', 'run', 'check', 'sweep', 'workloads', 'arches', 'replay'];
    const [top, arches, ...helps] = await Promise.all([out(['--help']), out(['arches']), ...cmds.map((c) => out([c, '--help']))]);
    expect(helps[cmds.indexOf('sweep')]).toContain(
      '--metric NAME      the metric to plot (default ipis; any of packages/core/SPEC.md §3, or tlbInstructions.X)');
    expect(arches).toMatch(/^ {4}cost = packages\/arch-ppc\/SPEC\.md §9 +an object \(library API only\)$/m);
    expect([top, arches, ...helps].join('\n')).not.toMatch(/shared\/spec|\.\.\/shared|\b(model|generic|costs|x86|arm64|ppc|hugetlb|conventions)\.md\b/);
  });
  it('--version prints the package version', async () => {
    const r = await tlbsimIn(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });
  it('no command: usage on stderr, exit 2', async () => {
    const r = await tlbsimIn([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: tlbsim <command>');
    expect(r.stdout).toBe('');
  });
});

describe('workloads and arches', () => {
  it('tlbsim workloads prints one line per workload, and the detail with NAME', async () => {
    const r = await tlbsimIn(['workloads']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, ISSUE_WORKLOADS.length).map((l) => l.split(/\s+/)[0])).toEqual(ISSUE_WORKLOADS);
    expect(lines[0]).toMatch(/^munmap {2,}map, touch and munmap an anonymous region$/);
    expect(lines.slice(ISSUE_WORKLOADS.length)).toEqual(['', 'tlbsim workloads NAME: what NAME does and its parameters (--set NAME=VALUE) with defaults and ranges', '']);
  });
  it('tlbsim workloads NAME (and --format markdown) gives every workload of the issue with every parameter and default', async () => {
    const doc = JSON.parse((await tlbsimIn(['workloads', '--format', 'json'])).stdout) as { name: string; params: { name: string; defaultText: string }[] }[];
    expect(doc.map((w) => w.name)).toEqual(ISSUE_WORKLOADS);
    for (const w of doc) {
      const r = await tlbsimIn(['workloads', w.name]);
      expect(r.stdout.startsWith(`${w.name}: `)).toBe(true);
      const names = w.params.map((p) => p.name);
      expect(names.slice(0, 2)).toEqual(['cpus', 'iterations']);
      for (const p of w.params) expect(r.stdout).toMatch(new RegExp(`^\\s+${p.name} = ${p.defaultText.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s`, 'm'));
    }
    const byName = Object.fromEntries(doc.map((w) => [w.name, w]));
    const dflt = (w: string, p: string) => byName[w].params.find((x) => x.name === p)?.defaultText;
    expect(dflt('munmap', 'pages')).toBe('8');
    expect(dflt('munmap', 'peer')).toBe('spin');
    expect(dflt('munmap', 'aligned')).toBe('false');
    expect(dflt('munmap', 'cpus')).toBe('2');
    expect(dflt('munmap', 'iterations')).toBe('1');
    expect(dflt('hugetlb-share', 'hugetlb')).toBe('kernel');
    expect(dflt('hugetlb-share', 'op')).toBe('exit');
    expect(byName['exit'].params.map((p) => p.name)).toEqual(['cpus', 'iterations', 'threads', 'rss']);
    expect(byName['reclaim'].params.map((p) => p.name)).toEqual(['cpus', 'iterations', 'pages', 'mms']);
    expect(byName['hugetlb-share'].params.map((p) => p.name)).toEqual(['cpus', 'iterations', 'gib', 'sharers', 'op', 'hugetlb']);
    for (const t of ['tlb_flush1', 'tlb_flush2', 'tlb_flush3']) expect(byName[t].params.map((p) => p.name)).toContain('threads');
    // the base page size note
    expect((await tlbsimIn(['workloads', 'munmap'])).stdout).toMatch(/base page size/);
  });
  it('tlbsim workloads NAME shows one; markdown works', async () => {
    const r = await tlbsimIn(['workloads', 'mremap']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mremap: /);
    expect(r.stdout).not.toContain('munmap: map');
    const md = await tlbsimIn(['workloads', 'munmap', '--format', 'markdown']);
    expect(md.stdout).toContain('## munmap');
    expect(md.stdout).toContain('| parameter | default | values | description |');
  });
  it('tlbsim arches lists options, defaults and the Kconfig each backend selects', async () => {
    const r = await tlbsimIn(['arches']);
    expect(r.code).toBe(0);
    const doc = JSON.parse((await tlbsimIn(['arches', '--format', 'json'])).stdout) as { name: string; label: string; kconfig: string[]; options: { name: string; default: unknown }[] }[];
    expect(doc.map((a) => a.name)).toEqual(['x86', 'arm64', 'ppc', 'riscv', 'generic']);
    for (const a of doc) {
      expect(r.stdout).toMatch(new RegExp(`^${a.name}$`, 'm'));
      expect(r.stdout).toContain(`label: ${a.label}`);
      expect(a.kconfig.length).toBeGreaterThan(0);
      expect(r.stdout).toContain(`Kconfig selected: ${a.kconfig.join(' ')}`);
      for (const o of a.options) expect(r.stdout).toMatch(new RegExp(`^\\s+${o.name} = \\S+`, 'm'));
    }
    const arm = doc.find((a) => a.name === 'arm64')!;
    expect(arm.options.map((o) => o.name)).toEqual(expect.arrayContaining(['granule', 'tlbiRange']));
    expect((await tlbsimIn(['arches', 'arm64', '--format', 'markdown'])).stdout).toContain('## arm64');
  });
});

describe('compare', () => {
  it('table: one column per architecture variant, one row per metric, no colour off a terminal', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--set', 'pages=64']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(ESC);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('munmap: cpus=2 iterations=1 pages=64 peer=spin aligned=false');
    expect(lines[2]).toMatch(/^metric\s+x86\s+arm64\s+ppc\s+riscv$/);
    for (const m of ['flushes', 'flushesBy.tlb_flush', 'ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks', 'batchPagesAllocated', 'estimatedNs']) {
      expect(r.stdout).toMatch(new RegExp(`^${m}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
    }
    // zero in every column: hidden, and said so (--all shows them)
    for (const m of ['ipiBroadcasts', 'forcedFlushes', 'violations', 'counters.hash_batch_flush', 'counters.hcall.H_RPT_INVALIDATE']) expect(r.stdout).not.toMatch(new RegExp(`^${m.replace('.', '\\.')}\\s`, 'm'));
    expect(r.stdout).toMatch(/^\(15 rows zero in every column not shown: --all shows them\)$/m);
    expect(r.stdout).toMatch(/^pagesFreed\s+64\s+64\s+64\s+64$/m);
    // aligned: every row as wide as the header
    const header = lines[2];
    const rows = lines.slice(4).filter((l) => l && !l.startsWith(' ')).slice(0, 12);
    for (const l of rows) expect(l.length).toBe(header.length);
  });
  it('json: the documented document, valid against schema/results.schema.json, with per-CPU detail', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--set', 'pages=64', '--set', 'cpus=4', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc, 'results.schema.json')).toEqual([]);
    expect(doc.tlbsim).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.workload).toEqual({ name: 'munmap', params: { cpus: 4, iterations: 1, pages: 64, peer: 'spin', aligned: false } });
    expect(doc.results.map((x: { arch: string }) => x.arch)).toEqual(['x86', 'arm64', 'ppc', 'riscv']);
    for (const res of doc.results) {
      expect(res.cpus).toHaveLength(4);
      expect(res.metrics.pagesFreed).toBe(64);
      expect(res.violations).toEqual([]);
    }
    const x86 = doc.results[0];
    for (const c of x86.cpus) {
      expect(typeof c['interrupts.TLB']).toBe('number');
      expect(typeof c['interrupts.CAL']).toBe('number');
    }
  });
  it('csv: a header of variants and one line per metric', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'mprotect', '--arch', 'x86', '--arch', 'arm64:granule=64k,tlbiRange=on', '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // every row carries the workload and its parameters; csv keeps the rows that are zero
    expect(lines[0]).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86,"arm64:granule=64k,tlbiRange=on"');
    expect(lines.find((l) => l.includes(',pagesFreed,'))).toBe('mprotect,2,1,8,spin,false,pagesFreed,8,8');
    expect(lines.find((l) => l.includes(',violations,'))).toBe('mprotect,2,1,8,spin,false,violations,0,0');
    for (const l of lines.slice(1)) expect(l).toMatch(/^mprotect,2,1,8,spin,false,[\w. -]+,\d*,\d*$/);
  });
  it('markdown: a pipe table and the labels', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^### munmap: /);
    expect(r.stdout).toContain('| metric | x86 | arm64 | ppc | riscv |');
    expect(r.stdout).toContain('| --- | ---: | ---: | ---: |');
    expect(r.stdout).toMatch(/^\| pagesFreed \| 8 \| 8 \| 8 \| 8 \|$/m);
    expect(r.stdout).toMatch(/^- `arm64`: arm64/m);
  });
  it('variants: repeatable --arch with options, generic, all', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'generic', '--arch', 'all', '--arch', 'arm64:tlbiRange=on', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { variant: string }) => x.variant)).toEqual(['generic', 'x86', 'arm64', 'ppc', 'riscv', 'arm64:tlbiRange=on']);
    expect(doc.results[5].options.tlbiRange).toBe(true);
  });
  it('every workload runs on every architecture (small sizes) and its JSON validates', async () => {
    for (const w of ISSUE_WORKLOADS) {
      const r = await tlbsimIn(['compare', '--workload', w, ...sets(w), '--arch', 'all', '--arch', 'generic', '--format', 'json']);
      expect(r.stderr, w).toBe('');
      expect(r.code, w).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(validate(doc, 'results.schema.json'), w).toEqual([]);
      for (const res of doc.results) expect(res.metrics.violations, `${w} on ${res.variant}`).toBe(0);
    }
  });
  it('the same inputs give byte-identical output', async () => {
    // one run in a process of its own, one in this worker: the output depends on nothing else
    for (const f of ['json', 'table', 'csv']) {
      const a = await tlbsim(['compare', '--workload', 'reclaim', '--set', 'cpus=3', '--format', f]);
      const b = await tlbsimIn(['compare', '--workload', 'reclaim', '--set', 'cpus=3', '--format', f]);
      expect(a.code).toBe(0);
      expect(b.stdout).toBe(a.stdout);
    }
  });
  it('--out writes the file atomically and leaves nothing else behind', async () => {
    const d = tmp();
    const out = join(d, 'cmp.json');
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe((await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'json'])).stdout);
    expect(readdirSync(d)).toEqual(['cmp.json']);
  });
});

describe('colour', () => {
  it('table is coloured on a terminal', async () => {
    const out = await tlbsimOnTty(['compare', '--workload', 'munmap', '--arch', 'x86']);
    expect(out).toContain(ESC);
    expect(out).toContain('flushesBy.tlb_flush');
  });
  it('never with NO_COLOR, even on a terminal', async () => {
    const out = await tlbsimOnTty(['compare', '--workload', 'munmap', '--arch', 'x86'], { NO_COLOR: '1' });
    expect(out).toContain('flushesBy.tlb_flush');
    expect(out).not.toContain(ESC);
  });
  it('--format json/csv/markdown never carry colour on a terminal', async () => {
    for (const f of ['json', 'csv', 'markdown']) expect(await tlbsimOnTty(['compare', '--workload', 'munmap', '--arch', 'x86', '--format', f])).not.toContain(ESC);
  });
});

describe('run', () => {
  it('runs a YAML scenario on each architecture (table)', async () => {
    const r = await tlbsimIn(['run', fixture('two-threads.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scenario two-threads-munmap \(.*two-threads\.yaml, 2 CPUs\)$/m);
    expect(r.stdout).toMatch(/^pagesFreed\s+16\s+16\s+16\s+16$/m);
  });
  it('runs a JSON scenario; json output carries the scenario and each op outcome', async () => {
    const r = await tlbsimIn(['run', fixture('two-threads.json'), '--arch', 'x86', '--arch', 'arm64', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc, 'results.schema.json')).toEqual([]);
    expect(doc.workload).toEqual({ name: 'two-threads-munmap-json', params: {} });
    expect(doc.scenario.cpus).toBe(2);
    expect(doc.results[0].ops.map((o: { op: string }) => o.op)).toEqual(['mmap', 'touch', 'mprotect', 'munmap']);
    expect(doc.results[0].ops.every((o: { ok: boolean }) => o.ok)).toBe(true);
  });
  it('csv and markdown', async () => {
    const csv = (await tlbsimIn(['run', fixture('two-threads.yaml'), '--format', 'csv'])).stdout.split('\n');
    expect(csv[0]).toBe('scenario,file,metric,x86,arm64,ppc,riscv');
    expect(csv.find((l) => l.includes(',pagesFreed,'))).toBe(`two-threads-munmap,${fixture('two-threads.yaml')},pagesFreed,16,16,16,16`);
    expect((await tlbsimIn(['run', fixture('two-threads.yaml'), '--format', 'markdown'])).stdout).toContain('| metric | x86 | arm64 | ppc | riscv |');
  });
});

describe('traces', () => {
  it('perfetto: one process per architecture, one track per CPU, flow arrows from IPI sender to receivers', async () => {
    const d = tmp();
    const f = join(d, 'trace.json');
    const r = await tlbsimIn(['run', fixture('two-threads.yaml'), '--trace', f]);
    expect(r.code).toBe(0);
    const t = JSON.parse(readFileSync(f, 'utf8')) as { traceEvents: { ph: string; name: string; pid: number; tid: number; id?: number; args?: { name?: string } }[] };
    const procs = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name');
    expect(procs.map((p) => p.args!.name!.split(':')[0])).toEqual(['x86', 'arm64', 'ppc', 'riscv']);
    const tracks = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(tracks).toHaveLength(8);
    expect(tracks.filter((e) => e.pid === 1).map((e) => e.args!.name)).toEqual(['CPU 0', 'CPU 1']);
    // x86 shoots down CPU1 with an IPI: a flow from CPU0 to CPU1
    const starts = t.traceEvents.filter((e) => e.ph === 's' && e.pid === 1);
    const ends = t.traceEvents.filter((e) => e.ph === 'f' && e.pid === 1);
    expect(starts.length).toBeGreaterThan(0);
    for (const s of starts) {
      expect(s.tid).toBe(0);
      expect(ends.some((e) => e.id === s.id && e.tid === 1)).toBe(true);
    }
    expect(readdirSync(d)).toEqual(['trace.json']);
  });
  it('jsonl: one event per line, tagged with the variant', async () => {
    const d = tmp();
    const f = join(d, 't.jsonl');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--arch', 'arm64', '--trace', f])).code).toBe(0);
    const lines = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.arch))).toEqual(new Set(['x86', 'arm64']));
    for (const l of lines) expect(typeof l.ts === 'number' && typeof l.cpu === 'number' && typeof l.name === 'string').toBe(true);
  });
  it('ftrace: the kernel text format of tlb:tlb_flush', async () => {
    const d = tmp();
    const f = join(d, 'flush.txt');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--arch', 'x86', '--trace', f, '--trace-format', 'ftrace'])).code).toBe(0);
    const text = readFileSync(f, 'utf8');
    expect(text).toMatch(/^# tlbsim x86: /);
    expect(text).toContain('# tracer: nop');
    expect(text).toMatch(/tlb_flush: pages:-?\d+ reason:[a-zA-Z ]+ \(\d\)/);
  });
  it('traces are deterministic', async () => {
    const d = tmp();
    await tlbsim(['compare', '--workload', 'exit', '--trace', join(d, 'a.json')]);
    await tlbsimIn(['compare', '--workload', 'exit', '--trace', join(d, 'b.json')]);
    expect(readFileSync(join(d, 'a.json'), 'utf8')).toBe(readFileSync(join(d, 'b.json'), 'utf8'));
  });
});

describe('check', () => {
  it('no findings: exit 0', async () => {
    const r = await tlbsimIn(['check', '--workload', 'munmap']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^x86 \(.*\): no findings$/m);
    expect(r.stdout.trim().endsWith('no findings')).toBe(true);
  });
  it('a re-created bug: exit 1, each finding explained (CPU, address, what was freed, the events that led there)', async () => {
    const r = await tlbsimIn(['check', '--workload', 'munmap', '--set', 'aligned=true', '--bug', 'free-tables-without-flush']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('re-creating bug free-tables-without-flush');
    expect(r.stdout).toMatch(/^\s+1\. H2 page-table page freed or reused while still reachable, during munmap$/m);
    expect(r.stdout).toMatch(/^\s+CPU \d+, address 0x[0-9a-f]+$/m);
    expect(r.stdout).toMatch(/page table \(level pte\) .* freed while CPU\d/);
    expect(r.stdout).toContain('events that led there:');
    expect(r.stdout).toMatch(/^\s+t=\d+ns CPU\d /m);
    expect(r.stdout).toMatch(/^\d+ findings? shown, \d+ page tables? affected$/m);
  });
  it('free-pages-before-flush is found where the gather frees at tlb_finish_mmu (x86)', async () => {
    const r = await tlbsimIn(['check', '--workload', 'munmap', '--bug', 'free-pages-before-flush', '--arch', 'x86']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/H1 stale translation after free, during munmap/);
  });
  it('skip-mprotect-flush on a scenario; json report valid against the schema', async () => {
    const r = await tlbsimIn(['check', fixture('stale-mprotect.yaml'), '--bug', 'skip-mprotect-flush', '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc, 'results.schema.json')).toEqual([]);
    expect(doc.bugs).toEqual(['skip-mprotect-flush']);
    expect(doc.findings).toBeGreaterThan(0);
    const v = doc.results[0].violations[0];
    expect(v.hazard).toBe('H3');
    expect(v.op).toBe('mprotect');
    expect(v.events.length).toBeGreaterThan(0);
  });
  it('a scenario without bugs: no findings', async () => {
    const r = await tlbsimIn(['check', fixture('stale-mprotect.yaml')]);
    expect(r.code).toBe(0);
  });
});

describe('sweep', () => {
  it('csv: one row per value and variant; the same with one worker and with all', async () => {
    const args = ['sweep', '--workload', 'munmap', '--vary', 'pages=1,8,64', '--arch', 'x86', '--arch', 'arm64'];
    const r = await tlbsim(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // no progress bar off a terminal
    const lines = r.stdout.trim().split('\n');
    // every row carries the workload and every parameter it ran with
    expect(lines[0].startsWith('workload,cpus,iterations,pages,peer,aligned,variant,arch,flushes,flushesBy.tlb_flush,ipis,firmwareIpis,')).toBe(true);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 8).join(','))).toEqual(
      ['1,x86,x86', '1,arm64,arm64', '8,x86,x86', '8,arm64,arm64', '64,x86,x86', '64,arm64,arm64'].map((v) => `munmap,2,1,${v.replace(',', ',spin,false,')}`),
    );
    const col = lines[0].split(',').indexOf('pagesFreed');
    expect(lines.slice(1).map((l) => l.split(',')[col])).toEqual(['1', '1', '8', '8', '64', '64']);
    expect((await tlbsim([...args, '--jobs', '1'])).stdout).toBe(r.stdout);
  });
  it('json: valid against schema/sweep.schema.json', async () => {
    const r = await tlbsim(['sweep', '--workload', 'madvise-dontneed', '--vary', 'cpus=1..4', '--set', 'peer=sleep', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc, 'sweep.schema.json')).toEqual([]);
    expect(doc.vary).toEqual({ param: 'cpus', values: [1, 2, 3, 4] });
    expect(doc.workload.params).toEqual({ iterations: 1, pages: 8, peer: 'sleep', aligned: false });
    expect(doc.points).toHaveLength(4);
    expect(doc.points[2].results.map((x: { arch: string }) => x.arch)).toEqual(['x86', 'arm64', 'ppc', 'riscv']);
  });
  it('ranges: a..b, a..b:step, a..b*factor', async () => {
    // one worker: the values are what is checked, and each of the four sweeps starts its own pool
    const vals = async (spec: string) => JSON.parse((await tlbsim(['sweep', '--workload', 'munmap', '--arch', 'generic', '--vary', spec, '--jobs', '1', '--format', 'json'])).stdout).vary.values;
    expect(await vals('pages=1..4')).toEqual([1, 2, 3, 4]);
    expect(await vals('pages=8..24:8')).toEqual([8, 16, 24]);
    expect(await vals('pages=1..16*2')).toEqual([1, 2, 4, 8, 16]);
    expect(await vals('peer=spin,sleep,none')).toEqual(['spin', 'sleep', 'none']);
  });
  it('--plot draws --metric against the parameter (SVG): variants with the same values as one line, nothing on stdout', async () => {
    const d = tmp();
    const svg = join(d, 'p.svg');
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,16,64', '--plot', svg, '--metric', 'pagesFreed']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    const s = readFileSync(svg, 'utf8');
    expect(s.startsWith('<svg role="img" aria-label="pagesFreed vs pages (munmap)" xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(s.match(/class="mark-line role-mark/g)).toHaveLength(1);
    expect([...s.matchAll(/<path aria-label="([^"]+)"/g)].map((m) => m[1])).toEqual(['1', '16', '64'].map((v) => `x86 = arm64 = ppc = riscv: pages=${v} → ${v}`));
    expect(readdirSync(d)).toEqual(['p.svg']);
  });
  it('--plot with another extension than .svg: exit 2 before any work, no file', async () => {
    const d = tmp();
    const r = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,8', '--plot', join(d, 'x.png')]);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(`tlbsim: error: --plot ${join(d, 'x.png')}: tlbsim draws SVG only, not PNG: give a file name ending in .svg (to get a PNG, convert the SVG, e.g. rsvg-convert -o chart.png chart.svg)\n`);
    expect(readdirSync(d)).toEqual([]);
  });
  it('with --plot/--report the CSV goes to stdout only when --format or --out asks for it', async () => {
    const d = tmp();
    const a = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1', '--plot', join(d, 'a.svg'), '--format', 'csv']);
    expect(a.stdout.split('\n').length).toBe(4); // the header, two points, the final newline
    expect(a.stdout.startsWith('workload,cpus,iterations,pages,peer,aligned,variant,arch,flushes,')).toBe(true);
    const b = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1', '--report', join(d, 'b.html')]);
    expect([b.code, b.stdout]).toEqual([0, '']);
    const c = await tlbsimIn(['sweep', '--workload', 'munmap', '--arch', 'x86', '--vary', 'pages=1,8', '--jobs', '1']);
    expect(c.stdout).toBe(a.stdout);
  });
  it('--report writes one self-contained HTML page', async () => {
    const d = tmp();
    const html = join(d, 'r.html');
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,8', '--report', html]);
    expect(r.code).toBe(0);
    const h = readFileSync(html, 'utf8');
    expect(h.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(h).not.toMatch(/<script|<link|src="http|href="http/);
    expect(h).toContain('<svg');
    expect(h).toContain('<table class="metric" data-metric="ipis">');
  });
  it('progress bar on stderr when it is a terminal', async () => {
    const out = await tlbsimOnTty(['sweep', '--workload', 'munmap', '--vary', 'pages=1..4', '--arch', 'x86', '--out', join(tmp(), 'o.csv')]);
    expect(out).toMatch(/sweep munmap pages \[[#.]+\] \d+\/4/);
  });
});

describe('outputs and errors never leave partial files', () => {
  it('an error leaves an existing output file untouched and creates no file', async () => {
    const d = tmp();
    const out = join(d, 'keep.json');
    expect((await tlbsimIn(['compare', '--workload', 'munmap', '--format', 'json', '--out', out])).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--set', 'pages=0', '--format', 'json', '--out', out]);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe(before);
    const r2 = await tlbsimIn(['sweep', '--workload', 'munmap', '--vary', 'pages=1,0', '--out', join(d, 'new.csv'), '--report', join(d, 'r.html')]);
    expect(r2.code).toBe(2);
    expect(readdirSync(d)).toEqual(['keep.json']);
  });
  it('an unwritable output path: exit 2, a clear message', async () => {
    const r = await tlbsimIn(['compare', '--workload', 'munmap', '--out', join(tmp(), 'no', 'such', 'dir.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tlbsim: error: cannot write .*dir\.txt: /);
  });
  it('Ctrl-C during a sweep: ends it at once (130 in a shell) and no output file, report, plot or temporary file', async () => {
    const d = tmp();
    const p = tlbsimAsync(['sweep', '--workload', 'tlb_flush1', '--vary', 'pages=20000..40000:1000', '--jobs', '2', '--out', 'o.csv', '--report', 'r.html', '--plot', 'p.svg'], d);
    // well into the sweep (its workers running), whatever the machine's load
    await busyFor(p, 1000);
    // the sweep pool runs with the default action: the signal ends it at once (a shell shows 130)
    expect(catches(p, 'SIGINT')).toBe(false);
    p.kill('SIGINT');
    expect(await exited(p)).toBe('SIGINT');
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('Ctrl-C during a long compare', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} ends the run at once (the simulation loop cannot stall it) and writes nothing`, async () => {
      const d = tmp();
      const p = tlbsimAsync(['compare', '--workload', 'munmap', '--set', 'pages=262144', '--set', 'iterations=200', '--set', 'cpus=8', '--arch', 'x86', '--out', 'o.txt'], d);
      // inside the simulation loop, whatever the machine's load: it runs with the default action
      await busyFor(p, 1000);
      expect(catches(p, sig)).toBe(false);
      p.kill(sig);
      expect(await exited(p)).toBe(sig);
      expect(readdirSync(d)).toEqual([]);
    });
  }
});

describe('workload semantics', () => {
  const json = async (args: string[]) => {
    const r = await tlbsimIn(['compare', ...args, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { results: { arch: string; metrics: Record<string, number>; hugetlb?: Record<string, number | boolean> }[] };
  };
  it('aligned=true: munmap frees the region\'s page table; otherwise it shares one with a mapping that stays', async () => {
    for (const w of ['munmap', 'madvise-dontneed', 'mprotect']) {
      for (const r of (await json(['--workload', w])).results) expect(r.metrics.tablesFreed, `${w} ${r.arch}`).toBe(0);
      for (const r of (await json(['--workload', w, '--set', 'aligned=true'])).results) expect(r.metrics.tablesFreed, `${w} ${r.arch}`).toBeGreaterThan(0);
    }
  });
  it('peer=none: no other thread, so no shootdown IPI; iterations repeat the work', async () => {
    for (const r of (await json(['--workload', 'munmap', '--set', 'peer=none', '--set', 'cpus=4'])).results) expect(r.metrics.ipis).toBe(0);
    const one = (await json(['--workload', 'munmap', '--arch', 'x86'])).results[0].metrics;
    const three = (await json(['--workload', 'munmap', '--arch', 'x86', '--set', 'iterations=3'])).results[0].metrics;
    expect(three.pagesFreed).toBe(3 * one.pagesFreed);
    expect(three.archFlushes).toBe(3 * one.archFlushes);
  });
  it('exit frees every touched page of the process', async () => {
    for (const r of (await json(['--workload', 'exit', '--set', 'rss=100', '--set', 'cpus=4'])).results) expect(r.metrics.pagesFreed).toBe(100);
  });
  it('reclaim unmaps every page from every process', async () => {
    for (const r of (await json(['--workload', 'reclaim', '--set', 'pages=10', '--set', 'cpus=4'])).results) expect(r.metrics.violations).toBe(0);
  });
  it('hugetlb-share: V0 no sync IPI, V1 one per unshared table, V2 one when the last sharer leaves (hugetlb SPEC.md §4.8); ppc shares nothing', async () => {
    const run = async (v: string) => (await json(['--workload', 'hugetlb-share', '--set', `hugetlb=${v}`, '--set', 'gib=4', '--set', 'cpus=8'])).results;
    const [v0, v1, v2] = await Promise.all(['V0', 'V1', 'V2'].map(run));
    for (const k of [0, 1]) {
      expect(v0[k].hugetlb).toMatchObject({ behaviour: 'V0', sharing: true, tablesShared: 4, tablesUnshared: 4, syncIpis: 0 });
      expect(v1[k].hugetlb).toMatchObject({ behaviour: 'V1', tablesUnshared: 4, syncIpis: 4 });
      expect(v1[k].metrics.ipiBroadcasts).toBe(4);
      expect(v1[k].metrics.ipis).toBe(4 * 7);
      expect(v2[k].hugetlb).toMatchObject({ behaviour: 'V2', tablesUnshared: 4, syncIpis: 1 });
    }
    expect(v2[2].arch).toBe('ppc');
    expect(v2[2].hugetlb).toMatchObject({ sharing: false, tablesShared: 0, syncIpis: 0 });
    // three sharers: the newest leaving does not make any table exclusive, so V2 sends nothing
    const s3 = (await json(['--workload', 'hugetlb-share', '--set', 'sharers=3', '--set', 'gib=2', '--arch', 'x86'])).results[0];
    expect(s3.hugetlb).toMatchObject({ tablesShared: 4, tablesUnshared: 2, syncIpis: 0 });
  });
});
