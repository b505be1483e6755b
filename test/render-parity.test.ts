/**
 * WebGPU vs the TypeScript reference: the same maths, so the images agree to rounding (bounded by
 * PSNR and max error, never byte-exact). Covers both rasterisers (subgroup shuffles and portable),
 * forced 2D dispatch, both modes, hole modes, 100k splats, the scene cache and disposal.
 * Skipped where WebGPU has no adapter (a failure with VANTAGE_REQUIRE_GPU=1, as in CI).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Camera, RenderOptions, RenderedView, Renderer, Scene } from '../core/types.js';
import { lookAt } from '../core/camera.js';
import { renderReference } from '../synth/reference-renderer.js';
import { openGpu } from '../synth/device.js';
import { createWebGpuRenderer, workgroupGrid, type WebGpuRenderer } from '../synth/gpu-renderer.js';
import { maxAbsError, psnr } from '../synth/metrics.js';
import { camera, randomScene, sceneOf } from './render-scenes.js';
import { missing } from './support/required.js';

const gpus = await Promise.all([openGpu(), openGpu(), openGpu()]).catch((e: Error) =>
  missing('GPU', `WebGPU did not open: ${e.message}`),
);
const variants: [string, WebGpuRenderer][] = gpus
  ? [
      ['subgroup rasteriser', await createWebGpuRenderer(gpus[0])],
      ['portable rasteriser', await createWebGpuRenderer(gpus[1], { subgroups: false })],
      [
        '2D dispatch (8 workgroups per dimension)',
        await createWebGpuRenderer(gpus[2], { maxWorkgroupsPerDimension: 8 }),
      ],
    ]
  : [];
afterAll(() => {
  variants.forEach(([, r]) => r.dispose());
  gpus?.forEach((g) => g.destroy());
});

/** Agreement of two views: PSNR over RGB, max error, share of pixels whose coverage differs, depth error. */
function compare(a: RenderedView, b: RenderedView) {
  let coverageDiff = 0;
  const rel: number[] = [];
  for (let p = 0; p < a.coverage.length; p++) {
    if (a.coverage[p] !== b.coverage[p]) coverageDiff++;
    else if (a.coverage[p]) rel.push(Math.abs(a.depth[p] - b.depth[p]) / b.depth[p]);
  }
  rel.sort((x, y) => x - y);
  return {
    psnr: psnr(a.rgba, b.rgba, 4),
    maxError: maxAbsError(a.rgba, b.rgba, 4),
    coverageDiff: coverageDiff / a.coverage.length,
    depthRelMedian: rel.length ? rel[rel.length >> 1] : 0,
    depthRelMax: rel.length ? rel[rel.length - 1] : 0,
  };
}

function expectParity(gpu: RenderedView, ref: RenderedView): void {
  const c = compare(gpu, ref);
  expect(c.psnr).toBeGreaterThanOrEqual(40);
  expect(c.maxError).toBeLessThanOrEqual(16);
  expect(c.coverageDiff).toBeLessThanOrEqual(0.002);
  expect(c.depthRelMedian).toBeLessThan(1e-4);
  expect(c.depthRelMax).toBeLessThan(0.05);
  expect(gpu.coverageRatio).toBeCloseTo(ref.coverageRatio, 2);
}

const scene3k = randomScene(3000);
const orbit: Camera = { intrinsics: camera(96, 72).intrinsics, c2w: lookAt([2.5, -1, 0.5], [0, 0, 3]) };

