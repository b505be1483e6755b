/**
 * The loop against a local OpenAI-compatible server (real sockets) whose vision is the pixel
 * perceiver, with scripted faults: 429 with Retry-After, 500, answers slower than the timeout,
 * malformed JSON, out-of-range poses, refusals. The loop completes or fails cleanly every time
 * (stopReason 'error' with the rounds so far), never with an unhandled rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import { runLoop } from '../loop/run.js';
import { createModel } from '../loop/models/create.js';
import { OpenAIVisionModel } from '../loop/models/openai.js';
import { type VisionModel } from '../loop/models/contract.js';
import type { MllmConfig } from '../core/mllm/index.js';
import { startOpenAIServer, type Fault, type OpenAIServer } from './support/openai-server.js';
import {
  isControllerRequest,
  perceiverBrain,
  testConfig,
  testQuestions,
  total,
  type TestQuestion,
} from './loop-helpers.js';
import type { LoopConfig } from '../loop/types.js';

let renderer: Renderer;
let q: TestQuestion;
const servers: OpenAIServer[] = [];

beforeAll(async () => {
  renderer = createReferenceRenderer();
  [q] = await testQuestions({ count: 1, categories: ['hidden-behind'] });
});
afterAll(async () => {
  renderer?.dispose();
  await Promise.all(servers.map((s) => s.close()));
});

/** No fault for this request (faults are consumed one per request, in order). */
const none: Fault = { kind: 'slow', ms: 0 };

async function serve(faults: Fault[] = [], poses?: object[]) {
  const server = await startOpenAIServer({ brain: perceiverBrain(poses), faults });
  servers.push(server);
  return server;
}

function modelFor(server: OpenAIServer, mllm: Partial<MllmConfig> = {}): VisionModel {
  return createModel('test-model', {
    env: {},
    mllm: {
      baseURL: server.url,
      apiKey: 'sk-local-test',
      timeoutMs: 5_000,
      maxRetries: 2,
      retryMinDelayMs: 5,
      retryMaxDelayMs: 20,
      ...mllm,
    },
  });
}

const run = (model: VisionModel, config: LoopConfig = testConfig({ maxRounds: 2, stop: { policy: 'fixed' } })) =>
  runLoop(q.input, model, renderer, config);

const chatRequests = (s: OpenAIServer) => s.requests.filter((r) => r.path === '/v1/chat/completions');

