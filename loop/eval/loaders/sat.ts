/**
 * sat: SAT as MindJourney's `test.json` — a JSON array of `database_idx`, `question_type`,
 * `question`, `answer_choices`, `correct_answer` (the option's text), `img_paths`.
 */
import type { EvalItem } from '../types.js';
import {
  bad,
  imagesOf,
  listOf,
  needOptions,
  optionsOf,
  recordId,
  textOf,
  truthLetter,
  type RawRecord,
  type RecordContext,
} from './fields.js';

export async function satItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const text = textOf(rec.question);
  if (!text?.trim()) bad('no question');
  const options = optionsOf(rec.answer_choices ?? rec.answers ?? rec.choices);
  needOptions(options);
  const answer = truthLetter(rec.correct_answer ?? rec.answer, options, 'correct_answer');
  const id = recordId(rec) ?? `sat-${index}`;
  const images = await imagesOf(listOf(rec.img_paths ?? rec.image_bytes ?? rec.images), ctx, 'img_paths');
  return {
    id,
    images,
    question: { id, text: text.trim(), options, answer, category: textOf(rec.question_type) ?? 'all' },
  };
}
