/**
 * blink: BLINK records — `idx`, `question`, `choices`, `answer` ("(A)"), `sub_task`,
 * `image_1` … `image_4` (paths, or bytes in the parquet release).
 */
import type { EvalItem } from '../types.js';
import { choicesQuestion } from './choices.js';
import { imagesOf, listOf, recordId, textOf, truthLetter, type RawRecord, type RecordContext } from './fields.js';

export async function blinkItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const { text, options } = choicesQuestion(rec);
  const answer = truthLetter(rec.answer, options, 'answer');
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
    question: { id, text, options, answer, category: textOf(rec.sub_task) ?? textOf(rec.task) ?? 'all' },
  };
}
