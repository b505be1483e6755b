/**
 * Numeric answers through the loop: questions without options whose answer is a number are answered
 * by the built-in perceiver from what it lifted, and by an MLLM at a real local OpenAI-compatible
 * server; estimates are fused by the weighted log-space median, the adaptive stop uses the relative
 * change of the fused estimate, and the trace (and its page) carry the numbers.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Question, Renderer } from '../core/types.js';
import { measureTemplates, questionTemplates } from '../core/question-templates.js';
import { meanRelativeAccuracy } from '../core/numeric.js';
import { generateScene } from '../fixtures/scenes.js';
import { loadFixtureScene } from '../fixtures/scene-source.js';
import { boxDistance, walkthroughOf } from '../fixtures/walkthrough.js';
import { writeVideoQuestionSet } from '../fixtures/video-set.js';
import { readNativeJsonl } from '../core/io/native-set.js';
import { loopInputOf, runSession } from '../loop/session.js';
import { createModel } from '../loop/models/create.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { askJson, askSummary, runAsk } from '../src/commands/ask.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { isControllerRequest, testConfig, W, H } from './loop-helpers.js';

let renderer: Renderer;
let dir: string;
const servers: OpenAIServer[] = [];
beforeAll(async () => {
  renderer = createReferenceRenderer();
  dir = await mkdtemp(join(tmpdir(), 'vantage-numeric-'));
});
afterAll(async () => {
  renderer.dispose();
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

const fixture = generateScene('room');
const loaded = () => loadFixtureScene(fixture, { width: W, height: H, scanFrames: 4 });

describe('numeric questions with the built-in perceiver', () => {
  it('counts the objects it sees, fusing the estimates round by round', async () => {
    const question: Question = { text: questionTemplates.count(), options: [], numeric: { kind: 'count', unit: '' } };
    const input = await loopInputOf(question, loaded());
    const r = await runSession(input, {
      model: createModel('builtin:perceiver'),
      renderer,
      config: testConfig({ maxRounds: 3, stop: { policy: 'fixed' } }),
      traceDir: join(dir, 'count'),
    });
    expect(r.trace.final.value).toBeDefined();
    expect(r.value).toBe(r.trace.final.value);
    // every round has an estimate and a fused value; counts never go down as views add objects
    const fused = r.trace.rounds.map((x) => x.fusedValue!);
    expect(fused.every((v) => Number.isFinite(v))).toBe(true);
    expect(meanRelativeAccuracy(r.value, fixture.objects.length)).toBeGreaterThanOrEqual(0.5);
    const html = await readFile(r.indexHtml!, 'utf8');
    expect(html).toContain(String(r.value));
  });

  it('measures the distance between two named objects, in the unit asked', async () => {
    // the pair of well-visible objects farthest apart: a distance well above the perceiver's centre error
    const visible = fixture.objects.filter((o) => o.visibility >= 0.5);
    const pairs = visible.flatMap((a, i) => visible.slice(i + 1).map((b) => [a, b] as const));
    const [a, b] = pairs.reduce((p, q) =>
      boxDistance(q[0].box3, q[1].box3) > boxDistance(p[0].box3, p[1].box3) ? q : p,
    );
    const truth = boxDistance(a.box3, b.box3);
    const question: Question = {
      text: measureTemplates.distance(a.name, b.name),
      options: [],
      numeric: { kind: 'length', unit: 'm' },
    };
    const r = await runSession(await loopInputOf(question, loaded()), {
      model: createModel('builtin:perceiver'),
      renderer,
      config: testConfig({ maxRounds: 2 }),
    });
    expect(r.value).toBeGreaterThan(0);
    // the lifted estimate is rough (centres from visible surfaces), but of the right size
    expect(r.value! / Math.max(truth, 0.05)).toBeGreaterThan(0.2);
    expect(r.value! / Math.max(truth, 0.05)).toBeLessThan(5);
    const cm = await runSession(await loopInputOf({ ...question, numeric: { kind: 'length', unit: 'cm' } }, loaded()), {
      model: createModel('builtin:perceiver'),
      renderer,
      config: testConfig({ maxRounds: 2 }),
    });
    expect(cm.value! / r.value!).toBeCloseTo(100, 0);
  });
});

describe('numeric questions with an MLLM at a local endpoint', () => {
  /** Replies, in order, to the answerer; the controller always asks for one more orbit. */
  async function serve(replies: string[]) {
    let k = 0;
    const server = await startOpenAIServer({
      brain: (req) =>
        isControllerRequest(req)
          ? {
              action: 'view',
              pose: { mode: 'orbit', azimuth_deg: 40 * (k + 1), elevation_deg: 10, distance_scale: 1 },
              reason: 'look',
            }
          : { choice: replies[Math.min(k++, replies.length - 1)], confidence: 0.7, rationale: 'scripted' },
    });
    servers.push(server);
    return createModel('test-model', {
      env: {},
      mllm: { baseURL: server.url, apiKey: 'sk-local', timeoutMs: 5000, maxRetries: 0 },
    });
  }
  const question: Question = {
    text: 'How far is the red box from the blue sphere (in metres)?',
    options: [],
    numeric: { kind: 'length', unit: 'm' },
  };

  it('reads units, fuses by the weighted median and stops when the estimate settles', async () => {
    // 2 m, then 250 cm (2.5 m), then 2.4 m, 2.45 m …: the fused value moves towards 2.4 and settles
    const model = await serve(['2 m', '250 cm', '2.4', '2.45 meters', '2.4 m', '2.4 m', '2.4 m']);
    const r = await runSession(await loopInputOf(question, loaded()), {
      model,
      renderer,
      config: testConfig({ maxRounds: 6, stop: { policy: 'adaptive', stableRounds: 1, relativeTolerance: 0.05 } }),
    });
    const answers = r.trace.rounds.map((x) => x.answer.value);
    expect(answers.slice(0, 3)).toEqual([2, 2.5, 2.4]);
    expect(r.trace.final.stopReason).toBe('stable');
    const fused = r.trace.rounds.map((x) => x.fusedValue!);
    const last = fused.length - 1;
    expect(Math.abs(fused[last] - fused[last - 1]) / fused[last - 1]).toBeLessThanOrEqual(0.05);
    expect(r.value).toBe(fused[last]);
  });

  it('a reply with no number carries no weight and is recorded as such', async () => {
    const model = await serve(['I cannot tell', '3 m']);
    const r = await runSession(await loopInputOf(question, loaded()), {
      model,
      renderer,
      config: testConfig({ maxRounds: 1, stop: { policy: 'fixed' } }),
    });
    expect(r.trace.rounds[0].answer).toMatchObject({ choice: '', cannotTell: true, distSource: 'uniform-fallback' });
    expect(r.trace.rounds[0].fusedValue).toBeUndefined();
    expect(r.value).toBe(3);
  });
});

