/**
 * The metrics table of compare, run and replay in table, csv and markdown form: one column per
 * variant (or, with -A, per CPU), one row per metric, shaped by the view (format/views.ts).
 */
import type { CpuMetrics } from '@tlbsim/core';
import type { VariantRun } from './engine.js';
import { renderCsv, renderMarkdown, renderTable, useColor, type Cell, type Grid } from './format/grid.js';
import { baselineColumn, DEFAULT_VIEW, hideZeroRows, ratioGrid, selectRows, type View } from './format/views.js';
import { brief, legendLines, metricOf } from './metrics-registry.js';
import { metricKeys, metricValue } from './report-data.js';

export type GridFormat = 'table' | 'csv' | 'markdown';

export interface GridOptions {
  /** the workload's `pages`, to say how much memory they are on each architecture */
  pages?: number;
  view?: View;
  /** leading csv columns saying what ran (the workload and its parameters) */
  context?: [string, Cell][];
}

/** The metrics of every run side by side: one row per metric, one column per variant. */
export function metricsGrid(runs: readonly VariantRun[], keys: readonly string[] = metricKeys(runs.map((r) => r.result))): Grid {
  return {
    header: ['metric', ...runs.map((r) => r.variant.id)],
    rows: keys.map((k) => [k, ...runs.map((r) => metricValue(r.result, k))]),
  };
}

/** The per-CPU rows, named as the totals they add up to. */
function cpuValue(c: CpuMetrics, key: string): number | undefined {
  if (key === 'ipis') return c.ipisReceived;
  if (key === 'firmwareIpis') return c.firmwareIpisReceived;
  if (key === 'fullFlushes') return c.fullFlushes;
  if (key === 'rangedFlushes') return c.rangedFlushes;
  if (key.startsWith('tlbInstructions.')) return c.instructions[key.slice(16)] ?? 0;
  if (key.startsWith('counters.')) return c.counters[key.slice(9)];
  return undefined;
}

function cpuKeys(r: VariantRun): string[] {
  const instr = new Set<string>();
  const counters = new Set<string>();
  for (const c of r.result.cpus) {
    for (const k of Object.keys(c.instructions)) instr.add(k);
    for (const k of Object.keys(c.counters)) counters.add(k);
  }
  return ['ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', ...[...instr].sort().map((k) => `tlbInstructions.${k}`), ...[...counters].sort().map((k) => `counters.${k}`)];
}

/** -A: one run's counts per CPU, a column per CPU. */
export function perCpuGrid(r: VariantRun, keys: readonly string[] = cpuKeys(r)): Grid {
  return {
    header: ['metric', ...r.result.cpus.map((c) => `CPU${c.cpu}`)],
    rows: keys.map((k) => [k, ...r.result.cpus.map((c) => cpuValue(c, k))]),
  };
}

const known = (k: string) => metricOf(k) !== undefined;

/** Columns of numbers (and ratios) right-aligned, names and text left. */
function alignOf(g: Grid): ('left' | 'right')[] {
  return g.header.map((_, i) => (i > 0 && g.rows.every((r) => typeof r[i] !== 'string' || /^(\d+(\.\d+)?x|=0|\+\d+)$/.test(r[i] as string)) ? 'right' : 'left'));
}

/** A grid shaped by the view: -e rows, zero rows hidden (not in csv), --baseline ratios. */
function shape(g: Grid, view: View, csv: boolean, named: ReadonlySet<string>, base: number): { grid: Grid; hidden: number } {
  let hidden = 0;
  let grid = g;
  if (!csv && !view.all) ({ grid, hidden } = hideZeroRows(grid, named));
  if (base > 0) grid = ratioGrid(grid, base, csv);
  return { grid: { ...grid, align: alignOf(grid) }, hidden };
}

const hiddenNote = (n: number) => (n ? `(${n} row${n === 1 ? '' : 's'} zero in every column not shown: --all shows ${n === 1 ? 'it' : 'them'})\n` : '');

