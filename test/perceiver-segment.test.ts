/**
 * The perceiver's eyes against the ray caster's object ids (the test's oracle; the perceiver itself
 * only gets pixels, depth and the camera).
 */
import { describe, expect, it } from 'vitest';
import { generateScene } from '../fixtures/scenes.js';
import { type FixtureScene } from '../fixtures/types.js';
import { raycast } from '../fixtures/raycast.js';
import { raycastView } from './support/perceiver-eval.js';
import { perceiveView } from '../loop/perceiver/reason.js';
import { type PerceiverView } from '../loop/perceiver/types.js';
import { analyseView, estimateUp } from '../loop/perceiver/world.js';
import { classifyColor, LABEL_FLOOR, LABEL_WALL, SEGMENT_TUNING } from '../loop/perceiver/segment.js';
import { OBJECT_PALETTE, FLOOR_RGB, WALL_RGB } from '../core/palette.js';
import { HOLE_MARK_COLOR } from '../core/config.js';
import { scaleIntrinsics, transformPoint, unprojectPixel } from '../core/camera.js';
import type { Vec3 } from '../core/types.js';

const W = 256,
  H = 192;

/** Per object: visible pixel count and the median of its visible surface points, from the ray caster's ids. */
function oracle(fixture: FixtureScene): { pixels: number[]; surface: (Vec3 | undefined)[] } {
  const r = raycast(fixture, fixture.reference, W, H);
  const k = scaleIntrinsics(fixture.reference.intrinsics, W, H);
  const pts: Vec3[][] = fixture.objects.map(() => []);
  for (let i = 0; i < W * H; i++) {
    const id = r.ids[i];
    if (id < 0) continue;
    const u = i % W;
    pts[id].push(transformPoint(fixture.reference.c2w, unprojectPixel(k, u, (i - u) / W, r.depth[i])));
  }
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[s.length >> 1];
  };
  return {
    pixels: pts.map((p) => p.length),
    surface: pts.map((p) => (p.length ? ([0, 1, 2].map((d) => med(p.map((q) => q[d]))) as Vec3) : undefined)),
  };
}

const minPixels = Math.max(SEGMENT_TUNING.minComponentPixels, Math.ceil(W * H * SEGMENT_TUNING.minComponentShare));
const scenes = [
  generateScene('tabletop'),
  generateScene('room'),
  generateScene('occluded'),
  generateScene(7),
  generateScene(8, { kind: 'tabletop' }),
];

