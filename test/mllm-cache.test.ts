import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { z } from 'zod';
import { CACHE_FILE_NAME, cacheLine, openResponseCache, parseCacheLine } from '../core/mllm/cache.js';
import { createMllmClient, type ChatMessage, type MllmConfig } from '../core/mllm/index.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';

const KEY = 'sk-cache-test-9f8e7d6c5b4a';
const Answer = z
  .object({ choice: z.enum(['A', 'B', 'C', 'D']), confidence: z.number().min(0).max(1), rationale: z.string() })
  .strict();

let dir: string;
let server: OpenAIServer | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-mllm-cache-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

function config(url: string, extra: Partial<MllmConfig> = {}): MllmConfig {
  return {
    baseURL: url,
    apiKey: KEY,
    model: 'test-model',
    timeoutMs: 2000,
    maxRetries: 2,
    maxImageSide: 64,
    concurrency: 2,
    temperature: 0,
    cacheDir: dir,
    retryMinDelayMs: 10,
    retryMaxDelayMs: 50,
    ...extra,
  };
}

async function question(): Promise<ChatMessage[]> {
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 0, g: 128, b: 255 } } })
    .png()
    .toBuffer();
  return [
    {
      role: 'user',
      content: [
        { type: 'image', png, caption: 'original' },
        { type: 'text', text: 'Which option? A B C D' },
      ],
    },
  ];
}

describe('response cache file', () => {
  it('stores one checksummed line per record and skips a torn last line', async () => {
    const cache = await openResponseCache(dir);
    await cache.put('k1', { content: 'one' });
    await cache.put('k2', { content: 'two' });
    // a crash mid-write: half of the next line reaches the disk
    const line = cacheLine('k3', { content: 'three' });
    await appendFile(join(dir, CACHE_FILE_NAME), line.slice(0, Math.floor(line.length / 2)));

    const reopened = await openResponseCache(dir);
    expect(reopened.size).toBe(2);
    expect(reopened.skippedLines).toBe(1);
    expect(reopened.get('k2')).toEqual({ content: 'two' });
    expect(reopened.has('k3')).toBe(false);

    // the next record starts on a fresh line, so it survives the torn one
    await reopened.put('k4', { content: 'four' });
    const again = await openResponseCache(dir);
    expect(again.size).toBe(3);
    expect(again.get('k4')).toEqual({ content: 'four' });
    expect(again.skippedLines).toBe(1);
  });

  it('rejects a line whose checksum does not match (bit rot, hand edits)', () => {
    const line = cacheLine('k', { content: 'B' }).trimEnd();
    expect(parseCacheLine(line)).toEqual({ key: 'k', value: { content: 'B' } });
    expect(parseCacheLine(line.replace('"B"', '"C"'))).toBeUndefined();
    expect(parseCacheLine('garbage')).toBeUndefined();
  });

  it('keeps lines whole when many writers append at once', async () => {
    const cache = await openResponseCache(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => cache.put(`k${i}`, { content: 'x'.repeat(i * 100) })));
    const reopened = await openResponseCache(dir);
    expect(reopened.size).toBe(50);
    expect(reopened.skippedLines).toBe(0);
  });
});

