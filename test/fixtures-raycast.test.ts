import { describe, expect, it } from 'vitest';
import type { Intrinsics, Vec3 } from '../core/types.js';
import { identity, lookAt } from '../core/camera.js';
import { HOLE_MARK_COLOR } from '../core/config.js';
import { FLOOR_RGB, OBJECT_PALETTE, SKY_RGB, WALL_RGB } from '../core/palette.js';
import {
  AMBIENT,
  ID_FLOOR,
  ID_NONE,
  LIGHT_DIR_ROOM,
  fixtureFrame,
  raycast,
  visibleFraction,
  visibleFractions,
} from '../fixtures/raycast.js';
import type { FixtureObject, FixtureScene } from '../fixtures/types.js';

const N = 101;
const K: Intrinsics = { fx: 100, fy: 100, cx: 50.5, cy: 50.5, width: N, height: N };
const CAM_H = 1.5; // floor 1.5 m below a level camera

function object(
  shape: FixtureObject['shape'],
  center: Vec3,
  size: Vec3,
  rgb: [number, number, number],
  yawDeg = 0,
): FixtureObject {
  return {
    name: `test ${shape}`,
    color: 'test',
    rgb,
    shape,
    center,
    size,
    height: size[1],
    yawDeg,
    ...(shape === 'box' ? {} : { radius: size[0] / 2 }),
    box3: { min: [0, 0, 0], max: [0, 0, 0] },
    visibility: 1,
  };
}

/** A hand-built fixture with a level camera (room frame = world). */
function fixture(objects: FixtureObject[]): FixtureScene {
  return {
    name: 'hand',
    seed: 0,
    objects,
    floorY: -CAM_H,
    floor: { normal: [0, -1, 0], offset: CAM_H },
    up: [0, -1, 0],
    reference: { intrinsics: K, c2w: identity() },
    width: N,
    height: N,
    room: { kind: 'room', pitchDeg: 0, cameraHeight: CAM_H, worldFromRoom: Array.from(identity()), floorHalfSize: 10 },
  };
}

const at = (u: number, v: number) => v * N + u;
const shade = (n: Vec3) =>
  AMBIENT + (1 - AMBIENT) * Math.max(0, n[0] * LIGHT_DIR_ROOM[0] + n[1] * LIGHT_DIR_ROOM[1] + n[2] * LIGHT_DIR_ROOM[2]);

