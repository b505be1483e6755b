/**
 * Benchmark loaders, each on small records the test writes in the published shape: MindCube JSONL,
 * SAT as MindJourney's test.json, MMSI-Bench parquet (written by test/support/parquet-writer.ts and
 * read back with hyparquet), BLINK and CV-Bench records, and Vantage's native question set.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadEvalItems } from '../loop/eval/loaders/index.js';
import { generateQuestions } from '../fixtures/questions.js';
import { writeQuestionSet } from '../fixtures/dataset.js';
import { writeParquet } from './support/parquet-writer.js';

let root: string;
const png = (r: number, g: number, b: number) =>
  sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

async function put(path: string, data: Buffer | string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, data);
  return path;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vantage-eval-loaders-'));
});

describe('mindcube', () => {
  it('reads id, images relative to the data root, options inside the question, gt_answer; skips unusable records', async () => {
    const data = join(root, 'MindCube', 'data');
    await put(join(data, 'other_all_image', 'among', 'sofa_1.png'), await png(200, 0, 0));
    await put(join(data, 'other_all_image', 'among', 'sofa_2.png'), await png(0, 200, 0));
    const records = [
      {
        id: 'among_group693_q1_5_2',
        category: ['spatial'],
        type: 'among',
        meta_info: [],
        question:
          'Based on these two views showing the same scene: if I turn left from view 1, is the white table on my left or right? A. Left B. Right',
        images: ['other_all_image/among/sofa_1.png', 'other_all_image/among/sofa_2.png'],
        gt_answer: 'B',
      },
      {
        id: 'around_1',
        question: 'Which view is the back? A. view 1 B. view 2 C. view 3',
        images: ['other_all_image/among/sofa_1.png'],
        gt_answer: 'D',
      },
      {
        id: 'rotation_2',
        question: 'Is it rotated? A. yes B. no',
        images: ['other_all_image/missing.png'],
        gt_answer: 'A',
      },
      {
        id: 'rotation_3',
        question: 'Is it rotated? A. yes B. no',
        images: ['other_all_image/among/sofa_2.png'],
        gt_answer: 'A',
      },
    ];
    const file = await put(
      join(data, 'raw', 'MindCube_tinybench.jsonl'),
      records.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    const r = await loadEvalItems({ format: 'mindcube', data: file });
    expect(r.items.map((i) => i.id)).toEqual(['among_group693_q1_5_2', 'rotation_3']);
    const [a, b] = r.items;
    expect(a.images).toEqual([
      join(data, 'other_all_image/among/sofa_1.png'),
      join(data, 'other_all_image/among/sofa_2.png'),
    ]);
    expect(a.question).toMatchObject({ options: ['Left', 'Right'], answer: 'B', category: 'among' });
    expect(a.question.text.endsWith('on my left or right?')).toBe(true);
    expect(b.question.category).toBe('rotation');
    expect(r.skipped.map((s) => s.id)).toEqual(['around_1', 'rotation_2']);
    expect(r.skipped[0].reason).toMatch(/ground truth gt_answer "D" is none of the 3 options/);
    expect(r.skipped[1].reason).toMatch(/image other_all_image\/missing\.png was not found/);
  });
});

describe('sat', () => {
  it('reads MindJourney test.json: answer_choices, correct_answer as option text, img_paths from the repo root', async () => {
    const repo = join(root, 'MindJourney');
    await put(join(repo, 'data', 'test', 'image_0_0.png'), await png(10, 20, 30));
    await put(join(repo, 'data', 'test', 'image_0_1.png'), await png(30, 20, 10));
    await put(join(repo, 'data', 'test', 'image_1_0.png'), await png(90, 20, 10));
    const records = [
      {
        database_idx: 0,
        question_type: 'obj_movement',
        question:
          'Were any of the objects in the initial frame that you can still see in the second frame moved from their original positions?',
        answer_choices: ['no objects moved', 'Laptop was moved left and towards the camera in the first frame'],
        correct_answer: 'no objects moved',
        img_paths: ['./data/test/image_0_0.png', './data/test/image_0_1.png'],
      },
      {
        database_idx: 1,
        question_type: 'goal_aim',
        question:
          'I need to go to Chair (near the mark 1 in the image). Which direction should I turn to face the object?',
        answer_choices: ['left by 59 degrees', 'right by 59 degrees'],
        correct_answer: 'right by 59 degrees',
        img_paths: ['./data/test/image_1_0.png'],
      },
    ];
    const file = await put(join(repo, 'data', 'test.json'), JSON.stringify(records, null, 4));
    const r = await loadEvalItems({ format: 'sat', data: file });
    expect(r.skipped).toEqual([]);
    expect(r.items).toHaveLength(2);
    expect(r.items[0]).toMatchObject({
      id: '0',
      images: [join(repo, 'data/test/image_0_0.png'), join(repo, 'data/test/image_0_1.png')],
    });
    expect(r.items[0].question).toMatchObject({ answer: 'A', category: 'obj_movement' });
    expect(r.items[1].question).toMatchObject({
      answer: 'B',
      category: 'goal_aim',
      options: ['left by 59 degrees', 'right by 59 degrees'],
    });
    const limited = await loadEvalItems({ format: 'sat', data: file, limit: 1 });
    expect(limited.items.map((i) => i.id)).toEqual(['0']);
  });
});

describe('mmsi', () => {
  it('reads a parquet file with images as bytes, writes them once to the cache by content, splits "Options:"', async () => {
    const [red, blue] = [await png(255, 0, 0), await png(0, 0, 255)];
    const bytes = writeParquet([
      { name: 'id', kind: 'int32', values: [0, 1, 2] },
      { name: 'images', kind: 'bytes-list', values: [[red, blue], [blue], []] },
      {
        name: 'question_type',
        kind: 'string',
        values: ['Positional Relationship (Cam.-Obj.)', 'Motion (Cam.)', 'MSR'],
      },
      {
        name: 'question',
        kind: 'string',
        values: [
          'The images are taken continuously from a first-person perspective. Where is the sofa relative to me? Options: A: left, behind, B: right, C: front, D: above',
          'How did the camera move? Options: A: forward, B: backward',
          'Anything? Options: A: yes, B: no',
        ],
      },
      { name: 'answer', kind: 'string', values: ['A', 'B', 'A'] },
      { name: 'thought', kind: 'string', values: ['…', null, '…'] },
    ]);
    const file = await put(join(root, 'mmsi', 'MMSI_bench.parquet'), Buffer.from(bytes));
    const cache = join(root, 'mmsi-cache');
    const r = await loadEvalItems({ format: 'mmsi', data: file, imageCacheDir: cache });
    expect(r.items.map((i) => i.id)).toEqual(['0', '1']);
    expect(r.skipped).toEqual([{ index: 2, id: '2', reason: 'no image (images)' }]);
    const [a, b] = r.items;
    expect(a.question).toMatchObject({
      text: 'The images are taken continuously from a first-person perspective. Where is the sofa relative to me?',
      options: ['left, behind', 'right', 'front', 'above'],
      answer: 'A',
      category: 'Positional Relationship (Cam.-Obj.)',
    });
    expect(b.question).toMatchObject({ options: ['forward', 'backward'], answer: 'B', category: 'Motion (Cam.)' });
    // the blue image is in both rows: one file, named by its content
    expect(b.images[0]).toBe(a.images[1]);
    expect((await readdir(cache)).sort()).toHaveLength(2);
    expect(Buffer.compare(await readFile(a.images[0]), red)).toBe(0);
    expect(a.images[0].endsWith('.png')).toBe(true);
  });

  it('reads gzip-compressed pages (node:zlib decompresses what hyparquet does not)', async () => {
    const bytes = writeParquet(
      [
        { name: 'id', kind: 'int64', values: [41] },
        { name: 'images', kind: 'bytes-list', values: [[await png(0, 255, 0)]] },
        { name: 'question_type', kind: 'string', values: ['Attribute (Meas.)'] },
        { name: 'question', kind: 'string', values: ['How tall is the door? Options: A: 1 m, B: 2 m'] },
        { name: 'answer', kind: 'string', values: ['B'] },
      ],
      { codec: 'gzip' },
    );
    const file = await put(join(root, 'mmsi', 'gzip.parquet'), Buffer.from(bytes));
    const r = await loadEvalItems({ format: 'mmsi', data: file, imageCacheDir: join(root, 'mmsi-cache') });
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({ id: '41', question: { options: ['1 m', '2 m'], answer: 'B' } });
  });

  it('gives a clear error for a file that is not parquet', async () => {
    const file = await put(join(root, 'mmsi', 'broken.parquet'), 'not parquet at all');
    await expect(loadEvalItems({ format: 'mmsi', data: file })).rejects.toThrow(/not a readable parquet file/);
  });
});

describe('blink and cv-bench', () => {
  it('reads BLINK records: choices, "(A)"-style answers, image_1 … image_4 paths', async () => {
    const dir = join(root, 'blink');
    await put(join(dir, 'images', 'd1.png'), await png(1, 2, 3));
    await put(join(dir, 'images', 'd2.png'), await png(3, 2, 1));
    const records = [
      {
        idx: 'val_Relative_Depth_1',
        question: 'Which point is closer to the camera?',
        sub_task: 'Relative_Depth',
        image_1: 'images/d1.png',
        image_2: null,
        image_3: null,
        image_4: null,
        choices: ['A', 'B'],
        answer: '(B)',
      },
      {
        idx: 'val_Multi-view_Reasoning_1',
        question: 'Is the camera moving left or right?',
        sub_task: 'Multi-view_Reasoning',
        image_1: 'images/d1.png',
        image_2: 'images/d2.png',
        choices: ['left', 'right'],
        answer: '(A)',
      },
      {
        idx: 'val_Counting_1',
        question: 'How many?',
        sub_task: 'Counting',
        image_1: 'images/d1.png',
        choices: [],
        prompt: 'How many?\n(A) 1\n(B) 2\n(C) 3\nAnswer with the letter.',
        answer: '(C)',
      },
    ];
    const file = await put(join(dir, 'val.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const r = await loadEvalItems({ format: 'blink', data: file });
    expect(r.skipped).toEqual([]);
    expect(r.items[0]).toMatchObject({ id: 'val_Relative_Depth_1', images: [join(dir, 'images/d1.png')] });
    expect(r.items[0].question).toMatchObject({ options: ['A', 'B'], answer: 'B', category: 'Relative_Depth' });
    expect(r.items[1].images).toHaveLength(2);
    expect(r.items[1].question.answer).toBe('A');
    expect(r.items[2].question).toMatchObject({ options: ['1', '2', '3'], answer: 'C' });
  });

  it('reads CV-Bench records: image path in filename, category "type task", answers "(C)"', async () => {
    const dir = join(root, 'cvbench');
    await put(join(dir, 'img', '3D', 'depth', 'omni3d_1.png'), await png(5, 5, 5));
    const records = [
      {
        idx: 0,
        type: '3D',
        task: 'Depth',
        filename: 'img/3D/depth/omni3d_1.png',
        source: 'Omni3D',
        question:
          'Which object is closer to the camera taking this photo, the lamp (highlighted by a red box) or the sofa (highlighted by a blue box)?',
        choices: ['lamp', 'sofa'],
        answer: '(B)',
        prompt: '…',
      },
      {
        idx: 1,
        type: '2D',
        task: 'Count',
        filename: 'img/3D/depth/omni3d_1.png',
        question: 'How many chairs are in the image?',
        choices: ['0', '1', '2', '3'],
        answer: '(E)',
      },
    ];
    const file = await put(join(dir, 'test.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const r = await loadEvalItems({ format: 'cvbench', data: file });
    expect(r.items).toHaveLength(1);
    expect(r.items[0].question).toMatchObject({ answer: 'B', category: '3D Depth', options: ['lamp', 'sofa'] });
    expect(r.skipped[0].reason).toMatch(/"\(E\)" is none of the 4 options/);
  });
});

describe('native', () => {
  it('reads a Vantage question set: images, depth, intrinsics, letter answers, categories', async () => {
    const dir = join(root, 'native');
    const { jsonl } = await writeQuestionSet(dir, generateQuestions({ count: 4, seed: 3 }), { width: 64, height: 48 });
    const r = await loadEvalItems({ format: 'native', data: jsonl });
    expect(r.items).toHaveLength(4);
    for (const it of r.items) {
      expect(it.images).toHaveLength(1);
      expect(existsSync(it.images[0]) && existsSync(it.depths![0]) && existsSync(it.intrinsics!)).toBe(true);
      expect(it.question.answer).toMatch(/^[A-Z]$/);
    }
    expect(new Set(r.items.map((i) => i.question.category)).size).toBe(4);
  });
});

describe('errors', () => {
  it('names the file, the line and the fix', async () => {
    await expect(loadEvalItems({ format: 'sat', data: join(root, 'nope.json') })).rejects.toThrow(/does not exist/);
    const bad = await put(join(root, 'bad.jsonl'), '{"id": 1}\nnot json\n');
    await expect(loadEvalItems({ format: 'mindcube', data: bad })).rejects.toThrow(/line 2 is not JSON/);
    // every record unusable: the error says why and how to fix it
    const noImages = await put(
      join(root, 'noimg', 'x.jsonl'),
      JSON.stringify({ id: 'a', question: 'Q? A. x B. y', images: ['gone.png'], gt_answer: 'A' }),
    );
    await expect(loadEvalItems({ format: 'mindcube', data: noImages })).rejects.toMatchObject({
      message: /no usable mindcube items/,
      hint: /--image-root/,
    });
    await expect(loadEvalItems({ format: 'sat' as never, data: bad, limit: 0 })).rejects.toThrow(/--limit/);
    await expect(loadEvalItems({ format: 'vqa' as never, data: bad })).rejects.toThrow(/unknown --format "vqa"/);
  });
});