describe('MLLM client with a response cache', () => {
  it('answers a rerun from the cache: identical and free', async () => {
    server = await startOpenAIServer({ brain: () => ({ choice: 'C', confidence: 0.6, rationale: 'r' }) });
    const q = await question();
    const cfg = config(server.url, { logprobs: true });
    const first = await createMllmClient(cfg).structured(q, Answer, {
      name: 'answer',
      optionLetters: ['A', 'B', 'C', 'D'],
    });
    expect(first.record.cached).toBe(false);
    expect(server.requests).toHaveLength(1);

    const second = await createMllmClient(cfg).structured(q, Answer, {
      name: 'answer',
      optionLetters: ['A', 'B', 'C', 'D'],
    });
    expect(server.requests).toHaveLength(1); // nothing sent
    expect(second.value).toEqual(first.value);
    expect(second.raw).toBe(first.raw);
    expect(second.optionProbs).toEqual(first.optionProbs);
    expect(second.record).toMatchObject({ cached: true, attempts: 0, requestHash: first.record.requestHash });
    expect(second.record.promptTokens).toBe(first.record.promptTokens);
    expect(second.record.latencyMs).toBeLessThan(250); // no network: file read + hashing only (generous for loaded CI)

    // a different question (or parameter) is a different key
    await createMllmClient({ ...cfg, temperature: 0.5 }).structured(q, Answer, { name: 'answer' });
    expect(server.requests).toHaveLength(2);
  });

  it('replays a re-asked exchange, and a fallback-mode exchange, without asking the server', async () => {
    server = await startOpenAIServer({
      supportsJsonSchema: false,
      faults: [{ kind: 'malformed' }],
      brain: () => ({ choice: 'A', confidence: 1, rationale: 'r' }),
    });
    const q = await question();
    const first = await createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' });
    expect(first.record.reasked).toBe(true);
    const sent = server.requests.length; // 400 for json_schema, malformed reply, corrected reply
    expect(sent).toBe(3);
    // the re-ask in prompt mode spells the schema out once, not twice
    const reask = JSON.stringify(server.requests[2].body);
    expect(reask.split('JSON Schema').length - 1).toBe(2); // the first question's instruction + the re-ask

    const second = await createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' });
    expect(server.requests).toHaveLength(sent);
    expect(second.value).toEqual(first.value);
    expect(second.record).toMatchObject({ cached: true, reasked: true, structuredMode: 'prompt' });
  });

  it('does not cache failures', async () => {
    server = await startOpenAIServer({
      faults: [{ kind: '500' }, { kind: '500' }, { kind: '500' }],
      brain: () => ({ choice: 'A', confidence: 1, rationale: 'r' }),
    });
    const q = await question();
    await expect(createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' })).rejects.toThrow(
      /HTTP 500/,
    );
    const res = await createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' });
    expect(res.record.cached).toBe(false);
    expect(res.value.choice).toBe('A');
  });

  it('uses the cache written before a crash, ignoring the torn line', async () => {
    server = await startOpenAIServer({ brain: () => ({ choice: 'D', confidence: 0.5, rationale: 'r' }) });
    const q = await question();
    const first = await createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' });
    await appendFile(join(dir, CACHE_FILE_NAME), '0123456789abcdef0123456789abcdef\t{"key":"torn","val');
    const second = await createMllmClient(config(server.url)).structured(q, Answer, { name: 'answer' });
    expect(second.record.cached).toBe(true);
    expect(second.value).toEqual(first.value);
    expect(server.requests).toHaveLength(1);
  });

  it('never writes the API key into the cache file', async () => {
    server = await startOpenAIServer({
      brain: () => `{"choice": "B", "confidence": 0.5, "rationale": "the header was Bearer ${KEY}"}`,
    });
    const res = await createMllmClient(config(server.url)).structured(await question(), Answer, { name: 'answer' });
    expect(res.value.rationale).not.toContain(KEY);
    const file = await readFile(join(dir, CACHE_FILE_NAME), 'utf8');
    expect(file.length).toBeGreaterThan(0);
    expect(file).not.toContain(KEY);
    expect(file).not.toMatch(/authorization/i);
  });

  it('goes on without a cache when its directory cannot be created', async () => {
    await writeFile(join(dir, 'file'), 'x');
    server = await startOpenAIServer({ brain: () => ({ choice: 'A', confidence: 1, rationale: 'r' }) });
    const res = await createMllmClient(config(server.url, { cacheDir: join(dir, 'file', 'sub') })).structured(
      await question(),
      Answer,
      { name: 'answer' },
    );
    expect(res.value.choice).toBe('A');
    expect(res.record.errors.join('\n')).toMatch(/cache unavailable/);
  });
});
