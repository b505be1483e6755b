/**
 * The browser viewer and the human-web model in a real headless Chromium (no GPU: frames come from
 * the server's renderer as JPEG). The page loads with no console error, a drag changes the pose and
 * the frame, the server refuses requests without the token, from another Host or Origin, and files
 * outside its folder; and a human-web eval of three items answered through the page writes the same
 * results format as a model run. With VANTAGE_SCREENSHOT_DIR set it saves the README's screenshot.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { runEval } from '../loop/eval/run.js';
import { startView, type ViewHandle } from '../src/commands/view.js';
import { runAsk } from '../src/commands/ask.js';

const CHROMIUM = '/usr/bin/chromium';
const describeBrowser = existsSync(CHROMIUM)
  ? describe
  : (name: string, fn: () => void) =>
      describe.skip(`${name} (skipped: ${CHROMIUM} not found; install Debian's chromium package)`, fn);

/** A GET with chosen headers, answered with its status (node:http, so Host can be set). */
function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Watch a page for console errors, page errors and failed requests. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return problems;
}

type VantageState = { frames: number; lastPose: unknown; errors: string[] };
/** the page's document, typed here (no DOM lib in this tsconfig) */
type Doc = { querySelector(s: string): { textContent: string | null; getAttribute(n: string): string | null } | null };
const stateOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { __vantage: VantageState }).__vantage);