/** The metrics grid of runs under a title, with the variants' legend: table, csv or markdown. */
export function formatGrid(title: string, runs: readonly VariantRun[], format: GridFormat, o: GridOptions = {}): string {
  const view = o.view ?? DEFAULT_VIEW;
  if (view.perCpu) return formatPerCpu(title, runs, format, view, o.context ?? []);
  const sel = selectRows(metricKeys(runs.map((r) => r.result)), view.metrics, known);
  const base = view.baseline === undefined ? 0 : baselineColumn(runs.map((r) => r.variant.id), view.baseline) + 1;
  const { grid: g, hidden } = shape(metricsGrid(runs, sel.keys), view, format === 'csv', sel.named, base);
  if (format === 'csv') return renderCsv(withContext(g, o.context ?? []));
  const pages = o.pages;
  const legend = runs.map((r) => [r.variant.id, `${r.result.label}; base page ${bytes(r.pageSize)}${pages === undefined ? '' : `: pages=${pages} is ${bytes(pages * r.pageSize)}`}`] as const);
  const ratios = base ? `ratios to ${runs[base - 1].variant.id}: 2.00x is twice its count, +N a count where it has none, =0 none in either\n` : '';
  if (format === 'markdown') {
    const rows = g.rows.map((r) => r[0] as string).flatMap((k) => {
      const d = metricOf(k);
      return d ? [`- \`${k}\` (${d.unit}): ${brief(d)}`] : [];
    });
    return `### ${title}\n\n${renderMarkdown(g)}\n${hiddenNote(hidden)}${ratios}${hidden || ratios ? '\n' : ''}${legend.map(([id, l]) => `- \`${id}\`: ${l}`).join('\n')}\n\nRows:\n\n${rows.join('\n')}\n`;
  }
  const color = useColor(process.stdout);
  const w = Math.max(...legend.map(([id]) => id.length));
  const rows = legendLines(g.rows.map((r) => r[0] as string));
  const setup = setupLines(runs);
  return `${title}\n\n${renderTable(g, { color }, (row, col) => row[0] === 'violations' && typeof row[col] === 'number' && (row[col] as number) > 0)}${hiddenNote(hidden)}${ratios}\n${legend.map(([id, l]) => `${id.padEnd(w)}  ${l}`).join('\n')}${setup.length ? `\n\nsetup, not in the totals (each thread's first switch onto its CPU; --include-setup adds it):\n${setup.map((l) => `  ${l}`).join('\n')}` : ''}\n\nrows (tlbsim metrics KEY for the full definition):\n${rows.map((l) => `  ${l}`).join('\n')}\n`;
}

/** csv: the columns saying what ran, on every row. */
function withContext(g: Grid, context: readonly [string, Cell][]): Grid {
  if (!context.length) return g;
  return { header: [...context.map(([k]) => k), ...g.header], rows: g.rows.map((r) => [...context.map(([, v]) => v), ...r]) };
}

const PER_CPU_NOTE = 'per CPU: ipis and firmwareIpis are the interrupts the CPU took; flushes and tlbInstructions what it executed';

/** -A: a table per variant, a column per CPU (csv: one row per variant and metric). */
function formatPerCpu(title: string, runs: readonly VariantRun[], format: GridFormat, view: View, context: readonly [string, Cell][]): string {
  const all = [...new Set(runs.flatMap(cpuKeys))];
  const sel = selectRows(all, view.metrics, known);
  const grids = runs.map((r) => shape(perCpuGrid(r, sel.keys.filter((k) => cpuKeys(r).includes(k) || sel.named.has(k))), view, format === 'csv', sel.named, 0));
  if (format === 'csv') {
    const cpus = Math.max(...runs.map((r) => r.result.cpus.length));
    const header = [...context.map(([k]) => k), 'variant', 'metric', ...Array.from({ length: cpus }, (_, i) => `CPU${i}`)];
    const rows = grids.flatMap(({ grid }, i) => grid.rows.map((row) => [...context.map(([, v]) => v), runs[i].variant.id, ...row]));
    return renderCsv({ header, rows });
  }
  const color = useColor(process.stdout);
  const parts = grids.map(({ grid, hidden }, i) => {
    const r = runs[i];
    if (format === 'markdown') return `#### ${r.variant.id}: ${r.result.label}\n\n${renderMarkdown(grid)}\n${hiddenNote(hidden)}`;
    return `${r.variant.id}  ${r.result.label}\n${renderTable(grid, { color })}${hiddenNote(hidden)}`;
  });
  const shown = [...new Set(grids.flatMap(({ grid }) => grid.rows.map((row) => row[0] as string)))];
  if (format === 'markdown') return `### ${title}, per CPU\n\n${parts.join('\n')}\n${PER_CPU_NOTE}.\n`;
  return `${title}, per CPU\n\n${parts.join('\n')}\n${PER_CPU_NOTE}.\n\nrows (tlbsim metrics KEY for the full definition):\n${legendLines(shown).map((l) => `  ${l}`).join('\n')}\n`;
}

/** 4096 -> "4 KiB" */
export function bytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} B`;
}

/** What each variant's setup cost, as `x86: fullFlushes 2, tlbInstructions.CR3 write 2`; nothing when it cost nothing. */
export function setupLines(runs: readonly VariantRun[]): string[] {
  const out: string[] = [];
  const w = Math.max(0, ...runs.map((r) => r.variant.id.length));
  for (const r of runs) {
    const m = r.result.setup.metrics;
    const parts: string[] = [];
    for (const k of ['flushes', 'ipis', 'firmwareIpis', 'fullFlushes', 'rangedFlushes', 'estimatedNs'] as const) if (m[k]) parts.push(`${k} ${m[k]}`);
    for (const [k, v] of Object.entries(m.tlbInstructions)) if (v) parts.push(`tlbInstructions.${k} ${v}`);
    const counters = new Map<string, number>();
    for (const c of r.result.setup.cpus) for (const [k, v] of Object.entries(c.counters)) counters.set(k, (counters.get(k) ?? 0) + v);
    for (const [k, v] of [...counters].sort()) if (v) parts.push(`counters.${k} ${v}`);
    if (parts.length) out.push(`${r.variant.id.padEnd(w)}  ${parts.join(', ')}`);
  }
  return out;
}
