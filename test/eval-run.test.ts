/**
 * `runEval` end to end against a real local OpenAI-compatible server: concurrency bound, one line
 * per (cell, item), unparseable answers scored wrong and recorded, resume after an abort and after a
 * simulated `kill -9` (results.jsonl cut mid-line) and after a real one (a child process killed
 * with SIGKILL mid-run): no duplicate or corrupt line, and no finished pair sent to the server
 * again (requests counted). Then a public format (MindCube) through the CLI with the tiny ONNX
 * depth model, and the clear errors.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { buildTinyDepthModel } from '../fixtures/tiny-onnx.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import { runEval, type EvalOptions } from '../loop/eval/run.js';
import type { EvalLine } from '../loop/eval/types.js';
import { registerEvalCommand } from '../src/commands/eval.js';
import { startOpenAIServer, type BrainRequest, type OpenAIServer } from './support/openai-server.js';

let dir: string;
let jsonl: string;
let renderer: Renderer;
const servers: OpenAIServer[] = [];

/** Scripted model: an orbit for the controller; "banana" (no option) for count questions, else "A". */
function brain(req: BrainRequest) {
  const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  if (name === 'controller')
    return {
      action: 'view',
      pose: { mode: 'orbit', azimuth_deg: 40, elevation_deg: 15, distance_scale: 1 },
      reason: 'look from the side',
    };
  const counting = req.texts.some((t) => t.includes('How many objects'));
  return { choice: counting ? 'banana' : 'A', confidence: 0.8, rationale: `saw ${req.images.length} image(s)` };
}

const chats = (s: OpenAIServer) => s.requests.filter((r) => r.path === '/v1/chat/completions').length;

async function readLines(path: string): Promise<EvalLine[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvalLine);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-eval-run-'));
  ({ jsonl } = await writeQuestionSet(join(dir, 'set'), generateQuestions({ count: 8, seed: 11 }), {
    width: 64,
    height: 48,
  }));
  renderer = createReferenceRenderer();
});
afterAll(async () => {
  renderer?.dispose();
  await Promise.all(servers.map((s) => s.close()));
});

