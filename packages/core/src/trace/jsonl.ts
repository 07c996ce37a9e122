import type { TraceEvent } from './events.js';

/** One event as its JSONL line (with the newline): {arch, ts (ns), cpu, name, cat, dur?, args?}. */
export function jsonlLine(arch: string, e: TraceEvent): string {
  return JSON.stringify({ arch, ts: e.ts, cpu: e.cpu, name: e.name, cat: e.cat, ...(e.dur !== undefined ? { dur: e.dur } : {}), ...(e.args ? { args: e.args } : {}) }) + '\n';
}

/** One JSON object per line: {arch, ts (ns), cpu, name, cat, args}. */
export function toJsonl(runs: readonly { arch: string; events: readonly TraceEvent[] }[]): string {
  let out = '';
  for (const r of runs) for (const e of r.events) out += jsonlLine(r.arch, e);
  return out;
}
