import type { TraceEvent } from './events.js';

interface ChromeEvent {
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

/**
 * Chrome/Perfetto trace-event JSON (core SPEC.md §4): one process per architecture run, one
 * track (thread) per CPU, slices for IPI sends and handlers joined by flow arrows, instants for
 * flushes and violations. Timestamps in microseconds.
 */
export function toPerfetto(runs: readonly { label: string; nrCpus: number; events: readonly TraceEvent[] }[]): { traceEvents: ChromeEvent[]; displayTimeUnit: string } {
  const out: ChromeEvent[] = [];
  runs.forEach((r, k) => {
    const pid = k + 1;
    out.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: r.label } });
    out.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: pid } });
    for (let c = 0; c < r.nrCpus; c++) out.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: c, args: { name: `CPU ${c}` } });
    for (const e of r.events) {
      const ts = e.ts / 1000;
      const base = { name: e.name, cat: e.cat, pid, tid: e.cpu, ...(e.args ? { args: e.args } : {}) };
      if (e.flowOut) {
        out.push({ ...base, ph: 'X', ts, dur: 0.5 });
        out.push({ name: 'ipi', cat: 'ipi', ph: 's', ts, pid, tid: e.cpu, id: e.flowOut });
      } else if (e.flowIn) {
        out.push({ ...base, ph: 'X', ts, dur: 0.2 });
        out.push({ name: 'ipi', cat: 'ipi', ph: 'f', bp: 'e', ts, pid, tid: e.cpu, id: e.flowIn });
      } else if (e.dur !== undefined) {
        out.push({ ...base, ph: 'X', ts, dur: e.dur / 1000 });
      } else {
        out.push({ ...base, ph: 'i', ts, s: e.name === 'violation' ? 'g' : 't' });
      }
    }
  });
  return { traceEvents: out, displayTimeUnit: 'ns' };
}
