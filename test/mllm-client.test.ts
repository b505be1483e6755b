import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { z } from 'zod';
import { createMllmClient, MllmError, type ChatMessage, type MllmConfig } from '../core/mllm/index.js';
import { createLimiter } from '../core/mllm/limiter.js';
import { startOpenAIServer, type Brain, type Fault, type OpenAIServer } from './support/openai-server.js';

const KEY = 'sk-test-Sup3rSecretKey-0123456789';

const Answer = z
  .object({
    choice: z.enum(['A', 'B', 'C', 'D']),
    confidence: z.number().min(0).max(1),
    rationale: z.string(),
  })
  .strict();

const Pose = z
  .object({
    mode: z.literal('orbit'),
    azimuth_deg: z.number().min(-180).max(180),
    elevation_deg: z.number().min(-85).max(85),
    distance_scale: z.number().min(0.25).max(4),
  })
  .strict();

const answerBrain: Brain = () => ({ choice: 'B', confidence: 0.7, rationale: 'the mug is left of the vase' });

let server: OpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(opts: Partial<Parameters<typeof startOpenAIServer>[0]> = {}): Promise<OpenAIServer> {
  server = await startOpenAIServer({ brain: answerBrain, ...opts });
  return server;
}

function config(url: string, extra: Partial<MllmConfig> = {}): MllmConfig {
  return {
    baseURL: url,
    apiKey: KEY,
    model: 'test-model',
    timeoutMs: 2000,
    maxRetries: 2,
    maxImageSide: 64,
    concurrency: 4,
    temperature: 0,
    seed: 7,
    retryMinDelayMs: 20,
    retryMaxDelayMs: 100,
    ...extra,
  };
}

const question: ChatMessage[] = [
  { role: 'system', content: 'Answer spatial questions about the picture.' },
  { role: 'user', content: 'Is the mug left of the vase? A) yes B) no C) same place D) cannot tell' },
];

async function failure(p: Promise<unknown>): Promise<MllmError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MllmError) return e;
    throw e;
  }
  throw new Error('expected an MllmError');
}

function text(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Error ? { ...x, message: x.message } : x));
}

