import { defaultBackend, makeBackend, selectedKconfig } from './arches.js';
import { chartSvg, esc, mergeIdentical, producing, type ChartInput } from './charts.js';
import { metricOf } from './metrics-registry.js';
import { metricValue, VERSION } from './report-data.js';
import { byHowMuch, cheapestOf, TOPICS, topicOf } from './report-summary.js';
import { allMetricKeys, fixedParams, seriesOf, type SweepData } from './sweep-data.js';

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2.4rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.8rem 0 .4rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem}th{background:#f3f3f3;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#999;text-align:center}
.chart{margin:.5rem 0}.chart svg{max-width:100%;height:auto}code{background:#f5f5f5;padding:0 .2rem}
.meta{color:#555}nav ul{columns:2}`;

/** The chart of `metric` over the sweep: the variants that produce it (the --plot SVG too). */
export function chartOf(d: SweepData, metric: string): ChartInput {
  const what = d.workload.params.find((p) => p.name === d.key)?.description;
  return { title: `${metric} vs ${d.key} (${d.workload.name})`, metric, xKey: d.key, xWhat: what, x: d.points.map((p) => p.value as string | number), series: seriesOf(d, metric) };
}

/**
 * One self-contained HTML page (inline CSS and SVG, no scripts, no external resources): a summary
 * of which architecture is cheapest per metric, the sweep's parameters and variants, then per
 * topic and per metric a chart with the metric's definition and its table.
 */
export async function sweepReport(d: SweepData, chosen: string): Promise<string> {
  const keys = allMetricKeys(d);
  // every metric that is not zero everywhere (and the chosen one), grouped by topic: the chosen
  // metric's topic first and the chosen metric first in it
  const shown = [chosen, ...keys.filter((k) => k !== chosen && d.points.some((p) => p.results.some((r) => (metricValue(r, k) ?? 0) !== 0)))];
  const topics = [...TOPICS].sort((a, b) => Number(b === topicOf(chosen)) - Number(a === topicOf(chosen))).map((t) => ({ topic: t, metrics: shown.filter((k) => topicOf(k) === t) })).filter((t) => t.metrics.length);
  const title = `tlbsim sweep: ${d.workload.name}, ${d.key} = ${d.points.map((p) => p.value).join(', ')}`;
  const o: string[] = [];
  o.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${esc(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  o.push(`<h1>${esc(title)}</h1>`);
  o.push(`<p class="meta">tlbsim ${esc(VERSION)} · workload <code>${esc(d.workload.name)}</code> (${esc(d.workload.summary)})</p>`);

  o.push('<h2 id="summary">Summary</h2>');
  o.push(`<p>Per metric, the architecture with the lowest total over the ${d.points.length} points of the sweep (${esc(d.key)} = ${esc(d.points.map((p) => String(p.value)).join(', '))}), and by how much it beats the next one. Only the architectures that produce a metric are compared; a metric only one architecture has (its own instructions and counters) is in its chart below.</p>`);
  o.push('<table class="summary"><thead><tr><th>metric</th><th>unit</th><th>cheapest</th><th>by how much</th></tr></thead><tbody>');
  for (const k of shown) {
    const c = cheapestOf(d, k);
    if (!c || c.totals.length < 2) continue;
    o.push(`<tr data-metric="${esc(k)}"><td><a href="#metric-${esc(k)}"><code>${esc(k)}</code></a></td><td>${esc(metricOf(k)?.unit ?? '')}</td><td>${esc(c.cheapest.join(', '))}</td><td>${esc(byHowMuch(c))}</td></tr>`);
  }
  o.push('</tbody></table>');
  o.push('<nav><ul>', ...topics.map((t) => `<li><a href="#topic-${slug(t.topic)}">${esc(t.topic)}</a>: ${t.metrics.length} chart${t.metrics.length > 1 ? 's' : ''}</li>`), '</ul></nav>');

  o.push('<h2 id="parameters">Parameters</h2>', '<table class="params"><thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>');
  o.push(`<tr><td>${esc(d.key)}</td><td>varied: ${esc(d.points.map((p) => String(p.value)).join(', '))}</td></tr>`);
  for (const [k, v] of Object.entries(fixedParams(d))) if (k !== d.key) o.push(`<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`);
  o.push('</tbody></table>');

  o.push('<h2 id="architectures">Architectures</h2>', '<table class="arches"><thead><tr><th>variant</th><th>label</th><th>options</th><th>Kconfig selected</th></tr></thead><tbody>');
  d.variants.forEach((v, i) => {
    const r = d.points[0].results[i];
    const b = Object.keys(v.given).length ? makeBackend(v) : defaultBackend(v.name);
    const opts = Object.entries(r.options).map(([k, x]) => `${k}=${x}`).join(', ');
    o.push(`<tr><td><code>${esc(v.id)}</code></td><td>${esc(r.label)}</td><td>${esc(opts)}</td><td>${esc(selectedKconfig(b).join(' '))}</td></tr>`);
  });
  o.push('</tbody></table>');

  for (const t of topics) {
    o.push(`<h2 id="topic-${slug(t.topic)}">${esc(t.topic)}</h2>`);
    for (const metric of t.metrics) {
      const chart = chartOf(d, metric);
      const series = producing(chart.series);
      // the chart carries the metric's definition under it (as the --plot SVG does)
      o.push(`<h3 id="metric-${esc(metric)}">${esc(metric)}</h3>`);
      o.push(`<div class="chart" data-metric="${esc(metric)}" data-lines="${esc(mergeIdentical(series).map((s) => s.name).join('|'))}">`);
      o.push((await chartSvg(chart)).trimEnd());
      o.push('</div>');
      o.push(`<table class="metric" data-metric="${esc(metric)}"><thead><tr><th>${esc(d.key)}</th>${series.map((s) => `<th>${esc(s.name)}</th>`).join('')}</tr></thead><tbody>`);
      d.points.forEach((p, j) => {
        const cells = series.map((s) => (s.values[j] === undefined ? '<td class="na">–</td>' : `<td class="num">${s.values[j]}</td>`)).join('');
        o.push(`<tr><td>${esc(String(p.value))}</td>${cells}</tr>`);
      });
      o.push('</tbody></table>');
    }
  }
  o.push('</body>', '</html>');
  return o.join('\n') + '\n';
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
