/**
 * A question set written in the native format (RGB PNG, 16-bit depth PNG in mm, intrinsics JSON,
 * questions.jsonl) reads back exactly, through the project's own image / depth / intrinsics readers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, isAbsolute } from 'node:path';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { questionOfRecord, readNativeJsonl } from '../core/io/native-set.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { readImage } from '../core/io/image.js';
import { readDepth } from '../core/io/depth.js';
import { parseIntrinsics } from '../core/io/intrinsics.js';
import { VantageError } from '../core/errors.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vantage-qset-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('writeQuestionSet / readNativeJsonl', () => {
  it('round-trips questions, images, depth and intrinsics', async () => {
    const items = generateQuestions({ count: 6, seed: 3 });
    const dir = await tmp();
    const W = 160,
      H = 120;
    const res = await writeQuestionSet(dir, items, { width: W, height: H });
    expect(res.questions).toBe(6);
    expect(res.scenes).toBe(new Set(items.map((x) => `${x.fixture.room.kind}-${x.fixture.seed}`)).size);
    const recs = await readNativeJsonl(res.jsonl);
    expect(recs.length).toBe(6);
    for (const [i, r] of recs.entries()) {
      const { fixture, question } = items[i];
      expect(questionOfRecord(r)).toEqual({
        id: question.id,
        text: question.text,
        options: question.options,
        answer: question.answer,
        category: question.category,
      });
      expect(r.fixture).toEqual({ seed: fixture.seed, kind: fixture.room.kind });
      expect(r.images.every(isAbsolute)).toBe(true);
      expect(existsSync(r.images[0])).toBe(true);
      const frame = fixtureFrame(fixture, W, H);
      const img = await readImage(r.images[0]);
      expect([img.width, img.height]).toEqual([W, H]);
      expect(Buffer.from(img.rgb).equals(Buffer.from(frame.rgb))).toBe(true);
      const depth = await readDepth(r.depth!);
      expect([depth.width, depth.height]).toEqual([W, H]);
      let worst = 0;
      for (let p = 0; p < W * H; p++) worst = Math.max(worst, Math.abs(depth.depth[p] - frame.depth[p]));
      expect(worst).toBeLessThanOrEqual(0.0005 + 1e-6); // millimetre rounding
      const k = await parseIntrinsics(r.intrinsics as string, W, H);
      for (const key of ['fx', 'fy', 'cx', 'cy'] as const)
        expect(k.intrinsics[key]).toBeCloseTo(frame.intrinsics[key], 9);
    }
  });

  it('writes scan frames only when asked, and refuses a scan without reference depth', async () => {
    const items = generateQuestions({ count: 2, seed: 3 });
    const dir = await tmp();
    const recs = await readNativeJsonl(
      (await writeQuestionSet(dir, items, { width: 64, height: 48, scanFrames: 3 })).jsonl,
    );
    for (const r of recs) {
      expect(r.scan!.images).toHaveLength(3);
      expect(r.scan!.depths).toHaveLength(3);
      expect(
        [...r.scan!.images, ...r.scan!.depths, r.scan!.trajectory].every((p) => isAbsolute(p) && existsSync(p)),
      ).toBe(true);
      const d = await readDepth(r.scan!.depths[0]);
      expect([d.width, d.height]).toEqual([64, 48]);
    }
    await expect(writeQuestionSet(dir, items, { scanFrames: 9 })).rejects.toThrow(
      /scan frames must be a whole number 0\.\.6/,
    );
    const bad = join(dir, 'bad.jsonl');
    await writeFile(
      bad,
      JSON.stringify({
        id: 'q',
        images: ['a.png'],
        question: 'Q?',
        options: ['x', 'y'],
        answer: 'A',
        scan: { images: ['s.png'], depths: ['s-d.png'], trajectory: 't.json' },
      }),
    );
    await expect(readNativeJsonl(bad)).rejects.toThrow(/line 1: depth: scan frames need/);
    await writeFile(
      bad,
      JSON.stringify({
        id: 'q',
        images: ['a.png'],
        depth: 'd.png',
        question: 'Q?',
        options: ['x', 'y'],
        answer: 'A',
        scan: { images: ['s.png'], depths: [], trajectory: 't.json' },
      }),
    );
    await expect(readNativeJsonl(bad)).rejects.toThrow(/scan\.depths/);
  });

  it('refuses bad lines with the line number and what was wrong', async () => {
    const dir = await tmp();
    const good = { id: 'q1', images: ['a.png'], question: 'How many?', options: ['1', '2'], answer: 'B' };
    const write = async (lines: string[]) => {
      const p = join(dir, `q${Math.random()}.jsonl`);
      await writeFile(p, lines.join('\n'));
      return p;
    };
    await expect(readNativeJsonl(await write([JSON.stringify(good), '{oops']))).rejects.toThrow(
      /line 2 is not valid JSON/,
    );
    await expect(readNativeJsonl(await write([JSON.stringify({ ...good, answer: 'C' })]))).rejects.toThrow(
      /line 1: answer/,
    );
    await expect(readNativeJsonl(await write([JSON.stringify({ ...good, images: [] })]))).rejects.toThrow(VantageError);
    await expect(readNativeJsonl(await write([JSON.stringify(good), '', JSON.stringify(good)]))).rejects.toThrow(
      /line 3: duplicate id "q1"/,
    );
    await expect(readNativeJsonl(await write(['', '  ']))).rejects.toThrow(/no question records/);
    await expect(readNativeJsonl(join(dir, 'missing.jsonl'))).rejects.toThrow(VantageError);
    const ok = await readNativeJsonl(await write([JSON.stringify({ ...good, intrinsics: 'fov:60' })]));
    expect(ok[0].intrinsics).toBe('fov:60');
    expect(ok[0].images[0]).toBe(join(dir, 'a.png'));
  });
});
