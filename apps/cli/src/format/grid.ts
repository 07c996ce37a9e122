import { painters, useColor } from './color.js';

/** A table of cells: the first column holds row names, the rest values (numbers or text). */
export type Cell = string | number | boolean | undefined;
export interface Grid {
  header: string[];
  rows: Cell[][];
  /** each column's alignment; by default numbers right, names and text left */
  align?: readonly ('left' | 'right')[];
}

/** The alignment of each column: given, or right for a column of numbers (the first column holds names). */
function alignment(g: Grid): readonly ('left' | 'right')[] {
  return g.align ?? g.header.map((_, i) => (i > 0 && g.rows.every((r) => typeof r[i] !== 'string') ? 'right' : 'left'));
}

export interface Style {
  color: boolean;
}

// colour on or off for one output: picocolors' painters (the identity when off)
export const bold = (on: boolean, s: string) => painters(on).bold(s);
export const dim = (on: boolean, s: string) => painters(on).dim(s);
export const red = (on: boolean, s: string) => painters(on).red(s);
export const green = (on: boolean, s: string) => painters(on).green(s);
export const cyan = (on: boolean, s: string) => painters(on).cyan(s);
export { useColor };

const text = (c: Cell): string => (c === undefined ? '-' : String(c));

/**
 * An aligned plain-text table: names left, numbers right. `hot(row, col)` marks cells to paint red
 * (violations).
 */
export function renderTable(g: Grid, s: Style, hot: (row: Cell[], col: number) => boolean = () => false): string {
  const widths = g.header.map((h, i) => Math.max(h.length, ...g.rows.map((r) => text(r[i]).length)));
  // a column of numbers is right-aligned (header too); names and text are left-aligned
  const right = alignment(g).map((a) => a === 'right');
  const pad = (v: string, i: number) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]));
  const lines: string[] = [];
  lines.push(g.header.map((h, i) => bold(s.color, pad(h, i))).join('  ').trimEnd());
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of g.rows) {
    const cells = r.map((c, i) => {
      const t = pad(text(c), i);
      if (i === 0) return t;
      if (c === undefined) return dim(s.color, t);
      return hot(r, i) ? red(s.color, t) : t;
    });
    lines.push(cells.join('  ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

/** A markdown table aligned as the text table: numbers right, names and text left. */
export function renderMarkdown(g: Grid): string {
  const align = alignment(g);
  const lines = [
    `| ${g.header.map(mdEscape).join(' | ')} |`,
    `|${align.map((a) => (a === 'left' ? ' --- ' : ' ---: ')).join('|')}|`,
    ...g.rows.map((r) => `| ${r.map((c) => mdEscape(text(c))).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(c: Cell): string {
  const s = c === undefined ? '' : String(c);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(g: Grid): string {
  return [g.header, ...g.rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
