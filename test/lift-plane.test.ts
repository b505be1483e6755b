import { describe, expect, it } from 'vitest';
import type { Intrinsics, RgbdFrame } from '../core/types.js';
import { identity, rotationAbout, translation, multiply } from '../core/camera.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { depthNormals } from '../synth/normals.js';
import { isVantageError } from '../core/errors.js';
import { LIFT_DEFAULTS } from '../synth/config.js';

const W = 64,
  H = 48;
const K: Intrinsics = { fx: 100, fy: 100, cx: 32, cy: 24, width: W, height: H };

function frame(depthAt: (u: number, v: number) => number, c2w = identity()): RgbdFrame {
  const depth = new Float32Array(W * H);
  const rgb = new Uint8Array(W * H * 3);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      depth[v * W + u] = depthAt(u, v);
      rgb.set([u * 4, v * 5, 200], (v * W + u) * 3);
    }
  }
  return { width: W, height: H, rgb, depth, intrinsics: K, c2w, units: 'metres', source: 'synthetic plane' };
}

/** Rotate v by unit quaternion (w, x, y, z). */
function rotate(q: ArrayLike<number>, v: [number, number, number]): [number, number, number] {
  const [w, x, y, z] = [q[0], q[1], q[2], q[3]];
  const tx = 2 * (y * v[2] - z * v[1]),
    ty = 2 * (z * v[0] - x * v[2]),
    tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

describe('liftFrame on a fronto-parallel plane at z = 2 (fx = 100)', () => {
  const lifted = liftFrame(frame(() => 2));

  it('keeps every pixel, each exactly where (u + ½ − cx) / fx · z puts it', () => {
    expect(lifted.count).toBe(W * H);
    expect(lifted.stats).toMatchObject({ sampled: W * H, noDepth: 0, flying: 0, grazing: 0, kept: W * H });
    for (let j = 0; j < lifted.count; j++) {
      const i = lifted.pixelIndex[j];
      const u = i % W,
        v = Math.floor(i / W);
      expect(lifted.positions[j * 3]).toBeCloseTo(((u + 0.5 - 32) / 100) * 2, 6);
      expect(lifted.positions[j * 3 + 1]).toBeCloseTo(((v + 0.5 - 24) / 100) * 2, 6);
      expect(lifted.positions[j * 3 + 2]).toBe(2);
    }
    // hand-checked corner: pixel (0, 0) → (−0.63, −0.47, 2)
    expect(lifted.positions[0]).toBeCloseTo(-0.63, 6);
    expect(lifted.positions[1]).toBeCloseTo(-0.47, 6);
  });

  it('gives normals (0, 0, −1) facing the camera and surfels whose local z is that normal', () => {
    for (let j = 0; j < lifted.count; j++) {
      expect(lifted.normals[j * 3]).toBeCloseTo(0, 5);
      expect(lifted.normals[j * 3 + 1]).toBeCloseTo(0, 5);
      expect(lifted.normals[j * 3 + 2]).toBeCloseTo(-1, 5);
      const q = lifted.rotations.subarray(j * 4, j * 4 + 4);
      expect(Math.hypot(...q)).toBeCloseTo(1, 5);
      const z = rotate(q, [0, 0, 1]);
      expect(z[0]).toBeCloseTo(0, 5);
      expect(z[1]).toBeCloseTo(0, 5);
      expect(z[2]).toBeCloseTo(-1, 5);
    }
  });

  it('sizes surfels from the pixel footprint: σ = ½ · z / f in-plane, 1 % of that along the normal', () => {
    for (let j = 0; j < lifted.count; j += 97) {
      expect(lifted.scales[j * 3]).toBeCloseTo(0.01, 7);
      expect(lifted.scales[j * 3 + 1]).toBeCloseTo(0.01, 7);
      expect(lifted.scales[j * 3 + 2]).toBeCloseTo(0.0001, 8);
    }
  });

  it('takes colours from the pixels (0..1) and the configured opacity', () => {
    const j = lifted.pixelIndex.indexOf(5 * W + 7);
    expect(Array.from(lifted.colors.subarray(j * 3, j * 3 + 3))).toEqual(
      [28 / 255, 25 / 255, 200 / 255].map(Math.fround),
    );
    expect(lifted.opacities.every((a) => a === Math.fround(LIFT_DEFAULTS.opacity))).toBe(true);
  });

  it('honours stride (fewer, larger surfels) and maxDepth', () => {
    const s2 = liftFrame(
      frame(() => 2),
      { stride: 2 },
    );
    expect(s2.count).toBe((W / 2) * (H / 2));
    expect(s2.scales[0]).toBeCloseTo(0.02, 7);
    expect(
      liftFrame(
        frame(() => 2),
        { maxDepth: 1.5 },
      ).count,
    ).toBe(0);
  });

  it('applies the frame pose: a camera moved 1 m right puts the points 1 m right', () => {
    const moved = liftFrame(frame(() => 2, translation([1, 0, 0])));
    expect(moved.positions[0]).toBeCloseTo(lifted.positions[0] + 1, 6);
    expect(moved.positions[2]).toBeCloseTo(2, 6);
  });
});

describe('normals of tilted planes', () => {
  it('plane z = 2 + 0.5·x: normal (0.5, 0, −1)/|·| everywhere, including the image border', () => {
    const a = 0.5;
    // z = z0 + a·x with x = ax·z → z = z0 / (1 − a·ax)
    const f = frame((u) => 2 / (1 - a * ((u + 0.5 - 32) / 100)));
    const n = depthNormals(f.depth, K, W, H);
    const want = [a, 0, -1].map((c) => c / Math.hypot(a, 1));
    for (const i of [0, W - 1, 10 * W + 20, (H - 1) * W + 5]) {
      expect(n[i * 3]).toBeCloseTo(want[0], 3);
      expect(n[i * 3 + 1]).toBeCloseTo(want[1], 3);
      expect(n[i * 3 + 2]).toBeCloseTo(want[2], 3);
    }
    const lifted = liftFrame(f);
    expect(lifted.count).toBe(W * H);
    // the surfel is widened along the tilt, by about 1/cos of the tilt at the image centre
    const j = lifted.pixelIndex.indexOf(24 * W + 32);
    expect(lifted.scales[j * 3] / lifted.scales[j * 3 + 1]).toBeCloseTo(Math.hypot(a, 1), 1);
  });

  it('floor under a camera pitched down ≈ 37°: plane n·p + 1.5 = 0 with n = (0, −0.8, −0.6)', () => {
    // p = z·(ax, ay, 1) on the plane → z = 1.5 / (0.8·ay + 0.6)
    const f = frame((u, v) => 1.5 / (0.8 * ((v + 0.5 - 24) / 100) + 0.6));
    const n = depthNormals(f.depth, K, W, H);
    for (const i of [0, 40 * W + 30, W * H - 1]) {
      expect(n[i * 3]).toBeCloseTo(0, 4);
      expect(n[i * 3 + 1]).toBeCloseTo(-0.8, 4);
      expect(n[i * 3 + 2]).toBeCloseTo(-0.6, 4);
    }
  });

  it('grazing surfaces are dropped: a plane at 89° to the view is gone at grazingDeg 80, kept at 90', () => {
    const tilt = Math.tan((89 * Math.PI) / 180);
    const f = frame((u) => 2 / (1 - tilt * ((u + 0.5 - 32) / 100)));
    for (let i = 0; i < f.depth.length; i++) if (!(f.depth[i] > 0 && f.depth[i] < 50)) f.depth[i] = 0;
    const culled = liftFrame(f, { depthJumpRel: 10 });
    const kept = liftFrame(f, { depthJumpRel: 10, grazingDeg: 90 });
    // near the optical axis (column 31/32) the plane is seen at ≈ 89°
    for (const i of [20 * W + 31, 30 * W + 32]) {
      expect(f.depth[i]).toBeGreaterThan(0);
      expect(culled.pixelIndex.includes(i)).toBe(false);
      expect(kept.pixelIndex.includes(i)).toBe(true);
    }
    expect(culled.stats.grazing).toBeGreaterThan(0);
    expect(kept.stats.grazing).toBe(0);
    expect(kept.count).toBe(kept.stats.sampled - kept.stats.noDepth);
  });

  it('a plane at 85° stays at grazingDeg 80 because it is a plane (1/z linear), up to planarGrazingDeg', () => {
    const tilt = Math.tan((85 * Math.PI) / 180);
    const f = frame((u) => 2 / (1 - tilt * ((u + 0.5 - 32) / 100)));
    for (let i = 0; i < f.depth.length; i++) if (!(f.depth[i] > 0 && f.depth[i] < 50)) f.depth[i] = 0;
    const lifted = liftFrame(f, { depthJumpRel: 10 });
    for (const i of [20 * W + 31, 30 * W + 32]) expect(lifted.pixelIndex.includes(i)).toBe(true);
    // and its surfels lie in the plane: normal ≈ (cos 85°·…, 0, …) tilted about the y axis
    const j = lifted.pixelIndex.indexOf(20 * W + 31);
    expect(Math.abs(lifted.normals[j * 3 + 1])).toBeLessThan(1e-3);
    expect(Math.abs(lifted.normals[j * 3])).toBeGreaterThan(0.99);
  });

  it('measured depth keeps faces up to grazingDegMeasured; estimated (default) depth drops them at grazingDeg', () => {
    const tilt = Math.tan((86 * Math.PI) / 180);
    // a narrow oblique strip (too narrow to tell it is a plane) in front of a wall at z = 4
    const f = frame((u) => (u >= 30 && u <= 33 ? 2 / (1 - tilt * ((u + 0.5 - 32) / 100)) : 4));
    const est = liftFrame(f, { depthJumpRel: 10 });
    const meas = liftFrame(f, { depthJumpRel: 10, depth: 'measured' });
    expect(est.stats.grazing).toBeGreaterThan(0);
    expect(meas.stats.grazing).toBe(0);
    expect(() => liftFrame(f, { depth: 'sensor' as 'measured' })).toThrow(/depth/);
  });
});

describe('pixels without depth', () => {
  it('0, NaN, ±∞ and negative depths produce no point, and do not disturb their neighbours', () => {
    const bad = new Map([
      [3 * W + 3, 0],
      [10 * W + 10, NaN],
      [20 * W + 30, Infinity],
      [30 * W + 40, -Infinity],
      [40 * W + 50, -2],
    ]);
    const f = frame((u, v) => bad.get(v * W + u) ?? 2);
    const lifted = liftFrame(f);
    expect(lifted.count).toBe(W * H - bad.size);
    expect(lifted.stats.noDepth).toBe(bad.size);
    for (const i of bad.keys()) expect(lifted.pixelIndex.includes(i)).toBe(false);
    expect(lifted.positions.every(Number.isFinite)).toBe(true);
    expect(lifted.scales.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    // neighbours keep the plane's normal from one-sided differences
    const j = lifted.pixelIndex.indexOf(10 * W + 11);
    expect(lifted.normals[j * 3 + 2]).toBeCloseTo(-1, 5);
  });

  it('an all-invalid frame lifts to zero points; a scene from it still has a pivot ahead of the camera', () => {
    const scene = liftToScene([frame(() => NaN)]);
    expect(scene.count).toBe(0);
    expect(scene.pivot).toEqual([0, 0, 1]);
    expect(scene.up).toEqual([0, -1, 0]);
  });
});

describe('bad input is a VantageError naming what was expected', () => {
  it('rejects a depth map of the wrong size', () => {
    const f = frame(() => 2);
    try {
      liftFrame({ ...f, depth: new Float32Array(10) });
      expect.unreachable();
    } catch (e) {
      expect(isVantageError(e)).toBe(true);
      expect((e as Error).message).toMatch(/depth has 10 values, expected 64×48/);
    }
  });
  it('rejects bad options and bad intrinsics', () => {
    const f = frame(() => 2);
    expect(() => liftFrame(f, { stride: 0 })).toThrow(/stride/);
    expect(() => liftFrame(f, { grazingDeg: 120 })).toThrow(/grazingDeg/);
    expect(() => liftFrame({ ...f, intrinsics: { ...K, fx: 0 } })).toThrow(/fx, fy > 0/);
    expect(() => liftToScene([])).toThrow(/at least one/);
    expect(() => liftToScene([f, { ...f, units: 'relative' }])).toThrow(/frame 1 has depth in relative/);
  });
});

describe('liftToScene', () => {
  it('fuses two posed frames into one world, frame 0 being the reference', () => {
    const f0 = frame(() => 2);
    // Camera 1: turned 90° about y and moved so that it looks at the same plane from the side
    const c2w1 = multiply(translation([3, 0, 2]), rotationAbout([0, 1, 0], -Math.PI / 2));
    const f1 = frame(() => 1, c2w1);
    const scene = liftToScene([f0, f1]);
    expect(scene.count).toBe(2 * W * H);
    expect(Array.from(scene.reference.c2w)).toEqual(Array.from(identity()));
    // frame 1's points lie on x = 3 − 1 = 2 (1 m in front of a camera at x = 3 looking along −x)
    for (let j = W * H; j < scene.count; j += 131) expect(scene.positions[j * 3]).toBeCloseTo(2, 5);
    expect(scene.bounds.max[0]).toBeCloseTo(2, 5);
    expect(scene.pivot[2]).toBeCloseTo(2, 5);
    expect(scene.notes[0]).toMatch(/lifted 2 frames/);
  });

  it('voxel de-duplication keeps one Gaussian per cell, earlier frames first', () => {
    const f = frame(() => 2);
    const scene = liftToScene([f, f], { voxelSize: 0.001, fusion: 'stack' });
    expect(scene.count).toBe(W * H);
    expect(scene.notes.some((n) => /3072 duplicates removed/.test(n))).toBe(true);
  });
});
