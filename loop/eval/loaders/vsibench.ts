/**
 * vsibench: VSI-Bench as published (Hugging Face nyu-visionx/VSI-Bench, the parquet or JSONL test
 * split): `id`, `dataset`, `scene_name`, `question_type`, `question`, `options` (["A. …", …] or null),
 * `ground_truth` (a letter, or a number for the numeric types). The clip is
 * ROOT/<dataset>/<scene_name>.mp4 (ROOT: --image-root, else beside the data file or above it).
 * Numeric types get a numeric spec in the unit the benchmark asks for; the question carries the
 * benchmark's pre-prompt ("These are frames of a video."); its post-prompts are replaced by the
 * loop's structured reply (choice, confidence, rationale), as for every benchmark here.
 */
import type { NumericSpec } from '../../../core/types.js';
import type { EvalItem } from '../types.js';
import { VSI_PRE_PROMPT, isVsiNumeric, isVsiType } from '../vsibench.js';
import {
  bad,
  needOptions,
  optionsOf,
  recordId,
  resolveImagePath,
  textOf,
  truthLetter,
  type RawRecord,
  type RecordContext,
} from './fields.js';

/** The unit each numeric type is answered in (the benchmark's questions ask for these). */
export const VSI_NUMERIC_SPECS: Record<string, NumericSpec> = {
  object_counting: { kind: 'count', unit: '' },
  object_abs_distance: { kind: 'length', unit: 'm' },
  object_size_estimation: { kind: 'length', unit: 'cm' },
  room_size_estimation: { kind: 'area', unit: 'm²' },
};

export function vsibenchItem(rec: RawRecord, index: number, ctx: RecordContext): EvalItem {
  const type = textOf(rec.question_type);
  if (!type || !isVsiType(type)) bad(`question_type "${type ?? ''}" is not a VSI-Bench type`);
  const text = textOf(rec.question);
  if (!text?.trim()) bad('no question');
  const dataset = textOf(rec.dataset);
  const scene = textOf(rec.scene_name);
  if (!dataset || !scene) bad('no dataset / scene_name to find the video by');
  const video = resolveImagePath(`${dataset}/${scene}.mp4`, ctx);
  const id = recordId(rec) ?? `vsibench-${index}`;
  const truth = textOf(rec.ground_truth)?.trim();
  if (!truth) bad('no ground truth (ground_truth)');
  const question = `${VSI_PRE_PROMPT}\n${text.trim()}`;
  if (isVsiNumeric(type)) {
    if (!Number.isFinite(Number(truth))) bad(`ground_truth "${truth}" of a numeric question is not a number`);
    return {
      id,
      images: [],
      video: { path: video },
      question: { id, text: question, options: [], answer: truth, category: type, numeric: VSI_NUMERIC_SPECS[type] },
    };
  }
  const options = optionsOf(rec.options);
  needOptions(options);
  return {
    id,
    images: [],
    video: { path: video },
    question: { id, text: question, options, answer: truthLetter(truth, options, 'ground_truth'), category: type },
  };
}
