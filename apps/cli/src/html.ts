import { defaultBackend, makeBackend, selectedKconfig } from './arches.js';
import { metricValue, VERSION } from './report-data.js';
import { esc, lineChart } from './svg.js';
import { allMetricKeys, fixedParams, seriesOf, type SweepData } from './sweep-data.js';


const CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem}th{background:#f3f3f3;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#999;text-align:center}
.chart{margin:.5rem 0}code{background:#f5f5f5;padding:0 .2rem}
.meta{color:#555}`;

/**
 * One self-contained HTML page (inline CSS and SVG, no scripts, no external resources) with the
 * sweep's parameters, the architecture variants and, per metric, a chart and its table.
 */
export function sweepReport(d: SweepData, chosen: string): string {
  const keys = allMetricKeys(d);
  // the chosen metric first, then every metric that is not zero everywhere
  const shown = [chosen, ...keys.filter((k) => k !== chosen && d.points.some((p) => p.results.some((r) => (metricValue(r, k) ?? 0) !== 0)))];
  const title = `tlbsim sweep: ${d.workload.name}, ${d.key} = ${d.points.map((p) => p.value).join(', ')}`;
  const o: string[] = [];
  o.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>${esc(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  o.push(`<h1>${esc(title)}</h1>`);
  o.push(`<p class="meta">tlbsim ${esc(VERSION)} · workload <code>${esc(d.workload.name)}</code> (${esc(d.workload.summary)})</p>`);

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

  for (const metric of shown) {
    const series = seriesOf(d, metric);
    o.push(`<h2 id="metric-${esc(metric)}">${esc(metric)}</h2>`);
    o.push(`<div class="chart" data-metric="${esc(metric)}">`);
    o.push(lineChart({ title: `${metric} vs ${d.key}`, xLabel: d.key, yLabel: metric, x: d.points.map((p) => p.value as string | number), series }));
    o.push('</div>');
    o.push(`<table class="metric" data-metric="${esc(metric)}"><thead><tr><th>${esc(d.key)}</th>${series.map((s) => `<th>${esc(s.name)}</th>`).join('')}</tr></thead><tbody>`);
    d.points.forEach((p, j) => {
      const cells = series.map((s) => (s.values[j] === undefined ? '<td class="na">–</td>' : `<td class="num">${s.values[j]}</td>`)).join('');
      o.push(`<tr><td>${esc(String(p.value))}</td>${cells}</tr>`);
    });
    o.push('</tbody></table>');
  }
  o.push('</body>', '</html>');
  return o.join('\n') + '\n';
}
