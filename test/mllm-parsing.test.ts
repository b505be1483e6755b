import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  extractJsonValues,
  isStrictCompatible,
  jsonSchemaOf,
  jsonSchemaResponseFormat,
  parseStructured,
} from '../core/mllm/structured.js';
import { letterOfToken, optionDistribution } from '../core/mllm/logprobs.js';
import {
  applyImageBudget,
  describeMllmConfig,
  mllmConfigFromEnv,
  requestHash,
  retryAfterMs,
  type ChatMessage,
} from '../core/mllm/index.js';
import { VantageError } from '../core/errors.js';
import { OrbitPoseSchema } from '../core/pose.js';

const Answer = z
  .object({
    choice: z.enum(['A', 'B', 'C', 'D']),
    confidence: z.number().min(0).max(1),
    rationale: z.string(),
  })
  .strict();

describe('tolerant JSON extraction', () => {
  it('reads JSON inside a code fence after prose', () => {
    const text =
      'Sure! Here is my answer:\n```json\n{"choice": "B", "confidence": 0.7, "rationale": "left of it"}\n```\nHope that helps.';
    expect(parseStructured(text, Answer)).toEqual({
      ok: true,
      value: { choice: 'B', confidence: 0.7, rationale: 'left of it' },
    });
  });

  it('reads a bare object after leading prose, with braces in its strings', () => {
    const text = 'I think {maybe}. Final: {"choice":"C","confidence":1,"rationale":"the {red} box"}';
    expect(parseStructured(text, Answer)).toMatchObject({
      ok: true,
      value: { choice: 'C', rationale: 'the {red} box' },
    });
  });

  it('repairs trailing commas, single quotes, unquoted keys and Python literals', () => {
    expect(extractJsonValues("{'choice': 'A', confidence: 0.5, 'rationale': 'it\\'s \"near\"',}")[0]).toEqual({
      choice: 'A',
      confidence: 0.5,
      rationale: 'it\'s "near"',
    });
    expect(extractJsonValues('{"a": [1, 2,], "b": True, "c": None, "d": False}')[0]).toEqual({
      a: [1, 2],
      b: true,
      c: null,
      d: false,
    });
    expect(extractJsonValues('{"a": 1 /* note */, // comment\n "b": "x, }"}')[0]).toEqual({ a: 1, b: 'x, }' });
  });

  it('leaves apostrophes in prose alone', () => {
    expect(extractJsonValues('I don\'t know, it\'s {"choice": "D"} I\'d say')).toContainEqual({ choice: 'D' });
  });

  it('prefers the value the schema accepts when several JSON values appear', () => {
    const text = 'Example: {"choice": "Z"}. My answer: {"choice": "A", "confidence": 0.9, "rationale": "r"}';
    expect(parseStructured(text, Answer)).toMatchObject({ ok: true, value: { choice: 'A' } });
  });

  it('explains what was wrong: no JSON, truncated JSON, schema violations', () => {
    const none = parseStructured('I think it is B.', Answer);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.error).toMatch(/no JSON object/);
    const truncated = parseStructured('{"choice": "B", "confid', Answer);
    expect(!truncated.ok && truncated.error).toMatch(/no JSON object/);
    const out = parseStructured(
      '{"mode":"orbit","azimuth_deg":500}',
      OrbitPoseSchema.extend({
        azimuth_deg: z.number().min(-180).max(180),
      }),
    );
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toMatch(/azimuth_deg/);
    expect(parseStructured('  ', Answer)).toEqual({ ok: false, error: 'the reply was empty.' });
  });
});

describe('json_schema request', () => {
  it('is built from the zod schema, strict when the shape allows it', () => {
    const rf = jsonSchemaResponseFormat(Answer, 'answer v1');
    expect(rf.type).toBe('json_schema');
    expect(rf.json_schema.name).toBe('answer_v1');
    expect(rf.json_schema.strict).toBe(true);
    expect(rf.json_schema.schema).toMatchObject({
      type: 'object',
      required: ['choice', 'confidence', 'rationale'],
      additionalProperties: false,
      properties: { choice: { enum: ['A', 'B', 'C', 'D'] } },
    });
    expect(rf.json_schema.schema).not.toHaveProperty('$schema');
  });

  it('is not strict when fields are optional or objects are open', () => {
    expect(isStrictCompatible(jsonSchemaOf(OrbitPoseSchema))).toBe(false); // defaults make fields optional
    expect(isStrictCompatible(jsonSchemaOf(z.object({ a: z.string() })))).toBe(false); // open object
    expect(isStrictCompatible(jsonSchemaOf(z.object({ a: z.object({ b: z.number() }).strict() }).strict()))).toBe(true);
  });
});

