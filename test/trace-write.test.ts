import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTrace, writeTrace } from '../loop/trace.js';
import { scrubSecrets } from '../core/secrets.js';
import type { Trace } from '../loop/types.js';
import { syntheticTrace, syntheticViews } from './support/synthetic-trace.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-trace-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The trace as JSON sees it (typed arrays become lists). */
const asJson = (t: unknown) =>
  JSON.parse(JSON.stringify(t, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));

describe('writeTrace / readTrace', () => {
  it('round-trips the trace and writes trace.json, index.html and every PNG', async () => {
    const trace = syntheticTrace();
    const views = await syntheticViews();
    const out = await writeTrace(dir, trace, views);
    expect(out.traceJson).toBe(join(dir, 'trace.json'));
    expect(out.indexHtml).toBe(join(dir, 'index.html'));
    const back = await readTrace(dir);
    expect(back).toEqual(asJson(trace));
    expect(back.reference.c2w).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(await readTrace(out.traceJson)).toEqual(back); // the file path works too
    for (const v of views) expect((await readFile(join(dir, v.file))).equals(v.png)).toBe(true);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['index.html', 'input-0.png', 'round-01.png', 'round-02.png', 'trace.json']);
    const html = await readFile(out.indexHtml, 'utf8');
    for (const v of views) expect(html).toContain(`src="${v.file}"`);
  });

  it('can be called again after every round; earlier PNGs stay and are shown', async () => {
    const trace = syntheticTrace();
    const views = await syntheticViews();
    const partial: Trace = { ...trace, rounds: trace.rounds.slice(0, 2) };
    await writeTrace(dir, partial, views.slice(0, 2));
    expect((await readTrace(dir)).rounds).toHaveLength(2);
    await writeTrace(dir, trace, views.slice(2));
    expect((await readTrace(dir)).rounds).toHaveLength(3);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    for (const f of ['input-0.png', 'round-01.png', 'round-02.png']) expect(html).toContain(`src="${f}"`);
  });

  it('a concurrent reader only ever sees a whole trace.json (atomic replace)', async () => {
    const big = syntheticTrace();
    // ~1 MB of text so that a non-atomic write would be observed half-done (it is, with plain writeFile)
    big.rounds[0].answer.rationale = 'x'.repeat(1_000_000);
    await writeTrace(dir, big, []);
    let writing = true;
    let reads = 0;
    const failures: string[] = [];
    const reader = (async () => {
      while (writing && !failures.length) {
        try {
          const t = await readTrace(dir); // throws on a truncated file
          if (t.rounds.length !== 3) failures.push(`read ${t.rounds.length} rounds`);
          reads++;
        } catch (e) {
          failures.push((e as Error).message.slice(0, 200));
        }
      }
    })();
    for (let i = 0; i < 6; i++) {
      big.rounds[1].answer.rationale = `write ${i}`;
      await writeTrace(dir, big, []);
    }
    writing = false;
    await reader;
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a trace that cannot be serialised leaves the previous trace untouched', async () => {
    const trace = syntheticTrace();
    await writeTrace(dir, trace, []);
    const before = await readFile(join(dir, 'trace.json'), 'utf8');
    const bad = syntheticTrace() as Trace & { extra?: unknown };
    bad.extra = { n: 10n }; // BigInt: JSON refuses it
    await expect(writeTrace(dir, bad, [])).rejects.toThrow(/cannot be serialised/);
    expect(await readFile(join(dir, 'trace.json'), 'utf8')).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['index.html', 'trace.json']);
  });

  it('refuses image names with folders and data that is not PNG, before writing anything', async () => {
    const [view] = await syntheticViews();
    await expect(writeTrace(dir, syntheticTrace(), [{ file: '../evil.png', png: view.png }])).rejects.toThrow(
      /plain PNG file name/,
    );
    await expect(
      writeTrace(dir, syntheticTrace(), [{ file: 'x.png', png: Buffer.from('GIF89a....') }]),
    ).rejects.toThrow(/not PNG data/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('readTrace says clearly what is wrong', async () => {
    await expect(readTrace(join(dir, 'nowhere'))).rejects.toThrow(/trace file ".*trace\.json" not found/);
    await writeFile(join(dir, 'trace.json'), '{"version":1,');
    await expect(readTrace(dir)).rejects.toThrow(/not valid JSON/);
    await writeFile(join(dir, 'trace.json'), JSON.stringify({ version: 2, rounds: [] }));
    await expect(readTrace(dir)).rejects.toThrow(/not a Vantage trace/);
  });
});

describe('secrets never reach a trace', () => {
  it('scrubs a fake key in a config field, credential-named keys, bearer headers and keys in text', async () => {
    const trace = syntheticTrace() as Trace & Record<string, unknown>;
    (trace.config as unknown as Record<string, unknown>).model = 'gpt-4o sk-test123';
    (trace.config as unknown as Record<string, unknown>).apiKey = 'sk-test123';
    trace.request = {
      headers: { Authorization: 'Bearer abcdefgh12345', 'x-api-key': 'plainvalue', accept: 'application/json' },
      url: 'https://user:hunter2pass@example.invalid/v1?api_key=abc123&model=m',
      OPENAI_API_KEY: 'whatever',
    };
    trace.rounds[1].calls[0].errors = [
      '401: Incorrect API key provided: sk-proj-ABCDEF123456. Header was "Bearer tok_987654321"',
    ];
    trace.rounds[1].calls[0].reply = 'token hf_abcdefghijklmnopqrstuvwxyz0123';
    await writeTrace(dir, trace, []);
    const json = await readFile(join(dir, 'trace.json'), 'utf8');
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    for (const text of [json, html]) {
      for (const secret of [
        'sk-test123',
        'abcdefgh12345',
        'plainvalue',
        'hunter2pass',
        'abc123',
        'whatever',
        'sk-proj-ABCDEF123456',
        'tok_987654321',
        'hf_abcdefghijklmnopqrstuvwxyz',
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    const back = (await readTrace(dir)) as Trace & { request: { url: string; headers: Record<string, string> } };
    expect((back.config as unknown as Record<string, unknown>).model).toBe('gpt-4o [redacted]');
    expect((back.config as unknown as Record<string, unknown>).apiKey).toBe('[redacted]');
    expect(back.request.headers.Authorization).toBe('[redacted]');
    expect(back.request.headers.accept).toBe('application/json');
    expect(back.request.url).toBe('https://[redacted]@example.invalid/v1?api_key=[redacted]&model=m');
    // ordinary fields are untouched
    expect(back.totals.promptTokens).toBe(580);
    expect(back.config.stop.tokenBudget).toBe(20000);
    expect(back.question.text).toBe(trace.question.text);
  });

  it('redacts the value of a key-holding environment variable wherever it appears', () => {
    const old = process.env.VANTAGE_TEST_API_KEY;
    process.env.VANTAGE_TEST_API_KEY = 'zz-unusual-shape-0123456789';
    try {
      const out = scrubSecrets({
        note: 'server said: zz-unusual-shape-0123456789 is invalid',
        list: ['zz-unusual-shape-0123456789'],
      });
      expect(JSON.stringify(out)).not.toContain('zz-unusual-shape');
    } finally {
      if (old === undefined) delete process.env.VANTAGE_TEST_API_KEY;
      else process.env.VANTAGE_TEST_API_KEY = old;
    }
  });

  it('copies rather than mutates, keeps typed arrays, and leaves ordinary text alone', () => {
    const input = {
      c2w: new Float64Array([1, 2]),
      text: 'ask-me about the desk; monkey=3; the key is left of the mug',
      apiKey: 'sk-abcdef',
    };
    const out = scrubSecrets(input);
    expect(input.apiKey).toBe('sk-abcdef');
    expect(out.apiKey).toBe('[redacted]');
    expect(out.c2w).toBeInstanceOf(Float64Array);
    expect(out.c2w).not.toBe(input.c2w);
    expect(out.text).toBe(input.text);
  });
});
