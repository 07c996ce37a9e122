/**
 * What a metrics table shows, as perf stat chooses it: `-e LIST` selects rows by name or glob,
 * rows that are zero in every column are hidden unless `--all`, `-A` gives a column per CPU, and
 * `--baseline VARIANT` prints the other columns as ratios to one of them.
 */
import { didYouMean } from '@tlbsim/core';
import { UsageError } from '../errors.js';
import type { Cell, Grid } from './grid.js';

export interface View {
  /** -e patterns, one per name (the comma-separated lists split) */
  metrics: string[];
  all: boolean;
  perCpu: boolean;
  /** the --baseline column, as given */
  baseline?: string;
}

export const DEFAULT_VIEW: View = { metrics: [], all: false, perCpu: false };

/** -e values: comma-separated names or globs (`*` any run of characters, `?` one). */
export function parseMetricPatterns(given: readonly string[]): string[] {
  const out: string[] = [];
  for (const g of given) {
    for (const p of g.split(',').map((s) => s.trim())) {
      if (!p) throw new UsageError(`-e/--metrics ${g}: an empty name in the list (names are separated by single commas)`);
      out.push(p);
    }
  }
  return out;
}

const isGlob = (p: string) => /[*?]/.test(p);
const globRe = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** Whether row `key` is one `pattern` names: the name, a glob, or a group (`counters` for counters.*). */
function matches(pattern: string, key: string): boolean {
  if (isGlob(pattern)) return globRe(pattern).test(key);
  return key === pattern || key.startsWith(`${pattern}.`);
}

/**
 * The rows -e selects, in the order of the patterns (each row once); a pattern must name a row
 * the run produced or a metric the registry knows (`known`), else it is a typo.
 */
export function selectRows(keys: readonly string[], patterns: readonly string[], known: (key: string) => boolean): { keys: string[]; named: Set<string> } {
  if (!patterns.length) return { keys: [...keys], named: new Set() };
  const out: string[] = [];
  const named = new Set<string>();
  for (const p of patterns) {
    const hit = keys.filter((k) => matches(p, k));
    if (!hit.length) {
      // a metric no variant of this run produces: an explicit name is shown (as "-"), a glob not
      if (!isGlob(p) && known(p)) {
        hit.push(p);
      } else {
        throw new UsageError(`-e/--metrics: no row matches "${p}"${didYouMean(p, keys)}; this run's rows: ${keys.join(', ')}`);
      }
    }
    for (const k of hit) {
      if (!isGlob(p) && k === p) named.add(k);
      if (!out.includes(k)) out.push(k);
    }
  }
  return { keys: out, named };
}

const nothing = (c: Cell) => c === undefined || c === 0;

/**
 * The rows of `g` that are not zero (or absent) in every column, keeping the ones in `keep`;
 * and how many were hidden.
 */
export function hideZeroRows(g: Grid, keep: ReadonlySet<string>): { grid: Grid; hidden: number } {
  const rows = g.rows.filter((r) => keep.has(r[0] as string) || !r.slice(1).every(nothing));
  return { grid: { header: g.header, rows }, hidden: g.rows.length - rows.length };
}

/** The column --baseline names: a column's header (the --arch SPEC), or an architecture with one column. */
export function baselineColumn(ids: readonly string[], given: string): number {
  const exact = ids.indexOf(given);
  if (exact >= 0) return exact;
  const byArch = ids.map((id, i) => [id.split(':')[0], i] as const).filter(([a]) => a === given);
  if (byArch.length === 1) return byArch[0][1];
  if (byArch.length > 1) throw new UsageError(`--baseline ${given}: ${byArch.length} columns run ${given} (${byArch.map(([, i]) => ids[i]).join(', ')}): name one`);
  throw new UsageError(`--baseline ${given}: no such column${didYouMean(given, ids)}; the columns: ${ids.join(', ')}`);
}

/**
 * The cell of a column against the baseline's: `1.50x` (its ratio); where the baseline has none
 * (zero or not produced), `+N` when it has some and `=0` when it has none either; `-` where it
 * does not produce the metric. `numeric` gives the bare ratio (csv; empty without one).
 */
export function ratioCell(v: Cell, base: Cell, numeric: boolean): Cell {
  if (typeof v !== 'number') return undefined;
  if (typeof base !== 'number' || base === 0) return numeric ? undefined : v === 0 ? '=0' : `+${v}`;
  const r = v / base;
  return numeric ? Math.round(r * 10000) / 10000 : `${r.toFixed(2)}x`;
}

/** `g` with every value column but `col` (1-based, in the grid) as its ratio to column `col`. */
export function ratioGrid(g: Grid, col: number, numeric: boolean): Grid {
  return {
    header: g.header.map((h, i) => (i === 0 || i === col ? h : `${h}/${g.header[col]}`)),
    rows: g.rows.map((r) => r.map((c, i) => (i === 0 || i === col ? c : ratioCell(c, r[col], numeric)))),
  };
}