describe('runEval against a local endpoint', () => {
  it('bounds concurrency, writes one line per pair, resumes after an abort and a torn line without calling finished pairs again', async () => {
    const server = await startOpenAIServer({ brain, latencyMs: 15 });
    servers.push(server);
    const out = join(dir, 'runs', 'resume');
    const abort = new AbortController();
    let seen = 0;
    const opts: EvalOptions = {
      data: jsonl,
      format: 'native',
      model: 'test-model',
      out,
      baseUrl: server.url,
      env: {},
      grid: 'rounds=0,1',
      stop: 'fixed',
      size: '64x48',
      render: 'points',
      concurrency: 3,
      renderer,
      progress: 'none',
      png: false,
      log: () => {},
    };
    // calls per pair as its line records them: round 0 answers (1); a view round adds controller +
    // answerer (2); a "banana" reply (no option) is fed back once (+1 per answer)
    const callsOf = (l: EvalLine) => l.calls;

    const first = await runEval({
      ...opts,
      signal: abort.signal,
      onLine: () => {
        if (++seen === 5) abort.abort();
      },
    });
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    expect(first.pending).toBeGreaterThan(0);
    const afterFirst = await readLines(join(out, 'results.jsonl'));
    // pairs in flight at the abort finished and were written; nothing else was started
    expect(afterFirst.length).toBeGreaterThanOrEqual(5);
    expect(afterFirst.length).toBeLessThanOrEqual(5 + 2);
    expect(chats(server)).toBe(afterFirst.reduce((n, l) => n + callsOf(l), 0));
    expect(first.ranNow).toBe(afterFirst.length);

    // kill -9 mid-write: the last line is cut in half
    const results = join(out, 'results.jsonl');
    const size = statSync(results).size;
    const lastLen = JSON.stringify(afterFirst[afterFirst.length - 1]).length + 1;
    await truncate(results, size - Math.floor(lastLen / 2));
    const torn = afterFirst[afterFirst.length - 1];
    const requestsBefore = chats(server);

    const second = await runEval(opts);
    expect(second.pending).toBe(0);
    expect(second.resumed).toBe(afterFirst.length - 1);
    const final = await readLines(results);
    expect(final).toHaveLength(16);
    const keys = final.map((l) => `${l.cell}|${l.item}`);
    expect(new Set(keys).size).toBe(16);
    // exactly the unfinished pairs (and the torn one) were sent again, nothing finished
    const rerun = final.slice(afterFirst.length - 1);
    expect(rerun.map((l) => `${l.cell}|${l.item}`)).toContain(`${torn.cell}|${torn.item}`);
    expect(chats(server) - requestsBefore).toBe(rerun.reduce((n, l) => n + callsOf(l), 0));
    expect(server.maxInFlight).toBeLessThanOrEqual(3);

    // lines are self-contained: every round's answer and posterior, correctness after every k
    const oneRound = final.find((l) => l.cell.startsWith('rounds=1') && l.category === 'left-right')!;
    expect(oneRound).toMatchObject({
      status: 'ok',
      stopRound: 1,
      stopReason: 'fixed-rounds',
      calls: 3,
      views: 1,
      maxRounds: 1,
    });
    expect(oneRound.rounds.map((r) => r.answer)).toEqual(['A', 'A']);
    expect(oneRound.rounds[1].view!.caption).toMatch(/40°/);
    expect(oneRound.correctAfter).toEqual(oneRound.rounds.map((r) => r.correct));
    expect(oneRound.tokens.prompt).toBeGreaterThan(0);
    // unparseable replies are recorded as such and scored wrong
    const counting = final.filter((l) => l.category === 'count');
    expect(counting.length).toBe(4);
    for (const l of counting) {
      expect(l.correct).toBe(false);
      expect(l.unparsed).toBe(l.rounds.length);
      expect(l.rounds[0]).toMatchObject({ parsed: false, raw: 'banana', answer: '', fused: '' });
    }

    // the summary counts every finished pair once, A-answers right exactly where the truth is A
    const s = second.cells.find((c) => c.key.startsWith('rounds=0'))!;
    expect(s.items).toBe(8);
    const truthA = final.filter((l) => l.cell === s.key && l.category !== 'count' && l.truth === 'A').length;
    expect(s.byRound[0].correct).toBe(truthA);
    expect(s.byCategory.count[0].correct).toBe(0);
    expect(s.unparsed).toBe(2);
    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md).toContain('| rounds=1 | 8 |');
    expect((await readFile(join(out, 'summary.csv'), 'utf8')).split('\n')[0]).toBe(
      'cell,label,round,category,n,correct,accuracy,ci_low,ci_high',
    );
    expect((await readFile(join(out, 'accuracy.svg'), 'utf8')).match(/<polyline /g)).toHaveLength(1);

    // a third run finds everything done and calls nothing
    const before3 = chats(server);
    const third = await runEval(opts);
    expect(third.ranNow).toBe(0);
    expect(third.resumed).toBe(16);
    expect(chats(server)).toBe(before3);

    // another model into the same directory is refused
    await expect(runEval({ ...opts, model: 'other-model' })).rejects.toThrow(
      /other settings \(model: "test-model" there, "other-model" now\)/,
    );
  });

  it('reaches the throughput concurrency / (calls per item × latency) allows, within overheads', async () => {
    const latency = 120;
    const server = await startOpenAIServer({ brain, latencyMs: latency });
    servers.push(server);
    const run = async (c: number) => {
      const t0 = performance.now();
      await runEval({
        data: jsonl,
        format: 'native',
        model: 'test-model',
        out: join(dir, 'runs', `tp-${c}`),
        baseUrl: server.url,
        env: {},
        rounds: 0,
        concurrency: c,
        renderer,
        progress: 'none',
        png: false,
        log: () => {},
      });
      return 8 / ((performance.now() - t0) / 1000);
    };
    const r1 = await run(1);
    const r4 = await run(4);
    // 1 call per item (0 rounds): ideal 1/0.12 = 8.3 items/s at c=1, 33 at c=4 (bench/eval.ts measures
    // it properly; here only that concurrency pays, with room for a busy CI machine)
    expect(r1).toBeLessThan(1000 / latency);
    expect(r4).toBeGreaterThan(1.8 * r1);
    expect(server.maxInFlight).toBe(4);
  });
});

