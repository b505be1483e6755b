import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hfovDeg } from '../core/camera.js';
import { defaultIntrinsics, parseIntrinsics } from '../core/io/intrinsics.js';
import { describeShared, sharedPath } from './support/shared-data.js';
import { expectVantage } from './support/expect-vantage.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-io-intrinsics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseIntrinsics: typed forms', () => {
  it('fx,fy,cx,cy (commas or spaces) is taken as given', async () => {
    for (const spec of ['525,526,320,240', '525 526 320 240', ' 525, 526, 320, 240 ']) {
      const r = await parseIntrinsics(spec, 640, 480);
      expect(r.intrinsics).toEqual({ fx: 525, fy: 526, cx: 320, cy: 240, width: 640, height: 480 });
      expect(r.assumed).toBe(false);
      expect(r.note).toMatch(/intrinsics given: fx=525 fy=526 cx=320 cy=240/);
    }
  });

  it('finite but impossible cameras are refused, not lifted into an empty view', async () => {
    await expectVantage(parseIntrinsics('1e-9,1e-9,320,240', 640, 480), 'bad-intrinsics', /field of view/);
    await expectVantage(parseIntrinsics('1e9,1e9,320,240', 640, 480), 'bad-intrinsics', /no camera sees that/);
    await expectVantage(parseIntrinsics('525,525,99999,240', 640, 480), 'bad-intrinsics', /far outside/);
    expect((await parseIntrinsics('525,525,330,250', 640, 480)).intrinsics.fx).toBe(525);
  });

  it('fov:60 / hfov:90 / vfov:45 in degrees', async () => {
    const a = await parseIntrinsics('fov:60', 640, 480);
    expect(a.intrinsics.fx).toBeCloseTo(320 / Math.tan(Math.PI / 6), 9);
    expect(a.intrinsics.fy).toBe(a.intrinsics.fx);
    expect([a.intrinsics.cx, a.intrinsics.cy]).toEqual([320, 240]);
    expect(a.assumed).toBe(false);
    const b = await parseIntrinsics('hfov:90', 640, 480);
    expect(b.intrinsics.fx).toBeCloseTo(320, 9);
    expect(hfovDeg(b.intrinsics)).toBeCloseTo(90, 9);
    const c = await parseIntrinsics('vfov=45deg', 640, 480);
    expect(c.intrinsics.fy).toBeCloseTo(240 / Math.tan(Math.PI / 8), 9);
    expect(c.note).toMatch(/vertical/);
  });

  it('the default is a 60° hfov, marked assumed', async () => {
    const d = defaultIntrinsics(640, 480);
    expect(d.assumed).toBe(true);
    expect(d.note).toBe('intrinsics assumed: 60° horizontal field of view');
    expect(hfovDeg(d.intrinsics)).toBeCloseTo(60, 9);
    expect(await parseIntrinsics('auto', 640, 480)).toEqual(d);
    expect(await parseIntrinsics('', 640, 480)).toEqual(d);
  });

  it('a {fx, fy, cx, cy, width, height} JSON, rescaled to the image with a note', async () => {
    const path = join(dir, 'cam.json');
    writeFileSync(path, JSON.stringify({ fx: 500, fy: 500, cx: 320, cy: 240, width: 640, height: 480 }));
    const same = await parseIntrinsics(path, 640, 480);
    expect(same.intrinsics).toEqual({ fx: 500, fy: 500, cx: 320, cy: 240, width: 640, height: 480 });
    expect(same.note).not.toMatch(/rescaled/);
    const half = await parseIntrinsics(path, 320, 240);
    expect(half.intrinsics).toEqual({ fx: 250, fy: 250, cx: 160, cy: 120, width: 320, height: 240 });
    expect(half.note).toMatch(/rescaled from 640×480 to the 320×240 image/);
    const squashed = await parseIntrinsics(path, 320, 480);
    expect(squashed.note).toMatch(/aspect ratio differs/);
  });
});

describeShared('parseIntrinsics: Open3D camera files in ../shared/data', () => {
  it('camera_primesense.json: fx = fy = 525, principal point shifted to pixel-centre convention', async () => {
    const path = sharedPath('rgbd/open3d/camera_primesense.json');
    const r = await parseIntrinsics(path, 640, 480);
    expect(r.intrinsics).toEqual({ fx: 525, fy: 525, cx: 320, cy: 240, width: 640, height: 480 });
    expect(r.assumed).toBe(false);
    expect(r.note).toMatch(/Open3D/);
    expect(r.note).toMatch(/camera_primesense\.json/);
  });

  it('camera.json scaled to a half-size image', async () => {
    const r = await parseIntrinsics(sharedPath('rgbd/open3d/camera.json'), 320, 240);
    expect(r.intrinsics.fx).toBeCloseTo(415.69219381653068 / 2, 9);
    expect(r.intrinsics.cx).toBeCloseTo(160, 9);
    expect(r.note).toMatch(/rescaled from 640×480/);
  });
});

describe('parseIntrinsics: bad input', () => {
  it('three numbers', async () => {
    await expectVantage(
      parseIntrinsics('525,525,320', 640, 480),
      'bad-intrinsics',
      '525,525,320',
      /four numbers fx,fy,cx,cy/,
    );
  });
  it('a non-positive or non-finite focal length', async () => {
    await expectVantage(
      parseIntrinsics('-525,525,320,240', 640, 480),
      'bad-intrinsics',
      /fx must be a positive finite/,
    );
    await expectVantage(parseIntrinsics('525,0,320,240', 640, 480), 'bad-intrinsics', /fy must be a positive finite/);
  });
  it('a field of view out of range', async () => {
    await expectVantage(parseIntrinsics('fov:200', 640, 480), 'bad-intrinsics', 'fov:200', /between 0 and 180/);
    await expectVantage(parseIntrinsics('fov:wide', 640, 480), 'bad-intrinsics', /degrees/);
  });
  it('a path that does not exist', async () => {
    await expectVantage(
      parseIntrinsics(join(dir, 'missing.json'), 640, 480),
      'bad-intrinsics',
      'missing.json',
      /neither fx,fy,cx,cy/,
    );
  });
  it('a JSON that is broken, or has no intrinsics, or a zero focal length', async () => {
    writeFileSync(join(dir, 'broken.json'), '{"fx": 525,');
    await expectVantage(
      parseIntrinsics(join(dir, 'broken.json'), 640, 480),
      'bad-intrinsics',
      'broken.json',
      /not valid JSON/,
    );
    writeFileSync(join(dir, 'other.json'), '{"focal": 525}');
    await expectVantage(
      parseIntrinsics(join(dir, 'other.json'), 640, 480),
      'bad-intrinsics',
      'other.json',
      /intrinsic_matrix/,
    );
    writeFileSync(
      join(dir, 'zero.json'),
      JSON.stringify({ width: 640, height: 480, intrinsic_matrix: [0, 0, 0, 0, 525, 0, 319.5, 239.5, 1] }),
    );
    await expectVantage(parseIntrinsics(join(dir, 'zero.json'), 640, 480), 'bad-intrinsics', 'zero.json', /fx must be/);
    writeFileSync(join(dir, 'short.json'), JSON.stringify({ intrinsic_matrix: [525, 0, 0] }));
    await expectVantage(
      parseIntrinsics(join(dir, 'short.json'), 640, 480),
      'bad-intrinsics',
      'short.json',
      /9 numbers/,
    );
  });
  it('a zero image size', async () => {
    await expectVantage(parseIntrinsics('fov:60', 0, 480), 'bad-intrinsics', /positive image size/);
  });
});
