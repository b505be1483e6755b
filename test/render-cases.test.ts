/**
 * Hand-checkable renders, run on the reference renderer and (where an adapter exists) on WebGPU:
 * where a Gaussian lands, what hides what, depth, coverage, holes, points-mode footprints.
 * Camera: identity, 60° hfov, 65×49, so cx = 32.5, cy = 24.5 (pixel (32, 24) is centred on the axis).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RenderOptions, RenderedView, Renderer, Scene } from '../core/types.js';
import { HOLE_MARK_COLOR } from '../core/config.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { openGpu } from '../synth/device.js';
import { missing } from './support/required.js';
import { createWebGpuRenderer } from '../synth/gpu-renderer.js';
import { camera, rgbAt, sceneOf } from './render-scenes.js';

const W = 65;
const H = 49;
const cam = camera(W, H);
const { fx, cx, cy } = cam.intrinsics;

const gpu = await openGpu().catch((e: Error) => missing('GPU', `WebGPU did not open: ${e.message}`));
const renderers: [string, Renderer][] = [['reference', createReferenceRenderer()]];
if (gpu) renderers.push(['webgpu', await createWebGpuRenderer(gpu, { ownsDevice: true })]);
afterAll(() => renderers.forEach(([, r]) => r.dispose()));

const opts = (o: Partial<RenderOptions> = {}): RenderOptions => ({
  mode: 'gaussians',
  width: W,
  height: H,
  holes: 'none',
  ...o,
});

/** Luminance-weighted centroid of the image, in continuous pixel coordinates (centres at u + ½). */
function centroid(view: RenderedView): [number, number] {
  let sx = 0,
    sy = 0,
    s = 0;
  for (let v = 0; v < view.height; v++) {
    for (let u = 0; u < view.width; u++) {
      const w = rgbAt(view.rgba, view.width, u, v)[0];
      sx += w * (u + 0.5);
      sy += w * (v + 0.5);
      s += w;
    }
  }
  return [sx / s, sy / s];
}

/** Width and height of the bounding box of covered pixels. */
function coveredExtent(view: RenderedView): [number, number] {
  let u0 = Infinity,
    u1 = -Infinity,
    v0 = Infinity,
    v1 = -Infinity;
  for (let v = 0; v < view.height; v++) {
    for (let u = 0; u < view.width; u++) {
      if (!view.coverage[v * view.width + u]) continue;
      u0 = Math.min(u0, u);
      u1 = Math.max(u1, u);
      v0 = Math.min(v0, v);
      v1 = Math.max(v1, v);
    }
  }
  return [u1 - u0 + 1, v1 - v0 + 1];
}

const white = (pos: [number, number, number], scale: number, opacity = 1): Scene =>
  sceneOf([{ pos, color: [1, 1, 1], scale, opacity }]);