describe('vantage ask with a numeric question', () => {
  it('reads the unit off the question, prints the number and the estimates', async () => {
    const r = await runAsk({
      fixture: 'room',
      question: 'How many objects are there in the scene (not counting the floor and walls)?',
      model: 'builtin:perceiver',
      rounds: 1,
      stop: 'fixed',
      size: `${W}x${H}`,
      render: 'points',
      renderer: 'reference',
      out: join(dir, 'ask-count'),
    });
    expect(r.trace.question.numeric).toEqual({ kind: 'count', unit: '' });
    const text = askSummary(r);
    expect(text).toMatch(new RegExp(`^answer: ${r.value}$`, 'm'));
    expect(text).toMatch(/^estimates: \d+(\.\d+)?, \d+(\.\d+)? \(fused by a weighted median\)$/m);
    expect(askJson(r)).toMatchObject({ value: r.value, unit: '' });
  });

  it('--unit forces a numeric answer and refuses options with it', async () => {
    await expect(
      runAsk({ fixture: 'room', question: 'How big?', options: ['1', '2'], unit: 'm', model: 'builtin:perceiver' }),
    ).rejects.toThrow(/takes no options/);
    await expect(
      runAsk({ fixture: 'room', question: 'How big?', unit: 'kg', model: 'builtin:perceiver' }),
    ).rejects.toThrow(/unknown unit "kg"/);
  });
});

describe('vantage ask --video', () => {
  it('samples a walk-through clip, lifts its frames with their depth and camera path, and measures a distance', async () => {
    const set = await writeVideoQuestionSet(join(dir, 'walk'), {
      scenes: 1,
      seed: 8,
      frames: 16,
      width: 160,
      height: 120,
    });
    const rec = (await readNativeJsonl(set.jsonl))[0];
    const w = walkthroughOf(Number(/walk-(\d+)/.exec(rec.video!.path)![1]), { frames: 16, width: 160, height: 120 });
    // two objects the reference heading sees well (sampled frame 6 of 16 looks that way)
    const [a, b] = w.fixture.objects.filter((o) => o.visibility >= 0.5);
    // the sampled frames go to a temporary folder under TMPDIR, removed once the scene is loaded
    const tmp = join(dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const r = await runAsk({
      video: rec.video!.path,
      frames: 4,
      depths: rec.video!.depths,
      trajectory: rec.video!.trajectory,
      intrinsics: rec.intrinsics as string,
      question: `How far is the ${a.name} from the ${b.name} (in metres)?`,
      model: 'builtin:perceiver',
      rounds: 1,
      size: `${W}x${H}`,
      render: 'points',
      renderer: 'reference',
      out: join(dir, 'ask-video'),
    });
    process.env.TMPDIR = before;
    if (before === undefined) delete process.env.TMPDIR;
    expect(await readdir(tmp)).toEqual([]);
    expect(r.trace.input.images).toHaveLength(4);
    expect(r.trace.input.notes.join('\n')).toMatch(/4 frames of walk\.mp4/);
    expect(r.trace.question.numeric).toEqual({ kind: 'length', unit: 'm' });
    expect(r.value).toBeGreaterThan(0);
    expect(askSummary(r)).toMatch(/^answer: \S+ m$/m);
    await expect(runAsk({ video: join(dir, 'missing.mp4'), question: 'How far?' })).rejects.toThrow(/does not exist/);
    await expect(runAsk({ fixture: 'room', frames: 4, question: 'How far?' })).rejects.toThrow(/apply to --video only/);
  });
});
