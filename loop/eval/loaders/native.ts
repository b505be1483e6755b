/**
 * native: Vantage's own question sets (core/io/native-set.ts reads and validates them; fixtures/dataset.ts
 * writes them): `images`, `depth`, `intrinsics`, `question`, `options`, `answer` letter, `category`,
 * optional `scan` (RGB-D frames with a trajectory, lifted with the reference photo); or a `video` (with
 * per-frame depth and camera path for walk-through sets) and numeric questions (`numeric`, no options).
 */
import { existsSync } from 'node:fs';
import { questionOfRecord, type NativeRecord } from '../../../core/io/native-set.js';
import type { EvalItem } from '../types.js';
import { bad } from './fields.js';

/** A native record (already validated, paths absolute) → an item. */
export function nativeItem(r: NativeRecord): EvalItem {
  if (!r.numeric && r.options.length < 2) bad(`needs at least two options, found ${r.options.length}`);
  if (!r.answer) bad('no ground truth (answer)');
  const scanFiles = r.scan ? [...r.scan.images, ...r.scan.depths, r.scan.trajectory] : [];
  const videoFiles = r.video
    ? [r.video.path, ...(r.video.depths ?? []), ...(r.video.trajectory ? [r.video.trajectory] : [])]
    : [];
  if (r.depths && r.depths.length !== r.images.length)
    bad(`${r.images.length} images but ${r.depths.length} depths: give one depth map per image`);
  for (const p of [...r.images, ...(r.depth ? [r.depth] : []), ...(r.depths ?? []), ...scanFiles, ...videoFiles])
    if (!existsSync(p)) bad(`file ${p} does not exist`);
  const q = questionOfRecord(r);
  const k = r.intrinsics;
  const intrinsics = typeof k === 'string' ? k : k ? `${k.fx},${k.fy},${k.cx},${k.cy}` : undefined;
  return {
    id: r.id,
    images: r.images,
    ...(r.depths ? { depths: r.depths } : r.depth ? { depths: [r.depth] } : {}),
    ...(intrinsics ? { intrinsics } : {}),
    ...(r.scan ? { scan: r.scan } : {}),
    ...(r.video ? { video: r.video } : {}),
    question: { ...q, text: q.text.trim(), answer: r.answer, category: r.category ?? 'all' },
  };
}
