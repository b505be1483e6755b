import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answer, liftScene, renderView, questionOf, viewSize, type LiftedScene } from '../src/api.js';
import { createRenderer } from '../synth/renderer.js';
import { generateQuestions } from '../fixtures/questions.js';
import { writeRgbdPair } from './support/rgbd-files.js';
import type { Renderer } from '../core/types.js';
import { VantageError } from '../core/errors.js';

describe('library API (in process)', () => {
  let renderer: Renderer;
  let dir: string;
  let lifted: LiftedScene;
  let rgbPng: Buffer;
  let dPng: Buffer;

  beforeAll(async () => {
    renderer = await createRenderer({ warn: () => {} });
    dir = await mkdtemp(join(tmpdir(), 'vantage-api-'));
    ({ rgb: rgbPng, depth: dPng } = await writeRgbdPair(dir, 'tabletop', 160, 120));
    lifted = await liftScene({ fixture: 'tabletop' });
  });
  afterAll(async () => {
    renderer?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lifts a fixture with its exact original depth and camera', () => {
    expect(lifted.scene.count).toBeGreaterThan(1000);
    expect(lifted.originals).toHaveLength(1);
    expect(lifted.originals[0].depth?.length).toBe(lifted.originals[0].width * lifted.originals[0].height);
    expect(lifted.originals[0].camera?.intrinsics).toEqual(lifted.scene.reference.intrinsics);
  });

  it('lifts an RGB-D pair given as bytes, the same as given as files', async () => {
    const fromFiles = await liftScene({
      images: [join(dir, 'photo.png')],
      depths: [join(dir, 'photo-depth.png')],
      intrinsics: 'fov:60',
    });
    const fromBytes = await liftScene({ image: rgbPng, depth: dPng, intrinsics: 'fov:60' });
    expect(fromBytes.scene.count).toBe(fromFiles.scene.count);
    expect(Array.from(fromBytes.scene.positions.subarray(0, 30))).toEqual(
      Array.from(fromFiles.scene.positions.subarray(0, 30)),
    );
    expect(fromBytes.originals[0].depth?.length).toBe(160 * 120);
    await expect(liftScene({ image: rgbPng, images: [rgbPng], depth: dPng })).rejects.toThrow(/either image or images/);
  });

  it('renders the reference pose close to the original, and a swung pose differently, with a PNG and caption', async () => {
    // the reference renderer is the oracle: coverage figures here do not depend on a GPU driver
    const oracle = await createRenderer({ prefer: 'reference' });
    const ref = await renderView(lifted, { mode: 'orbit', azimuth_deg: 0 }, { renderer: oracle, width: 128 });
    expect(ref.width).toBe(128);
    expect(ref.height).toBe(96); // the reference aspect 4:3
    expect(ref.png.subarray(1, 4).toString()).toBe('PNG');
    // the tabletop has open sky behind it: the reference view covers what had depth, and little else
    const d = lifted.originals[0].depth!;
    const valid = d.filter((z) => z > 0).length / d.length;
    expect(Math.abs(ref.coverageRatio - valid)).toBeLessThan(0.05);
    expect(ref.caption).toContain('original viewpoint');
    const side = await renderView(lifted, '{"mode":"orbit","azimuth_deg":60,"elevation_deg":20,"distance_scale":1}', {
      renderer: oracle,
      width: 128,
    });
    expect(side.coverageRatio).toBeLessThan(ref.coverageRatio);
    expect(side.caption).toContain('60° to the right');
    let diff = 0;
    for (let i = 0; i < ref.rgba.length; i++) diff += Math.abs(ref.rgba[i] - side.rgba[i]);
    expect(diff / ref.rgba.length).toBeGreaterThan(5);
    // without a renderer, one is made for the call and disposed after
    const own = await renderView(lifted, { mode: 'preset', name: 'top_down' }, { width: 48, prefer: 'reference' });
    expect([own.width, own.height, own.renderer]).toEqual([48, 36, 'reference']);
    oracle.dispose();
  });

  it('refuses out-of-range and language poses, or clamps when asked', async () => {
    await expect(
      renderView(
        lifted,
        { mode: 'orbit', azimuth_deg: 0, elevation_deg: 120, distance_scale: 1 },
        { renderer, width: 32 },
      ),
    ).rejects.toThrow(/elevation_deg=120 is outside -85..85/);
    await expect(renderView(lifted, { mode: 'language', text: 'go left' }, { renderer })).rejects.toBeInstanceOf(
      VantageError,
    );
    const c = await renderView(
      lifted,
      { mode: 'orbit', azimuth_deg: 0, elevation_deg: 120, distance_scale: 1 },
      { renderer, width: 32, clamp: true },
    );
    expect(c.pose).toMatchObject({ elevation_deg: 85 });
    expect(c.clamped.join()).toContain('elevation_deg 120 → 85');
    expect(() => viewSize(lifted.scene, 5000)).toThrow(/width 5000/);
  });

  it('answers a fixture question with builtin:perceiver and writes the trace', async () => {
    const { question } = generateQuestions({ count: 4, seed: 7 }).find(
      (q) => q.question.category === 'count' && q.question.sceneKind === 'room',
    )!;
    const r = await answer({ fixture: String(question.sceneSeed) }, question.text, {
      options: question.options,
      renderer,
      traceDir: join(dir, 'trace'),
      config: { maxRounds: 1, width: 96, height: 72, render: 'points', stop: { policy: 'fixed' } },
      model: 'builtin:perceiver',
    });
    expect(['A', 'B', 'C', 'D']).toContain(r.choice);
    expect(r.option).toBe(question.options['ABCD'.indexOf(r.choice)]);
    expect(Object.values(r.posterior).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(r.rounds).toBe(2);
    expect(r.model).toContain('builtin:perceiver');
    expect(r.views.map((v) => v.file)).toEqual(['original-0.png', 'round-01.png']);
    const trace = JSON.parse(await readFile(r.traceJson!, 'utf8'));
    expect(trace.final.choice).toBe(r.choice);
  });

  it('checks the question', () => {
    expect(() => questionOf('  ')).toThrow(/empty/);
    expect(() => questionOf('q?', ['only one'])).toThrow(/at least two/);
    expect(questionOf({ text: 'q?', options: ['A) x', 'B) y'] }).options).toEqual(['x', 'y']);
  });
});
