import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identity, isRigidPose, multiply, rotationAbout, translation } from '../core/camera.js';
import { columnMajorFromRowMajor, readTrajectory, relativeToFirst } from '../core/io/trajectory.js';
import { describeShared, sharedPath } from './support/shared-data.js';
import { expectVantage } from './support/expect-vantage.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-io-trajectory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol);
};

/** A rigid test pose: rotation about a tilted axis plus a translation. */
const pose = (angle: number, t: [number, number, number]) =>
  multiply(translation(t), rotationAbout([0.3, 1, 0.2], angle));
const rowsOf = (m: Float64Array) => [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => m[c * 4 + r]));

describeShared('readTrajectory: Open3D trajectory.log', () => {
  it('5 rigid poses, frame 0 as written in the file', async () => {
    const poses = await readTrajectory(sharedPath('rgbd/open3d/trajectory.log'));
    expect(poses).toHaveLength(5);
    for (const p of poses) expect(isRigidPose(p)).toBe(true);
    const p0 = poses[0];
    // translation column of the first matrix in the file
    expect([p0[12], p0[13], p0[14]]).toEqual([-0.31057997014702826, 0.5730122438481298, 2.1264800183565487]);
    // row 0, column 1 as written (row-major text → column-major storage)
    expect(p0[4]).toBe(0.021819345900466677);
    expect(p0[1]).toBe(8.33962904204855e-19);
  });

  it('relativeToFirst: frame 0 becomes the identity and the relative motion is kept', async () => {
    const poses = await readTrajectory(sharedPath('rgbd/open3d/trajectory.log'));
    const rel = relativeToFirst(poses);
    expect(Array.from(rel[0])).toEqual(Array.from(identity()));
    for (let i = 1; i < 5; i++) {
      expect(isRigidPose(rel[i])).toBe(true);
      near(multiply(poses[0], rel[i]), poses[i], 1e-12);
    }
    // consecutive frames of a handheld sequence move a few centimetres, not metres
    const t4 = Math.hypot(rel[4][12], rel[4][13], rel[4][14]);
    expect(t4).toBeGreaterThan(0.01);
    expect(t4).toBeLessThan(0.5);
  });
});

describe('readTrajectory: JSON forms', () => {
  const a = pose(0.4, [1, 2, 3]);
  const b = pose(-1.1, [0.5, -0.25, 4]);

  it('nested rows (row-major) and flat 16 (column-major) give the same matrices', async () => {
    const nested = await readTrajectory(tmp('nested.json', JSON.stringify([rowsOf(a), rowsOf(b)])));
    const flat = await readTrajectory(tmp('flat.json', JSON.stringify([Array.from(a), Array.from(b)])));
    near(nested[0], a);
    near(nested[1], b);
    near(flat[0], a);
    near(flat[1], b);
  });

  it('{"frames":[{"c2w":…}]} and {"poses":[…]}', async () => {
    const frames = await readTrajectory(
      tmp('frames.json', JSON.stringify({ frames: [{ c2w: Array.from(a) }, { c2w: rowsOf(b) }] })),
    );
    near(frames[0], a);
    near(frames[1], b);
    const poses = await readTrajectory(tmp('poses.txt', JSON.stringify({ poses: [Array.from(b)] })));
    near(poses[0], b);
  });

  it('a Redwood .log written here reads back', async () => {
    const text = [a, b]
      .map(
        (m, i) =>
          `${i} ${i} ${i + 1}\n${rowsOf(m)
            .map((r) => r.join(' '))
            .join('\n')}\n`,
      )
      .join('');
    const back = await readTrajectory(tmp('t.log', text));
    near(back[0], a, 1e-12);
    near(back[1], b, 1e-12);
  });

  it('columnMajorFromRowMajor transposes', () => {
    const m = columnMajorFromRowMajor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(Array.from(m)).toEqual([1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 4, 8, 12, 16]);
  });
});

describe('readTrajectory: bad input', () => {
  it('a scaled (non-rigid) pose names the frame', async () => {
    const scaled = Array.from(pose(0.3, [0, 0, 1]));
    for (const i of [0, 1, 2, 4, 5, 6, 8, 9, 10]) scaled[i] *= 2;
    await expectVantage(
      readTrajectory(tmp('scaled.json', JSON.stringify([Array.from(identity()), scaled]))),
      'bad-trajectory',
      'scaled.json',
      /frame 1/,
      /not a rigid/,
    );
  });

  it('a flat row-major list gets a hint that it looks transposed', async () => {
    const m = pose(0.3, [1, 2, 3]);
    const rowMajorFlat = rowsOf(m).flat();
    const e = await expectVantage(
      readTrajectory(tmp('transposed.json', JSON.stringify([rowMajorFlat]))),
      'bad-trajectory',
      'transposed.json',
      /frame 0/,
    );
    expect(e.hint).toMatch(/transposed/);
  });

  it('a .log with a missing row, a non-number, or a bad header line', async () => {
    await expectVantage(
      readTrajectory(tmp('short.log', '0 0 1\n1 0 0 0\n0 1 0 0\n0 0 1 0\n')),
      'bad-trajectory',
      'short.log',
      /5 per frame/,
    );
    await expectVantage(
      readTrajectory(tmp('nan.log', '0 0 1\n1 0 0 0\n0 1 x 0\n0 0 1 0\n0 0 0 1\n')),
      'bad-trajectory',
      'nan.log',
      /row 2/,
    );
    await expectVantage(
      readTrajectory(tmp('hdr.log', 'frame zero\n1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n')),
      'bad-trajectory',
      'hdr.log',
      /i j n/,
    );
  });

  it('broken JSON, the wrong shape, no poses, a missing file', async () => {
    await expectVantage(
      readTrajectory(tmp('broken.json', '[[1,0,0')),
      'bad-trajectory',
      'broken.json',
      /not valid JSON/,
    );
    await expectVantage(readTrajectory(tmp('shape.json', '[[1,2,3]]')), 'bad-trajectory', 'shape.json', /4×4/);
    await expectVantage(readTrajectory(tmp('obj.json', '{"cameras": []}')), 'bad-trajectory', 'obj.json', /frames/);
    await expectVantage(readTrajectory(tmp('none.json', '[]')), 'bad-trajectory', 'none.json', /no pose/);
    await expectVantage(
      readTrajectory(tmp('nocw.json', '{"frames":[{"pose":[]}]}')),
      'bad-trajectory',
      'nocw.json',
      /c2w/,
    );
    await expectVantage(readTrajectory(join(dir, 'absent.log')), 'file-not-found', 'absent.log', /trajectory/);
    writeFileSync(join(dir, 'binary.log'), Buffer.from([0xff, 0xd8, 0, 0, 1, 2, 3]));
    await expectVantage(readTrajectory(join(dir, 'binary.log')), 'bad-trajectory', 'binary.log', /binary file/);
  });
});
