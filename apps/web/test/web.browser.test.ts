/**
 * The built workbench (dist/, from `vite build`) in headless Chromium: it loads and computes the
 * library's numbers, a changed parameter recomputes them, a shared URL reproduces a comparison,
 * clicking a timeline event shows the gather's state, and the console stays clean. Needs
 * Debian's chromium at /usr/bin/chromium (apt-get install -y chromium), as the CLI's report test.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare, simulate } from '../src/simulate.js';

const CHROMIUM = '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const have = existsSync(CHROMIUM);
if (!have) console.warn(`SKIPPED: the workbench browser test needs Chromium at ${CHROMIUM} (apt-get update && apt-get install -y chromium)`);

/** what the library computes for the same comparison: metric -> value, per variant */
function library(workload: string, sets: string[], arches: string[], kernel = ''): Record<string, Record<string, string>> {
  const { job, variants } = prepare({ id: 0, job: { kind: 'workload', workload, sets }, arches, kernel, eventLimit: 0 });
  return Object.fromEntries(variants.map((v) => [v.id, Object.fromEntries(simulate(0, job, v, 0).metrics.filter((m) => m.value !== 0).map((m) => [m.key, String(m.value)]))]));
}

/** what the page's metrics table shows: metric -> value, per variant */
async function shown(page: Page): Promise<Record<string, Record<string, string>>> {
  await page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 90_000 });
  if ((await page.getAttribute('#status', 'data-state')) === 'error') throw new Error(`the page says: ${await page.textContent('#error')}`);
  return page.$$eval('td[data-metric]', (cells) => {
    const out: Record<string, Record<string, string>> = {};
    for (const c of cells as HTMLElement[]) {
      if (c.textContent === '-' || c.textContent === '0') continue;
      (out[c.dataset.variant!] ??= {})[c.dataset.metric!] = c.textContent!;
    }
    return out;
  });
}

describe.skipIf(!have)('the workbench in headless Chromium', () => {
  let server: PreviewServer;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(join(DIST, 'index.html')), 'run vite build first (the test script does)').toBe(true);
    server = await preview({ root: fileURLToPath(new URL('..', import.meta.url)), logLevel: 'silent', preview: { port: 0, open: false } });
    base = server.resolvedUrls!.local[0]!;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    expect(consoleErrors).toEqual([]);
  });

  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && consoleErrors.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.goto(`${base}${hash}`);
    return page;
  }

  it('loads the default comparison with the library\'s numbers on every architecture and the version', async () => {
    const page = await open('');
    expect(await shown(page)).toEqual(library('munmap', ['pages=64', 'cpus=4'], ['x86', 'arm64', 'ppc', 'riscv']));
    expect(await page.textContent('#version')).toBe('tlbsim 0.1.0');
    expect(await page.textContent('#status')).toMatch(/^computed by tlbsim 0\.1\.0 in \d+ ms$/);
    expect(await page.locator('.arch svg.timeline').count()).toBe(4);
    await page.close();
  });

  it('a changed parameter recomputes and lands in the URL', async () => {
    const page = await open('#workload=munmap&pages=64&cpus=4&arch=x86,arm64');
    await shown(page);
    await page.fill('input[data-param=pages]', '8');
    await page.dispatchEvent('input[data-param=pages]', 'change');
    await page.waitForFunction(() => location.hash.includes('pages=8'));
    await page.waitForSelector('#status[data-state=done]');
    const got = await shown(page);
    expect(got).toEqual(library('munmap', ['pages=8', 'cpus=4'], ['x86', 'arm64']));
    expect(got.x86!.ipis).toBe('3');
    expect(new URL(page.url()).hash).toBe('#workload=munmap&pages=8&cpus=4&arch=x86%2Carm64');
    await page.close();
  });

  it('a shared URL reproduces the comparison; clicking an IPI shows the gather state; screenshot', async () => {
    const page = await open('#workload=tlb_flush2&cpus=2&arch=x86&kernel=6.1');
    expect(await shown(page)).toEqual(library('tlb_flush2', ['cpus=2'], ['x86'], '6.1'));
    await page.locator('.arch[data-variant=x86] [data-kind=ipi]').first().click();
    const details = await page.textContent('#details-body');
    const lines = details!.split('\n');
    expect(lines[1]).toBe('kernel function: ipi_send  [ipi]  in madvise  task t0-1002');
    expect(lines[2]).toBe('args: {"kind":"flush_tlb_func","targets":[1],"wait":true}');
    expect(lines[3]).toMatch(/^mmu_gather at that moment \(tlb_flush_hook t=\d+\): \{"mm":"will-it-scale","cause":"finish","start":"0x[0-9a-f]+","end":"0x[0-9a-f]+","bits":"cleared_ptes"/);
    const shot = join(mkdtempSync(join(tmpdir(), 'tlbsim-web-')), 'workbench.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });

  it('a bad parameter shows the CLI\'s message, not a stack trace', async () => {
    const page = await open('#workload=munmap&pages=0&cpus=2&arch=x86');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe("munmap: pages=0 is out of range: pages must be from 1 to 1048576");
    await page.close();
  });
});