describe('public formats and the CLI', () => {
  it('runs MindCube records through `vantage eval` with the tiny ONNX depth model; two originals are shown', async () => {
    const server = await startOpenAIServer({ brain, latencyMs: 0 });
    servers.push(server);
    const root = join(dir, 'mindcube');
    await mkdir(join(root, 'images'), { recursive: true });
    for (const [i, c] of [
      [1, 40],
      [2, 160],
      [3, 250],
    ] as const) {
      const rgb = await sharp({
        create: { width: 48, height: 36, channels: 3, background: { r: c, g: 255 - c, b: 90 } },
      })
        .composite([
          {
            input: Buffer.from(
              `<svg width="48" height="36"><rect x="${8 * i}" y="10" width="12" height="14" fill="#f0f"/></svg>`,
            ),
          },
        ])
        .png()
        .toBuffer();
      await writeFile(join(root, 'images', `v${i}.png`), rgb);
    }
    const records = [
      {
        id: 'among_1',
        type: 'among',
        question: 'From view 1, is the box on the left or the right? A. Left B. Right',
        images: ['images/v1.png', 'images/v2.png'],
        gt_answer: 'A',
      },
      {
        id: 'around_2',
        type: 'around',
        question: 'Which way did the camera turn? A. left B. right C. not at all',
        images: ['images/v3.png'],
        gt_answer: 'C',
      },
    ];
    const data = join(root, 'MindCube_tinybench.jsonl');
    await writeFile(data, records.map((r) => JSON.stringify(r)).join('\n'));
    const model = join(root, 'tiny.onnx');
    await writeFile(model, buildTinyDepthModel());
    const out = join(root, 'run');

    const program = new Command().exitOverride();
    registerEvalCommand(program);
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      printed.push(String(s));
      return true;
    });
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const env = { ...process.env };
    process.env.OPENAI_API_KEY = 'sk-local';
    try {
      await program.parseAsync([
        'node',
        'vantage',
        'eval',
        '--data',
        data,
        '--format',
        'mindcube',
        '--model',
        'test-model',
        '--base-url',
        server.url,
        '--depth-model',
        model,
        '--rounds',
        '1',
        '--stop',
        'fixed',
        '--size',
        '48x36',
        '--render',
        'points',
        '--renderer',
        'reference',
        '--concurrency',
        '2',
        '--progress',
        'lines',
        '--out',
        out,
      ]);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
      process.env = env;
    }
    const report = printed.join('');
    expect(report).toMatch(/mindcube .*: 2 item\(s\) × 1 cell\(s\), options given; 2 run now, 0 resumed/);
    expect(report).toMatch(/rounds=1 pose=orbit stop=fixed: official overall accuracy 50\.0%; micro 50\.0% \[/);
    const lines = await readLines(join(out, 'results.jsonl'));
    expect(lines.map((l) => [l.item, l.status, l.views]).sort()).toEqual([
      ['among_1', 'ok', 1],
      ['around_2', 'ok', 1],
    ]);
    // round 0 of the two-image item showed both originals; round 1 added the rendered view
    const answerReqs = server.requests.filter((r) =>
      JSON.stringify(r.body?.response_format ?? '').includes('"answer"'),
    );
    const imageCounts = answerReqs.map((r) => JSON.stringify(r.body).match(/data:image\//g)?.length ?? 0).sort();
    expect(imageCounts).toEqual([1, 2, 2, 3]);
  });

  it('says clearly what is missing: a depth model for views, an endpoint for a served model', async () => {
    const root = join(dir, 'mindcube');
    const data = join(root, 'MindCube_tinybench.jsonl');
    const base: EvalOptions = {
      data,
      format: 'mindcube',
      model: 'test-model',
      out: join(root, 'err'),
      progress: 'none',
      env: {},
      log: () => {},
    };
    await expect(runEval({ ...base, rounds: 1, baseUrl: 'http://127.0.0.1:9/v1' })).rejects.toMatchObject({
      message: /2 of 2 item\(s\) have images but no depth map/,
      hint: /--depth-model/,
    });
    await expect(runEval({ ...base, rounds: 0, out: join(root, 'err2') })).rejects.toThrow(/No MLLM base URL given/);
    // 0 rounds needs no depth: the round-0 baseline runs on the pictures alone (built-in model, no endpoint)
    const s = await runEval({ ...base, model: 'builtin:perceiver', rounds: 0, out: join(root, 'r0') });
    expect(s.cells[0].items).toBe(2);
    expect(s.cells[0].errors).toBe(0);
    await expect(runEval({ ...base, grid: 'rounds=0 size=3' })).rejects.toThrow(/unknown grid key "size"/);
  });
});

describe('kill -9', () => {
  it('loses at most the pairs in flight; the rerun finishes the rest without repeating a finished pair', async () => {
    const server = await startOpenAIServer({ brain, latencyMs: 80 });
    servers.push(server);
    const out = join(dir, 'runs', 'killed');
    const opts: EvalOptions = {
      data: jsonl,
      format: 'native',
      model: 'test-model',
      out,
      baseUrl: server.url,
      env: {},
      grid: 'rounds=0,1',
      stop: 'fixed',
      size: '64x48',
      render: 'points',
      concurrency: 3,
      renderer: 'reference',
      png: false,
    };
    const results = join(out, 'results.jsonl');
    const child = spawn(
      process.execPath,
      [
        join('node_modules', 'vite-node', 'vite-node.mjs'),
        join('test', 'support', 'eval-child.ts'),
        JSON.stringify(opts),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPENAI_API_KEY: 'sk-local' } },
    );
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // kill as soon as a few pairs are on disk
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      const n = existsSync(results) ? (await readFile(results, 'utf8')).split('\n').filter(Boolean).length : 0;
      if (n >= 4) break;
      if (child.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe(null);
    const requestsByChild = chats(server);

    const text = await readFile(results, 'utf8');
    const whole = text.split('\n').slice(0, -1);
    const survivors = whole.map((l) => JSON.parse(l) as EvalLine); // every complete line parses
    expect(survivors.length).toBeGreaterThanOrEqual(4);
    expect(survivors.length).toBeLessThan(16);
    const callsOf = (l: EvalLine) => l.calls;
    const written = survivors.reduce((n, l) => n + callsOf(l), 0);
    // requests of pairs that never reached the file: at most the 3 pairs in flight (≤ 5 calls each:
    // controller and two answers, each "banana" answer fed back once)
    expect(requestsByChild - written).toBeLessThanOrEqual(3 * 5);

    const s = await runEval({ ...opts, renderer, progress: 'none', log: () => {} });
    expect(s.pending).toBe(0);
    const final = await readLines(results);
    expect(final).toHaveLength(16);
    expect(new Set(final.map((l) => `${l.cell}|${l.item}`)).size).toBe(16);
    for (const l of survivors) expect(final).toContainEqual(l);
    const resumedCalls = chats(server) - requestsByChild;
    expect(resumedCalls).toBe(
      final
        .filter((l) => !survivors.some((v) => v.cell === l.cell && v.item === l.item))
        .reduce((n, l) => n + callsOf(l), 0),
    );
  }, 90_000);
});
