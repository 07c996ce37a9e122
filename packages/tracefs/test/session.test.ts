import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceSession, TracefsError, normalize } from '../src/index.js';

/** A directory laid out like tracefs, with the values a fresh boot shows. */
function fakeTracefs(): string {
  const root = mkdtempSync(join(tmpdir(), 'tracefs-'));
  const files: Record<string, string> = {
    tracing_on: '1\n',
    current_tracer: 'function\n',
    trace_clock: '[local] global counter uptime perf mono\n',
    buffer_size_kb: '7 (expanded: 1408)\n',
    trace: '# tracer: nop\n',
    trace_marker: '',
    'events/tlb/tlb_flush/enable': '0\n',
    'events/tlb/tlb_flush/filter': 'none\n',
    'events/sched/sched_switch/enable': '0\n',
    'events/sched/sched_switch/filter': 'prev_pid == 1\n',
  };
  for (const [f, v] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), v);
  }
  mkdirSync(join(root, 'instances'));
  return root;
}
const read = (root: string, f: string) => readFileSync(join(root, f), 'utf8');

describe('TraceSession at the top level', () => {
  it('sets what it is asked and restores every file it changed on close', () => {
    const root = fakeTracefs();
    const s = TraceSession.open({
      root, instance: null, bufferSizeKb: 8192, clock: 'mono',
      events: [{ name: 'tlb/tlb_flush', filter: 'common_pid == 42' }, { name: 'sched/sched_switch' }],
    });
    expect(s.dir).toBe(root);
    expect([read(root, 'tracing_on'), read(root, 'current_tracer'), read(root, 'trace_clock'), read(root, 'buffer_size_kb')]).toEqual(['0', 'nop', 'mono', '8192']);
    expect(read(root, 'events/tlb/tlb_flush/filter')).toBe('common_pid == 42');
    expect(read(root, 'events/tlb/tlb_flush/enable')).toBe('1');
    expect(read(root, 'trace')).toBe(''); // cleared
    s.start();
    expect(read(root, 'tracing_on')).toBe('1');
    s.mark('hello');
    expect(read(root, 'trace_marker')).toBe('hello\n');
    s.close();
    expect(read(root, 'tracing_on')).toBe('1');
    expect(read(root, 'current_tracer')).toBe('function');
    expect(read(root, 'trace_clock')).toBe('local');
    expect(read(root, 'buffer_size_kb')).toBe('1408');
    expect(read(root, 'events/tlb/tlb_flush/enable')).toBe('0');
    expect(read(root, 'events/tlb/tlb_flush/filter')).toBe('0');
    expect(read(root, 'events/sched/sched_switch/enable')).toBe('0');
    expect(read(root, 'events/sched/sched_switch/filter')).toBe('prev_pid == 1\n'); // never written
    s.close(); // idempotent
    expect(read(root, 'tracing_on')).toBe('1');
  });

  it('refuses an absent tracepoint and restores what it had already changed', () => {
    const root = fakeTracefs();
    expect(() => TraceSession.open({ root, instance: null, events: [{ name: 'tlb/tlb_flush' }, { name: 'ipi/ipi_send_cpu' }] })).toThrow(
      new TracefsError(`tracepoint ipi/ipi_send_cpu is absent (${join(root, 'events/ipi/ipi_send_cpu')})`),
    );
    expect([read(root, 'tracing_on'), read(root, 'current_tracer'), read(root, 'events/tlb/tlb_flush/enable')]).toEqual(['1', 'function', '0']);
  });
});

describe('TraceSession.pipe', () => {
  it('passes what trace_pipe gives to the callback, and stop() resolves once the reader is gone', async () => {
    const root = fakeTracefs();
    writeFileSync(join(root, 'trace_pipe'), 'a-1 [000] ...1. 1.000001: tracing_mark_write: one\n');
    const s = TraceSession.open({ root, instance: null, events: [] });
    let text = '';
    const p = s.pipe((t) => (text += t));
    await p.stop();
    s.close();
    expect(text).toBe('a-1 [000] ...1. 1.000001: tracing_mark_write: one\n');
  });
});

describe('TraceSession in its own instance', () => {
  it('removes the instance it created when setting it up fails, never touching the top level', () => {
    const root = fakeTracefs();
    const inst = join(root, 'instances', 'probe');
    // the kernel fills a new instance directory; here it stays empty, so the first read fails
    expect(() => TraceSession.open({ root, instance: 'probe', events: [{ name: 'tlb/tlb_flush' }] })).toThrow(/cannot (read|write)/);
    expect(existsSync(inst)).toBe(false); // removed again after the failure
    expect(read(root, 'tracing_on')).toBe('1\n');
  });

  it('refuses an instance name that already exists', () => {
    const root = fakeTracefs();
    mkdirSync(join(root, 'instances', 'busy'));
    expect(() => TraceSession.open({ root, instance: 'busy', events: [] })).toThrow(
      new TracefsError(`tracing instance ${join(root, 'instances', 'busy')} already exists (another session?)`),
    );
    expect(existsSync(join(root, 'instances', 'busy'))).toBe(true);
  });
});

describe('normalize', () => {
  it('turns what tracefs shows into what to write back', () => {
    expect(normalize('buffer_size_kb', '7 (expanded: 1408)')).toBe('1408');
    expect(normalize('buffer_size_kb', '4096')).toBe('4096');
    expect(normalize('trace_clock', 'local [mono] global')).toBe('mono');
    expect(normalize('events/tlb/tlb_flush/filter', 'none')).toBe('0');
    expect(normalize('current_tracer', 'nop ')).toBe('nop');
  });
});
