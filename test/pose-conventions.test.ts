import { describe, expect, it } from 'vitest';
import { cameraAxes, cameraCenter, identity, intrinsicsFromHfov, invertPose, transformPoint } from '../core/camera.js';
import {
  c2wFromPose,
  clampPose,
  parsePose,
  poseCaption,
  poseRangeErrors,
  PRESET_NAMES,
  type PoseContext,
  wrapDeg,
} from '../core/pose.js';
import type { Vec3 } from '../core/types.js';

// Reference camera at the origin looking +z; the pivot 2 m straight ahead.
const ctx: PoseContext = {
  reference: { intrinsics: intrinsicsFromHfov(64, 48), c2w: identity() },
  pivot: [0, 0, 2],
  up: [0, -1, 0],
};
const close = (a: Vec3, b: Vec3) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 9));

describe('poses (hand-checkable)', () => {
  it('orbit (0, 0, 1) reproduces the reference camera exactly', () => {
    const m = c2wFromPose(parsePose('{"mode":"orbit","azimuth_deg":0}'), ctx);
    Array.from(identity()).forEach((x, i) => expect(m[i]).toBeCloseTo(x, 12));
  });

  it("orbit azimuth +90° stands at the reference camera's right and looks at the pivot along −x", () => {
    const m = c2wFromPose({ mode: 'orbit', azimuth_deg: 90, elevation_deg: 0, distance_scale: 1 }, ctx);
    close(cameraCenter(m), [2, 0, 2]);
    close(cameraAxes(m).forward, [-1, 0, 0]);
    // the pivot stays on the optical axis, 2 m ahead
    close(transformPoint(invertPose(m), [0, 0, 2]), [0, 0, 2]);
  });

  it('orbit azimuth −90° stands at the left; 180° stands behind the pivot looking back', () => {
    close(
      cameraCenter(c2wFromPose({ mode: 'orbit', azimuth_deg: -90, elevation_deg: 0, distance_scale: 1 }, ctx)),
      [-2, 0, 2],
    );
    const b = c2wFromPose({ mode: 'orbit', azimuth_deg: 180, elevation_deg: 0, distance_scale: 1 }, ctx);
    close(cameraCenter(b), [0, 0, 4]);
    close(cameraAxes(b).forward, [0, 0, -1]);
  });

  it('orbit elevation +90°-ish raises the camera (−y is up) and looks down at the pivot', () => {
    const m = c2wFromPose({ mode: 'orbit', azimuth_deg: 0, elevation_deg: 30, distance_scale: 1 }, ctx);
    // raised by 2·sin30 = 1 m (y = −1), pulled toward the pivot to z = 2 − 2·cos30
    close(cameraCenter(m), [0, -1, 2 - 2 * Math.cos(Math.PI / 6)]);
    expect(cameraAxes(m).forward[1]).toBeGreaterThan(0); // looking down (+y is down)
    close(transformPoint(invertPose(m), [0, 0, 2]), [0, 0, 2]);
  });

  it('distance_scale 2 doubles the distance to the pivot', () => {
    const m = c2wFromPose({ mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 2 }, ctx);
    close(cameraCenter(m), [0, 0, -2]);
  });

  it('ego: forward_m 1 moves 1 m along +z; yaw +90 turns right (looks along +x); pitch +90 looks up (−y)', () => {
    close(cameraCenter(c2wFromPose(parsePose({ mode: 'ego', forward_m: 1 }), ctx)), [0, 0, 1]);
    close(cameraCenter(c2wFromPose(parsePose({ mode: 'ego', right_m: 1, up_m: 1 }), ctx)), [1, -1, 0]);
    close(cameraAxes(c2wFromPose(parsePose({ mode: 'ego', yaw_deg: 90 }), ctx)).forward, [1, 0, 0]);
    close(cameraAxes(c2wFromPose(parsePose({ mode: 'ego', pitch_deg: 90 }), ctx)).forward, [0, -1, 0]);
  });

  it('lookat and c2w modes', () => {
    const m = c2wFromPose(parsePose({ mode: 'lookat', eye: [0, 0, 0], target: [0, 0, 5] }), ctx);
    Array.from(identity()).forEach((x, i) => expect(m[i]).toBeCloseTo(x, 12));
    const t = identity();
    t[12] = 0.5;
    close(cameraCenter(c2wFromPose(parsePose({ mode: 'c2w', matrix: Array.from(t) }), ctx)), [0.5, 0, 0]);
  });

  it('every preset resolves to a rigid pose; behind = orbit 180', () => {
    for (const name of PRESET_NAMES) {
      const m = c2wFromPose({ mode: 'preset', name }, ctx);
      expect(m.every(Number.isFinite)).toBe(true);
    }
    close(cameraCenter(c2wFromPose({ mode: 'preset', name: 'behind' }, ctx)), [0, 0, 4]);
  });

  it('out-of-range values are reported, then clamped and recorded', () => {
    const p = parsePose({ mode: 'orbit', azimuth_deg: 30, elevation_deg: 120, distance_scale: 9 });
    expect(poseRangeErrors(p)).toEqual(['elevation_deg=120 is outside -85..85', 'distance_scale=9 is outside 0.25..4']);
    const { pose, clamped } = clampPose(p);
    expect(pose).toMatchObject({ elevation_deg: 85, distance_scale: 4 });
    expect(clamped).toEqual(['elevation_deg 120 → 85', 'distance_scale 9 → 4']);
    expect(wrapDeg(270)).toBe(-90);
    expect(clampPose(parsePose({ mode: 'orbit', azimuth_deg: 270 })).pose).toMatchObject({ azimuth_deg: -90 });
  });

  it('malformed poses are clear errors, not crashes', () => {
    expect(() => parsePose('{not json')).toThrow(/not valid JSON/);
    expect(() => parsePose({ mode: 'orbit' })).toThrow(/azimuth_deg/);
    expect(() => parsePose({ mode: 'orbit', azimuth_deg: 'left' })).toThrow(/invalid pose/);
    expect(() => parsePose({ mode: 'teleport' })).toThrow(/invalid pose/);
    expect(() => parsePose({ mode: 'c2w', matrix: [1, 2, 3] })).toThrow(/matrix/);
    const scaled = identity();
    scaled[0] = 3;
    expect(poseRangeErrors(parsePose({ mode: 'c2w', matrix: Array.from(scaled) }))[0]).toMatch(/not a rigid/);
    expect(() => c2wFromPose(parsePose({ mode: 'lookat', eye: [1, 1, 1], target: [1, 1, 1] }), ctx)).toThrow(
      /same point/,
    );
  });

  it('captions say the move in words and numbers', () => {
    expect(poseCaption({ mode: 'orbit', azimuth_deg: 30, elevation_deg: 15, distance_scale: 1 })).toBe(
      'camera swung 30° to the right, raised 15° (looking down) around the scene centre [orbit azimuth_deg=30 elevation_deg=15 distance_scale=1]',
    );
    expect(poseCaption(parsePose({ mode: 'ego', yaw_deg: -20 }))).toMatch(/turned 20° left/);
  });
});
