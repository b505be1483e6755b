/**
 * A native question set written with scan frames reproduces the demo's setting in `runEval`: the
 * scene is lifted from the reference photo plus the scan frames (so what the photo hides is in it),
 * the model is shown the photo alone at round 0, and its views raise the accuracy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { readNativeJsonl } from '../core/io/native-set.js';
import { readTrajectory } from '../core/io/trajectory.js';
import { readImage } from '../core/io/image.js';
import { loadEvalItems } from '../loop/eval/loaders/index.js';
import { inputKeyOf, loopInputOfItem } from '../loop/eval/scenes.js';
import { runEval } from '../loop/eval/run.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vantage-evalscan-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const W = 128,
  H = 96;
// the demo's question set (its defaults: 12 questions, seed 7, all categories), at a small size
const items = generateQuestions({ count: 12, seed: 7 });

describe('native sets with scan frames', () => {
  it('write scan frames and a trajectory that read back, and the eval scene is lifted from them', async () => {
    const dir = await tmp();
    const w = await writeQuestionSet(dir, items, { width: W, height: H, scanFrames: 2 });
    const recs = await readNativeJsonl(w.jsonl);
    for (const r of recs) {
      expect(r.scan).toBeDefined();
      const scan = r.scan!;
      expect(scan.images).toHaveLength(2);
      expect(scan.depths).toHaveLength(2);
      for (const p of [...scan.images, ...scan.depths, scan.trajectory]) expect(existsSync(p)).toBe(true);
      const poses = await readTrajectory(scan.trajectory);
      expect(poses).toHaveLength(3);
      expect(Array.from(poses[0])).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
      // the scan cameras stand elsewhere
      expect(Math.hypot(poses[1][12], poses[1][13], poses[1][14])).toBeGreaterThan(0.1);
      const img = await readImage(scan.images[0]);
      expect([img.width, img.height]).toEqual([W, H]);
    }

    const plainDir = await tmp();
    const plain = await writeQuestionSet(plainDir, items.slice(0, 1), { width: W, height: H });
    expect((await readNativeJsonl(plain.jsonl))[0].scan).toBeUndefined();

    const withScan = (await loadEvalItems({ format: 'native', data: w.jsonl, limit: 1 })).items[0];
    const without = (await loadEvalItems({ format: 'native', data: plain.jsonl, limit: 1 })).items[0];
    expect(withScan.scan?.images).toHaveLength(2);
    expect(inputKeyOf(withScan)).not.toBe(inputKeyOf({ ...withScan, scan: undefined }));
    const a = await loopInputOfItem(withScan);
    const b = await loopInputOfItem(without);
    expect(a.scene.count).toBeGreaterThan(b.scene.count * 1.5);
    // the model is shown the reference photo only
    expect(a.originals).toHaveLength(1);
    expect([a.originals[0].width, a.originals[0].height]).toEqual([W, H]);
    expect(a.inputInfo.images).toEqual([basename(withScan.images[0])]);
    expect(a.inputInfo.notes.some((n) => /reference photo and 2 RGB-D scan frame/.test(n))).toBe(true);
    expect(a.scene.notes.some((n) => /reference photo and 2 RGB-D scan frame/.test(n))).toBe(true);
  });

  it('runEval with builtin:perceiver gains from its views on a set with scan frames, and not without', async () => {
    const run = async (scanFrames: number) => {
      const dir = await tmp();
      const w = await writeQuestionSet(dir, items, { width: W, height: H, scanFrames });
      const s = await runEval({
        data: w.jsonl,
        format: 'native',
        model: 'builtin:perceiver',
        out: join(dir, 'out'),
        rounds: 2,
        stop: 'fixed',
        size: `${W}x${H}`,
        render: 'points',
        renderer: 'reference',
        progress: 'none',
        png: false,
        log: () => {},
      });
      expect(s.cells[0].errors).toBe(0);
      return s.cells[0].byRound.map((c) => c.accuracy);
    };
    const scanned = await run(2);
    const photoOnly = await run(0);
    console.log(`accuracy by round: scan frames 2 ${scanned.join(' ')}; scan frames 0 ${photoOnly.join(' ')}`);
    expect(scanned[0]).toBe(photoOnly[0]); // round 0 sees the same photo
    expect(scanned[2]).toBeGreaterThanOrEqual(scanned[0] + 0.25);
    expect(scanned[2]).toBeGreaterThan(photoOnly[2]);
  }, 60_000);
});
