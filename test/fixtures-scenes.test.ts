import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../core/types.js';
import { dot, rad2deg } from '../core/camera.js';
import { isVantageError } from '../core/errors.js';
import { OBJECT_PALETTE } from '../core/palette.js';
import { generateScene, listFixtureNames, mulberry32 } from '../fixtures/scenes.js';
import { ID_FLOOR, ID_WALL, raycast } from '../fixtures/raycast.js';

const SMALL = { width: 192, height: 144 } as const;

describe('generateScene is deterministic', () => {
  it('same seed, same scene; another seed, another scene', () => {
    expect(generateScene(42, SMALL)).toEqual(generateScene(42, SMALL));
    expect(generateScene('occluded')).toEqual(generateScene('occluded'));
    expect(generateScene('42', SMALL)).toEqual(generateScene(42, SMALL));
    expect(generateScene(43, SMALL).objects).not.toEqual(generateScene(42, SMALL).objects);
  });

  it('mulberry32 is a fixed sequence', () => {
    const a = mulberry32(1),
      b = mulberry32(1);
    const xs = Array.from({ length: 5 }, a);
    expect(xs).toEqual(Array.from({ length: 5 }, b));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(5);
  });
});

describe('named fixtures', () => {
  it('lists tabletop, room and occluded; an unknown name is a clear error', () => {
    expect(listFixtureNames()).toEqual(expect.arrayContaining(['tabletop', 'room', 'occluded']));
    try {
      generateScene('kitchen');
      expect.unreachable();
    } catch (e) {
      expect(isVantageError(e)).toBe(true);
      expect((e as Error).message).toMatch(/no fixture scene named "kitchen"/);
    }
    expect(() => generateScene(1, { objects: 10 })).toThrow(/1\.\.9/);
    expect(() => generateScene(1, { objects: 4, hidden: 3 })).toThrow(/hidden/);
    expect(() => generateScene(-1)).toThrow(/seed/);
  });

  it('room has walls; occluded hides 3 objects; tabletop is table-sized', () => {
    const room = generateScene('room', SMALL);
    expect(room.room.walls).toBeDefined();
    expect(raycast(room, room.reference).ids.includes(ID_WALL)).toBe(true);
    expect(generateScene('occluded').objects.filter((o) => o.hiddenBehind)).toHaveLength(3);
    const table = generateScene('tabletop');
    expect(table.room.kind).toBe('tabletop');
    expect(table.room.cameraHeight).toBeLessThan(0.7);
    expect(Math.max(...table.objects.map((o) => o.height))).toBeLessThan(0.25);
  });
});

describe('scene content', () => {
  const scenes = [...listFixtureNames().map((n) => generateScene(n)), ...[1, 2, 3, 4].map((s) => generateScene(s))];

  it('each object has its own palette colour and is named "<colour> <shape>"', () => {
    for (const f of scenes) {
      const colours = f.objects.map((o) => o.color);
      expect(new Set(colours).size, f.name).toBe(colours.length);
      for (const o of f.objects) {
        const p = OBJECT_PALETTE.find((c) => c.name === o.color)!;
        expect(p, o.name).toBeDefined();
        expect(o.rgb).toEqual(p.rgb);
        expect(o.name).toBe(`${o.color} ${o.shape}`);
      }
      expect(f.objects.length).toBeGreaterThanOrEqual(3);
      expect(f.objects.some((o) => o.hiddenBehind)).toBe(true);
    }
  });

  it('world = reference camera frame: up is unit, tilted by the camera pitch (15–35°), floor is up·x = floorY', () => {
    for (const f of scenes) {
      expect(Math.hypot(...f.up)).toBeCloseTo(1, 12);
      expect(f.room.pitchDeg).toBeGreaterThanOrEqual(15);
      expect(f.room.pitchDeg).toBeLessThanOrEqual(35);
      expect(rad2deg(Math.acos(-f.up[1]))).toBeCloseTo(f.room.pitchDeg, 6);
      expect(f.up[2]).toBeLessThan(0); // pitched down: up leans toward the camera's back
      expect(f.floor.normal).toEqual(f.up);
      expect(f.floor.offset).toBeCloseTo(-f.floorY, 12);
      expect(Array.from(f.reference.c2w)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    }
  });

  it('ray-cast floor pixels lie on the floor plane; objects rest on it; box3 holds every pixel of its object', () => {
    for (const f of scenes.slice(0, 4)) {
      const r = raycast(f, f.reference);
      const k = f.reference.intrinsics;
      const lo = f.objects.map(() => [Infinity, Infinity, Infinity]);
      const hi = f.objects.map(() => [-Infinity, -Infinity, -Infinity]);
      let worstFloor = 0;
      for (let i = 0; i < r.ids.length; i++) {
        const id = r.ids[i];
        if (id < 0 && id !== ID_FLOOR) continue;
        const z = r.depth[i],
          u = i % r.width,
          v = Math.floor(i / r.width);
        const p: Vec3 = [((u + 0.5 - k.cx) / k.fx) * z, ((v + 0.5 - k.cy) / k.fy) * z, z];
        if (id === ID_FLOOR) {
          worstFloor = Math.max(worstFloor, Math.abs(dot(f.up, p) - f.floorY) / z);
        } else {
          for (let c = 0; c < 3; c++) {
            lo[id][c] = Math.min(lo[id][c], p[c]);
            hi[id][c] = Math.max(hi[id][c], p[c]);
          }
        }
      }
      expect(worstFloor, `${f.name}: floor pixels off the plane (relative)`).toBeLessThan(1e-5);
      f.objects.forEach((o, j) => {
        expect(dot(f.up, o.center) - o.height / 2 - f.floorY, o.name).toBeCloseTo(0, 9);
        if (lo[j][0] === Infinity) return; // hidden
        for (let c = 0; c < 3; c++) {
          expect(lo[j][c], `${o.name} min[${c}]`).toBeGreaterThanOrEqual(o.box3.min[c] - 1e-4);
          expect(hi[j][c], `${o.name} max[${c}]`).toBeLessThanOrEqual(o.box3.max[c] + 1e-4);
        }
      });
    }
  });

  it('hidden objects really are hidden from the reference camera, behind the object named', () => {
    for (const f of scenes) {
      const { ids } = raycast(f, f.reference);
      f.objects.forEach((o, j) => {
        const alone = raycast(f, f.reference, undefined, undefined, { only: j }).ids;
        let mine = 0,
          seen = 0,
          byOccluder = 0;
        const occ = f.objects.findIndex((q) => q.name === o.hiddenBehind);
        for (let i = 0; i < ids.length; i++) {
          if (alone[i] !== j) continue;
          mine++;
          if (ids[i] === j) seen++;
          else if (ids[i] === occ) byOccluder++;
        }
        if (o.hiddenBehind) {
          expect(mine, `${f.name}: ${o.name} is in view`).toBeGreaterThan(0);
          expect(seen / mine, `${f.name}: ${o.name} visible share`).toBeLessThanOrEqual(0.25);
          expect(byOccluder / (mine - seen), `${f.name}: ${o.name} covered by ${o.hiddenBehind}`).toBeGreaterThan(0.5);
        } else {
          expect(seen / mine, `${f.name}: ${o.name} visible share`).toBeGreaterThanOrEqual(0.55);
        }
      });
    }
  });
});
