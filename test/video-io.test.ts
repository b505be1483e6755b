/**
 * Video through Debian's ffmpeg: probe, uniform and motion sampling, encode → decode round trip, and
 * the clear errors for missing, empty, corrupt, frameless and over-long clips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSize, encodeVideo, motionPicks, probeVideo, sampleVideo, uniformTimes } from '../core/io/video.js';
import type { RgbImage } from '../core/io/image.js';

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasFfmpeg && process.env.VANTAGE_REQUIRE_FFMPEG === '1')
  throw new Error('VANTAGE_REQUIRE_FFMPEG=1 but ffmpeg is not installed (bash scripts/setup.sh as root installs it)');

describe('video conventions (by hand)', () => {
  it('uniform times sit at the centres of equal slices', () => {
    expect(uniformTimes(10, 4)).toEqual([1.25, 3.75, 6.25, 8.75]);
    expect(uniformTimes(3, 1)).toEqual([1.5]);
  });
  it('decode size keeps the aspect, caps the longer side and stays even', () => {
    expect(decodeSize({ width: 1920, height: 1080 }, 1024)).toEqual({ width: 1024, height: 576 });
    expect(decodeSize({ width: 320, height: 240 }, 1024)).toEqual({ width: 320, height: 240 });
    expect(decodeSize({ width: 101, height: 51 }, 1024)).toEqual({ width: 102, height: 52 });
  });
  it('motion picks crowd where the picture changes and never repeat', () => {
    // all change happens between candidates 5..8: three picks land there
    const motion = [0, 0, 0, 0, 0, 10, 10, 10, 0, 0];
    expect(motionPicks(motion, 3)).toEqual([5, 6, 7]);
    // a still clip falls back to uniform spacing
    expect(motionPicks(new Array(8).fill(0), 4)).toEqual([1, 3, 5, 7]);
    // more picks than candidates: all of them
    expect(motionPicks([0, 1], 5)).toEqual([0, 1]);
    const p = motionPicks([0, 100, 0, 0, 0, 0], 4);
    expect(new Set(p).size).toBe(4);
    expect([...p].sort((a, b) => a - b)).toEqual(p);
  });
});

describe.skipIf(!hasFfmpeg)('video files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-video-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** n frames, 64×48; frame k is a flat grey of level 20·k (easy to check after decoding). */
  const ramp = (n: number): RgbImage[] =>
    Array.from({ length: n }, (_, k) => ({ width: 64, height: 48, rgb: new Uint8Array(64 * 48 * 3).fill(20 * k) }));
  const mean = (f: RgbImage) => f.rgb.reduce((a, b) => a + b, 0) / f.rgb.length;

  it('encodes frames to mp4 and decodes the ones at the slice centres', async () => {
    const clip = join(dir, 'ramp.mp4');
    await encodeVideo(ramp(10), clip, { fps: 10 });
    const info = await probeVideo(clip);
    expect(info).toMatchObject({ width: 64, height: 48, codec: 'h264', frames: 10 });
    expect(info.duration).toBeCloseTo(1, 1);
    const { frames } = await sampleVideo(clip, { frames: 5 });
    expect(frames).toHaveLength(5);
    // slice centres of 5 slices over 10 frames (0.1 s, 0.3 s, …) are frames 1, 3, 5, 7, 9: levels 20, 60, … 180
    frames.forEach((f, i) => {
      expect(f.frame).toBe(2 * i + 1);
      expect(f.time).toBeCloseTo((2 * i + 1) / 10, 9);
      expect(Math.abs(mean(f.image) - 20 * (2 * i + 1))).toBeLessThanOrEqual(3);
    });
    // increasing levels: the order of the clip is kept
    for (let i = 1; i < frames.length; i++) expect(mean(frames[i].image)).toBeGreaterThan(mean(frames[i - 1].image));
  });

  it('samples by fps and by motion; motion sampling follows where the picture changes', async () => {
    // 40 frames: still for 30, then 10 frames that change quickly
    const frames: RgbImage[] = Array.from({ length: 40 }, (_, k) => ({
      width: 64,
      height: 48,
      rgb: new Uint8Array(64 * 48 * 3).fill(k < 30 ? 40 : 40 + 20 * (k - 29)),
    }));
    const clip = join(dir, 'still-then-move.mp4');
    await encodeVideo(frames, clip, { fps: 10 });
    expect((await sampleVideo(clip, { fps: 1 })).frames).toHaveLength(4);
    const uni = await sampleVideo(clip, { frames: 4 });
    const mot = await sampleVideo(clip, { frames: 4, sampling: 'motion' });
    const late = (fs: { time: number }[]) => fs.filter((f) => f.time >= 3).length;
    expect(late(uni.frames)).toBe(1);
    expect(late(mot.frames)).toBeGreaterThanOrEqual(3);
  });

  it('reads a clip made by ffmpeg (test pattern, scaled down to the size cap)', async () => {
    const clip = join(dir, 'testsrc.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x360:rate=25:duration=2',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const { info, frames } = await sampleVideo(clip, { frames: 3, maxSide: 320 });
    expect(info).toMatchObject({ width: 640, height: 360, frames: 50 });
    expect(frames.map((f) => [f.image.width, f.image.height])).toEqual([
      [320, 180],
      [320, 180],
      [320, 180],
    ]);
  });

  it('bad input: a clear error for each case', async () => {
    await expect(probeVideo(join(dir, 'nope.mp4'))).rejects.toThrow(/does not exist/);
    const empty = join(dir, 'empty.mp4');
    await writeFile(empty, '');
    await expect(probeVideo(empty)).rejects.toThrow(/is empty/);
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(4096, 7));
    await expect(probeVideo(junk)).rejects.toThrow(/cannot be read/);
    const audio = join(dir, 'tone.m4a');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=1', audio]);
    await expect(probeVideo(audio)).rejects.toThrow(/no video stream/);
    const clip = join(dir, 'ramp3.mp4');
    await encodeVideo(ramp(30), clip, { fps: 10 });
    await expect(sampleVideo(clip, { maxSeconds: 1 })).rejects.toThrow(/over the 1 s limit/);
    await expect(sampleVideo(clip, { frames: 2, fps: 1 })).rejects.toThrow(/either --frames or --fps/);
    await expect(sampleVideo(clip, { frames: 0 })).rejects.toThrow(/must be 1 to/);
    await expect(sampleVideo(clip, { fps: -1 })).rejects.toThrow(/positive number/);
    // a truncated file: the header survives, the frames do not
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(clip);
    const cut = join(dir, 'cut.mp4');
    await writeFile(cut, bytes.subarray(0, 600));
    await expect(sampleVideo(cut, { frames: 2 })).rejects.toThrow(/cannot be read|failed|no frame|has no frames/);
    await expect(encodeVideo([{ width: 3, height: 2, rgb: new Uint8Array(18) }], join(dir, 'odd.mp4'))).rejects.toThrow(
      /even sizes/,
    );
  });
});
