import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { QUESTIONS_SCAN_FRAMES, runQuestionsCommand } from '../src/commands/questions.js';
import { readNativeJsonl } from '../core/io/native-set.js';

describe('vantage questions', () => {
  it('writes a native JSONL set that reads back with its images, depth and ground truth', async () => {
    const out = await mkdtemp(join(tmpdir(), 'vantage-questions-'));
    const r = await runQuestionsCommand({ count: 4, seed: 5, out, categories: 'count,hidden-behind' });
    expect(r.questions).toBe(4);
    const records = await readNativeJsonl(r.jsonl);
    expect(records).toHaveLength(4);
    for (const rec of records) {
      expect(['count', 'hidden-behind']).toContain(rec.category);
      expect(rec.options.length).toBeGreaterThanOrEqual(2);
      expect(rec.answer).toMatch(/^[A-Z]$/);
      // scan frames by default (QUESTIONS_SCAN_FRAMES), so that eval's scene holds the hidden object
      expect(rec.scan?.images).toHaveLength(QUESTIONS_SCAN_FRAMES);
      for (const p of [
        ...rec.images,
        rec.depth!,
        rec.intrinsics as string,
        ...rec.scan!.images,
        ...rec.scan!.depths,
        rec.scan!.trajectory,
      ]) {
        expect(existsSync(p.startsWith('/') ? p : join(dirname(r.jsonl), p))).toBe(true);
      }
    }
  });

  it('writes the photo alone with scanFrames 0', async () => {
    const out = await mkdtemp(join(tmpdir(), 'vantage-questions-'));
    const r = await runQuestionsCommand({ count: 2, seed: 5, out, scanFrames: 0 });
    for (const rec of await readNativeJsonl(r.jsonl)) expect(rec.scan).toBeUndefined();
  });

  it('refuses unknown categories and absurd counts with a clear error', async () => {
    await expect(runQuestionsCommand({ count: 2, seed: 1, out: tmpdir(), categories: 'colour' })).rejects.toThrow(
      /unknown category colour/,
    );
    await expect(runQuestionsCommand({ count: 0, seed: 1, out: tmpdir() })).rejects.toThrow(/--count 0/);
    await expect(runQuestionsCommand({ count: 2, seed: 1, out: tmpdir(), scanFrames: 7 })).rejects.toThrow(
      /--scan-frames 7/,
    );
  });

  it('--video writes walk-through clips with VSI-Bench-style questions of the asked types', async () => {
    const out = await mkdtemp(join(tmpdir(), 'vantage-questions-'));
    const r = await runQuestionsCommand({
      count: 1,
      seed: 2,
      out,
      video: true,
      scenes: 1,
      frames: 12,
      categories: 'object_counting,object_size_estimation',
    });
    const recs = await readNativeJsonl(r.jsonl);
    expect(recs.map((x) => x.category).sort()).toEqual(['object_counting', 'object_size_estimation']);
    for (const rec of recs) {
      expect(rec.video?.depths).toHaveLength(12);
      expect(rec.numeric?.kind).toBeDefined();
    }
    await expect(runQuestionsCommand({ count: 1, seed: 1, out, video: true, categories: 'count' })).rejects.toThrow(
      /unknown question types: count/,
    );
  });
});
