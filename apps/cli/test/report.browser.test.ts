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
    const r = await tlbsim([...args, '--report', html, '--metric', 'flushes', '--format', 'json']);
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

  it('renders every metric table with the numbers of the run', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    expect(await page.title()).toBe('tlbsim sweep: munmap, pages = 1, 16, 64, 512');
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
      expect(t.head).toEqual(['pages', 'x86', 'arm64', 'ppc']);
      if (t.metric.includes('.')) continue; // instructions and counters: per-arch rows, checked below
      expect(t.rows).toEqual(data.points.map((p, i) => [String(data.vary.values[i]), ...p.results.map((r) => String(r.metrics[t.metric]))]));
    }
    const pagesFreed = tables.find((t) => t.metric === 'pagesFreed')!;
    expect(pagesFreed.rows.map((r) => r[1])).toEqual(['1', '16', '64', '512']);
    expect(failed).toEqual([]); // self-contained: nothing to fetch
    await page.close();
  });

  it('draws every chart: one line per variant through the run\'s values', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(html).href);
    const charts = await page.$$eval('div.chart', (ds) =>
      ds.map((d) => {
        const svg = d.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        return {
          metric: d.getAttribute('data-metric')!,
          width: box.width,
          height: box.height,
          lines: [...svg.querySelectorAll('g.series')].map((g) => {
            const pl = g.querySelector('polyline') as SVGPolylineElement | null;
            const bb = pl?.getBBox();
            return {
              name: g.getAttribute('data-series'),
              points: pl?.points.length ?? 0,
              drawnWidth: bb?.width ?? 0,
              stroke: pl ? getComputedStyle(pl).stroke : '',
              ys: [...g.querySelectorAll('circle')].map((c) => Number(c.getAttribute('data-y'))),
            };
          }),
          legend: [...svg.querySelectorAll('g.legend text')].map((t) => t.textContent),
        };
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(5);
    for (const c of charts) {
      expect(c.width, c.metric).toBeGreaterThan(300);
      expect(c.height, c.metric).toBeGreaterThan(200);
      expect(c.legend).toEqual(['x86', 'arm64', 'ppc']);
      expect(c.lines.map((l) => l.name)).toEqual(['x86', 'arm64', 'ppc']);
      for (const l of c.lines) {
        if (c.metric.includes('.') && l.ys.length === 0) continue; // an instruction this architecture does not have
        expect(l.points, `${c.metric} ${l.name}`).toBe(4);
        expect(l.drawnWidth).toBeGreaterThan(100);
        expect(l.stroke).toMatch(/^rgb\(/);
      }
    }
    for (const metric of ['flushes', 'ipis', 'pagesFreed']) {
      const c = charts.find((x) => x.metric === metric)!;
      c.lines.forEach((l, k) => expect(l.ys).toEqual(data.points.map((p) => p.results[k].metrics[metric])));
    }
    // it paints: a screenshot of the first chart is not blank
    const shot = await (await page.$('div.chart svg'))!.screenshot();
    expect(shot.length).toBeGreaterThan(5000);
    await page.close();
  });

  it('the report is the same file for the same inputs', async () => {
    const again = join(dir, 'again.html');
    const r = await tlbsim(['sweep', '--workload', 'munmap', '--vary', 'pages=1,16,64,512', '--set', 'aligned=true', '--arch', 'x86', '--arch', 'arm64', '--arch', 'ppc', '--report', again, '--metric', 'flushes', '--out', join(dir, 'x.csv')]);
    expect(r.code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(html, 'utf8'));
  });
});
