/**
 * A small, deterministic SVG line chart: one line per architecture variant, a metric against the
 * swept parameter. No scripts and no external resources, so it embeds in the HTML report as is.
 */
export interface Series {
  name: string;
  /** y per x index; undefined: no value */
  values: (number | undefined)[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** the x values as given (numbers plot on a linear axis, anything else as categories) */
  x: (string | number)[];
  series: Series[];
  width?: number;
  height?: number;
}

/** dash patterns, so that lines lying on top of each other stay distinguishable */
const DASHES = ['', '7 4', '2 3', '10 3 2 3', '4 4'];

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** escape text for XML/HTML content and attributes */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** "Nice" ticks from 0 (or min) to at least max. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(6)));
}

export function lineChart(c: ChartSpec): string {
  const legendW = Math.min(360, Math.max(120, 40 + 7 * Math.max(0, ...c.series.map((s) => s.name.length))));
  const W = (c.width ?? 560) + legendW;
  const H = c.height ?? 420;
  const m = { l: 70, r: legendW + 20, t: 40, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const numeric = c.x.every((v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))));
  const xs = c.x.map((v) => Number(v));
  let xPos: (i: number) => number;
  let xTicks: { pos: number; label: string }[];
  let xLabel = c.xLabel;
  if (numeric && c.x.length > 1 && Math.min(...xs) !== Math.max(...xs)) {
    // a logarithmic axis when the values span more than 1.5 decades (e.g. 1, 2, 4 ... 1024)
    const log = Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 32;
    const t = (v: number) => (log ? Math.log2(v) : v);
    if (log) xLabel += ' (log scale)';
    const lo = t(Math.min(...xs));
    const hi = t(Math.max(...xs));
    xPos = (i) => m.l + ((t(xs[i]) - lo) / (hi - lo)) * pw;
    const seen = new Set<string>();
    xTicks = c.x.map((v, i) => ({ pos: xPos(i), label: String(v) })).filter((t) => (seen.has(t.label) ? false : (seen.add(t.label), true)));
    // thin out labels that would collide
    const minGap = 28;
    let last = -Infinity;
    xTicks = xTicks.filter((t) => (t.pos - last >= minGap ? ((last = t.pos), true) : false));
  } else {
    const n = c.x.length;
    xPos = (i) => m.l + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
    xTicks = c.x.map((v, i) => ({ pos: xPos(i), label: String(v) }));
  }
  const all = c.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const yMin = Math.min(0, ...all);
  const yMaxRaw = Math.max(1, ...all);
  const yt = ticks(yMin, yMaxRaw);
  const y0 = yt[0];
  const y1 = yt[yt.length - 1];
  const yPos = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;

  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(c.title)}">`);
  o.push(`<title>${esc(c.title)}</title>`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${f(m.l + pw / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  o.push('<g class="grid" stroke="#e0e0e0" stroke-width="1">');
  for (const t of yt) o.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(yPos(t))}" y2="${f(yPos(t))}"/>`);
  o.push('</g>');
  o.push(`<g class="axis" stroke="#333333" stroke-width="1"><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}"/><line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}"/></g>`);
  o.push('<g class="y-ticks" text-anchor="end">');
  for (const t of yt) o.push(`<text x="${m.l - 6}" y="${f(yPos(t) + 4)}">${fmtTick(t)}</text>`);
  o.push('</g>');
  o.push('<g class="x-ticks" text-anchor="middle">');
  for (const t of xTicks) o.push(`<line x1="${f(t.pos)}" x2="${f(t.pos)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#333333"/><text x="${f(t.pos)}" y="${m.t + ph + 18}">${esc(t.label)}</text>`);
  o.push('</g>');
  o.push(`<text class="x-label" x="${f(m.l + pw / 2)}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`);
  o.push(`<text class="y-label" transform="translate(16 ${f(m.t + ph / 2)}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const pts = s.values.map((v, i) => (v === undefined ? null : { x: xPos(i), y: yPos(v), v, i })).filter((p) => p !== null);
    o.push(`<g class="series" data-series="${esc(s.name)}">`);
    const dash = DASHES[k % DASHES.length] ? ` stroke-dasharray="${DASHES[k % DASHES.length]}"` : '';
    if (pts.length > 1) o.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${f(p.x)},${f(p.y)}`).join(' ')}"/>`);
    for (const p of pts) o.push(`<circle cx="${f(p.x)}" cy="${f(p.y)}" r="3.5" fill="${color}" data-x="${esc(String(c.x[p.i]))}" data-y="${p.v}"><title>${esc(s.name)}: ${esc(String(c.x[p.i]))} → ${p.v}</title></circle>`);
    o.push('</g>');
  });
  o.push(`<g class="legend" transform="translate(${W - legendW - 10} ${m.t})">`);
  c.series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    const dash = DASHES[k % DASHES.length] ? ` stroke-dasharray="${DASHES[k % DASHES.length]}"` : '';
    o.push(`<line x1="0" x2="22" y1="${k * 20 + 6}" y2="${k * 20 + 6}" stroke="${color}" stroke-width="3"${dash}/><text x="28" y="${k * 20 + 10}">${esc(s.name)}</text>`);
  });
  o.push('</g>');
  o.push('</svg>');
  return o.join('\n') + '\n';
}
