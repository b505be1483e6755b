import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../loop/report.js';
import type { Trace } from '../loop/types.js';
import { syntheticTrace } from './support/synthetic-trace.js';

const FILES = ['input-0.png', 'round-01.png', 'round-02.png'];

/** Centre (page coordinates) of a camera in the top-down sketch, and whether it is drawn looking straight down. */
function sketchCamera(html: string, key: string): { x: number; y: number; straight: boolean } {
  const g = html.match(new RegExp(`<g class="cam" data-sketch-round="${key}">(.*?)</g>`))?.[1];
  if (!g) throw new Error(`no sketch camera ${key}`);
  const dotM = g.match(/<circle cx="([-\d.]+)" cy="([-\d.]+)" r="(3|2\.5)"/);
  if (!dotM) throw new Error(`no centre for ${key}`);
  return { x: Number(dotM[1]), y: Number(dotM[2]), straight: g.includes('r="9"') };
}

describe('renderReportHtml', () => {
  const html = renderReportHtml(syntheticTrace(), FILES);

  it('shows every round, the model label, the question, options and the ground truth', () => {
    expect([...html.matchAll(/data-round="(\d+)"/g)].map((m) => m[1])).toEqual(['0', '1', '2']);
    expect(html).toContain('builtin:perceiver (deterministic pixel perceiver — not an LLM)');
    expect(html).toContain('Which object is left of the mug, seen from the door?');
    expect(html).toMatch(/<li data-letter="A"><b>A<\/b> the red box <span class="truth">✓ ground truth<\/span><\/li>/);
    expect(html).toMatch(/Final answer: <b>A — the red box<\/b>.*correct/);
    expect(html).toContain('stable: the fused answer held for 1 round(s) with posterior margin ≥ 0.3');
    expect(html).toContain('elevation_deg 95 → 85'); // clamps are shown
    expect(html).toContain('elevation_deg=95 is outside -85..85'); // pose errors too
    expect(html).toContain('82.0%'); // coverage of round 1
    expect(html).toContain('<dt>fusion weight</dt><dd>0.82</dd>');
  });

  it('is self-contained: no script, no external URL, only relative images and in-page links', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/@import|url\(/i);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(r).toMatch(/^(#[\w-]+|[\w.-]+\.png)$/);
    expect(html).toContain("default-src 'none'");
    for (const f of FILES) expect(html).toContain(`src="${f}"`);
  });

  it('escapes every text from the trace', () => {
    expect(html).toContain('Only the front is visible &amp; the mug hides &lt;things&gt;.');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const evil = syntheticTrace();
    evil.modelLabel = '<img src=x onerror=alert(1)>';
    evil.question.options[1] = '"><svg onload=alert(2)>';
    const out = renderReportHtml(evil, FILES);
    expect(out).not.toContain('<img src=x');
    expect(out).not.toContain('<svg onload');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws the top-down sketch: pivot ahead of the reference, orbits to the correct side', () => {
    const ref = sketchCamera(html, 'ref');
    const r1 = sketchCamera(html, '1');
    const r2 = sketchCamera(html, '2');
    const pivot = html.match(/<g class="pivot">.*?M([-\d.]+) ([-\d.]+)L/);
    const px = Number(pivot![1]) + 6;
    const py = Number(pivot![2]) + 6;
    expect(Math.abs(px - ref.x)).toBeLessThan(0.5); // the pivot is straight ahead of the reference camera…
    expect(py).toBeLessThan(ref.y); // …up the page
    expect(r1.x).toBeGreaterThan(px); // azimuth +40: the camera swung to its right
    expect(r2.x).toBeLessThan(px); // azimuth −60: to the left
    expect(r2.straight).toBe(true); // elevation 85: looking (nearly) straight down
    expect(r1.straight).toBe(false);
  });

  it('marks a view whose image is not in the directory instead of linking a missing file', () => {
    const out = renderReportHtml(syntheticTrace(), ['input-0.png', 'round-01.png']);
    expect(out).not.toContain('src="round-02.png"');
    expect(out).toContain('image round-02.png is not in this trace directory');
  });

  it('renders a free-form question and an unfinished, empty trace without failing', () => {
    const t: Trace = { ...syntheticTrace(), question: { text: 'What colour is the box?', options: [] } };
    t.rounds = t.rounds.map((r) => ({
      ...r,
      answer: { ...r.answer, dist: { red: 0.7, blue: 0.3 } },
      posterior: { red: 0.7, blue: 0.3 },
      fusedChoice: 'red',
    }));
    const out = renderReportHtml(t, FILES);
    expect(out).toContain('free-form question');
    expect(out).toContain('data-option="red"');
    const empty = { ...syntheticTrace(), rounds: [], final: undefined } as unknown as Trace;
    expect(renderReportHtml(empty, [])).toContain('(unfinished)');
  });

  it("draws the scene's footprint under the cameras, in colour, with outliers not shrinking the map", () => {
    const bare = renderReportHtml(syntheticTrace(), FILES);
    expect(bare).not.toContain('class="footprint"');
    // a floor of points around the pivot (z = 2, y = 0.5 below it), one far-off outlier
    const xyz: number[] = [];
    const rgb: number[] = [];
    for (let i = 0; i < 100; i++) {
      xyz.push(-0.5 + (i % 10) / 10, 0.5, 1.5 + Math.floor(i / 10) / 10);
      rgb.push(200, 10, 10);
    }
    xyz.push(500, 0.5, 500);
    rgb.push(0, 0, 255);
    const html = renderReportHtml({ ...syntheticTrace(), footprint: { xyz, rgb } }, FILES);
    const g = html.match(/<g class="footprint"[^>]*>(.*?)<\/g>/)?.[1] ?? '';
    const dots = [...g.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(dots.length).toBe(100); // the outlier falls off the map, the floor is all there
    expect(new Set(dots)).toEqual(new Set(['#c80a0a']));
  });
});
