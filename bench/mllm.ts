/**
 * MLLM client figures: the client's own cost per call (against a local server that answers at
 * once), a cache hit, image encoding, and throughput under the concurrency limit when the server
 * takes 50 ms per answer. A minimal node:http server lives here so the bench does not depend on
 * test/ (which the build leaves out).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { createMllmClient, type ChatMessage, type MllmConfig } from '../core/mllm/index.js';
import { imageDataUrl } from '../core/mllm/images.js';
import { createLimiter } from '../core/mllm/limiter.js';
import type { BenchFigure } from './run.js';

const Answer = z
  .object({ choice: z.enum(['A', 'B', 'C', 'D']), confidence: z.number(), rationale: z.string() })
  .strict();

async function startServer(latencyMs: number) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'bench',
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                logprobs: null,
                message: {
                  role: 'assistant',
                  refusal: null,
                  content: '{"choice":"B","confidence":0.8,"rationale":"r"}',
                },
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
          }),
        );
      }, latencyMs),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function benchMllm(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-mllm-'));
  const png = await sharp({ create: { width: 1024, height: 768, channels: 3, background: { r: 90, g: 120, b: 200 } } })
    .composite([
      { input: Buffer.from('<svg width="1024" height="768"><circle cx="400" cy="300" r="200" fill="red"/></svg>') },
    ])
    .png()
    .toBuffer();

  const enc: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await imageDataUrl(png, 768);
    enc.push(performance.now() - t0);
  }
  figures.push({
    name: 'image → data URL, 1024×768 PNG downscaled to 768 px',
    value: median(enc),
    unit: 'ms',
    note: 'median of 10',
  });

  const fast = await startServer(0);
  try {
    const cfg: MllmConfig = {
      baseURL: fast.url,
      apiKey: 'bench',
      model: 'bench',
      timeoutMs: 10_000,
      maxRetries: 0,
      maxImageSide: 768,
      concurrency: 1,
      cacheDir: dir,
    };
    const client = createMllmClient(cfg);
    const uncached: number[] = [];
    for (let i = 0; i < 20; i++) {
      // a new image object each time: nothing is memoised, every call encodes and sends
      const msgs: ChatMessage[] = [
        {
          role: 'user',
          content: [
            { type: 'image', png: Buffer.from(png) },
            { type: 'text', text: `question ${i}` },
          ],
        },
      ];
      uncached.push((await client.structured(msgs, Answer, { name: 'answer' })).record.latencyMs);
    }
    figures.push({
      name: 'structured() call, local server answering at once (1 image)',
      value: median(uncached),
      unit: 'ms',
      note: 'client overhead: encode, HTTP, parse, cache write; median of 20',
    });

    const rerun = createMllmClient(cfg);
    const hits: number[] = [];
    for (let i = 0; i < 20; i++) {
      const msgs: ChatMessage[] = [
        {
          role: 'user',
          content: [
            { type: 'image', png },
            { type: 'text', text: `question ${i}` },
          ],
        },
      ];
      hits.push((await rerun.structured(msgs, Answer, { name: 'answer' })).record.latencyMs);
    }
    figures.push({
      name: 'structured() cache hit (rerun)',
      value: median(hits),
      unit: 'ms',
      note: 'median of 20; first includes loading the cache file',
    });
  } finally {
    await fast.close();
  }

  const slow = await startServer(50);
  try {
    for (const concurrency of [1, 4]) {
      const limiter = createLimiter(concurrency);
      const client = createMllmClient(
        {
          baseURL: slow.url,
          apiKey: 'bench',
          model: 'bench',
          timeoutMs: 10_000,
          maxRetries: 0,
          maxImageSide: 768,
          concurrency,
        },
        limiter,
      );
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          client.structured([{ role: 'user', content: `q${i}` }], Answer, { name: 'answer' }),
        ),
      );
      const s = (performance.now() - t0) / 1000;
      figures.push({
        name: `throughput, server 50 ms/answer, concurrency ${concurrency}`,
        value: 16 / s,
        unit: 'calls/s',
        note: '16 text-only calls',
      });
    }
  } finally {
    await slow.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