async function dragStage(page: Page, dx: number, dy: number): Promise<void> {
  const box = (await page.locator('#stage').boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(x + (dx * i) / 5, y + (dy * i) / 5);
  await page.mouse.up();
}

describeBrowser('browser viewer in headless chromium', () => {
  let browser: Browser;
  let dir: string;
  let renderer: Renderer;
  const handles: ViewHandle[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-viewer-'));
    renderer = createReferenceRenderer();
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
    await Promise.all(handles.map((h) => h.close()));
    renderer?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads with no console error; a drag changes the pose and the frame', async () => {
    // a trace made from a fixture: the viewer reloads its scene by name and draws its cameras
    const traceDir = join(dir, 'ask');
    const asked = await runAsk({
      fixture: 'tabletop',
      question: 'Seen from the camera, is the red box left or right of the white cylinder?',
      options: ['left', 'right'],
      model: 'builtin:perceiver',
      rounds: 2,
      stop: 'fixed',
      size: '320x240',
      render: 'points',
      renderer: 'reference',
      out: traceDir,
    });
    expect(asked.rounds).toBe(3);
    const h = await startView({ trace: traceDir, renderer: 'reference' });
    handles.push(h);
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const problems = watch(page);
    await page.goto(h.url, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { __vantage: VantageState }).__vantage.frames >= 1);
    const before = await stateOf(page);
    const poseBefore = await page.locator('#pose').textContent();
    const frameBefore = await page.locator('#frame').screenshot();
    expect(poseBefore).toContain('"mode": "orbit"');
    await page.waitForSelector('#map svg g.footprint');

    await dragStage(page, 120, 40);
    await page.waitForFunction((n) => {
      const v = (globalThis as unknown as { __vantage: VantageState }).__vantage;
      const p = v.lastPose as { azimuth_deg?: number } | null;
      return v.frames > n && !!p && p.azimuth_deg !== 0;
    }, before.frames);
    // the last frame may still be in flight: wait until the pose box settles
    await page.waitForTimeout(300);
    await page.waitForFunction(
      () =>
        !(globalThis as unknown as { document: Doc }).document
          .querySelector('#status')
          ?.textContent?.includes('failed'),
    );
    const after = await stateOf(page);
    const poseAfter = await page.locator('#pose').textContent();
    expect(poseAfter).not.toEqual(poseBefore);
    const p = after.lastPose as { mode: string; azimuth_deg: number; elevation_deg: number };
    expect(p.mode).toBe('orbit');
    expect(p.azimuth_deg).toBeLessThan(0); // grab the scene: dragging right swings the camera left
    expect(p.elevation_deg).toBeGreaterThan(0);
    const frameAfter = await page.locator('#frame').screenshot();
    expect(Buffer.compare(frameBefore, frameAfter)).not.toBe(0);
    // each round is a button, and its camera is on the map: a click jumps to the round's pose
    const r1 = asked.trace.rounds[1].view!.pose as { azimuth_deg: number };
    expect(await page.locator('#rounds button').count()).toBe(2);
    expect(await page.locator('#map g.cam[data-sketch-round="1"]').count()).toBe(1);
    await page.locator('#rounds button[data-round="1"]').click();
    await page.waitForFunction((az) => {
      const v = (globalThis as unknown as { __vantage: VantageState }).__vantage.lastPose as { azimuth_deg?: number };
      return v?.azimuth_deg === az;
    }, r1.azimuth_deg);
    await page.locator('#map g.cam[data-sketch-round="2"]').click();
    await page.waitForFunction(
      (az) => {
        const v = (globalThis as unknown as { __vantage: VantageState }).__vantage.lastPose as { azimuth_deg?: number };
        return v?.azimuth_deg === az;
      },
      (asked.trace.rounds[2].view!.pose as { azimuth_deg: number }).azimuth_deg,
    );
    // the reference camera is drawn in the scene; clicking it jumps back to the reference pose
    await page.locator('#marks button[data-mark="ref"], #map g.cam[data-sketch-round="ref"]').first().click();
    await page.waitForFunction(() => {
      const v = (globalThis as unknown as { __vantage: VantageState }).__vantage.lastPose as { azimuth_deg?: number };
      return v?.azimuth_deg === 0;
    });
    await dragStage(page, 60, 20);
    await page.waitForTimeout(500);
    expect(problems).toEqual([]);
    expect(after.errors).toEqual([]);
    // the camera rests: the last frame is the settled one (the chosen mode), not a draft
    await page.waitForFunction(() => !(globalThis as unknown as { __vantage: { draft: boolean } }).__vantage.draft);
    const shots = process.env.VANTAGE_SCREENSHOT_DIR;
    if (shots) {
      await mkdir(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'viewer.png') });
    }
    await page.close();
  }, 60_000);

  it('refuses requests without the token, from another Host or Origin, and paths outside its folder', async () => {
    const traceDir = join(dir, 'tr');
    await mkdir(traceDir, { recursive: true });
    await writeFile(join(dir, 'secret.txt'), 'secret');
    await writeFile(join(traceDir, 'note.txt'), 'ok');
    await writeFile(
      join(traceDir, 'trace.json'),
      JSON.stringify({
        version: 1,
        modelLabel: 'test',
        question: { text: 'q', options: ['a', 'b'] },
        config: { width: 64, height: 48, render: 'points', holes: 'mark' },
        input: { images: ['fixture:tabletop'], intrinsics: 'x', units: 'metres', notes: [] },
        rounds: [{ round: 0, answer: { choice: 'A', dist: { A: 1, B: 0 } }, posterior: { A: 1, B: 0 } }],
        final: { choice: 'A', stopReason: 'max-rounds' },
      }),
    );
    const h = await startView({ trace: traceDir, renderer: 'reference' });
    handles.push(h);
    const u = new URL(h.url);
    const t = u.searchParams.get('t')!;
    const base = `http://127.0.0.1:${u.port}`;
    expect(await status(`${base}/?t=${t}`)).toBe(200);
    expect(await status(`${base}/files/note.txt?t=${t}`)).toBe(200);
    expect(await status(`${base}/`)).toBe(403);
    expect(await status(`${base}/?t=${t.slice(0, -1)}x`)).toBe(403);
    expect(await status(`${base}/?t=${t}`, { Host: `evil.example:${u.port}` })).toBe(403);
    expect(await status(`${base}/api/scene?t=${t}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await status(`${base}/files/..%2Fsecret.txt?t=${t}`)).toBe(404);
    expect(await status(`${base}/files/%2E%2E/secret.txt?t=${t}`)).toBe(404);
    expect(u.hostname).toBe('127.0.0.1');
  });

  it('a human-web eval of three items, answered through the page, writes the results a model run writes', async () => {
    const { jsonl } = await writeQuestionSet(join(dir, 'set'), generateQuestions({ count: 3, seed: 5 }), {
      width: 64,
      height: 48,
    });
    const common = {
      data: jsonl,
      format: 'native' as const,
      rounds: 1,
      stop: 'fixed' as const,
      size: '96x72',
      render: 'points' as const,
      renderer,
      progress: 'none' as const,
      png: false,
      log: () => {},
      logSamples: true,
    };
    const model = await runEval({ ...common, model: 'builtin:perceiver', out: join(dir, 'runs', 'model') });
    expect(model.items).toBe(3);

    let resolveUrl: (u: string) => void = () => {};
    const url = new Promise<string>((r) => (resolveUrl = r));
    const run = runEval({
      ...common,
      model: 'human-web',
      out: join(dir, 'runs', 'human'),
      humanWeb: { onReady: (u) => resolveUrl(u) },
    });
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems = watch(page);
    await page.goto(await url, { waitUntil: 'load' });
    let answers = 0;
    let looks = 0;
    let finished = false;
    run.then(() => (finished = true)).catch(() => (finished = true));
    while (!finished) {
      const kind = await page
        .waitForSelector('#human[data-task="answer"], #human[data-task="pose"], #human[data-task="finished"]', {
          timeout: 20_000,
        })
        .then((e) => e.getAttribute('data-task'))
        .catch(() => (finished ? 'finished' : 'timeout'));
      if (kind === 'finished' || finished) break;
      const id = await page.locator('#human').getAttribute('data-task-id');
      if (kind === 'answer') {
        await page
          .locator('#options button')
          .nth(answers % 2)
          .click();
        await page.locator('#confidence').fill('70');
        await page.locator('#submit-answer').click();
        answers++;
      } else if (kind === 'pose') {
        await page.waitForFunction(() => (globalThis as unknown as { __vantage: VantageState }).__vantage.frames >= 1);
        const n = (await stateOf(page)).frames;
        await dragStage(page, -80, 30);
        await page.waitForFunction(
          (k) => (globalThis as unknown as { __vantage: VantageState }).__vantage.frames > k,
          n,
        );
        await page.waitForTimeout(200);
        await page.locator('#look').click();
        looks++;
      } else throw new Error(`the page showed no task (${kind})`);
      // the page moves on to the next task (or the run ends)
      await page
        .waitForFunction(
          (was) =>
            (globalThis as unknown as { document: Doc }).document
              .querySelector('#human')
              ?.getAttribute('data-task-id') !== was,
          id,
          {
            timeout: 20_000,
          },
        )
        .catch(() => {});
    }
    const human = await run;
    await page.close();
    expect(answers).toBe(6); // round 0 and round 1 of each item
    expect(looks).toBe(3);
    expect(human.items).toBe(3);
    expect(human.cells[0].errors).toBe(0);

    const lines = async (d: string) =>
      (await readFile(join(dir, 'runs', d, 'results.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const [hl, ml] = [await lines('human'), await lines('model')];
    expect(hl).toHaveLength(3);
    expect(Object.keys(hl[0]).sort()).toEqual(Object.keys(ml[0]).sort());
    for (const l of hl) {
      expect(l.status).toBe('ok');
      expect(String(l.model)).toContain('human-web');
    }
    const trace = JSON.parse(await readFile(join(dir, 'runs', 'human', String(hl[0].trace), 'trace.json'), 'utf8'));
    expect(trace.rounds).toHaveLength(2);
    expect(trace.rounds[1].view.pose.mode).toBe('orbit');
    expect(trace.rounds[1].view.pose.azimuth_deg).toBeGreaterThan(0);
    expect(trace.rounds[0].answer.confidence).toBeCloseTo(0.7);
    expect(problems).toEqual([]);
  }, 120_000);
});
