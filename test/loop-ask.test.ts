/**
 * `vantage ask` and `vantage demo` end to end, in-process through commander: a fixture photo and
 * its depth map written to a temp dir, answered by the built-in perceiver or by a local
 * OpenAI-compatible server; the trace never holds the API key.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateScene } from '../fixtures/scenes.js';
import { fixtureFrame } from '../fixtures/raycast.js';
import { writePng } from '../core/io/image.js';
import { writeDepth } from '../core/io/depth.js';
import { registerAskCommand, runAsk } from '../src/commands/ask.js';
import { registerDemoCommand } from '../src/commands/demo.js';
import { questionTemplates } from '../core/question-templates.js';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.js';
import { perceiverBrain } from './loop-helpers.js';

let tmp: string;
let image: string;
let depth: string;
let server: OpenAIServer | undefined;
const env = { ...process.env };

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vantage-ask-'));
  const fixture = generateScene('occluded', { width: 160, height: 120 });
  const frame = fixtureFrame(fixture);
  image = join(tmp, 'photo.png');
  depth = join(tmp, 'depth.png');
  await writePng(image, frame.rgb, frame.width, frame.height, 3);
  await writeDepth(depth, frame.depth, frame.width, frame.height);
});
afterEach(() => {
  process.env = { ...env };
  vi.restoreAllMocks();
});
afterAll(async () => {
  await server?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Run the CLI's command in-process; stdout captured, stderr silenced. */
