/**
 * The sweep's charts: Vega-Lite specifications rendered to SVG headless by Vega's own SVG
 * renderer (View.toSVG, no canvas, no browser): one line per architecture variant that produces
 * the metric, markers and dashes that tell overlapping lines apart, variants with the very same
 * values drawn once under their joined names, integer axes with units, and the metric's
 * definition from the registry under the chart. No scripts and no external resources, so a
 * chart embeds in the HTML report as it is. Same inputs, same bytes.
 */
import type { TopLevelSpec } from 'vega-lite';
import { brief, metricOf } from './metrics-registry.js';

export interface Series {
  name: string;
  /** y per x index; undefined: no value */
  values: (number | undefined)[];
}

export interface ChartInput {
  title: string;
  metric: string;
  /** the swept parameter and what it counts (the workload's description of it) */
  xKey: string;
  xWhat?: string;
  x: (string | number)[];
  series: Series[];
}

/** colour-blind-safe (Okabe-Ito), with a dash pattern and a marker shape per line */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES = [[1, 0], [7, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 3], [12, 2], [6, 2, 2, 2]];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];
/** each later line's markers smaller: where lines meet, every marker still shows around the one drawn over it */
const SIZES = [170, 95, 45, 20, 12, 8, 6, 4];
const WIDTH = 560;

/** Variants with identical values at every point become one line named `a = b = c`: nothing hides another. */
export function mergeIdentical(series: readonly Series[]): Series[] {
  const out: { names: string[]; values: Series['values'] }[] = [];
  for (const s of series) {
    const same = out.find((o) => o.values.length === s.values.length && o.values.every((v, i) => v === s.values[i]));
    if (same) same.names.push(s.name);
    else out.push({ names: [s.name], values: s.values });
  }
  return out.map((o) => ({ name: o.names.join(' = '), values: o.values }));
}

/** Only the variants that produce the metric: a value at some point of the sweep. */
export function producing(series: readonly Series[]): Series[] {
  return series.filter((s) => s.values.some((v) => v !== undefined));
}

/** Text broken into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const isNumeric = (xs: readonly (string | number)[]) => xs.every((v) => typeof v === 'number' || (v.trim() !== '' && Number.isFinite(Number(v))));

/** The Vega-Lite specification of one chart (exported for the tests). */
export function chartSpec(c: ChartInput): TopLevelSpec {
  const def = metricOf(c.metric);
  const unit = def?.unit ?? 'count';
  const lines = mergeIdentical(producing(c.series));
  const numeric = isNumeric(c.x);
  const xs = c.x.map(Number);
  const log = numeric && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 32;
  // `point`: each marker's accessible name (aria-label in the SVG), what a reader or a test reads back
  const values = lines.flatMap((s) => s.values.flatMap((y, i) => (y === undefined ? [] : [{ x: numeric ? xs[i] : String(c.x[i]), y, variant: s.name, point: `${s.name}: ${c.xKey}=${c.x[i]} → ${y}` }])));
  const yMax = Math.max(0, ...values.map((v) => v.y));
  const names = lines.map((s) => s.name);
  const xTitle = wrap(`${c.xKey}${c.xWhat ? `: ${c.xWhat}` : ''}${log ? ' (log scale)' : ''}`, 90);
  const x = numeric
    ? { field: 'x', type: 'quantitative' as const, title: xTitle, scale: log ? { type: 'log' as const, base: 2, padding: 16 } : { zero: false, nice: false, padding: 16 }, axis: { values: [...new Set(xs)], format: Number.isInteger(xs[0]) ? 'd' : '', labelFlush: false, grid: false } }
    : { field: 'x', type: 'ordinal' as const, title: xTitle, sort: c.x.map(String), axis: { labelAngle: 0 } };
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    // the unit (the chart's title names the metric): a long rotated title would push the plot down
    title: unit,
    scale: { zero: true, domainMin: 0, domainMax: Math.max(1, yMax), padding: 10 },
    // counts: integer ticks only (no 0.2 IPIs), millions as M/G
    axis: { tickMinStep: 1, format: yMax >= 1_000_000 ? '~s' : ',d' },
  };
  const variant = { field: 'variant', type: 'nominal' as const, title: 'architecture', sort: names };
  const definition = def ? wrap(`${c.metric}: ${brief(def)} [${unit}]`, 88) : [`${c.metric}: no definition in the metric registry`];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: c.title, anchor: 'start', fontSize: 15 },
    background: '#ffffff',
    padding: 12,
    config: { font: 'sans-serif', view: { stroke: '#dddddd' }, axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' }, legend: { orient: 'top', direction: 'horizontal', labelFontSize: 12, titleFontSize: 12, symbolStrokeWidth: 0, symbolSize: 120, labelLimit: 400, columns: 3 } },
    vconcat: [
      {
        width: WIDTH,
        height: 300,
        title: { text: definition, orient: 'bottom', anchor: 'start', fontSize: 11, fontWeight: 'normal', color: '#444444', offset: 14 },
        data: { values },
        encoding: {
          x,
          y,
          color: { ...variant, scale: { domain: names, range: COLORS } },
        },
        layer: [
          { mark: { type: 'line', strokeWidth: 2, aria: false }, encoding: { strokeDash: { ...variant, scale: { domain: names, range: DASHES } } } },
          {
            mark: { type: 'point', filled: true, opacity: 1 },
            encoding: { shape: { ...variant, scale: { domain: names, range: SHAPES } }, size: { ...variant, scale: { domain: names, range: SIZES.slice(0, Math.max(2, names.length)) } }, description: { field: 'point' } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let libs: Promise<[Vega, VegaLite]> | undefined;

/** The chart as a standalone SVG document (a trailing newline). */
export async function chartSvg(c: ChartInput): Promise<string> {
  // loaded on first use: the libraries cost a few hundred milliseconds to load, most commands draw nothing
  libs ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vl] = await libs;
  // text widths by Vega's estimate, never by a `canvas` package that may happen to be installed:
  // the layout (and so the bytes) must not depend on the machine
  // (vega-scenegraph's textMetrics: exported at run time, not in vega's typings)
  (vega as unknown as { textMetrics: { canvas(use: boolean): void } }).textMetrics.canvas(false);
  const view = new vega.View(vega.parse(vl.compile(chartSpec(c)).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg.replace('<svg ', `<svg role="img" aria-label="${escAttr(c.title)}" `) + '\n';
  } finally {
    view.finalize();
  }
}

/** escape text for XML/HTML content and attributes */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escAttr = esc;