describe('raycast: exact analytic hits through pixel centres', () => {
  const red: [number, number, number] = [220, 40, 40];
  const sphere = fixture([object('sphere', [0, 0, 3], [1, 1, 1], red)]);

  it('a sphere of radius 0.5 at z = 3 on the optical axis: depth 2.5 at the centre pixel, shaded flat red', () => {
    const r = raycast(sphere, sphere.reference);
    const c = at(50, 50); // centre (50.5, 50.5) = (cx, cy): the optical axis
    expect(r.depth[c]).toBe(2.5);
    expect(r.ids[c]).toBe(0);
    const s = shade([0, 0, -1]);
    expect(Array.from(r.rgb.subarray(c * 3, c * 3 + 3))).toEqual(red.map((x) => Math.round(x * s)));
  });

  it('off-axis pixel: depth solves |t·d − c|² = r² (camera z, not ray length)', () => {
    const r = raycast(sphere, sphere.reference);
    const x = (60.5 - 50.5) / 100; // pixel (60, 50)
    const a = 1 + x * x,
      b = -6,
      cc = 9 - 0.25;
    const t = (-b - Math.sqrt(b * b - 4 * a * cc)) / (2 * a);
    expect(r.depth[at(60, 50)]).toBeCloseTo(t, 5);
  });

  it('the floor 1.5 m below: depth = 1.5 / ((v + ½ − cy) / fy), id −1; above the horizon: sky, depth 0, id −3', () => {
    const r = raycast(sphere, sphere.reference);
    for (const v of [70, 80, 100]) {
      expect(r.ids[at(5, v)]).toBe(ID_FLOOR);
      expect(r.depth[at(5, v)]).toBeCloseTo(1.5 / ((v + 0.5 - 50.5) / 100), 4);
    }
    expect(r.ids[at(5, 10)]).toBe(ID_NONE);
    expect(r.depth[at(5, 10)]).toBe(0);
    expect(Array.from(r.rgb.subarray(at(5, 10) * 3, at(5, 10) * 3 + 3))).toEqual(SKY_RGB);
    const s = shade([0, -1, 0]);
    expect(Array.from(r.rgb.subarray(at(5, 90) * 3, at(5, 90) * 3 + 3))).toEqual(
      FLOOR_RGB.map((x) => Math.round(x * s)),
    );
  });

  it('boxes and vertical cylinders', () => {
    const f = fixture([
      object('box', [1, 0, 4], [1, 1, 1], [40, 180, 60]),
      object('cylinder', [-1, 0, 4], [1, 1, 1], [40, 80, 220]),
    ]);
    const r = raycast(f, f.reference);
    // box front face z = 3.5; the pixel whose ray passes x = 0.25 at z = 1
    expect(r.ids[at(75, 50)]).toBe(0);
    expect(r.depth[at(75, 50)]).toBeCloseTo(3.5, 5);
    // cylinder: ray (−0.25, 0, 1)·t meets (X + 1)² + (Z − 4)² = 0.25
    const a = 1.0625,
      b = -2 * (0.25 + 4),
      c = 1 + 16 - 0.25;
    expect(r.ids[at(25, 50)]).toBe(1);
    expect(r.depth[at(25, 50)]).toBeCloseTo((-b - Math.sqrt(b * b - 4 * a * c)) / (2 * a), 5);
  });

  it('a yawed box: its front corner is the nearest point', () => {
    const f = fixture([object('box', [0, 0, 4], [1, 1, 1], [40, 180, 60], 45)]);
    const r = raycast(f, f.reference);
    expect(r.depth[at(50, 50)]).toBeCloseTo(4 - Math.SQRT1_2, 2);
  });

  it('any camera: looking back from z = 6 at the sphere sees it at depth 2.5', () => {
    const cam = { intrinsics: K, c2w: lookAt([0, 0, 6], [0, 0, 3], [0, -1, 0]) };
    const r = raycast(sphere, cam);
    expect(r.depth[at(50, 50)]).toBe(2.5);
    // a smaller size rescales the intrinsics: same field of view
    const small = raycast(sphere, cam, 51, 51);
    expect(small.width).toBe(51);
    expect(small.ids[25 * 51 + 25]).toBe(0);
  });

  it('fixtureFrame is the reference ray-cast as a metric RGB-D frame', () => {
    const fr = fixtureFrame(sphere);
    const r = raycast(sphere, sphere.reference);
    expect(fr.units).toBe('metres');
    expect(fr.depth).toEqual(r.depth);
    expect(fr.rgb).toEqual(r.rgb);
    expect(Array.from(fr.c2w)).toEqual(Array.from(identity()));
    expect(fr.source).toBe('fixture:hand');
  });

  it('rejects a bad size or object index', () => {
    expect(() => raycast(sphere, sphere.reference, 0, 10)).toThrow(/size/);
    expect(() => visibleFraction(sphere, 3)).toThrow(/outside 0..0/);
  });
});

describe('visibility', () => {
  it('an object fully behind a wider box is hidden; alone it is fully visible; out of view counts 0', () => {
    const f = fixture([
      object('sphere', [0, 0, 5], [0.6, 0.6, 0.6], [220, 40, 40]),
      object('box', [0, 0, 3], [1.5, 1.5, 0.5], [40, 180, 60]),
      object('sphere', [0, 0, -3], [1, 1, 1], [40, 80, 220]),
    ]);
    expect(visibleFraction(f, 0)).toBe(0);
    expect(visibleFraction(f, 1)).toBe(1);
    expect(visibleFraction(f, 2)).toBe(0);
    f.objects[1].center = [0.75, 0, 3]; // its left edge now on the axis: about half of the sphere shows
    const [v0] = visibleFractions(f);
    expect(v0).toBeGreaterThan(0.3);
    expect(v0).toBeLessThan(0.8);
  });
});

describe('colours', () => {
  it('sky, floor and walls stay far from every shaded palette colour, and none is the hole magenta', () => {
    const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    for (const c of OBJECT_PALETTE) {
      for (const s of [AMBIENT, 0.85, 1]) {
        const shaded = c.rgb.map((x) => x * s);
        expect(dist(shaded, SKY_RGB), `${c.name} × ${s} vs sky`).toBeGreaterThan(75);
      }
    }
    expect(dist(SKY_RGB, FLOOR_RGB)).toBeGreaterThan(100);
    expect(dist(SKY_RGB, WALL_RGB)).toBeGreaterThan(100);
    expect(dist(SKY_RGB, HOLE_MARK_COLOR)).toBeGreaterThan(100);
  });
});
