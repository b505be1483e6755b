/**
 * Benchmark protocols end to end, each on a small file in the benchmark's real layout, against a
 * scripted model served by the local OpenAI-compatible server: SAT's always-first right answer
 * (an "always A" model scores 100 % as the file lists the options, 0 % under circular evaluation, the
 * chance rate when shuffled), BLINK's prompt and macro average over subtask files read by glob and by
 * folder, its hidden test answers and submission file, CV-Bench's source-weighted score, MindCube's
 * settings, MMSI-Bench's and VLMEvalKit's TSV (base64 images), fractional --limit, run.json, the
 * generation settings sent, and the per-sample results lines and trace folders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runEval, type EvalOptions } from '../loop/eval/run.js';
import { loadEvalItems } from '../loop/eval/loaders/index.js';
import { parseTsvRows } from '../loop/eval/loaders/records.js';
import { letterOfReply } from '../core/options.js';
import { cvBenchAccuracy, macroAccuracy, microAccuracy, scoredUnits } from '../loop/eval/protocol.js';
import type { EvalLine } from '../loop/eval/types.js';
import { startOpenAIServer, type BrainRequest, type OpenAIServer } from './support/openai-server.js';

let root: string;
let server: OpenAIServer;
const seenTexts: string[] = [];
let red: Buffer;
let blue: Buffer;

/** Always answers "A". */
function alwaysA(req: BrainRequest) {
  seenTexts.push(req.texts.join('\n'));
  return { choice: 'A', confidence: 0.9, rationale: 'the first option looks right' };
}

const png = (r: number, g: number, b: number) =>
  sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

async function put(path: string, data: Buffer | string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, data);
  return path;
}

const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function readLines(path: string): Promise<EvalLine[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EvalLine);
}

const base = (over: Partial<EvalOptions>): EvalOptions => ({
  data: '',
  format: 'native',
  model: 'test-model',
  out: '',
  baseUrl: server.url,
  env: {},
  rounds: 0,
  progress: 'none',
  png: false,
  log: () => {},
  ...over,
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vantage-eval-protocols-'));
  server = await startOpenAIServer({ brain: alwaysA });
  [red, blue] = [await png(200, 0, 0), await png(0, 0, 200)];
});
afterAll(async () => {
  await server?.close();
});

describe('SAT (MindJourney val.json: the right answer is listed first)', () => {
  let file: string;
  const n = 40;
  beforeAll(async () => {
    const repo = join(root, 'MindJourney');
    await put(join(repo, 'data', 'val', 'image_0_0.png'), red);
    const records = Array.from({ length: n }, (_, i) => ({
      database_idx: i,
      question_type: i % 2 ? 'goal_aim' : 'obj_movement',
      question: `Which way should I turn to face object ${i}?`,
      answer_choices: [`left by ${i} degrees`, `right by ${i} degrees`],
      correct_answer: `left by ${i} degrees`,
      img_paths: ['./data/val/image_0_0.png'],
    }));
    file = await put(join(repo, 'data', 'val.json'), JSON.stringify(records, null, 4));
  });

  it('an always-"A" model scores 100 % with the options as listed, 0 % under the circular default', async () => {
    const given = await runEval(
      base({ data: file, format: 'sat', optionOrder: 'given', out: join(root, 'sat-given') }),
    );
    expect(given.cells[0].byRound[0].accuracy).toBe(1);

    const circ = await runEval(base({ data: file, format: 'sat', out: join(root, 'sat-circular') }));
    expect(circ.optionOrder).toBe('circular');
    expect(circ.cells[0].items).toBe(n);
    expect(circ.cells[0].presentations).toBe(2 * n);
    expect(circ.cells[0].byRound[0].accuracy).toBe(0);
    expect(circ.cells[0].official.byRound[0]).toBe(0);
    const lines = await readLines(circ.files.results);
    const rotations = lines.filter((l) => l.base === '0').map((l) => [l.item, l.order, l.truth, l.choices]);
    expect(rotations.sort()).toEqual([
      ['0@c0', [0, 1], 'A', ['left by 0 degrees', 'right by 0 degrees']],
      ['0@c1', [1, 0], 'B', ['right by 0 degrees', 'left by 0 degrees']],
    ]);
    const md = await readFile(circ.files.markdown, 'utf8');
    expect(md).toContain('every rotation; an item counts only if all are right');
  });

  it('scores about 1/k when the options are shuffled, exactly the share whose right answer landed first', async () => {
    const r = await runEval(
      base({ data: file, format: 'sat', optionOrder: 'shuffle', seed: 3, out: join(root, 'sat-shuffle') }),
    );
    const lines = await readLines(r.files.results);
    const first = lines.filter((l) => l.order?.[0] === 0).length / n;
    expect(r.cells[0].byRound[0].accuracy).toBeCloseTo(first, 10);
    expect(first).toBeGreaterThan(0.25);
    expect(first).toBeLessThan(0.75);
    // the same seed shuffles the same way; the seed is part of the run's identity
    await expect(
      runEval(base({ data: file, format: 'sat', optionOrder: 'shuffle', seed: 4, out: join(root, 'sat-shuffle') })),
    ).rejects.toThrow(/seed: 3 there, 4 now/);
  });
});

