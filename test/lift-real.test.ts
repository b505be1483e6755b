import { expect, it } from 'vitest';
import { describeShared, sharedPath } from './support/shared-data.js';
import { invertPose, multiply, rad2deg } from '../core/camera.js';
import { liftFrame, liftToScene } from '../synth/lift.js';
import { identity } from '../core/camera.js';
import { readTrajectory } from '../core/io/trajectory.js';
import { readOpen3dFrame } from '../synth/nvs-eval.js';

const open3d = () => sharedPath('rgbd', 'open3d');

describeShared('lifting real RGB-D (Open3D living room, 640×480)', () => {
  it('frame 0 lifts to > 200k surfels with plausible metric bounds', async () => {
    const frame = await readOpen3dFrame(open3d(), 0, identity());
    const lifted = liftFrame(frame);
    expect(lifted.count).toBeGreaterThan(200_000);
    expect(lifted.stats.kept + lifted.stats.noDepth + lifted.stats.flying + lifted.stats.grazing).toBe(640 * 480);
    const scene = liftToScene([frame]);
    const { min, max } = scene.bounds;
    // an indoor room seen from inside: everything in front, within a few metres
    expect(min[2]).toBeGreaterThan(0.2);
    expect(max[2]).toBeLessThan(8);
    for (let c = 0; c < 3; c++) expect(max[c] - min[c]).toBeGreaterThan(0.5);
    expect(scene.pivot[2]).toBeGreaterThan(0.3);
    expect(scene.notes.join('\n')).toMatch(/flying pixels dropped/);
    // whichever way up resolves, it is a unit vector not far from the camera's −y for this level view
    expect(Math.hypot(...scene.up)).toBeCloseTo(1, 6);
    expect(rad2deg(Math.acos(-scene.up[1]))).toBeLessThan(45);
  });

  it("frame 0 seen from frame 4's pose agrees with frame 4's own depth (poses are camera-to-world)", async () => {
    const poses = await readTrajectory(sharedPath('rgbd', 'open3d', 'trajectory.log'));
    expect(poses).toHaveLength(5);
    const lifted = liftFrame(await readOpen3dFrame(open3d(), 0, identity()));
    const f4 = await readOpen3dFrame(open3d(), 4, identity());
    // world = camera 0: the pose of camera 4 in it is T0⁻¹ · T4; project with its inverse
    const w2c4 = invertPose(multiply(invertPose(poses[0]), poses[4]));
    const errs: number[] = [];
    for (let j = 0; j < lifted.count; j += 7) {
      const [x, y, z] = [lifted.positions[j * 3], lifted.positions[j * 3 + 1], lifted.positions[j * 3 + 2]];
      const cx = w2c4[0] * x + w2c4[4] * y + w2c4[8] * z + w2c4[12];
      const cy = w2c4[1] * x + w2c4[5] * y + w2c4[9] * z + w2c4[13];
      const cz = w2c4[2] * x + w2c4[6] * y + w2c4[10] * z + w2c4[14];
      const u = Math.floor((525 * cx) / cz + 320),
        v = Math.floor((525 * cy) / cz + 240); // Vantage pixel-centre convention
      if (!(cz > 0) || u < 0 || v < 0 || u >= 640 || v >= 480) continue;
      const d = f4.depth[v * 640 + u];
      if (d > 0) errs.push(Math.abs(cz - d) / d);
    }
    errs.sort((a, b) => a - b);
    expect(errs.length).toBeGreaterThan(20_000);
    expect(errs[errs.length >> 1]).toBeLessThan(0.02);
  });
});