describe.each(renderers)('%s renderer: gaussians', (kind, renderer) => {
  it('labels the view with the renderer and options', async () => {
    const view = await renderer.render(white([0, 0, 2], 0.02), cam, opts({ holes: 'mark' }));
    expect(view.renderer).toBe(kind);
    expect([view.width, view.height, view.mode, view.holes]).toEqual([W, H, 'gaussians', 'mark']);
    expect(view.rgba.length).toBe(4 * W * H);
    expect(view.rgba.every((x, i) => i % 4 !== 3 || x === 255)).toBe(true);
  });

  it('puts a Gaussian on the optical axis at the image centre', async () => {
    const view = await renderer.render(white([0, 0, 2], 0.02), cam, opts());
    const [x, y] = centroid(view);
    expect(x).toBeCloseTo(cx, 1);
    expect(y).toBeCloseTo(cy, 1);
    const centre = rgbAt(view.rgba, W, 32, 24);
    expect(centre[0]).toBeGreaterThanOrEqual(250); // alpha capped at 0.99
    // symmetric about the centre pixel
    expect(rgbAt(view.rgba, W, 31, 24)[0]).toBeCloseTo(rgbAt(view.rgba, W, 33, 24)[0], -0.5);
    expect(rgbAt(view.rgba, W, 32, 23)[0]).toBeCloseTo(rgbAt(view.rgba, W, 32, 25)[0], -0.5);
    expect(view.coverage[24 * W + 32]).toBe(1);
    expect(view.depth[24 * W + 32]).toBeCloseTo(2, 4);
    expect(view.coverage[0]).toBe(0);
    expect(view.depth[0]).toBe(0);
  });

  it('puts a Gaussian at x = +1, z = 2 right of centre, at u = fx·0.5 + cx', async () => {
    const view = await renderer.render(white([1, 0, 2], 0.02), cam, opts());
    const [x, y] = centroid(view);
    expect(Math.abs(x - (fx * 0.5 + cx))).toBeLessThan(0.15);
    expect(Math.abs(y - cy)).toBeLessThan(0.15);
  });

  it('lets a nearer opaque Gaussian hide a farther one, whatever their order in the arrays', async () => {
    const far = {
      pos: [0, 0, 3] as [number, number, number],
      color: [0, 1, 0] as [number, number, number],
      scale: 0.075,
    };
    const near = {
      pos: [0, 0, 2] as [number, number, number],
      color: [1, 0, 0] as [number, number, number],
      scale: 0.05,
    };
    for (const scene of [sceneOf([far, near]), sceneOf([near, far])]) {
      const view = await renderer.render(scene, cam, opts());
      const [r, g] = rgbAt(view.rgba, W, 32, 24);
      expect(r).toBeGreaterThanOrEqual(250);
      expect(g).toBeLessThanOrEqual(5);
      expect(Math.abs(view.depth[24 * W + 32] - 2)).toBeLessThan(0.02);
    }
    const behind = sceneOf([{ ...near, pos: [0, 0, 4] }, far]);
    const view = await renderer.render(behind, cam, opts());
    expect(rgbAt(view.rgba, W, 32, 24)[1]).toBeGreaterThanOrEqual(250);
  });

  it('blends a faint Gaussian with the background and does not count it as surface', async () => {
    const view = await renderer.render(white([0, 0, 2], 0.05, 0.3), cam, opts({ background: [0, 100, 200] }));
    const [r, g, b] = rgbAt(view.rgba, W, 32, 24);
    expect(r).toBeCloseTo(0.3 * 255, -1);
    expect(g).toBeCloseTo(0.3 * 255 + 0.7 * 100, -1);
    expect(b).toBeCloseTo(0.3 * 255 + 0.7 * 200, -1);
    expect(view.coverage[24 * W + 32]).toBe(0);
    expect(rgbAt(view.rgba, W, 0, 0)).toEqual([0, 100, 200]);
  });

  it('orients an anisotropic Gaussian by its rotation', async () => {
    const long: [number, number, number] = [0.12, 0.02, 0.02];
    const plain = await renderer.render(sceneOf([{ pos: [0, 0, 2], color: [1, 1, 1], scale: long }]), cam, opts());
    const [w0, h0] = coveredExtent(plain);
    expect(w0).toBeGreaterThan(2 * h0);
    const s = Math.SQRT1_2; // 90° about the camera axis
    const turned = await renderer.render(
      sceneOf([{ pos: [0, 0, 2], color: [1, 1, 1], scale: long, rot: [s, 0, 0, s] }]),
      cam,
      opts(),
    );
    const [w1, h1] = coveredExtent(turned);
    expect(h1).toBeGreaterThan(2 * w1);
  });

  it('marks holes and fills them on request', async () => {
    const scene = white([0, 0, 2], 0.05);
    const marked = await renderer.render(scene, cam, opts({ holes: 'mark' }));
    expect(rgbAt(marked.rgba, W, 0, 0)).toEqual(HOLE_MARK_COLOR);
    expect(marked.coverageRatio).toBeGreaterThan(0);
    expect(marked.coverageRatio).toBeLessThan(0.2);
    const custom = await renderer.render(scene, cam, opts({ holes: 'mark', holeColor: [1, 2, 3] }));
    expect(rgbAt(custom.rgba, W, 0, 0)).toEqual([1, 2, 3]);
    const filled = await renderer.render(scene, cam, opts({ holes: 'fill' }));
    // pulled from the covered pixels: the white splat, its rim partly blended with the black background
    const [r, g, b] = rgbAt(filled.rgba, W, 0, 0);
    expect(r).toBeGreaterThan(128);
    expect([g, b]).toEqual([r, r]);
    expect(filled.coverage[0]).toBe(0);
    expect(filled.coverageRatio).toBe(marked.coverageRatio);
  });

  it('culls splats behind the camera or nearer than the near plane, and renders empty scenes', async () => {
    for (const scene of [white([0, 0, -2], 0.05), white([0, 0, 0.001], 0.0001), sceneOf([])]) {
      const view = await renderer.render(scene, cam, opts({ holes: 'mark' }));
      expect(view.coverageRatio).toBe(0);
      expect(rgbAt(view.rgba, W, 32, 24)).toEqual(HOLE_MARK_COLOR);
    }
  });

  it('rescales the intrinsics to the requested size', async () => {
    const view = await renderer.render(white([0, 0, 2], 0.02), cam, opts({ width: 2 * W, height: 2 * H }));
    expect(view.camera.intrinsics).toMatchObject({ width: 2 * W, height: 2 * H, cx: 2 * cx, cy: 2 * cy });
    const [x, y] = centroid(view);
    expect(x).toBeCloseTo(2 * cx, 1);
    expect(y).toBeCloseTo(2 * cy, 1);
  });

  it('rejects bad options with a VantageError', async () => {
    await expect(renderer.render(white([0, 0, 2], 0.02), cam, opts({ width: 0 }))).rejects.toMatchObject({
      name: 'VantageError',
    });
    await expect(renderer.render(white([0, 0, 2], 0.02), cam, opts({ mode: 'voxels' as never }))).rejects.toMatchObject(
      { code: 'bad-render-options' },
    );
    const broken = { ...white([0, 0, 2], 0.02), count: 5 };
    await expect(renderer.render(broken, cam, opts())).rejects.toMatchObject({ code: 'bad-scene' });
  });
});