describe('BLINK (one JSONL per subtask, as the val split)', () => {
  let blink: string;
  const record = (task: string, i: number, answer: string, prompt: string) => ({
    idx: `val_${task}_${i}`,
    question: 'Which point is closer to the camera?',
    sub_task: task.replace('_', ' '),
    image_1: `${task}/img_${i}.png`,
    image_2: null,
    image_3: null,
    image_4: null,
    choices: ['A', 'B'].map((l) => `Point ${l}`),
    answer,
    prompt,
    explanation: '',
  });
  const depthPrompt =
    'Two points are circled on the image, labeled by A and B beside each circle. Which point is closer to the camera?\nSelect from the following choices.\n(A) Point A\n(B) Point B';
  beforeAll(async () => {
    blink = join(root, 'BLINK');
    for (const task of ['Relative_Depth', 'Counting']) {
      for (let i = 0; i < 4; i++) await put(join(blink, task, task, `img_${i}.png`), i % 2 ? red : blue);
    }
    // Relative_Depth: 3 of 4 answers are (A); Counting: none of 2
    await put(
      join(blink, 'Relative_Depth', 'val.jsonl'),
      jsonl(['(A)', '(A)', '(B)', '(A)'].map((a, i) => record('Relative_Depth', i, a, depthPrompt))),
    );
    await put(
      join(blink, 'Counting', 'val.jsonl'),
      jsonl(
        ['(B)', '(B)'].map((a, i) =>
          record(
            'Counting',
            i,
            a,
            'How many blue floors are in the image?\nSelect from the following choices.\n(A) 0\n(B) 1',
          ),
        ),
      ),
    );
    await put(
      join(blink, 'Relative_Depth', 'test.jsonl'),
      jsonl(
        [0, 1].map((i) => ({ ...record('Relative_Depth', i, 'hidden', depthPrompt), idx: `test_Relative_Depth_${i}` })),
      ),
    );
  });

  it('reads every subtask by glob, sends the prompt, and reports the mean over subtasks beside the micro average', async () => {
    seenTexts.length = 0;
    const r = await runEval(
      base({ data: join(blink, '*', 'val.jsonl'), format: 'blink', out: join(root, 'blink-val') }),
    );
    expect(r.dataFiles).toHaveLength(2);
    const c = r.cells[0];
    expect(c.items).toBe(6);
    expect(c.byRound[0].accuracy).toBeCloseTo(3 / 6, 10);
    // zeyofu/BLINK_Benchmark eval/evaluate.py: (3/4 + 0/2) / 2
    expect(c.official.label).toBe('mean over subtasks');
    expect(c.official.byRound[0]).toBeCloseTo((3 / 4 + 0) / 2, 10);
    expect(Object.keys(c.byCategory).sort()).toEqual(['Counting', 'Relative Depth']);
    expect(seenTexts.some((t) => t.includes('Two points are circled on the image, labeled by A and B'))).toBe(true);
    const lines = await readLines(r.files.results);
    expect(lines.find((l) => l.item === 'val_Relative_Depth_0')?.question).toBe(
      'Two points are circled on the image, labeled by A and B beside each circle. Which point is closer to the camera?\nSelect from the following choices.',
    );
    // a folder reads the same files (and the test split beside them)
    const folder = await loadEvalItems({ format: 'blink', data: join(blink, 'Counting') });
    expect(folder.items.map((i) => i.id)).toEqual(['val_Counting_0', 'val_Counting_1']);
  });

  it('refuses to score the test split (answers "hidden") and writes the submission file with --predict-only', async () => {
    const data = join(blink, 'Relative_Depth', 'test.jsonl');
    await expect(runEval(base({ data, format: 'blink', out: join(root, 'blink-test-x') }))).rejects.toThrow(
      /hide their answers/,
    );
    const r = await runEval(base({ data, format: 'blink', predictOnly: true, out: join(root, 'blink-test') }));
    expect(r.predictOnly).toBe(true);
    expect(JSON.parse(await readFile(r.files.submission!, 'utf8'))).toEqual({
      test_Relative_Depth_0: '(A)',
      test_Relative_Depth_1: '(A)',
    });
  });
});

