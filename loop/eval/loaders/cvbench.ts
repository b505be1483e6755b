/**
 * cvbench: CV-Bench records — `idx`, `type` (2D/3D), `task`, `image` or `filename`, `question`,
 * `prompt`, `choices`, `answer` ("(C)"), `source` (ADE20K, COCO, Omni3D: the official score
 * weights by it, see protocol.ts).
 */
import type { EvalItem } from '../types.js';
import { choicesQuestion } from './choices.js';
import { imagesOf, listOf, recordId, textOf, truthOf, type RawRecord, type RecordContext } from './fields.js';

export async function cvbenchItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const { text, options } = choicesQuestion(rec);
  const truth = truthOf(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `cvbench-${index}`;
  // the parquet release has the image as bytes in `image`; the JSONL has its path in `filename`
  const img = rec.image ?? rec.filename ?? rec.image_path;
  const images = await imagesOf(listOf(img), ctx, 'image or filename');
  const type = textOf(rec.type);
  const task = textOf(rec.task);
  const category = type && task ? `${type} ${task}` : (task ?? type ?? 'all');
  const source = textOf(rec.source);
  return {
    id,
    images,
    ...(truth.hidden ? { hidden: true } : {}),
    ...(source ? { source } : {}),
    question: { id, text, options, answer: truth.answer, category },
  };
}