describe.each(renderers)('%s renderer: points', (_kind, renderer) => {
  const popts = (o: Partial<RenderOptions> = {}) => opts({ mode: 'points', ...o });

  it('covers the square of half-size max(scale)·fx/z around the projection', async () => {
    const sigma = (2 * 2) / fx; // 2 px at z = 2
    const view = await renderer.render(
      sceneOf([{ pos: [0, 0, 2], color: [0.2, 0.4, 0.6], scale: sigma }]),
      cam,
      popts(),
    );
    expect(view.coverage.reduce((a, b) => a + b, 0)).toBe(25);
    expect(coveredExtent(view)).toEqual([5, 5]);
    expect(view.coverage[22 * W + 30]).toBe(1);
    expect(view.coverage[26 * W + 34]).toBe(1);
    expect(rgbAt(view.rgba, W, 32, 24)).toEqual([51, 102, 153]);
    expect(view.depth[24 * W + 32]).toBeCloseTo(2, 5);
  });

  it('keeps the nearest point, and the lower index at equal depth', async () => {
    const s = 0.001;
    const near = await renderer.render(
      sceneOf([
        { pos: [0, 0, 3], color: [0, 1, 0], scale: s },
        { pos: [0, 0, 2], color: [1, 0, 0], scale: s },
      ]),
      cam,
      popts(),
    );
    expect(rgbAt(near.rgba, W, 32, 24)).toEqual([255, 0, 0]);
    expect(near.depth[24 * W + 32]).toBeCloseTo(2, 5);
    const tie = await renderer.render(
      sceneOf([
        { pos: [0, 0, 2], color: [0, 0, 1], scale: s },
        { pos: [0, 0, 2], color: [1, 0, 0], scale: s },
      ]),
      cam,
      popts(),
    );
    expect(rgbAt(tie.rgba, W, 32, 24)).toEqual([0, 0, 255]);
  });

  it('gives at least one pixel to a tiny point and marks the rest', async () => {
    const view = await renderer.render(
      sceneOf([{ pos: [0, 0, 2], color: [1, 1, 1], scale: 1e-6 }]),
      cam,
      popts({ holes: 'mark' }),
    );
    expect(view.coverage.reduce((a, b) => a + b, 0)).toBe(1);
    expect(view.coverage[24 * W + 32]).toBe(1);
    expect(rgbAt(view.rgba, W, 0, 0)).toEqual(HOLE_MARK_COLOR);
  });
});
