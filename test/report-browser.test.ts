/**
 * The report in a real headless browser (Debian's chromium driven by playwright-core): it loads from
 * file:// with the network cut off, shows every round and every image, shows the model label, and
 * logs no console error (a CSP violation or a missing image would be one).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTrace } from '../loop/trace.js';
import { syntheticTrace, syntheticViews } from './support/synthetic-trace.js';
import { missing } from './support/required.js';

const CHROMIUM = '/usr/bin/chromium';
const describeBrowser = existsSync(CHROMIUM)
  ? describe
  : (missing('BROWSER', `${CHROMIUM} not found`),
    (name: string, fn: () => void) =>
      describe.skip(`${name} (skipped: ${CHROMIUM} not found; install Debian's chromium package)`, fn));

describeBrowser('report in headless chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-report-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads offline, shows every round and image and the model label, logs no error', async () => {
    const trace = syntheticTrace();
    const { indexHtml } = await writeTrace(dir, trace, await syntheticViews());
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const blocked: string[] = [];
    const problems: string[] = [];
    await context.route('**', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

    await page.goto(pathToFileURL(indexHtml).href, { waitUntil: 'load' });

    const rounds = await page
      .locator('section.round[data-round]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-round')));
    expect(rounds).toEqual(['0', '1', '2']);
    for (const r of ['0', '1', '2'])
      expect(await page.locator(`section.round[data-round="${r}"]`).isVisible()).toBe(true);

    const imgs = await page.locator('img').evaluateAll((els) =>
      els.map((e) => {
        // no DOM lib in this tsconfig: the few fields read are typed here
        const i = e as unknown as { getAttribute(n: string): string | null; complete: boolean; naturalWidth: number };
        return { src: i.getAttribute('src'), complete: i.complete, w: i.naturalWidth };
      }),
    );
    expect(imgs.map((i) => i.src)).toEqual(['input-0.png', 'round-01.png', 'round-02.png']);
    for (const i of imgs) {
      expect(i.complete, `${i.src} loaded`).toBe(true);
      expect(i.w, `${i.src} naturalWidth`).toBe(64);
    }

    const label = page.locator('#model-label');
    expect(await label.isVisible()).toBe(true);
    expect(await label.innerText()).toContain('builtin:perceiver (deterministic pixel perceiver — not an LLM)');
    expect(await page.locator('[data-sketch-round]').count()).toBe(3);
    expect(await page.locator('#final').innerText()).toContain('A — the red box');

    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
