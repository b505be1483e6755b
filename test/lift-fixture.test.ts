import { describe, expect, it } from 'vitest';
import type { RgbdFrame, Vec3 } from '../core/types.js';
import { dot, rad2deg } from '../core/camera.js';
import { c2wFromPose } from '../core/pose.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { defaultPivot, detectUp, mergeScenes, pointUnderPixel, poseContextOf, subsetScene } from '../synth/scene.js';
import { sceneBounds } from '../core/bounds.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame, raycast } from '../fixtures/raycast.js';

const W = 256,
  H = 192;

/**
 * A (2r+1)² mean over the valid depths: what a sensor or a depth network does at an edge — it
 * invents depths between foreground and background ("flying pixels", a "curtain" in 3D).
 */
function smearDepth(frame: RgbdFrame, r: number): RgbdFrame {
  const { width, height, depth } = frame;
  const out = new Float32Array(depth.length);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      if (!(depth[v * width + u] > 0)) continue;
      let sum = 0,
        n = 0;
      for (let dv = -r; dv <= r; dv++)
        for (let du = -r; du <= r; du++) {
          const uu = u + du,
            vv = v + dv;
          if (uu < 0 || vv < 0 || uu >= width || vv >= height) continue;
          const z = depth[vv * width + uu];
          if (z > 0) {
            sum += z;
            n++;
          }
        }
      out[v * width + u] = sum / n;
    }
  }
  return { ...frame, depth: out };
}

/**
 * Curtain points: lifted points (camera = world here) near a silhouette — the exact depths within
 * r px jump by > 10 % — whose depth lies strictly between the two surfaces, > 3 % from every true one.
 */
function curtainPoints(lifted: ReturnType<typeof liftFrame>, exact: Float32Array, r: number): number {
  let count = 0;
  for (let j = 0; j < lifted.count; j++) {
    const i = lifted.pixelIndex[j];
    const u = i % W,
      v = Math.floor(i / W);
    const z = lifted.positions[j * 3 + 2];
    let lo = Infinity,
      hi = 0,
      onSurface = false;
    for (let dv = -r; dv <= r; dv++)
      for (let du = -r; du <= r; du++) {
        const uu = u + du,
          vv = v + dv;
        if (uu < 0 || vv < 0 || uu >= W || vv >= H) continue;
        const ze = exact[vv * W + uu];
        if (!(ze > 0)) continue;
        lo = Math.min(lo, ze);
        hi = Math.max(hi, ze);
        if (Math.abs(z - ze) <= 0.03 * ze) onSurface = true;
      }
    if (hi > 1.1 * lo && z > lo && z < hi && !onSurface) count++;
  }
  return count;
}

describe('flying pixels at depth edges (fixture frames)', () => {
  for (const [name, r] of [
    ['occluded', 1],
    ['tabletop', 1],
    ['room', 2],
  ] as const) {
    it(`${name}, depth smeared over ${2 * r + 1}×${2 * r + 1}: the curtain between foreground and background disappears`, () => {
      const fixture = generateScene(name, { width: W, height: H });
      const exact = fixtureFrame(fixture);
      const smeared = smearDepth(exact, r);
      const before = curtainPoints(liftFrame(smeared, { depthJumpRel: Infinity, grazingDeg: 90 }), exact.depth, r);
      const culled = liftFrame(smeared);
      const after = curtainPoints(culled, exact.depth, r);
      expect(before).toBeGreaterThan(400);
      expect(after).toBeLessThanOrEqual(Math.max(3, 0.01 * before));
      expect(culled.stats.flying).toBeGreaterThan(before * 0.5);
    });
  }

  it('silhouettes stay crisp: on exact depth, object pixels are kept up to the edge (≤ 1 px eroded)', () => {
    const fixture = generateScene('occluded', { width: W, height: H });
    const frame = fixtureFrame(fixture);
    const { ids } = raycast(fixture, fixture.reference);
    const lifted = liftFrame(frame);
    const kept = new Uint8Array(W * H);
    for (let j = 0; j < lifted.count; j++) kept[lifted.pixelIndex[j]] = 1;
    fixture.objects.forEach((obj, k) => {
      let total = 0,
        got = 0,
        near = 0;
      for (let i = 0; i < W * H; i++) {
        if (ids[i] !== k) continue;
        total++;
        got += kept[i];
        // a kept pixel of the same object within 1 px (a box face seen edge-on may be dropped as grazing)
        const u = i % W,
          v = Math.floor(i / W);
        let ok = false;
        for (let dv = -1; dv <= 1 && !ok; dv++)
          for (let du = -1; du <= 1 && !ok; du++) {
            const j = (v + dv) * W + u + du;
            ok = u + du >= 0 && u + du < W && v + dv >= 0 && v + dv < H && ids[j] === k && kept[j] === 1;
          }
        near += ok ? 1 : 0;
      }
      if (total === 0) return; // hidden
      expect(got / total, obj.name).toBeGreaterThan(0.9);
      expect(near / total, `${obj.name} within 1 px`).toBeGreaterThan(0.98);
    });
  });
});

