import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCpuList, parseLine, parseTrace } from '../src/index.js';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

describe('parseTrace on a capture (munmap of 8 pages, spinning peer)', () => {
  const t = parseTrace(fixture('munmap-8-spin.trace'));

  it('reads every event line and skips the header', () => {
    expect(t.events).toHaveLength(22);
    expect(t.lost).toEqual([]);
    expect(t.unparsed).toEqual([]);
  });

  it('splits comm, pid, CPU, flags and timestamp; a truncated comm ending in a dash keeps it', () => {
    const e = t.events.find((x) => x.data.kind === 'tlb_flush' && x.data.reason === 4)!;
    expect(e).toMatchObject({ comm: 'measure-helper-', pid: 16523, cpu: 0, flags: '...1.', tsUs: 1031789261, event: 'tlb_flush', line: 22 });
    expect(e.data).toEqual({ kind: 'tlb_flush', reason: 4, reasonName: 'TLB_REMOTE_SEND_IPI', pages: 8 });
  });

  it('types the IPI, csd, marker and sched_switch events', () => {
    const kinds = t.events.map((e) => e.data.kind);
    expect(kinds.filter((k) => k === 'print')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'tlb_flush')).toHaveLength(3);
    expect(t.events.find((e) => e.data.kind === 'ipi_send')!.data).toEqual({
      kind: 'ipi_send', targets: [1], callsite: 'on_each_cpu_cond_mask+0x20/0x60', callback: 'generic_smp_call_function_single_interrupt+0x0/0x10',
    });
    const csd = t.events.filter((e) => e.data.kind === 'csd_function_entry').map((e) => [e.cpu, e.flags, e.data]);
    expect(csd).toEqual([
      [0, 'd..2.', { kind: 'csd_function_entry', func: 'flush_tlb_func', csd: '0000000000000000' }],
      [1, 'd.h..', { kind: 'csd_function_entry', func: 'flush_tlb_func', csd: '00000000d62d0cbd' }],
    ]);
    expect(t.events.find((e) => e.data.kind === 'print')!.data).toEqual({ kind: 'print', text: 'tlbsim-measure it=2 op=munmap end tids=16523,16529' });
    expect(t.events.at(-1)!).toMatchObject({ comm: '<...>', pid: 16509 });
    expect(t.events.at(-1)!.data).toEqual({ kind: 'sched_switch', prevComm: 'node', prevPid: 16509, prevState: 'R', nextComm: 'measure-helper-', nextPid: 16523 });
  });
});

describe('parseTrace on the format variants', () => {
  const t = parseTrace(fixture('variants.trace'));

  it('reads the tgid column, lines without flags and comms with spaces', () => {
    expect(t.events.map((e) => [e.comm, e.pid, e.cpu, e.flags])).toEqual([
      ['bash', 1977, 1, 'd..1.'],
      ['kworker/u8:1', 88, 0, '...2.'],
      ['node', 17478, 0, ''],
      ['node (vitest 1)', 17500, 1, 'd.h1.'],
      ['<idle>', 0, 1, 'dNh2.'],
    ]);
  });

  it('expands a cpumask list, prints TLB_FLUSH_ALL as -1 and keeps unknown events as other', () => {
    expect(t.events[1].data).toMatchObject({ kind: 'ipi_send', targets: [0, 1, 3], callback: 'generic_smp_call_function_interrupt+0x0/0x20' });
    expect(t.events[0].data).toMatchObject({ reason: 0, reasonName: 'TLB_FLUSH_ON_TASK_SWITCH', pages: -1 });
    expect(t.events[3].data).toMatchObject({ reason: 5, reasonName: 'TLB_REMOTE_WRONG_CPU', pages: 0 });
    expect(t.events[4]).toMatchObject({ event: 'sys_enter_openat', fields: 'dfd: 0xffffff9c, filename: 0x7ffd, flags: 0x80000, mode: 0x0', data: { kind: 'other' } });
  });

  it('reports lost events and lines it cannot read, by line number', () => {
    expect(t.lost).toEqual([{ cpu: 1, count: 42, line: 6 }]);
    expect(t.unparsed).toEqual([10]);
  });
});

describe('parseLine and parseCpuList', () => {
  it('returns undefined for a comment and a malformed tlb_flush is other', () => {
    expect(parseLine('# tracer: nop')).toBeUndefined();
    expect(parseLine('  a-1 [000] .... 1.000001: tlb_flush: pages:x')!.data).toEqual({ kind: 'other' });
  });
  it('reads ranges and singles, and gives nothing for text that is not a list', () => {
    expect(parseCpuList('0-2,5,7-8')).toEqual([0, 1, 2, 5, 7, 8]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList('ff')).toEqual([]);
  });
});