describe('MLLM client against a local OpenAI-compatible server', () => {
  it('gets a structured answer with json_schema, sending images downscaled and the key as a bearer token', async () => {
    const seen: { sizes: number[][]; texts: string[] } = { sizes: [], texts: [] };
    const s = await serve({
      brain: async (req) => {
        for (const img of req.images) {
          const m = await sharp(img).metadata();
          seen.sizes.push([m.width!, m.height!]);
        }
        seen.texts = req.texts;
        return answerBrain(req);
      },
    });
    const png = await sharp({
      create: { width: 200, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } },
    })
      .png()
      .toBuffer();
    const client = createMllmClient(config(s.url));
    const res = await client.structured(
      [
        ...question,
        {
          role: 'user',
          content: [
            { type: 'image', png, caption: 'View 1: orbit azimuth 30°' },
            { type: 'text', text: 'And now?' },
          ],
        },
      ],
      Answer,
      { name: 'answer' },
    );

    expect(res.value).toEqual({ choice: 'B', confidence: 0.7, rationale: 'the mug is left of the vase' });
    expect(res.record).toMatchObject({
      model: 'test-model',
      cached: false,
      attempts: 1,
      finishReason: 'stop',
      structuredMode: 'json_schema',
      errors: [],
    });
    expect(res.record.promptTokens).toBeGreaterThan(85);
    expect(res.record.completionTokens).toBeGreaterThan(5);
    expect(res.record.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.optionLogprobs).toBeUndefined();
    expect(seen.sizes).toEqual([[64, 32]]);
    expect(seen.texts).toContain('View 1: orbit azimuth 30°');

    const req = s.requests[0];
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toMatchObject({
      model: 'test-model',
      temperature: 0,
      seed: 7,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true } },
    });
    expect(client.supportsJsonSchema).toBe(true);
  });

  it('sends at most maxImages images (the original and the latest views), and free text via text()', async () => {
    let seen = 0;
    const s = await serve({
      brain: (req) => {
        seen = req.images.length;
        return 'B';
      },
    });
    const png = (g: number) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 0, g, b: 0 } } })
        .png()
        .toBuffer();
    const images = await Promise.all([0, 50, 100, 150, 200].map(png));
    const client = createMllmClient(config(s.url, { maxImages: 3, logprobs: true }));
    const res = await client.text(
      [
        {
          role: 'user',
          content: [
            ...images.map((p, i) => ({ type: 'image' as const, png: p, caption: `view ${i}` })),
            { type: 'text', text: 'Which?' },
          ],
        },
      ],
      { optionLetters: ['A', 'B'] },
    );
    expect(seen).toBe(3);
    expect(res.text).toBe('B');
    expect(res.optionProbs!.B).toBeGreaterThan(0.9);
    const texts = JSON.stringify(s.requests[0].body);
    expect(texts).toContain('view 0');
    expect(texts).toContain('image omitted to stay within 3 images per request: view 1');
    expect(texts).toContain('view 4');
  });

  it('falls back to prompting and tolerant parsing when json_schema is unsupported, and remembers it', async () => {
    const s = await serve({
      supportsJsonSchema: false,
      brain: () =>
        'Sure, here is the answer.\n```json\n{"choice": "D", "confidence": 0.4, "rationale": "occluded",}\n```',
    });
    const client = createMllmClient(config(s.url));
    const res = await client.structured(question, Answer, { name: 'answer' });
    expect(res.value.choice).toBe('D');
    expect(res.record.structuredMode).toBe('prompt');
    expect(res.record.errors.join('\n')).toMatch(/refused response_format/);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0].status).toBe(400);
    expect(s.requests[1].body).not.toHaveProperty('response_format');
    expect(text(s.requests[1].body)).toContain('JSON Schema');

    const again = await client.structured(question, Answer, { name: 'answer' });
    expect(again.value.choice).toBe('D');
    expect(s.requests).toHaveLength(3); // no second 400: the client remembered
    expect(client.supportsJsonSchema).toBe(false);
  });

  it('re-asks once after a malformed reply, showing the model what was wrong', async () => {
    const s = await serve({ faults: [{ kind: 'malformed' }] });
    const res = await createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' });
    expect(res.value.choice).toBe('B');
    expect(res.record.reasked).toBe(true);
    expect(res.record.errors).toHaveLength(1);
    expect(res.record.errors[0]).toMatch(/no JSON object/);
    expect(s.requests).toHaveLength(2);
    const second = text(s.requests[1].body);
    expect(second).toContain('could not be used');
    expect(second).toContain('most likely the second option'); // the bad reply is in the conversation
  });

  it('re-asks after an out-of-range pose and takes the corrected one', async () => {
    const s = await serve({
      faults: [{ kind: 'custom', content: '{"mode":"orbit","azimuth_deg":270,"elevation_deg":10,"distance_scale":9}' }],
      brain: () => ({ mode: 'orbit', azimuth_deg: -90, elevation_deg: 10, distance_scale: 2 }),
    });
    const res = await createMllmClient(config(s.url)).structured(question, Pose, { name: 'pose' });
    expect(res.value).toEqual({ mode: 'orbit', azimuth_deg: -90, elevation_deg: 10, distance_scale: 2 });
    expect(res.record.errors[0]).toMatch(/azimuth_deg/);
    expect(res.record.errors[0]).toMatch(/distance_scale/);
    expect(text(s.requests[1].body)).toMatch(/azimuth_deg.*180/);
  });

  it('fails cleanly, with the record, after a malformed reply and a malformed re-ask', async () => {
    const s = await serve({ faults: [{ kind: 'malformed', variant: 'truncated' }, { kind: 'malformed' }] });
    const err = await failure(createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' }));
    expect(err.code).toBe('mllm-failed');
    expect(err.message).toMatch(/no usable "answer" reply/);
    expect(err.record.errors).toHaveLength(2);
    expect(err.record.attempts).toBe(2);
    expect(err.record.reasked).toBe(true);
    expect(err.record.latencyMs).toBeGreaterThan(0);
    expect(err.raw).toMatch(/second option/);
    expect(s.requests).toHaveLength(2);
  });

  it('honours Retry-After on 429 (seconds and HTTP date)', async () => {
    const s = await serve({ faults: [{ kind: '429', retryAfterS: 1 }] });
    const t0 = performance.now();
    const res = await createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' });
    const elapsed = performance.now() - t0;
    expect(res.value.choice).toBe('B');
    expect(res.record.attempts).toBe(2);
    expect(res.record.errors[0]).toMatch(/HTTP 429/);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);

    await s.close();
    const s2 = await serve({ faults: [{ kind: '429', retryAfterS: 2, asDate: true }] });
    const t1 = performance.now();
    await createMllmClient(config(s2.url)).structured(question, Answer, { name: 'answer' });
    // an HTTP date has whole-second resolution: at least ~1 s remains of the 2 s asked for
    expect(performance.now() - t1).toBeGreaterThanOrEqual(900);
    expect(performance.now() - t1).toBeLessThan(3500);
  });

  it('caps a long Retry-After', async () => {
    const s = await serve({ faults: [{ kind: '429', retryAfterS: 3600 }] });
    const t0 = performance.now();
    const res = await createMllmClient(config(s.url, { maxRetryAfterMs: 200 })).structured(question, Answer, {
      name: 'answer',
    });
    expect(res.record.attempts).toBe(2);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('retries a 500 and a connection reset, then succeeds', async () => {
    const s = await serve({ faults: [{ kind: '500' }, { kind: 'reset' }] });
    const res = await createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' });
    expect(res.value.choice).toBe('B');
    expect(res.record.attempts).toBe(3);
    expect(res.record.errors[0]).toMatch(/HTTP 500/);
    expect(res.record.errors[1]).toMatch(/connection/);
  });

  it('retries after a timeout, and an always-slow server fails cleanly within a bounded time', async () => {
    const s = await serve({ faults: [{ kind: 'slow', ms: 1500 }] });
    const res = await createMllmClient(config(s.url, { timeoutMs: 300 })).structured(question, Answer, {
      name: 'answer',
    });
    expect(res.value.choice).toBe('B');
    expect(res.record.attempts).toBe(2);
    expect(res.record.errors[0]).toMatch(/timeout/);

    await s.close();
    const slow: Fault[] = Array.from({ length: 5 }, () => ({ kind: 'slow', ms: 3000 }));
    const s2 = await serve({ faults: slow });
    const t0 = performance.now();
    const err = await failure(
      createMllmClient(config(s2.url, { timeoutMs: 250, maxRetries: 2 })).structured(question, Answer, {
        name: 'answer',
      }),
    );
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('mllm-failed');
    expect(err.record.attempts).toBe(3);
    expect(err.message).toMatch(/after 3 attempt\(s\): no reply within the 250 ms timeout/);
    expect(err.hint).toMatch(/timeout/);
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(3000);
  });

  it('retries a reply whose socket closed mid-body (a dropped connection is transient)', async () => {
    const s = await serve({ faults: [{ kind: 'drop' }, { kind: 'drop' }] });
    const r = await createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' });
    expect(r.value.choice).toBe('B');
    expect(r.record.attempts).toBe(3);
    expect(r.record.errors.join('\n')).toMatch(/attempt 1/);
  });

  it('stops every attempt and retry when its signal aborts (deadline, Ctrl-C, a cancelled MCP call)', async () => {
    const s = await serve({ faults: [{ kind: 'slow', ms: 60_000 }] });
    const t0 = Date.now();
    const e = await failure(
      createMllmClient(config(s.url, { timeoutMs: 30_000, signal: AbortSignal.timeout(300) })).structured(
        question,
        Answer,
        { name: 'answer' },
      ),
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(e.code).toBe('interrupted');
    expect(e.message).toMatch(/stopped: deadline reached/);
    expect(s.requests.length).toBe(1); // no retry after the abort
  });

  it('refuses a base URL with credentials in it before any request, without echoing them', () => {
    let err: unknown;
    try {
      createMllmClient(config('https://user:sk-LEAKED-123@127.0.0.1:9/v1'));
    } catch (e) {
      err = e;
    }
    expect((err as MllmError).code).toBe('mllm-config');
    expect(String((err as Error).message)).toMatch(/holds credentials/);
    expect(text(err)).not.toContain('sk-LEAKED-123');
  });

  it('records a refusal (message.refusal or content_filter) as a failure, without retrying', async () => {
    for (const via of ['refusal', 'content_filter'] as const) {
      const s = await serve({ faults: [{ kind: 'refusal', via }] });
      const err = await failure(createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' }));
      expect(err.code).toBe('mllm-failed');
      expect(err.message).toMatch(via === 'refusal' ? /refused: I'm sorry/ : /content filter/);
      expect(err.record.attempts).toBe(1);
      expect(s.requests).toHaveLength(1);
      await s.close();
      server = undefined;
    }
  });

  it('does not retry 401/404/400 and says what to check', async () => {
    const s = await serve({ apiKey: 'sk-the-right-key' });
    const err = await failure(createMllmClient(config(s.url)).structured(question, Answer, { name: 'answer' }));
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).toMatch(/check OPENAI_API_KEY/);
    expect(err.record.attempts).toBe(1);

    const err404 = await failure(
      createMllmClient(config(s.url.replace(/\/v1$/, '/nope'))).structured(question, Answer, { name: 'answer' }),
    );
    expect(err404.message).toMatch(/HTTP 404/);
    expect(err404.hint).toMatch(/--base-url/);
    expect(err404.record.attempts).toBe(1);

    await s.close();
    const s2 = await serve({ faults: [{ kind: 'status', status: 400, message: 'Image input is not supported.' }] });
    const err400 = await failure(createMllmClient(config(s2.url)).structured(question, Answer, { name: 'answer' }));
    expect(err400.message).toMatch(/Image input is not supported/);
    expect(err400.record.attempts).toBe(1);
  });

  it('fails cleanly when nothing listens at the base URL', async () => {
    const s = await serve();
    const url = s.url;
    await s.close();
    server = undefined;
    const err = await failure(
      createMllmClient(config(url, { maxRetries: 1 })).structured(question, Answer, { name: 'answer' }),
    );
    expect(err.message).toMatch(/connection to http:\/\/127\.0\.0\.1:\d+\/v1 failed/);
    expect(err.hint).toMatch(/server running/);
    expect(err.record.attempts).toBe(2);
  });

  it('turns answer-token logprobs into the option distribution', async () => {
    const s = await serve({ answerProbs: () => ({ B: 0.7, C: 0.2, A: 0.1 }) });
    const client = createMllmClient(config(s.url, { logprobs: true, topLogprobs: 5 }));
    const res = await client.structured(question, Answer, { name: 'answer', optionLetters: ['A', 'B', 'C', 'D'] });
    expect(s.requests[0].body).toMatchObject({ logprobs: true, top_logprobs: 5 });
    const p = res.optionProbs!;
    expect(Object.keys(p)).toEqual(['A', 'B', 'C', 'D']);
    expect(p.B).toBeGreaterThan(0.65);
    expect(p.C).toBeGreaterThan(p.A);
    expect(p.A).toBeGreaterThan(p.D);
    expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(res.optionLogprobs!.B).toBeCloseTo(Math.log(p.B), 9);
  });

  it('drops logprobs when the server refuses them, and still answers', async () => {
    const s = await serve({ supportsLogprobs: false });
    const res = await createMllmClient(config(s.url, { logprobs: true })).structured(question, Answer, {
      name: 'answer',
      optionLetters: ['A', 'B', 'C', 'D'],
    });
    expect(res.value.choice).toBe('B');
    expect(res.optionProbs).toBeUndefined();
    expect(s.requests[1].body).not.toHaveProperty('logprobs');
  });

  it('shares one concurrency limit between clients', async () => {
    const s = await serve({ latencyMs: 80 });
    const limiter = createLimiter(2);
    const a = createMllmClient(config(s.url), limiter);
    const b = createMllmClient(config(s.url, { concurrency: 50 }), limiter);
    const calls = Array.from({ length: 8 }, (_, i) =>
      (i % 2 ? a : b).structured([{ role: 'user', content: `question ${i}` }], Answer, { name: 'answer' }),
    );
    const results = await Promise.all(calls);
    expect(results.every((r) => r.value.choice === 'B')).toBe(true);
    expect(s.maxInFlight).toBe(2);
    expect(s.requests).toHaveLength(8);
  });

  it('never lets the API key or auth header reach a record, an error or a raw reply', async () => {
    // a hostile server that echoes the credentials back in errors and replies
    const s = await serve({
      faults: [
        { kind: 'status', status: 500, message: `upstream said: Authorization: Bearer ${KEY}` },
        { kind: 'custom', content: `not json, key=${KEY}` },
        { kind: 'custom', content: `still not json, Bearer ${KEY}` },
      ],
    });
    const client = createMllmClient(config(s.url));
    expect(JSON.stringify(client.config)).not.toContain(KEY);
    expect(client.config.model).toBe('test-model');
    const err = await failure(client.structured(question, Answer, { name: 'answer' }));
    expect(s.requests[0].headers.authorization).toBe(`Bearer ${KEY}`); // it was sent…
    const everything = text({
      message: err.message,
      hint: err.hint,
      raw: err.raw,
      record: err.record,
      stack: err.stack,
    });
    expect(everything).not.toContain(KEY); // …and is nowhere in what the loop records
    expect(everything).not.toMatch(/Bearer sk-/);
    expect(everything).toContain('[redacted]');
  });
});
