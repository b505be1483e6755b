/**
 * The eval run's report (OUT/index.html) in a real headless browser: it loads from file:// with the
 * network cut off and logs no error, shows the plot with its chance line and every cell, filters
 * the item list (wrong only, changed by the loop, by category), and each item's trace link opens its
 * trace page, whose back link returns to the item's row.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEval } from '../loop/eval/run.js';
import { startOpenAIServer, type BrainRequest, type OpenAIServer } from './support/openai-server.js';

const CHROMIUM = '/usr/bin/chromium';
const describeBrowser = existsSync(CHROMIUM)
  ? describe
  : (name: string, fn: () => void) =>
      describe.skip(`${name} (skipped: ${CHROMIUM} not found; install Debian's chromium package)`, fn);

describeBrowser('eval report in headless chromium', () => {
  let browser: Browser;
  let dir: string;
  let server: OpenAIServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-eval-report-'));
    // answers "A" except for count questions, so some items are right and some wrong
    server = await startOpenAIServer({
      brain: (req: BrainRequest) => ({
        choice: req.texts.some((t) => t.includes('How many')) ? 'B' : 'A',
        confidence: 0.8,
        rationale: 'scripted',
      }),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads offline, filters the items, and links to each trace page and back', async () => {
    await mkdir(join(dir, 'data', 'img'), { recursive: true });
    await writeFile(
      join(dir, 'data', 'img', 'a.png'),
      await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 200, g: 30, b: 30 } } })
        .png()
        .toBuffer(),
    );
    const records = [
      { idx: 0, type: '2D', task: 'Count', question: 'How many chairs?', choices: ['1', '2'], answer: '(B)' },
      { idx: 1, type: '2D', task: 'Count', question: 'How many tables?', choices: ['1', '2'], answer: '(A)' },
      { idx: 2, type: '3D', task: 'Depth', question: 'Which is closer?', choices: ['lamp', 'door'], answer: '(A)' },
      { idx: 3, type: '3D', task: 'Depth', question: 'Which is nearer?', choices: ['sofa', 'bed'], answer: '(B)' },
    ].map((r) => ({ ...r, filename: 'img/a.png', source: r.type === '2D' ? 'COCO' : 'Omni3D' }));
    const data = join(dir, 'data', 'test.jsonl');
    await writeFile(data, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const s = await runEval({
      data,
      format: 'cvbench',
      model: 'test-model',
      out: join(dir, 'run'),
      baseUrl: server.url,
      env: {},
      grid: 'rounds=0',
      progress: 'none',
      png: false,
      log: () => {},
    });

    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const problems: string[] = [];
    await context.route('**', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

    await page.goto(pathToFileURL(s.files.report).href, { waitUntil: 'load' });
    expect(await page.locator('#chance-line').count()).toBe(1);
    expect(await page.locator('#cells section.cell').count()).toBe(1);
    const visible = () => page.locator('#items tbody tr:not(.hidden)').count();
    expect(await visible()).toBe(4);
    // items 1 (count, truth A, answered B) and 3 (depth, truth B, answered A) are wrong
    await page.check('#f-wrong');
    expect(await visible()).toBe(2);
    await page.selectOption('#f-category', '3D Depth');
    expect(await visible()).toBe(1);
    expect(await page.locator('#f-count').innerText()).toBe('1 of 4 shown');
    await page.uncheck('#f-wrong');
    await page.selectOption('#f-category', '');
    await page.check('#f-changed');
    expect(await visible()).toBe(0);
    await page.uncheck('#f-changed');
    const thumbs = await page
      .locator('img.thumb')
      .evaluateAll((els) => els.map((e) => (e as unknown as { naturalWidth: number }).naturalWidth));
    expect(thumbs).toEqual([16, 16, 16, 16]);

    await page.click('#item-3 a.trace');
    await page.waitForLoadState('load');
    expect(page.url()).toMatch(/traces\/.+\/3\/index\.html$/);
    expect(await page.locator('#model-label').isVisible()).toBe(true);
    await page.click('#back-link');
    await page.waitForLoadState('load');
    expect(page.url()).toMatch(/\/run\/index\.html#item-3$/);
    expect(problems).toEqual([]);
    await context.close();
  });
});
