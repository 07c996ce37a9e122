/**
 * What a metrics table shows (issue 16, point 1), as perf stat chooses it: -e selects rows by
 * name, glob or group; rows zero in every column are hidden unless --all; -A gives a column per
 * CPU; --baseline prints ratios to one column. In-process runs (tlbsimIn).
 */
import { describe, expect, it } from 'vitest';
import { expectUsageError, tlbsimIn } from './helpers.js';

const MUNMAP = ['compare', '--workload', 'munmap'];
/** The table of a compare: the lines from the header to the blank line after it. */
const table = (out: string) => out.split('\n\n')[1].split('\n');

describe('-e/--metrics: names, globs and groups, in the order given', () => {
  it('names and globs select rows; a name the registry knows but no column produces stays, as -', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '--arch', 'arm64', '-e', 'ipis,flushes', '-e', 'tlbInstructions.*', '--metrics', 'counters.hcall.H_RPT_INVALIDATE']);
    expect(r.code).toBe(0);
    expect(table(r.stdout)).toEqual([
      'metric                           x86  arm64',
      '-------------------------------  ---  -----',
      'ipis                               1      0',
      'flushes                            1      1',
      'tlbInstructions.DSB ISH            -      1',
      'tlbInstructions.DSB ISHST          -      4',
      'tlbInstructions.INVLPG            16      -',
      'tlbInstructions.ISB                -      3',
      'tlbInstructions.TLBI VALE1IS       -      8',
      'counters.hcall.H_RPT_INVALIDATE    -      -',
    ]);
    // the legend lists the rows shown, and only them
    expect(r.stdout.split('rows (tlbsim metrics KEY for the full definition):\n')[1].split('\n').filter(Boolean).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      'ipis', 'flushes', 'tlbInstructions.DSB ISH', 'tlbInstructions.DSB ISHST', 'tlbInstructions.INVLPG', 'tlbInstructions.ISB', 'tlbInstructions.TLBI VALE1IS', 'counters.hcall.H_RPT_INVALIDATE',
    ]);
  });
  it('a group name stands for its rows (counters = counters.*); csv keeps exactly the rows selected', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '-e', 'counters.interrupts', '--format', 'csv']);
    expect(r.stdout).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86\nmunmap,2,1,8,spin,false,counters.interrupts.CAL,1\nmunmap,2,1,8,spin,false,counters.interrupts.TLB,1\n');
  });
  it('a typo is refused with the closest row; an empty name in the list is refused', async () => {
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '-e', 'ipsi']))).toMatch(/^tlbsim: error: -e\/--metrics: no row matches "ipsi" \(did you mean "ipis"\?\); this run's rows: flushes, flushesBy\.tlb_flush, ipis, /);
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '-e', 'nothing*']))).toMatch(/^tlbsim: error: -e\/--metrics: no row matches "nothing\*"; this run's rows: /);
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '-e', 'ipis,,flushes']))).toBe('tlbsim: error: -e/--metrics ipis,,flushes: an empty name in the list (names are separated by single commas)');
  });
});

describe('rows zero in every column', () => {
  it('are hidden and counted in the table and markdown, shown with --all, kept in csv', async () => {
    const [hidden, all, md, csv] = await Promise.all([
      tlbsimIn([...MUNMAP, '--arch', 'x86']),
      tlbsimIn([...MUNMAP, '--arch', 'x86', '--all']),
      tlbsimIn([...MUNMAP, '--arch', 'x86', '--format', 'markdown']),
      tlbsimIn([...MUNMAP, '--arch', 'x86', '--format', 'csv']),
    ]);
    const rows = (out: string) => table(out).slice(2).map((l) => l.split(/\s{2,}/)[0]);
    expect(rows(hidden.stdout)).toEqual([
      'flushes', 'flushesBy.tlb_flush', 'ipis', 'rangedFlushes', 'pagesFreed', 'batchPagesAllocated', 'estimatedNs', 'tlbInstructions.INVLPG',
      'counters.interrupts.CAL', 'counters.interrupts.TLB', 'counters.nr_tlb_local_flush_one', 'counters.nr_tlb_remote_flush', 'counters.nr_tlb_remote_flush_received',
      '(8 rows zero in every column not shown: --all shows them)',
    ]);
    expect(rows(all.stdout)).toEqual([
      'flushes', 'flushesBy.tlb_flush', 'ipis', 'firmwareIpis', 'ipiBroadcasts', 'fullFlushes', 'rangedFlushes', 'pagesFreed', 'tablesFreed', 'rcuCallbacks',
      'batchPagesAllocated', 'forcedFlushes', 'estimatedNs', 'violations', 'tlbInstructions.INVLPG', 'counters.interrupts.CAL', 'counters.interrupts.TLB',
      'counters.nr_tlb_local_flush_all', 'counters.nr_tlb_local_flush_one', 'counters.nr_tlb_remote_flush', 'counters.nr_tlb_remote_flush_received',
    ]);
    expect(md.stdout).toContain('| batchPagesAllocated | 1 |\n| estimatedNs | 2960 |\n| tlbInstructions.INVLPG | 16 |');
    expect(md.stdout).toContain('\n(8 rows zero in every column not shown: --all shows them)\n');
    expect(md.stdout).not.toContain('| violations |');
    expect(csv.stdout.split('\n').filter(Boolean)).toHaveLength(22);
    expect(csv.stdout).toContain('\nmunmap,2,1,8,spin,false,violations,0\n');
  });
  it('a row named with -e stays even when it is zero everywhere', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '-e', 'violations,ipis']);
    expect(table(r.stdout)).toEqual(['metric      x86', '----------  ---', 'violations    0', 'ipis          1']);
  });
});

