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
import { busyFor, exited, fixture, tlbsim, tlbsimAsync, tlbsimIn, tlbsimOnTty, tmp, validate } from './helpers.js';
import { ESC, ISSUE_WORKLOADS, sets } from './workload-sizes.js';


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
