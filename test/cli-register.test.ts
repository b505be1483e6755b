/**
 * `vantage register` and automatic registration in the scene loader, on the real Open3D frames:
 * the written poses read back as a --trajectory, and several images without a trajectory lift into
 * one scene whose input record carries the estimated poses.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeShared, sharedPath } from './support/shared-data.js';
import { ensureBuilt, builtPathOf } from './support/built-dist.js';
import { runRegisterCommand } from '../src/commands/register.js';
import { runAsk } from '../src/commands/ask.js';
import { readTrajectory } from '../core/io/trajectory.js';
import { loadScene } from '../src/scene-source.js';
import { readImage } from '../core/io/image.js';
import { encodeVideo } from '../core/io/video.js';
import { relativeToFirst } from '../core/io/trajectory.js';

const frames = (ids: number[], kind: 'color' | 'depth') =>
  ids.map((i) => sharedPath('rgbd', 'open3d', kind, `0000${i}.${kind === 'color' ? 'jpg' : 'png'}`));

describeShared('vantage register (Open3D frames)', () => {
  it('writes poses that --trajectory reads back, one line per photo', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-register-'));
    const out = join(dir, 'poses.json');
    const lines: string[] = [];
    const reg = await runRegisterCommand(
      {
        images: frames([0, 2, 4], 'color'),
        depths: frames([0, 2, 4], 'depth'),
        intrinsics: '525,525,319.5,239.5',
        out,
      },
      (s) => lines.push(s),
    );
    expect(lines[0]).toMatch(/^00000\.jpg: reference/);
    expect(lines[1]).toMatch(/^00002\.jpg: \d+ inliers, residual [\d.]+ cm/);
    expect(lines.at(-1)).toMatch(/wrote 3 poses/);
    const back = await readTrajectory(out);
    expect(back).toHaveLength(3);
    for (let i = 0; i < 3; i++) for (let k = 0; k < 16; k++) expect(back[i][k]).toBeCloseTo(reg.photos[i].c2w![k], 6);
  }, 120_000);

  it('several images and no trajectory: registered and lifted together, poses in the input record', async () => {
    const logs: string[] = [];
    const loaded = await loadScene({
      images: frames([0, 4], 'color'),
      depths: frames([0, 4], 'depth'),
      intrinsics: '525,525,319.5,239.5',
      log: (s) => logs.push(s),
    });
    expect(logs.join('\n')).toMatch(/registering 2 photos/);
    const reg = loaded.info.registration!;
    expect(reg.method).toBe('features');
    expect(reg.photos.map((p) => p.registered)).toEqual([true, true]);
    expect(reg.photos[1].c2w).toHaveLength(16);
    expect(loaded.originals[1].camera?.c2w).toBeDefined();
    expect(loaded.scene.notes.join('\n')).toMatch(/poses registered from the photos \(features/);
    const one = await loadScene({
      images: frames([0], 'color'),
      depths: frames([0], 'depth'),
      intrinsics: '525,525,319.5,239.5',
    });
    // frame fusion 'merge' keeps one surfel per surface both frames see: what frame 4 adds is what
    // frame 0 did not see, so the scene grows, and a stack of both would be near twice the size
    expect(loaded.scene.count).toBeGreaterThan(one.scene.count * 1.02);
    const stacked = await loadScene({
      images: frames([0, 4], 'color'),
      depths: frames([0, 4], 'depth'),
      intrinsics: '525,525,319.5,239.5',
      frameFusion: 'stack',
    });
    expect(stacked.scene.count).toBeGreaterThan(one.scene.count * 1.5);
  }, 120_000);
});

describe('vantage register (process)', () => {
  it('one photo is a one-line error with exit code 2', async () => {
    await ensureBuilt(['src/cli.ts', 'src/commands/register.ts']);
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [builtPathOf('src/cli.ts'), 'register', '--image', 'a.jpg'], (err, _o, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vantage: registration needs two or more photos, got 1/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('--video: the sampled frames of a clip register into its camera path (RGB only)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-register-video-'));
    const clip = join(dir, 'walk.mp4');
    // frames 0..4 of the capture as a 5 fps clip; sampling 5 frames gives each of them back
    await encodeVideo(await Promise.all(frames([0, 1, 2, 3, 4], 'color').map((f) => readImage(f))), clip, { fps: 5 });
    const lines: string[] = [];
    const reg = await runRegisterCommand(
      { video: clip, frames: 5, intrinsics: '525,525,319.5,239.5', out: join(dir, 'path.json') },
      (l) => lines.push(l),
    );
    expect(lines[0]).toMatch(/^frames of .*walk\.mp4 at 0\.00 s, 0\.20 s, 0\.40 s, 0\.60 s, 0\.80 s$/);
    expect(reg.photos.map((p) => p.registered)).toEqual([true, true, true, true, true]);
    // rotations against the capture's own trajectory (frame 0's frame), within 3°
    const truth = relativeToFirst(await readTrajectory(sharedPath('rgbd', 'open3d', 'trajectory.log'))).slice(0, 5);
    reg.photos.forEach((p, i) => {
      const a = p.c2w!;
      const b = truth[i];
      let tr = 0;
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) tr += a[c * 4 + r] * b[c * 4 + r];
      const deg = (Math.acos(Math.min(1, Math.max(-1, (tr - 1) / 2))) * 180) / Math.PI;
      expect(deg, `frame ${i}`).toBeLessThan(3);
    });
  }, 120_000);

  it('ask --video without a camera path: the frames register on the fly and the trace keeps the estimated path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-ask-video-'));
    const clip = join(dir, 'room.mp4');
    await encodeVideo(await Promise.all(frames([0, 1, 2, 3, 4], 'color').map((f) => readImage(f))), clip, { fps: 5 });
    const r = await runAsk({
      video: clip,
      frames: 5,
      depths: frames([0, 1, 2, 3, 4], 'depth'),
      intrinsics: '525,525,319.5,239.5',
      question: 'How far is the sofa from the table (in metres)?',
      model: 'builtin:perceiver',
      rounds: 1,
      stop: 'fixed',
      size: '160x120',
      renderer: 'reference',
      out: join(dir, 'trace'),
    });
    expect(r.trace.question.numeric).toEqual({ kind: 'length', unit: 'm' });
    expect(r.trace.input.images).toHaveLength(5);
    const reg = r.trace.input.registration!;
    expect(reg.photos.filter((p) => p.registered).length).toBe(5);
    expect(reg.photos[4].c2w).toHaveLength(16);
    expect(r.trace.rounds.length).toBe(2);
  }, 180_000);
});
