/**
 * Square pixels at any output size: `vantage render --ply … --size 512x512` of a 4:3 reference
 * camera must not stretch the view (it once rendered with fx 443, fy 591).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitIntrinsics, scaleIntrinsics } from '../core/camera.js';
import { writePly } from '../core/io/ply-write.js';
import type { Intrinsics } from '../core/types.js';
import { runRenderCommand } from '../src/commands/render.js';
import { sceneOf } from './render-scenes.js';

describe('square pixels at any output size', () => {
  const k: Intrinsics = { fx: 554, fy: 554, cx: 320, cy: 240, width: 640, height: 480 };

  it('fits the reference view into another aspect with one scale', () => {
    const sq = fitIntrinsics(k, 512, 512);
    expect(sq.fx).toBeCloseTo(sq.fy, 9);
    expect(sq.fx).toBeCloseTo(554 * 0.8, 9);
    expect([sq.cx, sq.cy]).toEqual([256, 256]);
    expect(fitIntrinsics(k, 320, 240)).toEqual(scaleIntrinsics(k, 320, 240));
  });

  it('vantage render --ply --size 64x64 renders a round splat round', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-aspect-'));
    const ply = join(dir, 'one.ply');
    // a round splat in front of a wide spread of small ones, so the PLY's framing is 4:3-ish
    const scene = sceneOf([
      { pos: [0, 0, 2], color: [1, 1, 1], scale: 0.15 },
      { pos: [-1, -0.75, 4], color: [0, 0, 1], scale: 0.01 },
      { pos: [1, 0.75, 4], color: [0, 0, 1], scale: 0.01 },
    ]);
    await writePly(ply, scene);
    let json = '';
    await runRenderCommand(
      {
        ply,
        pose: ['reference'],
        mode: 'gaussians',
        size: '64x64',
        holes: 'none',
        out: join(dir, 'v.png'),
        renderer: 'reference',
        json: true,
      },
      (s) => (json += s),
    );
    const k64: Intrinsics = JSON.parse(json).views[0].intrinsics;
    expect(k64.fx).toBeCloseTo(k64.fy, 6);
    expect([k64.width, k64.height]).toEqual([64, 64]);
  });
});
