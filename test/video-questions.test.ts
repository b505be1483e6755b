/**
 * Procedural walk-throughs: the camera path, the truth of each VSI-Bench question type, and the
 * written set (clip, depth per frame, camera path) read back through the native reader.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraCenter } from '../core/camera.js';
import { readNativeJsonl } from '../core/io/native-set.js';
import { probeVideo, sampleVideoToFiles } from '../core/io/video.js';
import { readImage } from '../core/io/image.js';
import { psnr } from '../synth/metrics.js';
import { loadImageScene } from '../synth/scene-source.js';
import { letterIndex } from '../core/options.js';
import {
  VIDEO_QUESTION_TYPES,
  boxDistance,
  walkthroughOf,
  walkthroughQuestions,
  type Walkthrough,
} from '../fixtures/walkthrough.js';
import { writeVideoQuestionSet } from '../fixtures/video-set.js';
import { rgbaFromRgb } from '../core/io/image.js';
import { answerWithPerceiver } from '../loop/perceiver/reason.js';

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('walk-through truth', () => {
  it('box distance: gaps along each axis, 0 when touching', () => {
    const a = { min: [0, 0, 0] as [number, number, number], max: [1, 1, 1] as [number, number, number] };
    expect(boxDistance(a, { min: [4, 0, 0], max: [5, 1, 1] })).toBe(3);
    expect(boxDistance(a, { min: [4, 5, 0], max: [5, 6, 1] })).toBe(5); // gaps 3 and 4
    expect(boxDistance(a, { min: [0.5, 0.5, 0.5], max: [2, 2, 2] })).toBe(0);
  });

  let w: Walkthrough;
  beforeAll(() => {
    w = walkthroughOf(13, { frames: 24, width: 160, height: 120 });
  });

  it('starts at the reference camera after the pan, and the arc keeps its distance to the pivot', () => {
    expect(w.cameras).toHaveLength(24);
    // the pan stays at the reference position (the world origin)
    for (let i = 0; i < 10; i++) expect(Math.hypot(...cameraCenter(w.cameras[i].c2w))).toBeLessThan(1e-9);
    expect(Math.hypot(...cameraCenter(w.cameras[23].c2w))).toBeGreaterThan(0.5);
  });

  it('asks every type it can, with answers that agree with the scene', () => {
    const qs = walkthroughQuestions(w, 13);
    expect(qs.length).toBeGreaterThanOrEqual(6);
    const objs = w.fixture.objects;
    for (const q of qs) {
      expect(VIDEO_QUESTION_TYPES).toContain(q.type);
      if (q.numeric) {
        expect(q.options).toEqual([]);
        expect(Number.isFinite(Number(q.answer))).toBe(true);
      } else {
        expect(letterIndex(q.answer)).toBeLessThan(q.options.length);
      }
      const correct = q.numeric ? q.answer : q.options[letterIndex(q.answer)];
      if (q.type === 'object_counting') {
        const shape = /How many (\w+)\(/.exec(q.text)![1].replace(/es$/, '').replace(/^box$/, 'box');
        const s = shape === 'box' ? 'box' : shape;
        expect(Number(correct)).toBe(objs.filter((o) => o.shape === s).length);
      }
      if (q.type === 'object_size_estimation') {
        const o = objs.find((x) => q.text.includes(`of the ${x.name},`))!;
        expect(Number(correct)).toBe(Math.round(Math.max(...o.size) * 100));
      }
      if (q.type === 'obj_appearance_order') {
        const names = correct.split(', ');
        const seen = names.map((n) => w.firstSeen[objs.findIndex((o) => o.name === n)]);
        expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      }
    }
  });
});

describe('the built-in perceiver on walk-through questions', () => {
  it('answers the multiple-choice types from the frames (pixels, depth, camera), mostly right', () => {
    let right = 0;
    let asked = 0;
    for (const seed of [21, 22, 23]) {
      const w = walkthroughOf(seed, { frames: 24, width: 160, height: 120 });
      // every third frame, as a sampled clip: the perceiver sees pixels, depth and the camera path
      const views = w.frames
        .filter((_, i) => i % 3 === 1)
        .map((f, k) => ({
          width: f.width,
          height: f.height,
          rgba: rgbaFromRgb(f.rgb),
          depth: f.depth,
          camera: w.cameras[3 * k + 1],
        }));
      for (const q of walkthroughQuestions(w, seed).filter((x) => !x.numeric)) {
        const a = answerWithPerceiver({ text: q.text, options: q.options }, views);
        asked++;
        if (a.choice === q.answer) right++;
      }
    }
    expect(asked).toBeGreaterThanOrEqual(10);
    expect(right / asked).toBeGreaterThanOrEqual(0.7);
  });
});

describe.skipIf(!hasFfmpeg)('the walk-through question set on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-vset-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes clip, depths and path per scene, and reads back as native records', async () => {
    const r = await writeVideoQuestionSet(dir, { scenes: 1, seed: 3, frames: 20, width: 160, height: 120 });
    expect(r.scenes).toBe(1);
    const recs = await readNativeJsonl(r.jsonl);
    expect(recs).toHaveLength(r.questions);
    const v = recs[0].video!;
    expect(v.depths).toHaveLength(20);
    const info = await probeVideo(v.path);
    expect(info).toMatchObject({ width: 160, height: 120, frames: 20 });
    const path = JSON.parse(await readFile(v.trajectory!, 'utf8')) as number[][];
    expect(path).toHaveLength(20);
    expect(path[0]).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const numeric = recs.filter((x) => x.numeric);
    expect(numeric.length).toBeGreaterThan(0);
    for (const x of numeric) expect(x.options).toEqual([]);
  });

  it('refuses bad options clearly', async () => {
    await expect(writeVideoQuestionSet(dir, { scenes: 0 })).rejects.toThrow(/--scenes 0/);
    await expect(writeVideoQuestionSet(dir, { types: ['nope' as never] })).rejects.toThrow(
      /unknown question types: nope/,
    );
  });

  it('samples the clip back to the frames it was made from, with their depth and camera path, and lifts them', async () => {
    const r = await writeVideoQuestionSet(join(dir, 'lift'), {
      scenes: 1,
      seed: 4,
      frames: 20,
      width: 160,
      height: 120,
    });
    const rec = (await readNativeJsonl(r.jsonl))[0];
    const w = walkthroughOf(Number(/walk-(\d+)/.exec(rec.video!.path)![1]), { frames: 20, width: 160, height: 120 });
    const files = await sampleVideoToFiles(rec.video!.path, {
      frames: 5,
      dir: join(dir, 'frames'),
      depths: rec.video!.depths,
      trajectory: rec.video!.trajectory,
    });
    expect(files.frameIndices).toEqual([2, 6, 10, 14, 18]);
    for (const [i, f] of files.images.entries()) {
      const img = await readImage(f);
      // H.264 at crf 18 keeps the ray-cast frame it came from (and not its neighbours' exact pixels)
      expect(psnr(img.rgb, w.frames[files.frameIndices[i]].rgb, 3)).toBeGreaterThan(30);
    }
    const loaded = await loadImageScene({
      images: files.images,
      depths: files.depths,
      trajectory: files.trajectory,
      intrinsics: rec.intrinsics as string,
    });
    expect(loaded.originals).toHaveLength(5);
    expect(loaded.scene.count).toBeGreaterThan(5 * 160 * 120 * 0.3);
  });
});