describe('loop with an OpenAI-compatible endpoint (perceiver brain)', () => {
  it('no faults: completes; controller poses, answers and token counts are recorded', async () => {
    const server = await serve();
    const model = modelFor(server);
    expect(model).toBeInstanceOf(OpenAIVisionModel);
    const { trace } = await run(model);
    expect(trace.final.stopReason).toBe('fixed-rounds');
    expect(trace.rounds).toHaveLength(3);
    expect(trace.modelLabel).toMatch(/test-model .*OpenAI-compatible/);
    for (const r of trace.rounds) expect(total(r.posterior)).toBeCloseTo(1, 9);
    expect(trace.rounds[1].view!.pose).toMatchObject({ mode: 'orbit', azimuth_deg: 90, elevation_deg: 20 });
    expect(trace.rounds[1].calls.map((c) => c.role)).toEqual(['controller', 'answerer']);
    const answerCall = trace.rounds[1].calls[1];
    expect(answerCall.promptTokens).toBeGreaterThan(0);
    expect(answerCall.prompt).toContain('[image: original-0.png]');
    expect(answerCall.prompt).toContain('[image: round-01.png]');
    expect(answerCall.prompt).not.toMatch(/base64/);
    expect(trace.totals.promptTokens).toBeGreaterThan(0);
    expect(chatRequests(server)).toHaveLength(5);
    // the answerer sees the original and the view, each captioned with its pose and coverage
    const lastAnswer = chatRequests(server)[4].body as { messages: { content: unknown }[] };
    const text = JSON.stringify(lastAnswer.messages);
    expect(text).toMatch(/original photo/);
    expect(text).toMatch(/rendered view 1: camera swung 90° to the right.*coverage \d+% real surface/);
  });

  it('429 with Retry-After: waits, retries and completes; the retry is in the call log', async () => {
    const server = await serve([{ kind: '429', retryAfterS: 1 }]);
    const t0 = performance.now();
    const { trace } = await run(modelFor(server));
    expect(performance.now() - t0).toBeGreaterThan(950);
    expect(trace.final.stopReason).toBe('fixed-rounds');
    const c = trace.rounds[0].calls[0];
    expect(c.attempts).toBe(2);
    expect(c.errors.join(' ')).toMatch(/429/);
  });

  it('500: retried; completes', async () => {
    const server = await serve([none, { kind: '500' }]);
    const { trace } = await run(modelFor(server));
    expect(trace.final.stopReason).toBe('fixed-rounds');
    expect(trace.rounds[1].calls[0].errors.join(' ')).toMatch(/500/);
  });

  it('a slow answer past the timeout is retried and the loop completes', async () => {
    const server = await serve([none, none, { kind: 'slow', ms: 1500 }]);
    const { trace } = await run(modelFor(server, { timeoutMs: 400 }));
    expect(trace.final.stopReason).toBe('fixed-rounds');
    expect(trace.rounds[1].calls[1].errors.join(' ')).toMatch(/timeout/);
  });

  it('slow answers with no retries left: fails cleanly with stopReason error and the earlier rounds kept', async () => {
    const server = await serve([none, { kind: 'slow', ms: 1500 }]);
    const { trace } = await run(modelFor(server, { timeoutMs: 300, maxRetries: 0 }));
    expect(trace.final.stopReason).toBe('error');
    expect(trace.rounds).toHaveLength(2);
    expect(trace.rounds[0].failed).toBeUndefined();
    expect(trace.rounds[1].failed).toMatch(/timeout/);
    expect(trace.rounds[1].calls[0]).toMatchObject({ role: 'controller', attempts: 1 });
    expect(trace.final.choice).toBe(trace.rounds[0].fusedChoice);
    expect(total(trace.final.posterior)).toBeCloseTo(1, 9);
  });

  it('malformed JSON: one corrective re-ask, then it goes on', async () => {
    const server = await serve([{ kind: 'malformed', variant: 'prose' }]);
    const { trace } = await run(modelFor(server));
    expect(trace.final.stopReason).toBe('fixed-rounds');
    expect(trace.rounds[0].calls[0].errors.join(' ')).toMatch(/unusable reply/);
    expect(trace.rounds[0].answer.choice).toMatch(/^[A-D]$/);
  });

  it('malformed twice (prose, then truncated JSON): the call fails and the loop ends cleanly', async () => {
    const server = await serve([
      none,
      none,
      { kind: 'malformed', variant: 'prose' },
      { kind: 'malformed', variant: 'truncated' },
    ]);
    const { trace } = await run(modelFor(server));
    expect(trace.final.stopReason).toBe('error');
    expect(trace.rounds).toHaveLength(2);
    expect(trace.rounds[1].view).toBeDefined(); // the view was rendered before the answerer failed
    expect(trace.rounds[1].failed).toMatch(/no usable "answer" reply/);
    expect(trace.rounds[1].calls.map((c) => c.role)).toEqual(['controller', 'answerer']);
    expect(trace.rounds[1].calls[1].reply).toBeDefined();
  });

  it('an out-of-range pose goes back to the model once with the problem, then is clamped and recorded', async () => {
    const bad = {
      action: 'view',
      pose: { mode: 'orbit', azimuth_deg: 400, elevation_deg: 120, distance_scale: 9 },
      reason: 'too far',
    };
    const server = await serve([
      none,
      { kind: 'custom', content: JSON.stringify(bad) },
      { kind: 'custom', content: JSON.stringify(bad) },
    ]);
    const { trace } = await run(modelFor(server), testConfig({ maxRounds: 1, stop: { policy: 'fixed' } }));
    expect(trace.final.stopReason).toBe('fixed-rounds');
    const v = trace.rounds[1].view!;
    expect(v.poseErrors.join(' ')).toMatch(/elevation_deg=120 is outside -85..85/);
    expect(v.poseErrors.some((e) => e.startsWith('again:'))).toBe(true);
    expect(v.clamped.join(' ')).toMatch(/elevation_deg 120 → 85/);
    expect(v.clamped.join(' ')).toMatch(/distance_scale 9 → 4/);
    expect(v.pose).toMatchObject({ mode: 'orbit', azimuth_deg: 40, elevation_deg: 85, distance_scale: 4 });
    expect(trace.rounds[1].calls.map((c) => c.role)).toEqual(['controller', 'controller', 'answerer']);
    // the second controller request carried the problem back to the model
    const second = chatRequests(server)[2].body as { messages: unknown[] };
    expect(JSON.stringify(second.messages)).toMatch(/previous pose could not be used: .*elevation_deg=120 is outside/);
  });

  it('an out-of-range pose corrected after the feedback is used as corrected, with no clamp', async () => {
    const bad = {
      action: 'view',
      pose: { mode: 'orbit', azimuth_deg: 30, elevation_deg: 95, distance_scale: 1 },
      reason: 'x',
    };
    const server = await serve([none, { kind: 'custom', content: JSON.stringify(bad) }]);
    const { trace } = await run(modelFor(server), testConfig({ maxRounds: 1, stop: { policy: 'fixed' } }));
    const v = trace.rounds[1].view!;
    expect(v.poseErrors).toHaveLength(1);
    expect(v.clamped).toEqual([]);
    expect(v.pose).toMatchObject({ azimuth_deg: 90, elevation_deg: 20 });
  });

  it('"view" with no pose: fed back once, then a default exploration pose, recorded', async () => {
    const noPose = JSON.stringify({ action: 'view', pose: null, reason: 'somewhere' });
    const server = await serve([none, { kind: 'custom', content: noPose }, { kind: 'custom', content: noPose }]);
    const { trace } = await run(modelFor(server), testConfig({ maxRounds: 1, stop: { policy: 'fixed' } }));
    expect(trace.final.stopReason).toBe('fixed-rounds');
    const v = trace.rounds[1].view!;
    expect(v.poseErrors).toEqual([
      'the reply asked for a view but gave no pose',
      'again: the reply asked for a view but gave no pose',
    ]);
    expect(v.clamped.join(' ')).toMatch(/no pose given: the default exploration pose/);
    expect(v.pose).toMatchObject({ mode: 'orbit', azimuth_deg: 45, elevation_deg: 20 });
  });

  it('a refusal ends the loop cleanly: stopReason error, rounds kept, the refusal in the call log', async () => {
    const server = await serve([none, none, { kind: 'refusal' }]);
    const { trace } = await run(modelFor(server));
    expect(trace.final.stopReason).toBe('error');
    expect(trace.rounds).toHaveLength(2);
    expect(trace.rounds[1].failed).toMatch(/refused/);
    expect(trace.rounds[1].calls[1].errors.join(' ')).toMatch(/refused/);
    expect(trace.final.choice).toBe(trace.rounds[0].fusedChoice);
  });

  it('a refusal at round 0: no answer at all, final choice empty, still a trace', async () => {
    const server = await serve([{ kind: 'refusal', via: 'content_filter' }]);
    const { trace } = await run(modelFor(server));
    expect(trace.final).toMatchObject({ stopReason: 'error', choice: '', probability: 0, rounds: 1 });
    expect(trace.rounds[0].failed).toMatch(/content filter/);
  });

  it('the controller may say stop; the adaptive policy honours it', async () => {
    const server = await startOpenAIServer({
      brain: async (req) =>
        isControllerRequest(req)
          ? { action: 'stop', pose: null, reason: 'the original settles it' }
          : perceiverBrain()(req),
    });
    servers.push(server);
    const { trace } = await run(
      modelFor(server),
      testConfig({ maxRounds: 3, stop: { policy: 'adaptive', stableRounds: 2, marginTau: 0.5 } }),
    );
    expect(trace.final.stopReason).toBe('model-stop');
    expect(trace.rounds).toHaveLength(1);
    expect(trace.rounds[0].decision).toEqual({ action: 'stop', reason: 'the original settles it' });
    expect(trace.rounds[0].calls.map((c) => c.role)).toEqual(['answerer', 'controller']);
  });

  it('language poses: a second call turns the words into an orbit, and both are recorded', async () => {
    const server = await startOpenAIServer({
      brain: async (req) => {
        const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
        if (name === 'controller')
          return {
            action: 'view',
            pose: { mode: 'language', text: 'go round to the right and look down' },
            reason: 'see behind',
          };
        if (name === 'language_pose')
          return { pose: { mode: 'orbit', azimuth_deg: 70, elevation_deg: 30, distance_scale: 1 } };
        return perceiverBrain()(req);
      },
    });
    servers.push(server);
    const { trace } = await run(
      modelFor(server),
      testConfig({ maxRounds: 1, poseFormat: 'language', stop: { policy: 'fixed' } }),
    );
    const r = trace.rounds[1];
    expect(r.decision).toMatchObject({
      action: 'view',
      pose: { mode: 'language', text: 'go round to the right and look down' },
    });
    expect(r.view!.pose).toMatchObject({ mode: 'orbit', azimuth_deg: 70, elevation_deg: 30 });
    expect(r.calls.map((c) => c.role)).toEqual(['controller', 'language-pose', 'answerer']);
  });
});