describe('-A/--per-cpu', () => {
  it('one table per variant, a column per CPU, rows named as the totals they add up to', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '--arch', 'ppc', '-A']);
    expect(r.code).toBe(0);
    const parts = r.stdout.split('\n\n');
    expect(parts[0]).toBe('munmap: cpus=2 iterations=1 pages=8 peer=spin aligned=false, per CPU');
    expect(parts[1].split('\n')).toEqual([
      'x86  x86-64 7.1 (PCID, no PTI)',
      'metric                                 CPU0  CPU1',
      '-------------------------------------  ----  ----',
      'ipis                                      0     1',
      'rangedFlushes                             1     1',
      'tlbInstructions.INVLPG                    8     8',
      'counters.interrupts.CAL                   0     1',
      'counters.interrupts.TLB                   0     1',
      'counters.nr_tlb_local_flush_one           8     0',
      'counters.nr_tlb_remote_flush              1     0',
      'counters.nr_tlb_remote_flush_received     0     1',
      '(3 rows zero in every column not shown: --all shows them)',
    ]);
    expect(parts[2].split('\n').slice(0, 4)).toEqual(['ppc  powerpc book3s64 radix (POWER10, 64K pages, tlbie, v7.1)', 'metric                       CPU0  CPU1', '---------------------------  ----  ----', 'rangedFlushes                   1     0']);
  });
  it('csv: one row per variant and metric, with the workload; -e applies', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '--arch', 'ppc', '-A', '--format', 'csv', '-e', 'ipis,rangedFlushes']);
    expect(r.stdout).toBe(
      'workload,cpus,iterations,pages,peer,aligned,variant,metric,CPU0,CPU1\n' +
        'munmap,2,1,8,spin,false,x86,ipis,0,1\nmunmap,2,1,8,spin,false,x86,rangedFlushes,1,1\n' +
        'munmap,2,1,8,spin,false,ppc,ipis,0,0\nmunmap,2,1,8,spin,false,ppc,rangedFlushes,1,0\n',
    );
  });
});

describe('--baseline VARIANT', () => {
  it('every other column as its ratio to the baseline: Nx, +N where the baseline has none, =0 where neither has', async () => {
    const r = await tlbsimIn([...MUNMAP, '--arch', 'x86', '--arch', 'ppc', '--baseline', 'x86', '--all', '-e', 'flushes,ipis,rangedFlushes,tlbInstructions.INVLPG,tlbInstructions.tlbsync,tablesFreed', '--format', 'markdown']);
    expect(r.stdout).toContain(
      '| metric | x86 | ppc/x86 |\n| --- | ---: | ---: |\n| flushes | 1 | 1.00x |\n| ipis | 1 | 0.00x |\n| rangedFlushes | 2 | 0.50x |\n' +
        '| tlbInstructions.INVLPG | 16 | - |\n| tlbInstructions.tlbsync | - | +1 |\n| tablesFreed | 0 | =0 |\n\n' +
        'ratios to x86: 2.00x is twice its count, +N a count where it has none, =0 none in either\n',
    );
  });
  it('names a column by its --arch spec or, when one column runs it, its architecture; csv has bare ratios', async () => {
    const spec = await tlbsimIn([...MUNMAP, '--arch', 'x86:pcid=off', '--arch', 'arm64', '--baseline', 'x86:pcid=off', '-e', 'flushes,rangedFlushes', '--format', 'csv']);
    const arch = await tlbsimIn([...MUNMAP, '--arch', 'x86:pcid=off', '--arch', 'arm64', '--baseline', 'x86', '-e', 'flushes,rangedFlushes', '--format', 'csv']);
    expect(spec.stdout).toBe('workload,cpus,iterations,pages,peer,aligned,metric,x86:pcid=off,arm64/x86:pcid=off\nmunmap,2,1,8,spin,false,flushes,1,1\nmunmap,2,1,8,spin,false,rangedFlushes,2,0.5\n');
    expect(arch.stdout).toBe(spec.stdout);
  });
  it('refuses a column that is not there, an ambiguous one, json, -A and --by op, before running', async () => {
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '--baseline', 'x8']))).toBe('tlbsim: error: --baseline x8: no such column (did you mean "x86"?); the columns: x86, arm64, ppc, riscv');
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '--arch', 'x86:pcid=off', '--arch', 'x86:invpcid=off', '--baseline', 'x86']))).toBe('tlbsim: error: --baseline x86: 2 columns run x86 (x86:pcid=off, x86:invpcid=off): name one');
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '--baseline', 'x86', '--format', 'json']))).toBe('tlbsim: error: --baseline shapes the table, csv and markdown views; --format json carries every count (per CPU in results[].cpus)');
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '-A', '--baseline', 'x86']))).toBe('tlbsim: error: --baseline compares variant columns; with -A/--per-cpu the columns are CPUs: give one of them');
    expect(expectUsageError(await tlbsimIn([...MUNMAP, '--by', 'op', '-e', 'ipis']))).toBe('tlbsim: error: -e/--metrics and --by op cannot be combined: --by op has its own columns');
  });
});
