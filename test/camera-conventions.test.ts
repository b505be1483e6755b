import { describe, expect, it } from 'vitest';
import {
  cameraAxes,
  cameraCenter,
  hfovDeg,
  identity,
  intrinsicsFromHfov,
  invertPose,
  isRigidPose,
  lookAt,
  projectCameraPoint,
  scaleIntrinsics,
  transformPoint,
  unprojectPixel,
} from '../core/camera.js';

describe('camera conventions (hand-checkable)', () => {
  it('60° hfov on a 640-wide image gives fx = 320 / tan(30°) ≈ 554.26, centred principal point', () => {
    const k = intrinsicsFromHfov(640, 480);
    expect(k.fx).toBeCloseTo(554.256, 2);
    expect(k.fy).toBe(k.fx);
    expect(k.cx).toBe(320);
    expect(k.cy).toBe(240);
    expect(hfovDeg(k)).toBeCloseTo(60, 9);
  });

  it('pixel centres sit at (u + ½, v + ½): pixel (319, 239) of a 640×480 image is on the optical axis', () => {
    const k = intrinsicsFromHfov(640, 480);
    const p = unprojectPixel(k, 319, 239, 2);
    expect(p[0]).toBeCloseTo((-0.5 / k.fx) * 2, 12);
    expect(p[2]).toBe(2);
    // the centre of the image (continuous 320, 240) is the principal point
    const q = projectCameraPoint(k, [0, 0, 5]);
    expect(q.x).toBe(320);
    expect(q.y).toBe(240);
  });

  it('+x is right and +y is down: a point 1 m right and 0.5 m down at 2 m projects right of and below centre', () => {
    const k = { fx: 100, fy: 100, cx: 50, cy: 40, width: 100, height: 80 };
    const q = projectCameraPoint(k, [1, 0.5, 2]);
    expect(q.x).toBe(100); // 100·1/2 + 50
    expect(q.y).toBe(65); // 100·0.5/2 + 40
    const back = unprojectPixel(k, q.x - 0.5, q.y - 0.5, 2);
    expect(back).toEqual([1, 0.5, 2]);
  });

  it('rescaling intrinsics keeps the field of view', () => {
    const k = intrinsicsFromHfov(640, 480, 70);
    expect(hfovDeg(scaleIntrinsics(k, 320, 240))).toBeCloseTo(70, 9);
  });

  it('lookAt from (0,0,0) to (0,0,1) with up (0,-1,0) is the identity (OpenCV axes)', () => {
    const m = lookAt([0, 0, 0], [0, 0, 1], [0, -1, 0]);
    Array.from(identity()).forEach((x, i) => expect(m[i] + 0).toBeCloseTo(x, 12));
  });

  it('lookAt from the right of a point looks along −x, image right pointing along +z', () => {
    const m = lookAt([2, 0, 3], [0, 0, 3]);
    const { right, down, forward } = cameraAxes(m);
    expect(forward).toEqual([-1, 0, 0]);
    expect(down[1]).toBeCloseTo(1, 12);
    expect(right[2]).toBeCloseTo(1, 12);
    expect(cameraCenter(m)).toEqual([2, 0, 3]);
    expect(isRigidPose(m)).toBe(true);
    // the target is straight ahead in camera space
    const cam = transformPoint(invertPose(m), [0, 0, 3]);
    expect(cam[0]).toBeCloseTo(0, 12);
    expect(cam[1]).toBeCloseTo(0, 12);
    expect(cam[2]).toBeCloseTo(2, 12);
  });

  it('isRigidPose rejects scaled, reflected and non-finite matrices', () => {
    const s = identity();
    s[0] = 2;
    expect(isRigidPose(s)).toBe(false);
    const r = identity();
    r[0] = -1;
    expect(isRigidPose(r)).toBe(false);
    const n = identity();
    n[12] = NaN;
    expect(isRigidPose(n)).toBe(false);
  });
});