async function cli(register: (p: Command) => void, args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'vantage', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

const question = questionTemplates.count();
const common = [
  '--image',
  'IMAGE',
  '--depth',
  'DEPTH',
  '--intrinsics',
  'fov:60',
  '--size',
  '160x120',
  '--render',
  'points',
  '--renderer',
  'reference',
];
const args = (...extra: string[]) => [
  ...common.map((a) => (a === 'IMAGE' ? image : a === 'DEPTH' ? depth : a)),
  ...extra,
];

describe('vantage ask', () => {
  it('prints the answer, its probability and the trace path (builtin:perceiver)', async () => {
    const out = join(tmp, 'ask-perceiver');
    const text = await cli(registerAskCommand, [
      'ask',
      ...args(
        '--question',
        question,
        '--options',
        'A) 5',
        'B) 6',
        'C) 7',
        'D) 8',
        '--model',
        'builtin:perceiver',
        '--rounds',
        '2',
        '--out',
        out,
      ),
    ]);
    expect(text).toMatch(/^answer: [A-D]\) [5-8]$/m);
    expect(text).toMatch(/^probability: 0\.\d{3}$/m);
    expect(text).toMatch(/^model: builtin:perceiver \(deterministic pixel perceiver — not an LLM\)$/m);
    expect(text).toContain(`trace: ${join(out, 'index.html')}`);
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['trace.json', 'index.html', 'original-0.png', 'round-01.png']));
    const trace = JSON.parse(await readFile(join(out, 'trace.json'), 'utf8'));
    expect(trace.question).toMatchObject({ text: question, options: ['5', '6', '7', '8'] });
    expect(trace.input.images).toEqual(['photo.png']);
    expect(trace.config.maxRounds).toBe(2);
  });

  it('--json for machines', async () => {
    const out = join(tmp, 'ask-json');
    const text = await cli(registerAskCommand, [
      'ask',
      ...args(
        '--question',
        question,
        '--options',
        '5',
        '6',
        '7',
        '8',
        '--model',
        'builtin:perceiver',
        '--rounds',
        '1',
        '--stop',
        'fixed',
        '--out',
        out,
        '--json',
      ),
    ]);
    const j = JSON.parse(text);
    expect(j.choice).toMatch(/^[A-D]$/);
    expect(j.option).toMatch(/^[5-8]$/);
    expect(j.probability).toBeGreaterThan(0);
    expect(j.rounds).toBe(2);
    expect(j.stopReason).toBe('fixed-rounds');
    expect(j.trace.html).toBe(join(out, 'index.html'));
    expect(Object.values(j.posterior as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('with an OpenAI-compatible endpoint from the environment: the key is sent but never written to the trace', async () => {
    server = await startOpenAIServer({ brain: perceiverBrain(), apiKey: 'sk-secret-test' });
    process.env.OPENAI_API_KEY = 'sk-secret-test';
    process.env.OPENAI_BASE_URL = server.url;
    process.env.VANTAGE_MODEL = 'test-model';
    const out = join(tmp, 'ask-openai');
    const text = await cli(registerAskCommand, [
      'ask',
      ...args('--question', question, '--options', '5', '6', '7', '8', '--rounds', '1', '--out', out),
    ]);
    expect(text).toMatch(/^model: test-model \(MLLM at an OpenAI-compatible endpoint\)$/m);
    expect(server.requests.some((r) => r.headers.authorization === 'Bearer sk-secret-test')).toBe(true);
    for (const f of await readdir(out)) {
      const bytes = await readFile(join(out, f));
      expect(bytes.includes('sk-secret-test'), `${f} holds the key`).toBe(false);
    }
    const trace = JSON.parse(await readFile(join(out, 'trace.json'), 'utf8'));
    expect(trace.rounds[0].calls[0].promptTokens).toBeGreaterThan(0);
  });

  it('bad input fails with a clear error, not a stack', async () => {
    await expect(runAsk({ images: [image], question: 'q?' })).rejects.toThrow(/needs depth/);
    await expect(runAsk({ images: [image], depths: [depth], question: 'q?', options: ['only one'] })).rejects.toThrow(
      /at least two --options/,
    );
    await expect(runAsk({ images: [image], depths: [depth], question: 'q?', poseFormat: 'spiral' })).rejects.toThrow(
      /poseFormat/,
    );
    const cfg = join(tmp, 'bad.json');
    await writeFile(cfg, '{"maxRounds": -1}');
    await expect(runAsk({ images: [image], depths: [depth], question: 'q?', config: cfg })).rejects.toThrow(
      /maxRounds/,
    );
  });
});

describe('vantage demo', () => {
  it('prints accuracy by round and per category and writes a trace folder per question and the run report', async () => {
    const out = join(tmp, 'demo');
    const text = await cli(registerDemoCommand, [
      'demo',
      '--count',
      '4',
      '--rounds',
      '1',
      '--size',
      '160x120',
      '--renderer',
      'reference',
      '--out',
      out,
    ]);
    expect(text).toMatch(/builtin:perceiver \(deterministic pixel perceiver — not an LLM\)/);
    expect(text).toMatch(/category\s+n\s+round 0\s+round 1/);
    expect(text).toMatch(/^all\s+4\s+\d+%\s+\d+%$/m);
    for (const c of ['count', 'front-behind', 'hidden-behind', 'left-right'])
      expect(text).toMatch(new RegExp(`^${c}\\s+1\\s+\\d+%\\s+\\d+%$`, 'm'));
    expect(text).toContain(`traces: ${join(out, 'traces')}`);
    // one trace folder per question under traces/<cell>/, each with its own page
    const [cellDir] = await readdir(join(out, 'traces'));
    const traces = await readdir(join(out, 'traces', cellDir));
    expect(traces).toHaveLength(4);
    expect(await readdir(join(out, 'traces', cellDir, traces[0]))).toEqual(
      expect.arrayContaining(['trace.json', 'index.html']),
    );
    // the run's report lists every question and links to its trace page, which links back
    expect(text).toContain(`report: ${join(out, 'index.html')}`);
    const report = await readFile(join(out, 'index.html'), 'utf8');
    for (const t of traces) expect(report).toContain(`href="${encodeURI(`traces/${cellDir}/${t}`)}/index.html"`);
    const page = await readFile(join(out, 'traces', cellDir, traces[0], 'index.html'), 'utf8');
    expect(page).toContain(`href="../../../index.html#item-${encodeURIComponent(traces[0])}"`);
  });
});
