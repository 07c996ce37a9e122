import type { TraceEvent } from './events.js';

/** One JSON object per line: {arch, ts (ns), cpu, name, cat, args}. */
export function toJsonl(runs: readonly { arch: string; events: readonly TraceEvent[] }[]): string {
  let out = '';
  for (const r of runs) {
    for (const e of r.events) {
      out += JSON.stringify({ arch: r.arch, ts: e.ts, cpu: e.cpu, name: e.name, cat: e.cat, ...(e.dur !== undefined ? { dur: e.dur } : {}), ...(e.args ? { args: e.args } : {}) }) + '\n';
    }
  }
  return out;
}
