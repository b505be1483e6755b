/**
 * vlmeval: VLMEvalKit's multiple-choice TSV (open-compass/VLMEvalKit vlmeval/dataset/image_mcq.py):
 * `index`, `image` (base64, a JSON list of base64 images, or — to save space — the `index` of an
 * earlier row with the same image) or `image_path`, `question`, one column per option (`A`, `B`, …),
 * `answer` (a letter; absent in test splits), `category`, optional `hint` (VLMEvalKit's prompt
 * starts "Hint: …" when it is present).
 */
import type { EvalItem } from '../types.js';
import { optionLetter } from '../../../core/options.js';
import {
  bad,
  imagesOf,
  listOf,
  needOptions,
  recordId,
  textOf,
  truthOf,
  type RawRecord,
  type RecordContext,
} from './fields.js';

export async function vlmevalItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const question = textOf(rec.question)?.trim();
  if (!question) bad('no question');
  const options: string[] = [];
  for (let i = 0; i < 26; i++) {
    const v = textOf(rec[optionLetter(i)])?.trim();
    if (!v || v.toLowerCase() === 'nan') break;
    options.push(v);
  }
  needOptions(options);
  const id = recordId(rec) ?? `vlmeval-${index}`;
  const truth = truthOf(rec.answer, options, 'answer', true);
  const raw = textOf(rec.image);
  let images: string[];
  if (raw !== undefined && /^\d{1,12}$/.test(raw.trim())) {
    const ref = ctx.imagesByIndex?.get(raw.trim());
    if (!ref) bad(`image refers to row ${raw.trim()}, which comes later or has no image`);
    images = ref;
  } else images = await imagesOf(listOf(rec.image ?? rec.image_path), ctx, 'image or image_path');
  ctx.imagesByIndex?.set(id, images);
  const hint = textOf(rec.hint)?.trim();
  const text = hint && hint.toLowerCase() !== 'nan' ? `Hint: ${hint}\n${question}` : question;
  return {
    id,
    images,
    ...(truth.hidden ? { hidden: true } : {}),
    question: { id, text, options, answer: truth.answer, category: textOf(rec.category) ?? 'all' },
  };
}
