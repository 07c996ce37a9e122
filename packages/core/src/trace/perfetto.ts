import type { TraceEvent } from './events.js';

export interface ChromeEvent {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

/** The metadata events that open one architecture run: its process (named `label`) and a track per CPU. */
export function perfettoProcess(label: string, pid: number, nrCpus: number): ChromeEvent[] {
  const out: ChromeEvent[] = [
    { name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: label } },
    { name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: pid } },
  ];
  for (let c = 0; c < nrCpus; c++) out.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: c, args: { name: `CPU ${c}` } });
  return out;
}

/** The Chrome events of one trace event of process `pid` (a slice and its flow end for an IPI). */
export function perfettoEvents(e: TraceEvent, pid: number): ChromeEvent[] {
  const ts = e.ts / 1000;
  const base = { name: e.name, cat: e.cat, pid, tid: e.cpu, ...(e.args ? { args: e.args } : {}) };
  if (e.flowOut) return [{ ...base, ph: 'X', ts, dur: 0.5 }, { name: 'ipi', cat: 'ipi', ph: 's', ts, pid, tid: e.cpu, id: e.flowOut }];
  if (e.flowIn) return [{ ...base, ph: 'X', ts, dur: 0.2 }, { name: 'ipi', cat: 'ipi', ph: 'f', bp: 'e', ts, pid, tid: e.cpu, id: e.flowIn }];
  if (e.dur !== undefined) return [{ ...base, ph: 'X', ts, dur: e.dur / 1000 }];
  return [{ ...base, ph: 'i', ts, s: e.name === 'violation' ? 'g' : 't' }];
}

/**
 * The document's text around its events, for writing it piece by piece: `head`, the events'
 * JSON joined by commas, `tail`. The same bytes as JSON.stringify of toPerfetto's document, plus
 * a `metadata` object (the trace-event format's place for facts about the trace) when given.
 */
export const PERFETTO_HEAD = '{"traceEvents":[';
export function perfettoTail(metadata?: Record<string, unknown>): string {
  return `],"displayTimeUnit":"ns"${metadata ? `,"metadata":${JSON.stringify(metadata)}` : ''}}\n`;
}

/**
 * Chrome/Perfetto trace-event JSON (core SPEC.md §4): one process per architecture run, one
 * track (thread) per CPU, slices for IPI sends and handlers joined by flow arrows, instants for
 * flushes and violations. Timestamps in microseconds.
 */
export function toPerfetto(runs: readonly { label: string; nrCpus: number; events: readonly TraceEvent[] }[]): { traceEvents: ChromeEvent[]; displayTimeUnit: string } {
  const out: ChromeEvent[] = [];
  runs.forEach((r, k) => {
    const pid = k + 1;
    out.push(...perfettoProcess(r.label, pid, r.nrCpus));
    for (const e of r.events) out.push(...perfettoEvents(e, pid));
  });
  return { traceEvents: out, displayTimeUnit: 'ns' };
}
