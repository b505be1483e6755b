/**
 * The bad-input and fault matrix, as a user meets it: the built `vantage` run as a process, each
 * case an input (or a fault of a real local OpenAI-compatible server) → the documented exit code
 * (README "Exit codes": 0 answered, 2 bad input, 3 no answer from the model, 4 interrupted) and one
 * clear line on stderr, never a stack trace, never a hang.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../core/io/depth.js';
import { builtPathOf, ensureBuilt } from './support/built-dist.js';
import { startOpenAIServer, type Brain, type Fault, type OpenAIServer } from './support/openai-server.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function vantage(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [builtPathOf('src/cli.ts'), ...args],
      // no endpoint from the developer's shell leaks into a case
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? '', HOME: dir, OPENAI_API_KEY: 'sk-local', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

const noStack = (r: Run) => expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);

let dir = '';
const p = (name: string) => join(dir, name);

beforeAll(async () => {
  await ensureBuilt([
    'src/cli.ts',
    'src/commands/ask.ts',
    'src/commands/render.ts',
    'src/commands/mcp.ts',
    'core/mllm/client.ts',
    'core/io/depth.ts',
    'core/io/files.ts',
    'loop/run.ts',
  ]);
  dir = await mkdtemp(join(tmpdir(), 'vantage-exit-'));
  await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 90, g: 120, b: 200 } } })
    .png()
    .toFile(p('rgb.png'));
  await writeFile(p('corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  await sharp(Buffer.alloc(32 * 24, 7), { raw: { width: 32, height: 24, channels: 1 } })
    .png()
    .toFile(p('depth-8bit.png'));
  await writeFile(p('wall.npy'), encodeNpy(new Float32Array(32 * 24).fill(2), 32, 24));
  await writeFile(p('garbage.ply'), 'ply\nformat ascii 1.0\nelement vertex 3\nend_header\n1 2\n');
  await writeFile(p('a-file'), 'x');
}, 240_000);

type Case = [label: string, args: string[], code: number, stderr: RegExp];

const image = ['--image', 'IMG', '--depth', 'DEPTH'];
const render = (...a: string[]) => ['render', '--renderer', 'reference', '--size', '32x24', ...a];

describe.concurrent('bad input: exit 2 and one line saying what and how to fix it', () => {
  const cases: Case[] = [
    ['corrupt image', render('--image', 'corrupt.png', '--depth', 'wall.npy', '--out', 'o1.png'), 2, /corrupt/],
    ['missing image', render('--image', 'nowhere.png', '--depth', 'wall.npy', '--out', 'o2.png'), 2, /not found/],
    ['8-bit depth', render('--image', 'rgb.png', '--depth', 'depth-8bit.png', '--out', 'o3.png'), 2, /16-bit/],
    ['bad depth scale', render(...image, '--depth-scale', 'abc', '--out', 'o4.png'), 2, /positive number/],
    ['bad intrinsics', render(...image, '--intrinsics', '1,2', '--out', 'o5.png'), 2, /intrinsics/i],
    ['absurd pose', render(...image, '--pose', '{"mode":"orbit","azimuth_deg":999}', '--out', 'o6.png'), 2, /pose/],
    ['garbage PLY', render('--ply', 'garbage.ply', '--out', 'o7.png'), 2, /PLY|ply/],
    ['--out under /proc', render(...image, '--out', '/proc/vantage-x/v.png'), 2, /cannot write rendered view/],
    ['--out under a file', render(...image, '--out', 'a-file/v.png'), 2, /is a file, not a folder/],
    ['--timeout 0', ['ask', '--fixture', 'tabletop', '--question', 'q?', '--timeout', '0'], 2, /--timeout must be/],
    ['--timeout abc', ['ask', '--fixture', 'tabletop', '--question', 'q?', '--timeout', 'abc'], 2, /positive number/],
    ['--retries -1', ['ask', '--fixture', 'tabletop', '--question', 'q?', '--retries', '-1'], 2, /--retries/],
    ['--port 99999', ['mcp', '--http', '--port', '99999'], 2, /--port must be 0\.\.65535/],
  ];
  it.each(cases)('%s', async (_label, args, code, pattern) => {
    const resolved = args.map((a) =>
      a === 'IMG' ? p('rgb.png') : a === 'DEPTH' ? p('wall.npy') : /^[\w.-]+\.(png|ply|npy)$/.test(a) ? p(a) : a,
    );
    const r = await vantage(resolved.map((a) => (a === 'a-file/v.png' ? p(a) : a)));
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3); // the line, its hint, commander's pointer
    noStack(r);
  });

  it('float depth is metres (no millimetre default): the view renders and the units are printed', async () => {
    const r = await vantage(render('--image', p('rgb.png'), '--depth', p('wall.npy'), '--out', p('ok.png')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/depth units of .*wall\.npy.*: float metres/);
    expect(r.stderr).not.toMatch(/warning/);
  });
});

// -------------------------------------------------------------------------------------------------
// The endpoint's faults: `ask` never exits 0 without an answer

const pose = { mode: 'orbit', azimuth_deg: 30, elevation_deg: 10, distance_scale: 1 };
const schemaName = (r: Parameters<Brain>[0]) =>
  (r.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
const goodBrain: Brain = (r) =>
  schemaName(r) === 'controller'
    ? { action: 'view', pose, reason: 'look from the side' }
    : { choice: 'A', confidence: 0.9, rationale: 'the box is in front' };
const badLetterBrain: Brain = (r) =>
  schemaName(r) === 'controller'
    ? { action: 'view', pose, reason: 'look from the side' }
    : { choice: 'Z', confidence: 0.9, rationale: 'none of them' };

const servers: OpenAIServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function serve(brain: Brain, faults: Fault[] = []): Promise<OpenAIServer> {
  const s = await startOpenAIServer({ brain, faults });
  servers.push(s);
  return s;
}

const ask = (url: string, ...extra: string[]) => [
  'ask',
  '--fixture',
  'tabletop',
  '--question',
  'Which object is nearest the camera?',
  '--options',
  'the box',
  'the ball',
  '--model',
  'test-model',
  '--base-url',
  url,
  '--renderer',
  'reference',
  '--size',
  '64x48',
  '--rounds',
  '1',
  '--retries',
  '0',
  '--out',
  join(dir, `trace-${Math.random().toString(36).slice(2)}`),
  ...extra,
];
const many = (f: Fault, n = 12): Fault[] => Array.from({ length: n }, () => ({ ...f }));

describe.concurrent('endpoint faults: exit 3 (no answer) or 4 (stopped), never a silent 0', () => {
  const cases: [label: string, faults: Fault[], brain: Brain, extra: string[], code: number, stderr: RegExp][] = [
    ['500 on every request', many({ kind: '500' }), goodBrain, [], 3, /no answer: .*HTTP 500/],
    ['429 on every request', many({ kind: '429', retryAfterS: 0 }), goodBrain, [], 3, /no answer: .*HTTP 429/],
    ['connection reset', many({ kind: 'reset' }), goodBrain, [], 3, /no answer: .*(connection|ECONNRESET|socket)/i],
    ['body cut off mid-reply', many({ kind: 'drop' }), goodBrain, [], 3, /no answer: .*terminated/],
    ['a 200 that is not JSON', many({ kind: 'html' }), goodBrain, [], 3, /no answer: /],
    ['prose instead of JSON', many({ kind: 'malformed', variant: 'prose' }), goodBrain, [], 3, /no usable/],
    ['401', many({ kind: 'status', status: 401 }), goodBrain, [], 3, /OPENAI_API_KEY/],
    [
      'a stalled server and --deadline 2',
      many({ kind: 'slow', ms: 60_000 }),
      goodBrain,
      ['--deadline', '2'],
      4,
      /stopped \(deadline reached\)/,
    ],
    ['a letter outside the options', [], badLetterBrain, [], 3, /named none of the options|no reply named one/],
  ];
  it.each(cases)('%s', async (_label, faults, brain, extra, code, pattern) => {
    const s = await serve(brain, faults);
    const r = await vantage(ask(s.url, ...extra));
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toMatch(/answer: \(no answer\)/); // what there is, is still printed
    noStack(r);
  });

  it('a working endpoint answers with exit 0', async () => {
    const s = await serve(goodBrain);
    const r = await vantage(ask(s.url));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/answer: A\) the box/);
  });

  it('a letter outside the options is fed back once, then two unusable rounds stop the loop', async () => {
    const s = await serve(badLetterBrain);
    const r = await vantage(ask(s.url, '--rounds', '3', '--stop', 'fixed'));
    expect(r.code).toBe(3);
    const answers = s.requests.filter(
      (q) => (q.body?.response_format as { json_schema?: { name?: string } })?.json_schema?.name === 'answer',
    );
    // round 0 and round 1, each asked and fed back once; rounds 2 and 3 are not paid for
    expect(answers).toHaveLength(4);
    expect(r.stdout).toMatch(/2 replies in a row named none of the options/);
  });

  it('a 5 MB reply is capped in the trace, the cut recorded', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const s = await serve(goodBrain, many({ kind: 'custom', content: huge }, 2));
    const out = join(dir, 'trace-huge');
    const r = await vantage([...ask(s.url), '--out', out]);
    expect(r.code).toBe(3);
    expect((await stat(join(out, 'trace.json'))).size).toBeLessThan(1024 * 1024);
    expect(await readFile(join(out, 'trace.json'), 'utf8')).toMatch(/more characters cut from the trace/);
  });

  it('credentials in --base-url are refused before any request and never echoed', async () => {
    const s = await serve(goodBrain);
    const url = s.url.replace('http://', 'http://user:sk-LEAKED-42@');
    const r = await vantage(ask(url));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds credentials/);
    expect(r.stderr + r.stdout).not.toContain('sk-LEAKED-42');
    expect(s.requests).toHaveLength(0);
  });

  it('the cache key holds the endpoint: another server is asked, and ask says what came from the cache', async () => {
    const a = await serve(goodBrain);
    const b = await serve(goodBrain);
    const cache = ['--cache-dir', join(dir, 'cache-endpoints')];
    const first = await vantage(ask(a.url, ...cache));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/from the cache/);
    const other = await vantage(ask(b.url, ...cache));
    expect(other.code).toBe(0);
    expect(b.requests.length).toBeGreaterThan(0); // not replayed from a's answers
    const again = await vantage(ask(a.url, ...cache));
    expect(again.stdout).toMatch(/model calls: (\d+) \(\1 answered from the cache\)/);
  });
});
