/**
 * `vantage eval` throughput against a local OpenAI-compatible endpoint of fixed latency: items/s at
 * concurrency 1, 4 and 8, next to the ideal concurrency / (calls per item × latency). Each item is a
 * native question (64×48 RGB-D, lifted), one fixed view round (round-0 answer, controller, answer:
 * 3 calls), rendered by the reference renderer. A minimal node:http server lives here so that the
 * bench does not depend on test/ (which the build leaves out).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { runEval } from '../loop/eval/run.js';
import type { BenchFigure } from './run.js';

const LATENCY_MS = 50;
const ROUNDS = 1;

/** Answers after `latencyMs`: an orbit for the controller, "A" for the answerer. */
async function startServer(latencyMs: number) {
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { response_format?: { json_schema?: { name?: string } } };
      const controller = body.response_format?.json_schema?.name === 'controller';
      const content = controller
        ? '{"action":"view","pose":{"mode":"orbit","azimuth_deg":40,"elevation_deg":15,"distance_scale":1},"reason":"side view"}'
        : '{"choice":"A","confidence":0.8,"rationale":"bench"}';
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          id: 'x', object: 'chat.completion', created: 0, model: 'bench',
          choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', refusal: null, content } }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }));
      }, latencyMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() { return requests; },
    get maxInFlight() { return maxInFlight; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A native set of `n` items: `base` generated questions repeated under new ids (scenes are rebuilt per item). */
async function questionSet(dir: string, n: number, base = 8): Promise<string> {
  const { jsonl } = await writeQuestionSet(join(dir, 'set'), generateQuestions({ count: base, seed: 5 }), { width: 64, height: 48 });
  const records = (await readFile(jsonl, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string });
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ ...records[i % records.length], id: `${records[i % records.length].id}-${i}` }));
  await writeFile(jsonl, `${lines.join('\n')}\n`);
  return jsonl;
}

export async function benchEval(): Promise<BenchFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-eval-'));
  const server = await startServer(LATENCY_MS);
  const instant = await startServer(0);
  const renderer = createReferenceRenderer();
  const figures: BenchFigure[] = [];
  try {
    const items = 48;
    const data = await questionSet(dir, items);
    for (const c of [1, 4, 8]) {
      const n = c === 1 ? 16 : items; // concurrency 1 is slow by design: fewer items, same rate
      const before = server.requests;
      const t0 = performance.now();
      let tLast = t0;
      const s = await runEval({
        data, format: 'native', model: 'bench-model', out: join(dir, `c${c}`), baseUrl: server.url, env: {}, limit: n,
        rounds: ROUNDS, stop: 'fixed', size: '64x48', render: 'points', concurrency: c, renderer,
        progress: 'none', png: false, log: () => {}, onLine: () => { tLast = performance.now(); },
      });
      if (s.cells[0].errors) throw new Error(`${s.cells[0].errors} item(s) failed at concurrency ${c}`);
      const rate = n / ((tLast - t0) / 1000);
      const calls = (server.requests - before) / n;
      const ideal = c / (calls * (LATENCY_MS / 1000));
      figures.push({
        name: `eval throughput, concurrency ${c} (endpoint latency ${LATENCY_MS} ms, ${calls.toFixed(0)} calls/item)`,
        value: rate, unit: 'items/s',
        note: `ideal c/(calls × latency) = ${ideal.toFixed(1)} items/s; ${(100 * rate / ideal).toFixed(0)}% of ideal; ${n} items, lift + 1 rendered view (64×48) each`,
      });
    }
    if (server.maxInFlight > 8) throw new Error(`concurrency exceeded: ${server.maxInFlight} requests in flight at --concurrency 8`);

    // the ceiling set by the eval's own work (lift, render, PNG/base64, HTTP, results file): no latency
    const t0 = performance.now();
    let tLast = t0;
    await runEval({
      data, format: 'native', model: 'bench-model', out: join(dir, 'c8-zero'), baseUrl: instant.url, env: {},
      rounds: ROUNDS, stop: 'fixed', size: '64x48', render: 'points', concurrency: 8, renderer,
      progress: 'none', png: false, log: () => {}, onLine: () => { tLast = performance.now(); },
    });
    const ceiling = items / ((tLast - t0) / 1000);
    figures.push({
      name: 'eval throughput, concurrency 8, endpoint answering at once (the eval\'s own cost)', value: ceiling, unit: 'items/s',
      note: `${(1000 / ceiling).toFixed(1)} ms of this process's time per item (lift 64×48, 1 view, 3 calls, results line): the ceiling the rows above approach`,
    });
  } finally {
    renderer.dispose();
    await server.close();
    await instant.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/** `node dist/bench/eval.js` prints the figures alone. */
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  benchEval().then((f) => {
    for (const x of f) process.stdout.write(`${x.name}: ${x.value.toFixed(2)} ${x.unit} (${x.note})\n`);
  }, (e: Error) => {
    process.stderr.write(`bench eval failed: ${e.message}\n`);
    process.exit(1);
  });
}
