/**
 * MachineOptions.traceSink: the events go to the sink as they happen and the machine keeps none,
 * the same events in the same order as the in-memory path; the formatters' pieces (what the CLI
 * streams) give the bytes of the whole-array formatters.
 */
import { describe, expect, it } from 'vitest';
import {
  FTRACE_HEADER, FTRACE_NO_EVENTS, PERFETTO_HEAD, ftraceLine, generic, jsonlLine, parseScenario, perfettoEvents, perfettoProcess, perfettoTail, runScenario, Machine,
  toFtrace, toJsonl, toPerfetto, type TraceEvent,
} from '../src/index.js';

/** the in-memory trace of the scenario below: 4 operation slices, the munmap's gather (begin, flush hook, finish) and one IPI sent and handled */
const N_EVENTS = 9;
const scenario = `
name: two-thread munmap
machine: { cpus: 2 }
processes:
  - name: A
    threads:
      - { name: t0, cpu: 0 }
      - { name: t1, cpu: 1 }
ops:
  - mmap: { process: A, addr: 0x400000, length: 2M }
  - touch: { thread: t0, addr: 0x400000, pages: 8 }
  - touch: { thread: t1, addr: 0x400000, pages: 8 }
  - munmap: { thread: t0, addr: 0x400000, length: 0x8000 }
`;

describe('MachineOptions.traceSink', () => {
  const s = parseScenario(scenario, 's.yaml');
  const kept = runScenario(s, generic(), { trace: true });
  const streamed: TraceEvent[] = [];
  let m!: Machine;
  const r = runScenario(s, generic(), { traceSink: (e) => streamed.push(e), setup: (mm) => (m = mm) });

  it('the sink gets every event of the in-memory path, in order', () => {
    expect(kept.events!.length).toBe(N_EVENTS);
    expect(streamed).toEqual(kept.events);
  });
  it('the machine keeps none of them (tracing on), and the result has no events', () => {
    expect(m.tracing).toBe(true);
    expect(m.events).toEqual([]);
    expect('events' in r).toBe(false);
  });
  it('a sink turns tracing on even with trace: false', () => {
    const mm = new Machine({ arch: generic(), cpus: 2, trace: false, traceSink: () => undefined });
    expect(mm.tracing).toBe(true);
  });
  it('the metrics do not depend on where the events go', () => {
    expect(r.metrics).toEqual(kept.metrics);
  });
});

describe('the formatters in pieces', () => {
  const r = runScenario(parseScenario(scenario, 's.yaml'), generic(), { trace: true });
  const events = r.events!;
  it('Perfetto: head, the elements joined by commas and the tail are JSON.stringify of toPerfetto', () => {
    const elements = [...perfettoProcess('g: x', 1, 2), ...events.flatMap((e) => perfettoEvents(e, 1)), ...perfettoProcess('h: y', 2, 3), ...events.flatMap((e) => perfettoEvents(e, 2))];
    const whole = JSON.stringify(toPerfetto([{ label: 'g: x', nrCpus: 2, events }, { label: 'h: y', nrCpus: 3, events }])) + '\n';
    expect(PERFETTO_HEAD + elements.map((x) => JSON.stringify(x)).join(',') + perfettoTail()).toBe(whole);
  });
  it('Perfetto: the tail carries metadata when given, and the document stays valid JSON', () => {
    const doc = JSON.parse(PERFETTO_HEAD + perfettoTail({ traceLimit: 5 }));
    expect(doc).toEqual({ traceEvents: [], displayTimeUnit: 'ns', metadata: { traceLimit: 5 } });
  });
  it('JSONL: the lines are toJsonl', () => {
    expect(events.map((e) => jsonlLine('g', e)).join('')).toBe(toJsonl([{ arch: 'g', events }]));
  });
  it('ftrace: header, the lines of the events that have a tracepoint, or the no-event line', () => {
    const lines = events.map((e) => ftraceLine(e)).filter((l) => l !== undefined);
    expect(lines).toEqual([]); // the generic backend has no tlb:tlb_flush
    expect(toFtrace(events)).toBe(FTRACE_HEADER + FTRACE_NO_EVENTS);
    const flush: TraceEvent = { ts: 2_250, cpu: 0, name: 'tlb_flush', cat: 'tlb', args: { pages: 8, reason: 4 }, task: 't0-1000' };
    expect(toFtrace([flush, ...events])).toBe(FTRACE_HEADER + ftraceLine(flush));
  });
});