describe.skipIf(!gpus)('WebGPU matches the reference renderer', () => {
  describe.each(variants)('%s', (_name, gpu) => {
    it.each(['gaussians', 'points'] as const)('%s, 3000 random splats, reference pose', async (mode) => {
      const o: RenderOptions = { mode, width: 96, height: 72, holes: 'none', background: [30, 60, 90] };
      const cam = camera(96, 72);
      expectParity(await gpu.render(scene3k, cam, o), renderReference(scene3k, cam, o));
    });

    it('gaussians from an orbit pose, non-square, holes marked', async () => {
      const o: RenderOptions = { mode: 'gaussians', width: 96, height: 72, holes: 'mark' };
      expectParity(await gpu.render(scene3k, orbit, o), renderReference(scene3k, orbit, o));
    });
  });

  const [, gpu] = variants[0] ?? [];

  it('100k random splats, gaussians, holes filled', async () => {
    const scene = randomScene(100_000, 11);
    const o: RenderOptions = { mode: 'gaussians', width: 128, height: 96, holes: 'fill' };
    const cam = camera(128, 96);
    const view = await gpu.render(scene, cam, o);
    expect(view.coverageRatio).toBeGreaterThan(0.5);
    expectParity(view, renderReference(scene, cam, o));
  });

  it('100k random splats, points', async () => {
    const scene = randomScene(100_000, 12);
    const o: RenderOptions = { mode: 'points', width: 128, height: 96, holes: 'mark' };
    const cam = camera(128, 96);
    expectParity(await gpu.render(scene, cam, o), renderReference(scene, cam, o));
  });

  it('keeps several scenes uploaded and re-uploads evicted ones correctly', async () => {
    const scenes: Scene[] = [randomScene(500, 1), randomScene(800, 2), randomScene(300, 3)];
    const o: RenderOptions = { mode: 'gaussians', width: 64, height: 48, holes: 'none' };
    const cam = camera(64, 48);
    for (const s of [...scenes, scenes[0], scenes[2], scenes[1]]) {
      expectParity(await gpu.render(s, cam, o), renderReference(s, cam, o));
    }
  });

  it('serialises concurrent renders', async () => {
    const cam = camera(64, 48);
    const o: RenderOptions = { mode: 'gaussians', width: 64, height: 48, holes: 'none' };
    const scenes = [randomScene(400, 4), randomScene(400, 5)];
    const views = await Promise.all([
      gpu.render(scenes[0], cam, o),
      gpu.render(scenes[1], cam, { ...o, mode: 'points' }),
      gpu.render(scenes[0], cam, o),
    ]);
    expectParity(views[0], renderReference(scenes[0], cam, o));
    expectParity(views[1], renderReference(scenes[1], cam, { ...o, mode: 'points' }));
    expect(views[2].rgba).toEqual(views[0].rgba);
  });
});

describe.skipIf(!gpus)('WebGPU renderer limits and lifecycle', () => {
  it('refuses, with a VantageError and quickly, splats that would need more tile entries than the GPU can bind', async () => {
    const [, gpu] = variants[0];
    // 5000 splats each covering the whole 1024² image: 5000 × 16384 tiles ≈ 82M entries > 32M
    const huge = sceneOf(
      Array.from({ length: 5000 }, (_, i) => ({
        pos: [0, 0, 2 + i * 1e-4] as [number, number, number],
        color: [1, 1, 1] as [number, number, number],
        scale: 5,
      })),
    );
    const t0 = performance.now();
    await expect(
      gpu.render(huge, camera(1024, 1024), { mode: 'gaussians', width: 1024, height: 1024, holes: 'none' }),
    ).rejects.toMatchObject({ code: 'render-too-large' });
    expect(performance.now() - t0).toBeLessThan(5000);
    // the renderer is still usable afterwards
    const small = randomScene(200);
    const o: RenderOptions = { mode: 'gaussians', width: 64, height: 48, holes: 'none' };
    expectParity(await gpu.render(small, camera(64, 48), o), renderReference(small, camera(64, 48), o));
  });

  it('refuses to render after dispose', async () => {
    const gpu = await openGpu();
    const r: Renderer = await createWebGpuRenderer(gpu);
    r.dispose();
    r.dispose(); // twice is harmless
    await expect(
      r.render(randomScene(10), camera(32, 24), { mode: 'points', width: 32, height: 24, holes: 'none' }),
    ).rejects.toMatchObject({ code: 'renderer-disposed' });
  });
});

describe('workgroupGrid', () => {
  it('stays 1D within the limit and goes 2D beyond it, covering every workgroup', () => {
    expect(workgroupGrid(10, 65535)).toEqual([10, 1]);
    expect(workgroupGrid(0, 65535)).toEqual([0, 1]);
    const [x, y] = workgroupGrid(100_000, 65535);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(100_000);
    expect(() => workgroupGrid(65536 * 65536, 65535)).toThrow(/dispatch limits/);
  });
});
