/**
 * Every interface answers through the one session (loop/session.ts): `vantage ask` (runAsk), the
 * library's `answer`, the MCP tool answer_spatial_question and `vantage eval` give the same trace
 * for the same RGB-D record and the same scripted model, served by a real local OpenAI-compatible
 * server. Only what differs by nature is left out of the comparison: timestamps, durations, and the
 * record fields that only eval knows (id, ground truth, category).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { createReferenceRenderer } from '../synth/reference-renderer.js';
import type { Renderer } from '../core/types.js';
import type { Trace } from '../loop/types.js';
import { readTrace } from '../loop/trace.js';
import { runEval } from '../loop/eval/run.js';
import { answer } from '../src/api.js';
import { runAsk } from '../src/commands/ask.js';
import { createVantageMcpServer } from '../src/mcp/server.js';
import { startOpenAIServer, type BrainRequest, type OpenAIServer } from './support/openai-server.js';

/** A scripted model: the controller orbits a little further each call; the answerer picks by image count. */
function scriptedBrain() {
  let views = 0;
  return (req: BrainRequest) => {
    const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
    if (name === 'controller') {
      views++;
      return {
        action: 'view',
        pose: { mode: 'orbit', azimuth_deg: 25 * views, elevation_deg: 10, distance_scale: 1 },
        reason: `look from ${25 * views}°`,
      };
    }
    return {
      choice: req.images.length > 1 ? 'B' : 'A',
      confidence: 0.6 + 0.1 * Math.min(req.images.length, 3),
      rationale: `saw ${req.images.length} image(s)`,
    };
  };
}

/** The trace without what differs by nature between two runs of the same session. */
function comparable(t: Trace) {
  // request hashes name the endpoint, and each interface here has its own server (the requests
  // themselves are compared byte for byte below)
  const volatile = ['createdAt', 'ms', 'latencyMs', 'renderMs', 'requestHash'];
  const drop = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(drop);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !volatile.includes(k))
          .map(([k, x]) => [k, drop(x)]),
      );
    }
    return v;
  };
  // `vantage ask` alone has a deadline for the whole question (--deadline), and notes it
  const input = { ...t.input, notes: t.input.notes.filter((n) => !n.startsWith('deadline:')) };
  const { question, ...rest } = t;
  return drop({ ...rest, input, question: { text: question.text, options: question.options } });
}

describe('one session behind every interface', () => {
  let dir: string;
  let renderer: Renderer;
  let record: { images: string[]; depth: string; intrinsics: string; question: string; options: string[] };
  const servers: OpenAIServer[] = [];
  /** a fresh server per interface, so that each starts the script from the top */
  const serve = async () => {
    const s = await startOpenAIServer({ brain: scriptedBrain() });
    servers.push(s);
    return s;
  };
  const config = { maxRounds: 2, stop: { policy: 'fixed' as const }, width: 64, height: 48 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vantage-parity-'));
    const items = generateQuestions({ count: 1, seed: 5 }).slice(0, 1);
    const { jsonl } = await writeQuestionSet(join(dir, 'set'), items, { width: 64, height: 48 });
    const rec = JSON.parse((await readFile(jsonl, 'utf8')).split('\n')[0]);
    const abs = (p: string) => join(dir, 'set', p);
    record = {
      images: rec.images.map(abs),
      depth: abs(rec.depth),
      intrinsics: abs(rec.intrinsics),
      question: rec.question,
      options: rec.options,
    };
    renderer = createReferenceRenderer();
  });
  afterAll(async () => {
    renderer?.dispose();
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('ask, answer, the MCP tool and eval give the same trace', async () => {
    const scene = { images: record.images, depths: [record.depth], intrinsics: record.intrinsics };

    const askServer = await serve();
    const asked = await runAsk({
      ...scene,
      question: record.question,
      options: record.options,
      model: 'scripted',
      baseUrl: askServer.url,
      rounds: config.maxRounds,
      stop: 'fixed',
      size: '64x48',
      renderer: 'reference',
      out: join(dir, 'ask'),
    });

    const libServer = await serve();
    const answered = await answer(scene, record.question, {
      options: record.options,
      model: 'scripted',
      modelOptions: { mllm: { baseURL: libServer.url } },
      config,
      renderer,
    });

    const mcpServer = await serve();
    const mcp = await createVantageMcpServer({
      roots: [dir],
      traceDir: join(dir, 'mcp'),
      renderer,
      defaultModel: 'scripted',
      modelOptions: { mllm: { baseURL: mcpServer.url } },
      log: () => {},
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'parity', version: '1' });
    await Promise.all([mcp.createServer().connect(a), client.connect(b)]);
    let mcpTrace: Trace;
    try {
      const r = (await client.callTool({
        name: 'answer_spatial_question',
        arguments: { ...scene, question: record.question, options: record.options, config, include_views: false },
      })) as { isError?: boolean; content: { type: string; text?: string }[] };
      const text = r.content.find((c) => c.type === 'text')!.text!;
      expect(r.isError, text).toBeFalsy();
      mcpTrace = await readTrace(JSON.parse(text).trace.dir);
    } finally {
      await client.close();
      await mcp.close();
    }

    const evalServer = await serve();
    const out = join(dir, 'eval');
    await runEval({
      data: join(dir, 'set', 'questions.jsonl'),
      format: 'native',
      model: 'scripted',
      out,
      baseUrl: evalServer.url,
      rounds: config.maxRounds,
      stop: 'fixed',
      size: '64x48',
      renderer,
      progress: 'none',
      logSamples: true,
      png: false,
      env: {},
      log: () => {},
    });
    const line = JSON.parse((await readFile(join(out, 'results.jsonl'), 'utf8')).split('\n')[0]);
    const evalTrace = await readTrace(join(out, line.trace));

    // the script ran: two views, answers that changed with them, and a served model's label
    expect(asked.trace.rounds).toHaveLength(3);
    expect(asked.trace.rounds.map((r) => r.answer.choice)).toEqual(['A', 'B', 'B']);
    expect(asked.model).toContain('scripted');

    const want = comparable(asked.trace);
    expect(comparable(answered.trace)).toEqual(want);
    expect(comparable(mcpTrace)).toEqual(want);
    expect(comparable(evalTrace)).toEqual(want);
    // what the model was shown is the same too: the same requests, byte for byte, in the same order
    const bodies = (s: OpenAIServer) =>
      s.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => JSON.stringify(r.body));
    for (const s of [libServer, mcpServer, evalServer]) expect(bodies(s)).toEqual(bodies(askServer));
  }, 120_000);
});
