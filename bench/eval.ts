/**
 * `vantage eval` throughput against a local OpenAI-compatible endpoint of fixed latency: items/s at
 * concurrency 1, 4 and 8, next to the ideal concurrency / (calls per item × latency). Each item is a
 * native question (64×48 RGB-D, lifted), one fixed view round (round-0 answer, controller, answer:
 * 3 calls), rendered by the reference renderer. A minimal node:http server lives here so that the
 * bench does not depend on test/ (which the build leaves out); it runs in a worker thread, as a
 * real endpoint runs in another process.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import { runEval } from '../loop/eval/run.js';
import type { BenchFigure } from './run.js';

const LATENCY_MS = 50;
const ROUNDS = 1;

/**
 * The endpoint's code, run in a worker thread: a real endpoint is another process, so its CPU must
 * not be billed to the eval's event loop. It answers after `latencyMs`: an orbit for the
 * controller, "A" for the answerer, and counts requests in shared memory.
 */
const SERVER_SOURCE = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { latencyMs, counters } = workerData; // [requests, inFlight, maxInFlight]
const VIEW = '{"action":"view","pose":{"mode":"orbit","azimuth_deg":40,"elevation_deg":15,"distance_scale":1},"reason":"side view"}';
const ANSWER = '{"choice":"A","confidence":0.8,"rationale":"bench"}';
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    Atomics.add(counters, 0, 1);
    const inFlight = Atomics.add(counters, 1, 1) + 1;
    if (inFlight > Atomics.load(counters, 2)) Atomics.store(counters, 2, inFlight);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const controller = body.response_format && body.response_format.json_schema && body.response_format.json_schema.name === 'controller';
    const content = controller ? VIEW : ANSWER;
    setTimeout(() => {
      Atomics.sub(counters, 1, 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'x', object: 'chat.completion', created: 0, model: 'bench',
        choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', refusal: null, content } }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }));
    }, latencyMs);
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

export async function startServer(latencyMs: number) {
  const counters = new Int32Array(new SharedArrayBuffer(3 * 4));
  const worker = new Worker(SERVER_SOURCE, { eval: true, workerData: { latencyMs, counters } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return Atomics.load(counters, 0);
    },
    get maxInFlight() {
      return Atomics.load(counters, 2);
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * A native set of `n` items: `base` generated questions (a few per scene) repeated under new ids.
 * Repeats share their pictures, as the questions of a real benchmark do, so the eval lifts each
 * scene once; with `unique`, every item gets its own copy of the files and is lifted anew.
 */
export async function questionSet(
  dir: string,
  n: number,
  opts: { base?: number; unique?: boolean; size?: [number, number] } = {},
): Promise<string> {
  const root = join(dir, opts.unique ? 'unique' : 'set');
  const [width, height] = opts.size ?? [64, 48];
  const { jsonl } = await writeQuestionSet(root, generateQuestions({ count: opts.base ?? 8, seed: 5 }), {
    width,
    height,
  });
  type Rec = { id: string; images: string[]; depth: string; intrinsics: string };
  const records = (await readFile(jsonl, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = records[i % records.length];
    let rec: Rec = { ...r, id: `${r.id}-${i}` };
    if (opts.unique) {
      const from = dirname(r.images[0]);
      const to = `${from}-copy-${i}`;
      await cp(join(root, from), join(root, to), { recursive: true });
      const moved = (p: string) => (p.startsWith(`${from}/`) ? `${to}/${p.slice(from.length + 1)}` : p);
      rec = { ...rec, images: r.images.map(moved), depth: moved(r.depth), intrinsics: moved(r.intrinsics) };
    }
    lines.push(JSON.stringify(rec));
  }
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
        data,
        format: 'native',
        model: 'bench-model',
        out: join(dir, `c${c}`),
        baseUrl: server.url,
        env: {},
        limit: n,
        rounds: ROUNDS,
        stop: 'fixed',
        size: '64x48',
        render: 'points',
        concurrency: c,
        renderer,
        progress: 'none',
        png: false,
        log: () => {},
        onLine: () => {
          tLast = performance.now();
        },
      });
      if (s.cells[0].errors) throw new Error(`${s.cells[0].errors} item(s) failed at concurrency ${c}`);
      const rate = n / ((tLast - t0) / 1000);
      const calls = (server.requests - before) / n;
      const ideal = c / (calls * (LATENCY_MS / 1000));
      figures.push({
        name: `eval throughput, concurrency ${c} (endpoint latency ${LATENCY_MS} ms, ${calls.toFixed(0)} calls/item)`,
        value: rate,
        unit: 'items/s',
        note: `ideal c/(calls × latency) = ${ideal.toFixed(1)} items/s; ${((100 * rate) / ideal).toFixed(0)}% of ideal; ${n} items (8 questions on 2 pictures, repeated: each picture lifted once per run), 1 rendered view (64×48) each; endpoint in a worker thread`,
      });
    }
    if (server.maxInFlight > 8)
      throw new Error(`concurrency exceeded: ${server.maxInFlight} requests in flight at --concurrency 8`);

    // the ceiling set by the eval's own work (lift, render, PNG/base64, HTTP, results file): no latency
    const ownRate = async (set: string, out: string) => {
      const t0 = performance.now();
      let tLast = t0;
      const s = await runEval({
        data: set,
        format: 'native',
        model: 'bench-model',
        out: join(dir, out),
        baseUrl: instant.url,
        env: {},
        rounds: ROUNDS,
        stop: 'fixed',
        size: '64x48',
        render: 'points',
        concurrency: 8,
        renderer,
        progress: 'none',
        png: false,
        log: () => {},
        onLine: () => {
          tLast = performance.now();
        },
      });
      if (s.cells[0].errors) throw new Error(`${s.cells[0].errors} item(s) failed with the instant endpoint`);
      return items / ((tLast - t0) / 1000);
    };
    const ceiling = await ownRate(data, 'c8-zero');
    figures.push({
      name: "eval throughput, concurrency 8, endpoint answering at once (the eval's own cost)",
      value: ceiling,
      unit: 'items/s',
      note: `${(1000 / ceiling).toFixed(1)} ms of this process's time per item (1 view 64×48, 3 calls, results line; scenes lifted once per picture, a few questions each): the ceiling the rows above approach`,
    });
    const unique = await ownRate(await questionSet(dir, items, { unique: true }), 'c8-zero-unique');
    figures.push({
      name: 'eval throughput, concurrency 8, endpoint answering at once, every item a new picture',
      value: unique,
      unit: 'items/s',
      note: `${(1000 / unique).toFixed(1)} ms per item with a 64×48 lift (image, depth, floor fit) and original PNG for every item`,
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
  benchEval().then(
    (f) => {
      for (const x of f) process.stdout.write(`${x.name}: ${x.value.toFixed(2)} ${x.unit} (${x.note})\n`);
    },
    (e: Error) => {
      process.stderr.write(`bench eval failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
