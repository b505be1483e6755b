/**
 * blink: BLINK records — `idx`, `question`, `prompt` (the task framing the official script sends,
 * options included), `choices`, `answer` ("(A)"; "hidden" in the test split), `sub_task`,
 * `image_1` … `image_4` (paths, or bytes in the parquet release). The question text is `prompt`'s
 * stem (zeyofu/BLINK_Benchmark eval/query_model.py and lmms-eval's blink task send `prompt`).
 */
import type { EvalItem } from '../types.js';
import { choicesQuestion } from './choices.js';
import { imagesOf, listOf, recordId, textOf, truthOf, type RawRecord, type RecordContext } from './fields.js';

export async function blinkItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const { text, options } = choicesQuestion(rec);
  const truth = truthOf(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `blink-${index}`;
  const fields = ['image_1', 'image_2', 'image_3', 'image_4'].map((k) => rec[k]);
  const images = await imagesOf(
    fields.some((f) => f !== null && f !== undefined) ? fields : listOf(rec.images ?? rec.image),
    ctx,
    'image_1 … image_4',
  );
  return {
    id,
    images,
    ...(truth.hidden ? { hidden: true } : {}),
    question: { id, text, options, answer: truth.answer, category: textOf(rec.sub_task) ?? textOf(rec.task) ?? 'all' },
  };
}
