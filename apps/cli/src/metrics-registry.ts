/**
 * The metric registry as the command line sees it: core's metrics, every offered backend's
 * counters and instructions, and the workload statistics (hugetlb.*). One source for
 * `tlbsim metrics`, docs/metrics.md, table legends and JSON units.
 */
import { findMetric, metricRegistry, type MetricDef } from '@tlbsim/core';
import { HUGETLB_METRIC_DOCS } from '@tlbsim/hugetlb';
import { ARCH_NAMES, defaultBackend } from './arches.js';

let cached: MetricDef[] | undefined;
export function registry(): MetricDef[] {
  cached ??= metricRegistry(ARCH_NAMES.map(defaultBackend), { hugetlb: HUGETLB_METRIC_DOCS });
  return cached;
}

/** The registry row of a table or JSON key (`ipis`, `counters.interrupts.TLB`, `instructions.INVLPG`). */
export function metricOf(key: string): MetricDef | undefined {
  return findMetric(registry(), key);
}

/** The first clause of a definition, for one-line legends. */
export function brief(d: MetricDef): string {
  const t = d.definition;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && (c === ';' || (c === ':' && t[i + 1] === ' '))) return t.slice(0, i);
  }
  return t;
}

/** `key unit: brief` lines for the rows a table shows (rows the registry lacks are left out). */
export function legendLines(keys: readonly string[]): string[] {
  const rows = keys.map((k) => [k, metricOf(k)] as const).filter((r): r is readonly [string, MetricDef] => r[1] !== undefined);
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, d]) => `${k.padEnd(w)}  ${brief(d)} [${d.unit}]`);
}

/** The unit of every key shown, for JSON results. */
export function unitsOf(keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const d = metricOf(k);
    if (d) out[k] = d.unit;
  }
  return out;
}

const backendsText = (d: MetricDef) => (d.backends === 'all' ? 'all' : d.backends.join(', '));

/** docs/metrics.md (and `tlbsim metrics --format markdown`). */
export function metricsMarkdown(rows: readonly MetricDef[] = registry()): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  let o = '# Metrics\n\n';
  o += 'Every number tlbsim reports, generated from the metric registry (`tlbsim metrics --format markdown`;\n';
  o += 'a test fails when this file is stale). Counts are per run unless the scope says `cpu`; `run+cpu`\n';
  o += 'metrics appear in the totals and in every CPU\'s row (`cpus[]` in JSON). Pages are each\n';
  o += "architecture's base pages (PAGE_SIZE: 4 KiB on x86, 4/16/64 KiB on arm64, 64 KiB or 4 KiB on powerpc).\n\n";
  o += '| metric | unit | scope | backends | definition | kernel counterpart |\n|---|---|---|---|---|---|\n';
  for (const d of rows) o += `| \`${esc(d.key)}\` | ${d.unit} | ${d.scope} | ${backendsText(d)} | ${esc(d.definition)} | ${esc(d.kernel)} |\n`;
  return o;
}

/** `tlbsim metrics` text: one block per metric. */
export function metricsText(rows: readonly MetricDef[], bold: (s: string) => string): string {
  let o = '';
  for (const d of rows) {
    o += `${bold(d.key)}  [${d.unit}; ${d.scope}; ${backendsText(d)}]\n  ${d.definition}\n  kernel: ${d.kernel}\n`;
  }
  return o;
}