describe('scene utilities on fixture frames', () => {
  it("detectUp finds the floor: within 3° of the fixture's true up for several scenes", () => {
    for (const seed of ['room', 'tabletop', 'occluded', 5, 11, 17] as const) {
      const fixture = generateScene(seed, { width: 160, height: 120 });
      const lifted = liftFrame(fixtureFrame(fixture));
      const est = detectUp(lifted.positions, lifted.camera);
      expect(est.floor, String(seed)).toBeDefined();
      const angle = rad2deg(Math.acos(Math.min(1, dot(est.up, fixture.up))));
      expect(angle, String(seed)).toBeLessThan(3);
      expect(est.floor!.cameraHeight).toBeCloseTo(fixture.room.cameraHeight, 1);
      expect(est.note).toMatch(/up levelled by floor plane \(\d+\.\d° from camera −y/);
    }
  });

  it('detectUp keeps the camera −y when there is no floor (a wall straight ahead)', () => {
    const pts = new Float32Array(3000);
    for (let i = 0; i < 1000; i++) pts.set([(i % 40) / 10 - 2, Math.floor(i / 40) / 10 - 1.2, 3], i * 3);
    const est = detectUp(pts);
    expect(est.up).toEqual([0, -1, 0]);
    expect(est.floor).toBeUndefined();
    expect(est.note).toMatch(/^up = reference camera −y/);
  });

  it('liftToScene: up levelled by the floor, pivot under the image centre, notes', () => {
    const fixture = generateScene('room', { width: W, height: H });
    const scene = liftToScene([fixtureFrame(fixture)]);
    expect(rad2deg(Math.acos(dot(scene.up, fixture.up)))).toBeLessThan(3);
    expect(scene.notes.some((n) => n.startsWith('up levelled by floor plane'))).toBe(true);
    // the pivot is the surface point under the image centre: compare with the exact depth there
    const exact = raycast(fixture, fixture.reference);
    const zc = exact.depth[(H / 2) * W + W / 2];
    expect(scene.pivot[2]).toBeCloseTo(zc, 1);
    expect(Math.abs(scene.pivot[0])).toBeLessThan(0.05);
    const b = sceneBounds(scene.positions);
    expect(scene.bounds).toEqual(b);
    expect(b.min[2]).toBeGreaterThan(0);
  });

  it('pointUnderPixel returns the visible surface point, and poseContextOf resolves an orbit pivot from it', () => {
    const fixture = generateScene('occluded', { width: W, height: H });
    const scene = liftToScene([fixtureFrame(fixture)]);
    const exact = raycast(fixture, fixture.reference);
    const obj = fixture.objects.findIndex((o) => o.visibility > 0.9);
    // a pixel in the middle of a visible object
    let u = 0,
      v = 0,
      n = 0;
    for (let i = 0; i < W * H; i++)
      if (exact.ids[i] === obj) {
        u += i % W;
        v += Math.floor(i / W);
        n++;
      }
    u = Math.round(u / n);
    v = Math.round(v / n);
    expect(exact.ids[v * W + u]).toBe(obj);
    const p = pointUnderPixel(scene, u, v) as Vec3;
    expect(p[2]).toBeCloseTo(exact.depth[v * W + u], 3);
    expect(pointUnderPixel(scene, -50, -50)).toBeUndefined();
    const ctx = poseContextOf(scene);
    expect(ctx.pointUnderPixel!(u, v)).toEqual(p);
    // an orbit of 0° around that pixel reproduces the reference camera
    const c2w = c2wFromPose(
      { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1, pivot: { u, v } },
      ctx,
    );
    expect(Array.from(c2w).map((x) => Math.round(x * 1e6) / 1e6 + 0)).toEqual([
      1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1,
    ]);
  });

  it('defaultPivot falls back to the median depth on the optical axis when the centre pixel is empty', () => {
    const fixture = generateScene('room', { width: W, height: H });
    const scene = liftToScene([fixtureFrame(fixture)]);
    const k = scene.reference.intrinsics;
    const far = (u: number, v: number) => Math.hypot(u - k.cx, v - k.cy) > 20;
    const holed = subsetScene(scene, (i) => {
      const [x, y, z] = [scene.positions[i * 3], scene.positions[i * 3 + 1], scene.positions[i * 3 + 2]];
      return far((k.fx * x) / z + k.cx, (k.fy * y) / z + k.cy);
    });
    const pivot = defaultPivot(holed, holed.reference);
    expect(pivot[0]).toBe(0);
    expect(pivot[1]).toBe(0);
    const zs = Array.from({ length: holed.count }, (_, i) => holed.positions[i * 3 + 2]).sort((a, b) => a - b);
    expect(pivot[2]).toBeCloseTo(zs[zs.length >> 1], 5);
  });

  it('subsetScene and mergeScenes round-trip', () => {
    const fixture = generateScene('tabletop', { width: 96, height: 72 });
    const scene = liftToScene([fixtureFrame(fixture)]);
    const a = subsetScene(scene, (i) => i % 2 === 0);
    const b = subsetScene(scene, (i) => i % 2 === 1);
    const m = mergeScenes([a, b]);
    expect(m.count).toBe(scene.count);
    expect(m.bounds).toEqual(scene.bounds);
    expect(Array.from(m.positions.subarray(0, 3))).toEqual(Array.from(scene.positions.subarray(0, 3)));
    expect(Array.from(m.rotations.subarray(a.count * 4, a.count * 4 + 4))).toEqual(
      Array.from(scene.rotations.subarray(4, 8)),
    );
    expect(m.notes.at(-1)).toMatch(/merged 2 scenes/);
    expect(() => subsetScene(scene, [scene.count])).toThrow(/outside/);
    expect(() => mergeScenes([scene, { ...scene, units: 'relative' }])).toThrow(/units/);
  });
});