describe('CV-Bench (test_2d.jsonl / test_3d.jsonl with `source`)', () => {
  it('computes the official ((ADE20K + COCO) / 2 + Omni3D) / 2 beside the micro average', async () => {
    const cv = join(root, 'CV-Bench');
    await put(join(cv, 'img', '2D', 'count', 'ade20k_1.png'), red);
    await put(join(cv, 'img', '3D', 'depth', 'omni3d_1.png'), blue);
    const rec = (idx: number, type: string, source: string, answer: string) => ({
      idx,
      type,
      task: type === '2D' ? 'Count' : 'Depth',
      filename: type === '2D' ? 'img/2D/count/ade20k_1.png' : 'img/3D/depth/omni3d_1.png',
      question: 'How many chairs are in the image?',
      choices: ['1', '2', '3'],
      answer,
      prompt: 'How many chairs are in the image? Select from the following choices.\n(A) 1\n(B) 2\n(C) 3',
      source,
      source_dataset: source,
    });
    // the model answers (A): ADE20K 1/2, COCO 2/2, Omni3D 1/2
    await put(
      join(cv, 'test_2d.jsonl'),
      jsonl([
        rec(0, '2D', 'ADE20K', '(A)'),
        rec(1, '2D', 'ADE20K', '(B)'),
        rec(2, '2D', 'COCO', '(A)'),
        rec(3, '2D', 'COCO', '(A)'),
      ]),
    );
    await put(join(cv, 'test_3d.jsonl'), jsonl([rec(4, '3D', 'Omni3D', '(A)'), rec(5, '3D', 'Omni3D', '(C)')]));
    const r = await runEval(
      base({ data: [join(cv, 'test_2d.jsonl'), join(cv, 'test_3d.jsonl')], format: 'cvbench', out: join(root, 'cv') }),
    );
    const c = r.cells[0];
    expect(c.byRound[0].accuracy).toBeCloseTo(4 / 6, 10);
    expect(c.official.byRound[0]).toBeCloseTo(((0.5 + 1) / 2 + 0.5) / 2, 10);
    const md = await readFile(r.files.markdown, 'utf8');
    expect(md).toContain('official: CV-Bench accuracy');
    expect(md).toContain('| 62.5 |');
  });
});

describe('MindCube settings', () => {
  it('categorises by the setting in the id (around, rotation, translation, among), not by `type`', async () => {
    const mc = join(root, 'MindCube', 'data');
    await put(join(mc, 'other_all_image', 'x.png'), red);
    const q = 'Which side? A. Left B. Right';
    const ids = ['around_q1', 'rotation_q2', 'translation_q3', 'among_group1_q4', 'misc_q5'];
    const file = await put(
      join(mc, 'raw', 'MindCube_tinybench.jsonl'),
      jsonl(ids.map((id) => ({ id, type: '0_frame', question: q, images: ['other_all_image/x.png'], gt_answer: 'A' }))),
    );
    const r = await loadEvalItems({ format: 'mindcube', data: file });
    expect(r.items.map((i) => i.question.category)).toEqual(['around', 'rotation', 'translation', 'among', 'other']);
  });
});

