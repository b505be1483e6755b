/**
 * The multi-view question set: K photos of a procedural scene with exact depth and no poses, written
 * in the native format; registration of those photos against the poses they were taken from; and
 * `vantage eval` lifting every photo of a multi-image item (first image as the reference).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invertPose, multiply } from '../core/camera.js';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { multiviewFramesOf, textureCellOf, textureFrame } from '../fixtures/multiview.js';
import { registerPhotos } from '../synth/register/index.js';
import { mul3, poseParts, rotationAngleDeg, transpose3 } from '../synth/register/linalg.js';
import { runQuestionsCommand } from '../src/commands/questions.js';
import { loadEvalItems } from '../loop/eval/loaders/index.js';
import { loadItemScene } from '../loop/eval/scenes.js';

describe('multi-view procedural photos', () => {
  it('register to the poses they were taken from (or are reported, never wrongly posed)', async () => {
    const fixture = generateScene('tabletop');
    const ref = textureFrame(fixtureFrame(fixture, 512, 384), textureCellOf(fixture));
    const views = multiviewFramesOf(fixture, ref, 3, 'around');
    const reg = await registerPhotos(
      [ref, ...views].map((f, i) => ({ ...f, name: `view ${i + 1}`, depthUnits: 'metres' as const })),
      { method: 'features', requireAny: false },
    );
    const toRef = invertPose(ref.c2w);
    let registered = 0;
    for (let i = 1; i < 3; i++) {
      const p = reg.photos[i];
      if (!p.registered) {
        expect(p.note).toMatch(/not registered/);
        continue;
      }
      registered++;
      const truth = poseParts(multiply(toRef, views[i - 1].c2w));
      const got = poseParts(p.c2w!);
      expect(rotationAngleDeg(mul3(transpose3(got.r), truth.r))).toBeLessThan(2);
      expect(Math.hypot(got.t[0] - truth.t[0], got.t[1] - truth.t[1], got.t[2] - truth.t[2])).toBeLessThan(0.03);
    }
    expect(registered).toBeGreaterThan(0);
  }, 120_000);

  it('vantage questions --views 3 writes K photos with depths and no poses; eval lifts them together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-mv-'));
    const r = await runQuestionsCommand({ count: 4, seed: 3, out: dir, views: 3, setting: 'around' });
    const first = JSON.parse((await readFile(r.jsonl, 'utf8')).split('\n')[0]);
    expect(first.images).toHaveLength(3);
    expect(first.depths).toHaveLength(3);
    expect(first.scan).toBeUndefined();
    expect(first.depth).toBeUndefined();
    const { items } = await loadEvalItems({ data: r.jsonl, format: 'native' });
    const item = items[0];
    expect(item.depths).toHaveLength(3);
    const all = await loadItemScene(item);
    expect(all.originals).toHaveLength(3);
    const one = await loadItemScene(item, { firstImageOnly: true });
    expect(one.originals).toHaveLength(3);
    expect(one.info.notes.join('\n')).toMatch(/first image only, as asked/);
    if (all.info.registration) {
      expect(all.info.registration.photos[0].registered).toBe(true);
      const lifted = all.info.registration.photos.filter((p) => p.registered).length;
      expect(all.originals.filter((o) => o.camera).length).toBe(lifted);
      if (lifted > 1) expect(all.scene.count).toBeGreaterThan(one.scene.count);
    } else {
      expect(all.info.notes.join('\n')).toMatch(/did not register/);
    }
    await expect(runQuestionsCommand({ count: 2, seed: 1, out: dir, views: 3, scanFrames: 2 })).rejects.toThrow(
      /--views and --scan-frames do not mix/,
    );
  }, 180_000);
});