describe('perceiveView on ray-cast fixture images', () => {
  it('classifies shaded palette colours, floor and wall, and rejects what is not a palette colour', () => {
    for (const c of OBJECT_PALETTE) {
      const idx = OBJECT_PALETTE.indexOf(c);
      for (const shade of [0.7, 0.85, 1])
        expect(classifyColor(...(c.rgb.map((x) => Math.round(x * shade)) as [number, number, number]))).toBe(idx);
    }
    expect(classifyColor(...FLOOR_RGB)).toBe(LABEL_FLOOR);
    expect(classifyColor(...(WALL_RGB.map((x) => Math.round(x * 0.75)) as [number, number, number]))).toBe(LABEL_WALL);
    expect(classifyColor(...HOLE_MARK_COLOR)).toBeLessThan(0);
  });

  it('finds exactly the visible objects, by colour, with the right pixel counts', () => {
    for (const f of scenes) {
      const view = raycastView(f, f.reference, W, H);
      const obs = perceiveView(view, 0);
      const truth = oracle(f);
      const expected = f.objects
        .filter((_, i) => truth.pixels[i] >= minPixels)
        .map((o) => o.color)
        .sort();
      expect(obs.map((o) => o.color).sort(), f.name).toEqual(expected);
      for (const o of obs) {
        const i = f.objects.findIndex((x) => x.color === o.color);
        expect(Math.abs(o.pixels - truth.pixels[i]), `${f.name} ${o.color}`).toBeLessThanOrEqual(
          Math.max(3, 0.02 * truth.pixels[i]),
        );
        expect(o.viewIndex).toBe(0);
        const [x0, y0, x1, y1] = o.bboxPx;
        expect(o.centroidPx[0]).toBeGreaterThan(x0);
        expect(o.centroidPx[0]).toBeLessThan(x1);
        expect(o.centroidPx[1]).toBeGreaterThan(y0);
        expect(o.centroidPx[1]).toBeLessThan(y1);
      }
    }
  });

  it('places objects in the world from depth + camera: within a few cm of their visible surface, near their centre', () => {
    for (const f of scenes) {
      const s = f.room.kind === 'tabletop' ? 0.3 : 1;
      const truth = oracle(f);
      for (const o of perceiveView(raycastView(f, f.reference, W, H), 0)) {
        const i = f.objects.findIndex((x) => x.color === o.color);
        const surf = truth.surface[i]!;
        const err = Math.hypot(o.world![0] - surf[0], o.world![1] - surf[1], o.world![2] - surf[2]);
        expect(err, `${f.name} ${o.color} surface`).toBeLessThan(0.04 * s);
        if (truth.pixels[i] > 200) {
          const c = f.objects[i].center;
          const cErr = Math.hypot(o.centerWorld![0] - c[0], o.centerWorld![1] - c[1], o.centerWorld![2] - c[2]);
          expect(cErr, `${f.name} ${o.color} centre`).toBeLessThan(0.6 * Math.max(...f.objects[i].size));
        }
      }
    }
  });

  it('finds the floor plane, so "up" matches the gravity of the scene (the camera pitches 15–35° down)', () => {
    for (const f of scenes) {
      const up = estimateUp([analyseView(raycastView(f, f.reference, W, H), 0)]);
      const cos = up[0] * f.up[0] + up[1] * f.up[1] + up[2] * f.up[2];
      expect((Math.acos(Math.min(1, cos)) * 180) / Math.PI, f.name).toBeLessThan(1);
    }
  });

  it('tolerates blur and noise (soft edges of rendered views)', () => {
    const f = scenes[2];
    const view = raycastView(f, f.reference, W, H);
    const blurred = new Uint8Array(view.rgba.length);
    let seed = 1;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return ((seed >>> 16) % 13) - 6;
    };
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0,
            n = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx,
                yy = y + dy;
              if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
              sum += view.rgba[4 * (yy * W + xx) + c];
              n++;
            }
          blurred[4 * (y * W + x) + c] = Math.max(0, Math.min(255, Math.round(sum / n) + noise()));
        }
        blurred[4 * (y * W + x) + 3] = 255;
      }
    const clean = perceiveView(view, 0);
    const soft = perceiveView({ ...view, rgba: blurred }, 0);
    expect(soft.map((o) => o.color)).toEqual(clean.map((o) => o.color));
    for (const o of soft) {
      const c = clean.find((x) => x.color === o.color)!;
      expect(Math.abs(o.pixels - c.pixels) / c.pixels).toBeLessThan(0.2);
    }
  });

  it('ignores hole-marked and uncovered pixels, and works without depth (no world position)', () => {
    const f = scenes[0];
    const view = raycastView(f, f.reference, W, H);
    const before = perceiveView(view, 0);
    // Mark the left half as holes (magenta, coverage 0): only objects on the right half remain.
    const rgba = view.rgba.slice();
    const coverage = new Uint8Array(W * H).fill(1);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W / 2; x++) {
        const i = y * W + x;
        rgba.set([...HOLE_MARK_COLOR, 255], 4 * i);
        coverage[i] = 0;
      }
    const after = perceiveView({ ...view, rgba, coverage }, 3);
    for (const o of after) {
      expect(o.bboxPx[0]).toBeGreaterThanOrEqual(W / 2);
      expect(o.viewIndex).toBe(3);
    }
    expect(after.length).toBeLessThanOrEqual(before.length);
    // A black background with no coverage is not the black object.
    const dark: PerceiverView = {
      width: 32,
      height: 32,
      rgba: new Uint8Array(32 * 32 * 4).fill(0),
      coverage: new Uint8Array(32 * 32),
    };
    expect(perceiveView(dark, 0)).toEqual([]);
    const noDepth = perceiveView({ width: view.width, height: view.height, rgba: view.rgba }, 0);
    expect(noDepth.map((o) => o.color)).toEqual(before.map((o) => o.color));
    expect(noDepth.every((o) => o.world === undefined)).toBe(true);
  });
});