describe('TSV (VLMEvalKit layout, base64 images)', () => {
  const b64 = (b: Buffer) => b.toString('base64');
  /** A field as pandas to_csv(sep='\t') writes it: quoted when it holds a quote, tab or newline. */
  const field = (v: string) => (/["\t\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const tsv = (header: string[], rows: string[][]) =>
    [header, ...rows].map((r) => r.map(field).join('\t')).join('\n') + '\n';

  it('reads MMSI_bench.tsv: a JSON list of base64 images per row, options in the question, category', async () => {
    const text = tsv(
      ['index', 'image', 'question', 'answer', 'category', 'thought'],
      [
        [
          '0',
          JSON.stringify([b64(red), b64(blue)]),
          'Where is the sofa relative to me? Options: A: left, B: right, C: front, D: behind',
          'B',
          'Positional Relationship (Cam.-Obj.)',
          'line one\nline "two"',
        ],
        [
          '1',
          JSON.stringify([b64(blue)]),
          'How did the camera move? Options: A: forward, B: backward',
          'A',
          'Motion (Cam.)',
          '',
        ],
      ],
    );
    const file = await put(join(root, 'MMSI', 'MMSI_bench.tsv'), text);
    const r = await loadEvalItems({ format: 'mmsi', data: file, imageCacheDir: join(root, 'MMSI', 'cache') });
    expect(r.skipped).toEqual([]);
    expect(
      r.items.map((i) => [i.id, i.images.length, i.question.options, i.question.answer, i.question.category]),
    ).toEqual([
      ['0', 2, ['left', 'right', 'front', 'behind'], 'B', 'Positional Relationship (Cam.-Obj.)'],
      ['1', 1, ['forward', 'backward'], 'A', 'Motion (Cam.)'],
    ]);
    expect(await readFile(r.items[0].images[1])).toEqual(blue);
    // chunk boundaries anywhere give the same rows
    const whole = parseTsvRows(text, true).rows;
    for (const cut of [1, 7, 50, text.length - 3]) {
      const a = parseTsvRows(text.slice(0, cut), false);
      const b = parseTsvRows(a.rest + text.slice(cut), true);
      expect([...a.rows, ...b.rows]).toEqual(whole);
    }
  });

  it("reads a VLMEvalKit multiple-choice TSV: option columns, hint, an image named by another row's index", async () => {
    const text = tsv(
      ['index', 'image', 'question', 'hint', 'A', 'B', 'C', 'answer', 'category', 'l2-category'],
      [
        ['10', b64(red), 'Which colour fills the image?', 'nan', 'red', 'blue', 'green', 'A', 'colour', 'perception'],
        ['11', '10', 'Is the image dark?', 'Look at the brightness.', 'yes', 'no', '', 'B', 'brightness', 'perception'],
      ],
    );
    const file = await put(join(root, 'VLMEval', 'MyBench.tsv'), text);
    const r = await loadEvalItems({ format: 'vlmeval', data: file, imageCacheDir: join(root, 'VLMEval', 'cache') });
    expect(r.items.map((i) => [i.id, i.question.options, i.question.answer, i.question.text])).toEqual([
      ['10', ['red', 'blue', 'green'], 'A', 'Which colour fills the image?'],
      ['11', ['yes', 'no'], 'B', 'Hint: Look at the brightness.\nIs the image dark?'],
    ]);
    expect(r.items[1].images).toEqual(r.items[0].images);
  });
});

describe('limits, run records, generation settings and per-sample logs', () => {
  let file: string;
  beforeAll(async () => {
    const repo = join(root, 'Limits');
    await put(join(repo, 'data', 'img.png'), red);
    const records = Array.from({ length: 5 }, (_, i) => ({
      database_idx: i,
      question_type: 'goal_aim',
      question: `Turn which way (${i})?`,
      answer_choices: ['left', 'right'],
      correct_answer: i < 3 ? 'left' : 'right',
      img_paths: ['./data/img.png'],
    }));
    file = await put(join(repo, 'data', 'val.json'), JSON.stringify(records));
  });

  it('a fractional --limit takes the first ceil(f × n) items and the summary says it is not the metric', async () => {
    const r = await runEval(
      base({ data: file, format: 'sat', optionOrder: 'given', limit: 0.5, out: join(root, 'lim') }),
    );
    expect(r.items).toBe(3);
    expect(r.limited).toEqual({ items: 3, of: 5 });
    expect(await readFile(r.files.markdown, 'utf8')).toContain("not the benchmark's metric");
    await expect(runEval(base({ data: file, format: 'sat', limit: 1.5, out: join(root, 'lim2') }))).rejects.toThrow(
      /--limit must be a whole number ≥ 1 \(items\) or a fraction/,
    );
  });

  it('run.json records version, commit, checksums and settings; generation settings reach the endpoint; OPENAI_API_BASE works', async () => {
    const before = server.requests.length;
    const out = join(root, 'record');
    const r = await runEval(
      base({
        data: file,
        format: 'sat',
        optionOrder: 'given',
        out,
        baseUrl: undefined,
        env: { OPENAI_API_BASE: server.url },
        temperature: 0.3,
        topP: 0.9,
        maxTokens: 77,
        seed: 5,
      }),
    );
    expect(r.pending).toBe(0);
    const bodies = server.requests.slice(before).map((q) => q.body ?? {});
    expect(bodies.length).toBe(5);
    for (const b of bodies) expect(b).toMatchObject({ temperature: 0.3, top_p: 0.9, max_tokens: 77, seed: 5 });
    const manifest = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
    const pkg = JSON.parse(await readFile(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(manifest.vantage).toBe(pkg.version);
    expect(manifest.commit === null || /^[0-9a-f]{40}$/.test(String(manifest.commit))).toBe(true);
    expect(manifest.files).toEqual([
      {
        path: file,
        bytes: (await readFile(file)).length,
        sha256: createHash('sha256')
          .update(await readFile(file))
          .digest('hex'),
      },
    ]);
    expect(manifest.generation).toEqual({ temperature: 0.3, topP: 0.9, maxTokens: 77, seed: 5 });
    expect(Object.values(manifest.cellConfigs as object)[0]).toMatchObject({ maxRounds: 0, model: 'test-model' });
  });

  it('every results line carries the question, options, truth, prompt hash, reply and rationale; traces link back to the report', async () => {
    const r = await runEval(base({ data: file, format: 'sat', optionOrder: 'given', out: join(root, 'samples') }));
    const lines = await readLines(r.files.results);
    const l = lines.find((x) => x.item === '3')!;
    expect(l).toMatchObject({ question: 'Turn which way (3)?', choices: ['left', 'right'], truth: 'B', final: 'A' });
    expect(l.images).toEqual([join(root, 'Limits', 'data', 'img.png')]);
    expect(l.rounds[0].promptHash).toMatch(/^[0-9a-f]{16,}$/);
    expect(l.rounds[0].reply).toContain('"choice"');
    expect(l.rounds[0].rationale).toBe('the first option looks right');
    expect(l.trace).toMatch(/^traces\/[^/]+\/3$/);
    const page = await readFile(join(r.out, l.trace!, 'index.html'), 'utf8');
    expect(page).toContain('href="../../../index.html#item-3"');
    const report = await readFile(r.files.report, 'utf8');
    expect(report).toContain(`href="${encodeURI(l.trace!)}/index.html"`);
    expect(existsSync(join(r.out, l.trace!, 'original-0.png'))).toBe(true);
  });
});

describe('answer extraction', () => {
  it('reads the forms the official extractors accept as the same letter', () => {
    const opts = ['left', 'right', 'front'];
    // MMSI-Bench (``B``), lmms-eval BLINK ("(B)", "B."), MindCube ("B. right", "Answer: B"), MindJourney (option text)
    for (const reply of ['``B``', '`B`', '(B)', 'B.', 'B. right', 'Answer: B', 'right'])
      expect(letterOfReply(reply, opts), reply).toBe('B');
  });
});

describe('official-score arithmetic', () => {
  const unit = (category: string, source: string | undefined, right: boolean) => ({
    id: `${category}-${source}-${Math.random()}`,
    category,
    ...(source ? { source } : {}),
    correctAfter: [right],
  });
  it('BLINK macro and CV-Bench source weighting match hand-computed values; a missing source gives no number', () => {
    const blink = [
      ...[true, true, false].map((r) => unit('Counting', undefined, r)),
      ...[true, false, false, false, false].map((r) => unit('Jigsaw', undefined, r)),
    ];
    expect(macroAccuracy(blink, 0, (u) => u.category)).toBeCloseTo((2 / 3 + 1 / 5) / 2, 12);
    expect(microAccuracy(blink, 0)).toBeCloseTo(3 / 8, 12);
    const cv = [
      unit('2D Count', 'ADE20K', true),
      unit('2D Count', 'ADE20K', false),
      unit('2D Count', 'ADE20K', false),
      unit('2D Relation', 'COCO', true),
      unit('3D Depth', 'Omni3D', true),
      unit('3D Depth', 'Omni3D', true),
      unit('3D Distance', 'Omni3D', false),
      unit('3D Distance', 'Omni3D', true),
    ];
    expect(cvBenchAccuracy(cv, 0)).toBeCloseTo(((1 / 3 + 1) / 2 + 3 / 4) / 2, 12);
    expect(cvBenchAccuracy(cv.slice(0, 4), 0)).toBeNull();
    // circular: a record is right only if all its presentations are
    const lines = [
      { item: 'q@c0', base: 'q', category: 'c', correctAfter: [true, true] },
      { item: 'q@c1', base: 'q', category: 'c', correctAfter: [false, true] },
    ] as EvalLine[];
    expect(scoredUnits(lines)).toEqual([{ id: 'q', category: 'c', correctAfter: [false, true] }]);
  });
});
