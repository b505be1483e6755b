/**
 * Video and numeric questions in `vantage eval`: a procedural walk-through set through the whole loop
 * with the built-in perceiver (VSI-Bench's overall as the headline), and the VSI-Bench loader on a file
 * in the benchmark's layout (ROOT/<dataset>/<scene_name>.mp4) with a model at a real local endpoint,
 * whose official scores are checked against hand-computed values.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Renderer } from '../core/types.js';
import { readNativeJsonl } from '../core/io/native-set.js';
import { meanRelativeAccuracy } from '../core/numeric.js';
import { writeVideoQuestionSet } from '../fixtures/video-set.js';
import { runEval } from '../loop/eval/run.js';
import type { EvalLine } from '../loop/eval/types.js';
import { vsiAggregate } from '../loop/eval/vsibench.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { isControllerRequest } from './loop-helpers.js';

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
let renderer: Renderer;
const servers: OpenAIServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-eval-video-'));
  renderer = createReferenceRenderer();
});
afterAll(async () => {
  renderer.dispose();
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

const linesOf = async (p: string) =>
  (await readFile(p, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvalLine);

describe.skipIf(!hasFfmpeg)('eval over video', () => {
  it('a walk-through set runs end to end: numeric items are scored by MRA, the headline is VSI-Bench overall', async () => {
    const set = await writeVideoQuestionSet(join(dir, 'walk'), {
      scenes: 1,
      seed: 5,
      frames: 16,
      width: 160,
      height: 120,
    });
    const out = join(dir, 'run-walk');
    const summary = await runEval({
      data: set.jsonl,
      format: 'native',
      model: 'builtin:perceiver',
      out,
      rounds: 1,
      stop: 'fixed',
      size: '160x120',
      render: 'points',
      renderer,
      videoFrames: 4,
      progress: 'none',
      logSamples: false,
    });
    const lines = await linesOf(join(out, 'results.jsonl'));
    expect(lines.length).toBe(set.questions);
    const recs = await readNativeJsonl(set.jsonl);
    for (const l of lines) {
      expect(l.status, l.error).toBe('ok');
      const rec = recs.find((r) => r.id === l.item)!;
      if (rec.numeric) {
        expect(l.scoreAfter).toHaveLength(2);
        for (const s of l.scoreAfter!) expect(s).toBeGreaterThanOrEqual(0);
        // the line's score is the MRA of its fused value against the truth
        expect(l.scoreAfter![1]).toBe(meanRelativeAccuracy(l.value, Number(rec.answer)));
      } else expect(l.scoreAfter).toBeUndefined();
    }
    const cell = summary.cells[0];
    const expected = vsiAggregate(
      lines.map((l) => ({
        questionType: l.category,
        score: l.scoreAfter ? l.scoreAfter[1] : l.correctAfter[1] ? 1 : 0,
      })),
    ).overall;
    expect(cell.official.byRound[1]).toBeCloseTo(expected, 12);
    expect(cell.official.label).toMatch(/VSI-Bench overall/);
  });

  it('the VSI-Bench loader reads the real layout; the official metrics match hand-computed values', async () => {
    const set = await writeVideoQuestionSet(join(dir, 'clip'), {
      scenes: 1,
      seed: 6,
      frames: 12,
      width: 160,
      height: 120,
    });
    const rec = (await readNativeJsonl(set.jsonl))[0];
    const root = join(dir, 'vsi');
    await mkdir(join(root, 'arkitscenes'), { recursive: true });
    await copyFile(rec.video!.path, join(root, 'arkitscenes', '41069025.mp4'));
    const row = (o: object) => JSON.stringify({ dataset: 'arkitscenes', scene_name: '41069025', ...o });
    await writeFile(
      join(root, 'test.jsonl'),
      [
        row({
          id: 1,
          question_type: 'object_counting',
          question: 'How many chair(s) are in this room?',
          options: null,
          ground_truth: '4',
        }),
        row({
          id: 2,
          question_type: 'object_abs_distance',
          question: 'What is the direct distance between the sofa and the tv (in meters)?',
          options: null,
          ground_truth: '2.0',
        }),
        row({
          id: 3,
          question_type: 'object_rel_distance',
          question: 'Which is closest to the bed?',
          options: ['A. chair', 'B. lamp', 'C. sofa'],
          ground_truth: 'B',
        }),
        row({
          id: 4,
          question_type: 'route_planning',
          question: 'Which turn?',
          options: ['A. Turn Left', 'B. Turn Right'],
          ground_truth: 'A',
        }),
        row({
          id: 5,
          question_type: 'object_counting',
          question: 'How many lamp(s) are in this room?',
          options: null,
          ground_truth: 'four',
        }),
      ].join('\n'),
    );
    // scripted replies by question: counting 3 (truth 4), distance 2.3 m (truth 2.0), relative distance B (right), route B (wrong)
    const server = await startOpenAIServer({
      brain: (req) => {
        if (isControllerRequest(req)) return { action: 'stop', reason: 'scripted' };
        const t = req.texts.join('\n');
        const choice = t.includes('chair(s)')
          ? '3'
          : t.includes('direct distance')
            ? '230 cm'
            : t.includes('closest')
              ? 'B'
              : 'B';
        return { choice, confidence: 0.8, rationale: 'scripted' };
      },
    });
    servers.push(server);
    const out = join(dir, 'run-vsi');
    const summary = await runEval({
      data: join(root, 'test.jsonl'),
      format: 'vsibench',
      model: 'test-model',
      baseUrl: server.url,
      env: {},
      out,
      rounds: 0,
      renderer,
      videoFrames: 4,
      progress: 'none',
      logSamples: false,
    });
    // the record with a non-numeric ground truth is skipped with its reason
    expect(summary.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/ground_truth "four" .* not a number/),
    ]);
    const lines = await linesOf(join(out, 'results.jsonl'));
    expect(lines.map((l) => l.item).sort()).toEqual(['1', '2', '3', '4']);
    // counting: |3 − 4| / 4 = 0.25 → θ ≤ 0.75: 6 of 10; distance: 0.15 → 8 of 10
    const byId = Object.fromEntries(lines.map((l) => [l.item, l]));
    expect(byId['1'].scoreAfter).toEqual([0.6]);
    expect(byId['2'].value).toBeCloseTo(2.3, 12);
    expect(byId['2'].scoreAfter).toEqual([0.8]);
    expect(byId['3'].correct).toBe(true);
    expect(byId['4'].correct).toBe(false);
    // overall = mean over the four types = (0.6 + 0.8 + 1 + 0) / 4
    expect(summary.cells[0].official.byRound[0]).toBeCloseTo(0.6, 12);
    // the benchmark's framing reached the model
    expect(server.requests.some((r) => JSON.stringify(r.body ?? {}).includes('These are frames of a video.'))).toBe(
      true,
    );
  });
});
