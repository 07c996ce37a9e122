/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The sweep's HTML report opened in a real headless Chromium: its tables and charts render, with
 * the run's numbers. Needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { tlbsim, tmp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`SKIPPED: the HTML report browser test needs Chromium at ${CHROMIUM} (apt-get update && apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  let browser: Browser;
  const dir = tmp();
  const html = join(dir, 'report.html');
  let data: {
    vary: { values: number[] };
    points: { results: { variant: string; metrics: Record<string, number> }[] }[];
  };

  beforeAll(async () => {
    const args = ['sweep', '--workload', 'munmap', '--vary', 'pages=1,16,64,512', '--set', 'aligned=true', '--arch', 'x86', '--arch', 'arm64', '--arch', 'ppc'];
    // one job (the sweep in the CLI's own thread); the same report from a pool of workers is checked below
    const r = await tlbsim([...args, '--report', html, '--metric', 'flushes', '--format', 'json', '--jobs', '1']);
    expect(r.code, r.stderr).toBe(0);
    data = JSON.parse(r.stdout);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** the lines a chart of `metric` draws: variants with a value, those with the very same values joined */
  const linesOf = (metric: string) => {
    const out: { names: string[]; ys: string }[] = [];
    data.points[0].results.forEach((r, k) => {
      if (!(metric in r.metrics)) return;
      const ys = JSON.stringify(data.points.map((p) => p.results[k].metrics[metric]));
      const same = out.find((o) => o.ys === ys);
      if (same) same.names.push(r.variant);
      else out.push({ names: [r.variant], ys });
    });
    return out.map((o) => o.names.join(' = '));
  };

  it('opens with the summary, then the parameters, the architectures and the charts by topic', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(html).href);
    expect(await page.title()).toBe('tlbsim sweep: munmap, pages = 1, 16, 64, 512');
    const h2 = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
    expect(h2).toEqual(['Summary', 'Parameters', 'Architectures', 'Flushes', 'IPIs and interrupts', 'TLB instructions', 'Freeing memory', 'Time', 'Kernel counters']);
    const summary = await page.$$eval('table.summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(summary.find((r) => r[0] === 'flushes')).toEqual(['flushes', 'flushes', 'x86, ppc', '50% less than arm64 (4 against 8)']);
    expect(summary.find((r) => r[0] === 'ipis')).toEqual(['ipis', 'IPIs', 'arm64, ppc', 'none, against 4 for x86']);
    // a metric only one architecture has is not "cheapest" anywhere
    expect(summary.some((r) => r[0]!.startsWith('tlbInstructions.'))).toBe(false);
    await page.close();
  });

  it('renders every metric table with the numbers of the run, a column per architecture that has the metric', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    const tables = await page.$$eval('table.metric', (ts) =>
      ts.map((t) => ({
        metric: t.getAttribute('data-metric')!,
        head: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        visible: (t as HTMLElement).offsetHeight > 0 && (t as HTMLElement).offsetWidth > 0,
      })),
    );
    const metrics = tables.map((t) => t.metric);
    expect(metrics[0]).toBe('flushes'); // --metric comes first
    expect(metrics).toEqual(expect.arrayContaining(['ipis', 'pagesFreed', 'tablesFreed', 'estimatedNs']));
    for (const t of tables) {
      expect(t.visible, t.metric).toBe(true);
      if (t.metric.includes('.')) continue; // instructions and counters: per-arch columns, checked below
      expect(t.head).toEqual(['pages', 'x86', 'arm64', 'ppc']);
      expect(t.rows).toEqual(data.points.map((p, i) => [String(data.vary.values[i]), ...p.results.map((r) => String(r.metrics[t.metric]))]));
    }
    expect(tables.find((t) => t.metric === 'tlbInstructions.INVLPG')!.head).toEqual(['pages', 'x86']);
    expect(tables.find((t) => t.metric === 'tlbInstructions.tlbie RIC=0')!.head).toEqual(['pages', 'ppc']);
    const pagesFreed = tables.find((t) => t.metric === 'pagesFreed')!;
    expect(pagesFreed.rows.map((r) => r[1])).toEqual(['1', '16', '64', '512']);
    expect(failed).toEqual([]); // self-contained: nothing to fetch
    await page.close();
  });

  it('draws every chart: its lines and markers, a legend of the architectures having the metric, units, its definition; a clean console', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(html).href);
    const charts = await page.$$eval('div.chart', (ds) =>
      ds.map((d) => {
        const svg = d.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        const texts = (sel: string) => [...svg.querySelectorAll(sel)].map((t) => t.textContent ?? '');
        return {
          metric: d.getAttribute('data-metric')!,
          lines: d.getAttribute('data-lines')!.split('|'),
          width: box.width,
          height: box.height,
          drawn: [...svg.querySelectorAll('g.mark-line path')].map((p) => ({ width: (p as SVGPathElement).getBBox().width, stroke: getComputedStyle(p).stroke })),
          markers: [...svg.querySelectorAll('g.role-mark path[aria-label]')].map((p) => p.getAttribute('aria-label')!),
          legend: texts('g.role-legend-label text'),
          axisTitles: texts('g.role-axis-title text'),
          // a title of several lines is one text of tspans
          titles: [...svg.querySelectorAll('g.role-title-text text')].flatMap((t) => (t.querySelector('tspan') ? [...t.querySelectorAll('tspan')] : [t]).map((x) => x.textContent ?? '')),
          yTicks: texts('g.role-axis-label text').filter((t) => /^-?[\d.,]+[kMG]?$/.test(t)),
        };
      }),
    );
    expect(charts.length).toBe(31);
    const units = Object.fromEntries(JSON.parse((await tlbsim(['metrics', '--format', 'json'])).stdout).map((m: { key: string; unit: string }) => [m.key, m.unit]));
    for (const c of charts) {
      expect(c.width, c.metric).toBeGreaterThan(500);
      expect(c.height, c.metric).toBeGreaterThan(350);
      if (!c.metric.includes('.')) expect(c.lines, c.metric).toEqual(linesOf(c.metric)); // the JSON has the scalar metrics
      expect(c.legend, c.metric).toEqual(c.lines);
      expect(c.drawn.length, c.metric).toBe(c.lines.length);
      for (const l of c.drawn) {
        expect(l.width, c.metric).toBeGreaterThan(300);
        expect(l.stroke).toMatch(/^rgb\(/);
      }
      expect(c.markers.length, c.metric).toBe(4 * c.lines.length);
      expect(c.axisTitles[0], c.metric).toBe("pages: pages in the region (the architecture's base page size) (log scale)");
      expect(c.axisTitles[1], c.metric).toBe(units[c.metric]);
      expect(c.titles.at(-1)).toBe(`${c.metric} vs pages (munmap)`); // Vega draws the top title last
      const definition = c.titles.slice(0, -1).join(' '); // under the chart, wrapped
      expect(definition.startsWith(`${c.metric}: `), definition).toBe(true);
      expect(definition.endsWith(` [${units[c.metric]}]`), definition).toBe(true);
      for (const t of c.yTicks) expect(t, `${c.metric} tick ${t}`).not.toMatch(/\.\d/); // integer ticks only
    }
    for (const metric of ['flushes', 'ipis', 'pagesFreed']) {
      const c = charts.find((x) => x.metric === metric)!;
      const expected = c.lines.flatMap((name) => {
        const k = data.points[0].results.findIndex((r) => r.variant === name.split(' = ')[0]);
        return data.points.map((p, i) => `${name}: pages=${data.vary.values[i]} → ${p.results[k].metrics[metric]}`);
      });
      expect(c.markers).toEqual(expected);
    }
    expect(charts.find((x) => x.metric === 'ipis')!.lines).toEqual(['x86', 'arm64 = ppc']);
    expect(charts.find((x) => x.metric === 'tlbInstructions.INVLPG')!.lines).toEqual(['x86']);
    // it paints: a screenshot of the first chart is not blank
    const shot = await (await page.$('div.chart svg'))!.screenshot();
    expect(shot.length).toBeGreaterThan(5000);
    expect(console).toEqual([]);
    await page.close();
  });

  it('the report is the same file for the same inputs (and from a pool of workers as from one job)', async () => {
    const again = join(dir, 'again.html');
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,16,64,512', '--set', 'aligned=true', '--arch', 'x86', '--arch', 'arm64', '--arch', 'ppc', '--report', again, '--metric', 'flushes', '--out', join(dir, 'x.csv')]);
    expect(r.code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(html, 'utf8'));
  });
});
