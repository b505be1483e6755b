/**
 * Vantage's native question-set format (written by fixtures/dataset.ts, read by `vantage eval`): per scene a reference RGB PNG, a 16-bit depth
 * PNG (millimetres) and an intrinsics JSON ({width, height, fx, fy, cx, cy}, Vantage pixel centres),
 * and `questions.jsonl` with one record a line:
 *
 *   {"id", "images": [path…], "depth": path, "intrinsics": path, "question", "options": [text…],
 *    "answer": letter, "category", "fixture"?: {"seed", "kind"},
 *    "scan"?: {"images": [path…], "depths": [path…], "trajectory": path},
 *    "video"?: {"path", "depths"?: [path…], "trajectory"?: path}, "numeric"?: {"kind", "unit"}}
 *
 * `video` (instead of or besides `images`) is a clip the frames are sampled from; a procedural
 * walk-through also gives every encoded frame's depth (16-bit PNG, mm) and camera path (as `scan`'s
 * trajectory), so its lift is exact. `numeric` marks a question answered by a number: no options, and
 * `answer` is the number in `numeric.unit` ("2.35" for metres, "49" for centimetres).
 *
 * Paths are relative to the JSONL file's folder. `fixture` (optional) names the procedural scene, so a
 * reader can rebuild it for oracle views; nothing else needs it. `scan` (optional) holds RGB-D frames
 * from other positions, lifted together with the reference photo (with its `depth`) but never shown
 * to the model; `trajectory` is a JSON list of camera-to-world matrices (flat, 16 numbers,
 * column-major) for [reference, scan frames…], the reference's the identity.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { VantageError } from '../errors.js';
import { letterIndex } from '../options.js';
import { readFileCapped } from './files.js';
import type { Question } from '../types.js';

const NativeRecordSchema = z
  .object({
    id: z.string().min(1),
    images: z.array(z.string().min(1)).default([]),
    depth: z.string().min(1).optional(),
    /** one depth map per image (multi-view records: photos without poses, registered by `vantage eval`) */
    depths: z.array(z.string().min(1)).min(1).optional(),
    /** a path to a camera JSON, or a spec ("fov:60", "fx,fy,cx,cy"), or the numbers inline */
    intrinsics: z
      .union([
        z.string().min(1),
        z.object({
          fx: z.number().positive(),
          fy: z.number().positive(),
          cx: z.number(),
          cy: z.number(),
          width: z.number().int().positive().optional(),
          height: z.number().int().positive().optional(),
        }),
      ])
      .optional(),
    question: z.string().min(1),
    options: z.array(z.string()),
    answer: z.string().optional(),
    category: z.string().optional(),
    video: z
      .object({
        path: z.string().min(1),
        depths: z.array(z.string().min(1)).min(1).optional(),
        trajectory: z.string().min(1).optional(),
      })
      .optional(),
    numeric: z.object({ kind: z.enum(['count', 'length', 'area', 'volume', 'number']), unit: z.string() }).optional(),
    fixture: z.object({ seed: z.number().int().nonnegative(), kind: z.enum(['room', 'tabletop']) }).optional(),
    /** RGB-D frames from other positions, lifted with the reference photo and its depth, not shown to the model */
    scan: z
      .object({
        images: z.array(z.string().min(1)).min(1),
        depths: z.array(z.string().min(1)).min(1),
        trajectory: z.string().min(1),
      })
      .refine((s) => s.images.length === s.depths.length, {
        message: 'scan needs one depth map per scan image',
        path: ['depths'],
      })
      .optional(),
  })
  .refine((r) => r.images.length > 0 || r.video !== undefined, {
    message: 'a record needs images or a video',
    path: ['images'],
  })
  .refine(
    (r) => !r.numeric || (r.options.length === 0 && (r.answer === undefined || Number.isFinite(Number(r.answer)))),
    {
      message: 'a numeric question has no options and its answer is a number',
      path: ['answer'],
    },
  )
  .refine((r) => !r.scan || r.depth !== undefined, {
    message: "scan frames need the reference photo's depth",
    path: ['depth'],
  })
  .refine(
    (r) =>
      r.answer === undefined ||
      r.options.length === 0 ||
      (/^[A-Z]$/.test(r.answer) && letterIndex(r.answer) < r.options.length),
    { message: 'answer must be the letter of one of the options (A, B, …)', path: ['answer'] },
  );

export type NativeRecord = z.infer<typeof NativeRecordSchema>;

const looksLikePath = (s: string) => /\.(json|png|jpe?g|webp|npy|pfm|pgm|ppm|tiff?)$/i.test(s) || s.includes('/');

/**
 * Records of a native JSONL file, validated, with relative paths resolved against the file's folder.
 * Blank lines are skipped; a bad line is an error naming its line number and what was wrong.
 */
export async function readNativeJsonl(path: string): Promise<NativeRecord[]> {
  const text = (await readFileCapped(path, { what: 'question JSONL', maxBytes: 512 * 1024 ** 2 })).toString('utf8');
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const out: NativeRecord[] = [];
  const ids = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new VantageError(
        'bad-jsonl',
        `${path} line ${i + 1} is not valid JSON (${(e as Error).message})`,
        'each line must be one JSON object: {"id","images","question","options","answer",…}',
      );
    }
    const r = NativeRecordSchema.safeParse(json);
    if (!r.success) {
      const problems = r.error.issues.map((q) => `${q.path.join('.') || '(record)'}: ${q.message}`).join('; ');
      throw new VantageError(
        'bad-jsonl',
        `${path} line ${i + 1}: ${problems}`,
        'fields: id, images (paths) or video {path, depths?, trajectory?}, depth?, intrinsics?, question, options, answer? (letter, or a number with numeric {kind, unit}), category?, scan? {images, depths, trajectory}',
      );
    }
    if (ids.has(r.data.id))
      throw new VantageError(
        'bad-jsonl',
        `${path} line ${i + 1}: duplicate id "${r.data.id}"`,
        'give every record its own id',
      );
    ids.add(r.data.id);
    const rec = { ...r.data, images: r.data.images.map(abs) };
    if (rec.depth) rec.depth = abs(rec.depth);
    if (rec.depths) rec.depths = rec.depths.map(abs);
    if (typeof rec.intrinsics === 'string' && looksLikePath(rec.intrinsics)) rec.intrinsics = abs(rec.intrinsics);
    if (rec.scan)
      rec.scan = {
        images: rec.scan.images.map(abs),
        depths: rec.scan.depths.map(abs),
        trajectory: abs(rec.scan.trajectory),
      };
    if (rec.video)
      rec.video = {
        path: abs(rec.video.path),
        ...(rec.video.depths ? { depths: rec.video.depths.map(abs) } : {}),
        ...(rec.video.trajectory ? { trajectory: abs(rec.video.trajectory) } : {}),
      };
    out.push(rec);
  });
  if (!out.length)
    throw new VantageError('bad-jsonl', `${path} holds no question records`, 'write one JSON object per line');
  return out;
}

/** The loop's Question of a record. */
export function questionOfRecord(r: NativeRecord): Question {
  return {
    id: r.id,
    text: r.question,
    options: r.options,
    answer: r.answer,
    category: r.category,
    ...(r.numeric ? { numeric: r.numeric } : {}),
  };
}