describe('option distribution from logprobs', () => {
  it('maps token spellings to letters', () => {
    const L = ['A', 'B', 'C', 'D'];
    expect(['A', ' A', '(A', 'A)', '"A', 'A.', 'a'].map((t) => letterOfToken(t, L))).toEqual([
      'A',
      'A',
      'A',
      'A',
      'A',
      'A',
      'A',
    ]);
    expect(letterOfToken(' And', L)).toBeUndefined();
    expect(letterOfToken('E', L)).toBeUndefined();
  });

  it('reads the answer token of a JSON reply, sums variants and renormalises', () => {
    const tok = (token: string, top: [string, number][] = []) => ({
      token,
      logprob: top.length ? Math.log(top[0][1]) : 0,
      top_logprobs: top.map(([t, p]) => ({ token: t, logprob: Math.log(p) })),
    });
    const content = [
      tok('{"'),
      tok('rationale'),
      tok('":"'),
      tok('A'),
      tok(' box'),
      tok('","'),
      tok('choice'),
      tok('":"'),
      tok('B', [
        ['B', 0.6],
        [' C', 0.2],
        ['C', 0.1],
        ['x', 0.05],
      ]),
      tok('"}'),
    ];
    const d = optionDistribution(content, ['A', 'B', 'C', 'D'])!;
    // A and D are not in the top list: each gets min(leftover/2, least seen) = 0.025
    const total = 0.6 + 0.3 + 0.025 + 0.025;
    expect(d.B).toBeCloseTo(0.6 / total, 6);
    expect(d.C).toBeCloseTo(0.3 / total, 6);
    expect(d.A).toBeCloseTo(0.025 / total, 6);
    expect(Object.values(d).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('falls back to the first lone letter token, and is undefined without logprobs', () => {
    const d = optionDistribution(
      [
        { token: '(', logprob: 0, top_logprobs: [] },
        {
          token: 'C',
          logprob: Math.log(0.9),
          top_logprobs: [
            { token: 'C', logprob: Math.log(0.9) },
            { token: 'D', logprob: Math.log(0.1) },
          ],
        },
      ],
      ['C', 'D'],
    );
    expect(d!.C).toBeCloseTo(0.9, 6);
    expect(optionDistribution(undefined, ['A'])).toBeUndefined();
    expect(optionDistribution([{ token: 'hello', logprob: 0, top_logprobs: [] }], ['A', 'B'])).toBeUndefined();
  });
});

describe('client helpers', () => {
  it('parses Retry-After as seconds, milliseconds or an HTTP date, capped', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), 60_000, now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150' }), 60_000, now)).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), 60_000, now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '3600' }), 5000, now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), 5000, now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), 5000, now)).toBeUndefined();
  });

  it('keeps the original image and the latest views within the image budget', () => {
    const png = (n: number) => Buffer.from([n]);
    const msgs: ChatMessage[] = [
      { role: 'system', content: 'sys' },
      {
        role: 'user',
        content: [
          { type: 'image', png: png(0), caption: 'original' },
          { type: 'text', text: 'q' },
        ],
      },
      { role: 'user', content: [1, 2, 3].map((n) => ({ type: 'image' as const, png: png(n), caption: `view ${n}` })) },
    ];
    const out = applyImageBudget(msgs, 3);
    const kept = out
      .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
      .filter((c) => c.type === 'image')
      .map((c) => (c as { caption: string }).caption);
    expect(kept).toEqual(['original', 'view 2', 'view 3']);
    expect(JSON.stringify(out)).toContain('image omitted to stay within 3 images per request: view 1');
    expect(
      applyImageBudget(msgs, 1)
        .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
        .filter((c) => c.type === 'image'),
    ).toHaveLength(1);
    expect(msgs[2].content).toHaveLength(3); // input untouched
    // pinned images (original photos) are kept before any view, the latest views after them
    const pinned: ChatMessage[] = [
      {
        role: 'user',
        content: ['p1', 'p2', 'p3', 'v1', 'v2'].map((caption) => ({
          type: 'image' as const,
          png: png(1),
          caption,
          ...(caption.startsWith('p') ? { pinned: true } : {}),
        })),
      },
    ];
    const keptPinned = applyImageBudget(pinned, 4)
      .flatMap((m) => (typeof m.content === 'string' ? [] : m.content))
      .filter((c) => c.type === 'image')
      .map((c) => (c as { caption: string }).caption);
    expect(keptPinned).toEqual(['p1', 'p2', 'p3', 'v2']);
  });

  it('hashes requests by content: same request same key, any change a new key', () => {
    const m = (b: number): ChatMessage[] => [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'q' },
          { type: 'image', png: Buffer.from([b]) },
        ],
      },
    ];
    const E = 'http://localhost:8000/v1';
    const k = requestHash(E, 'm', m(1), { temperature: 0, seed: 1 });
    expect(requestHash(E, 'm', m(1), { seed: 1, temperature: 0 })).toBe(k);
    expect(requestHash(E, 'm', m(2), { temperature: 0, seed: 1 })).not.toBe(k);
    expect(requestHash(E, 'm2', m(1), { temperature: 0, seed: 1 })).not.toBe(k);
    expect(requestHash(E, 'm', m(1), { temperature: 0.5, seed: 1 })).not.toBe(k);
    // another server (origin or path) never replays this one's answers; credentials and a trailing slash do not matter
    expect(requestHash('http://127.0.0.1:9/v1', 'm', m(1), { temperature: 0, seed: 1 })).not.toBe(k);
    expect(requestHash('http://localhost:8000/v2', 'm', m(1), { temperature: 0, seed: 1 })).not.toBe(k);
    expect(requestHash('http://localhost:8000/v1/', 'm', m(1), { temperature: 0, seed: 1 })).toBe(k);
  });

  it('reads the environment and says how to set an endpoint when none is given', () => {
    const cfg = mllmConfigFromEnv(
      {},
      { OPENAI_BASE_URL: 'http://localhost:8000/v1', VANTAGE_MODEL: 'qwen', OPENAI_API_KEY: 'sk-secret-1' },
    );
    expect(cfg).toMatchObject({
      baseURL: 'http://localhost:8000/v1',
      model: 'qwen',
      apiKey: 'sk-secret-1',
      concurrency: 4,
    });
    expect(
      mllmConfigFromEnv({ model: 'other', timeoutMs: 5 }, { OPENAI_BASE_URL: 'http://x/v1', VANTAGE_MODEL: 'qwen' }),
    ).toMatchObject({ model: 'other', timeoutMs: 5 });
    expect(JSON.stringify(describeMllmConfig(cfg))).not.toContain('sk-secret-1');
    expect(describeMllmConfig({ ...cfg, baseURL: 'https://user:pw@host/v1' }).baseURL).toBe(
      'https://[redacted]@host/v1',
    );

    const err = (() => {
      try {
        mllmConfigFromEnv({}, {});
      } catch (e) {
        return e;
      }
    })() as VantageError;
    expect(err).toBeInstanceOf(VantageError);
    expect(err.code).toBe('mllm-config');
    expect(err.message).toMatch(/base URL and model/);
    expect(err.hint).toMatch(/OPENAI_BASE_URL/);
    expect(err.hint).toMatch(/VANTAGE_MODEL/);
    expect(err.hint).toMatch(/builtin:perceiver/);
    expect(() => mllmConfigFromEnv({ baseURL: 'not a url', model: 'm' }, {})).toThrow(/not a URL/);
    expect(() => mllmConfigFromEnv({ baseURL: 'http://x/v1', model: 'm', concurrency: 0 }, {})).toThrow(/concurrency/);
    expect(() => mllmConfigFromEnv({ baseURL: 'http://x/v1', model: 'builtin:perceiver' }, {})).toThrow(/built-in/);
  });
});
