/**
 * mmsi: MMSI-Bench — the parquet release (`id`, `images`: list of image bytes, `question_type`) or
 * the VLMEvalKit TSV shipped with it (`MMSI_bench.tsv`: `index`, `image`: a JSON list of base64
 * images, `category`); both have `question` ending in "Options: A: …, B: …" and `answer` ("A").
 */
import type { EvalItem } from '../types.js';
import { splitEmbeddedOptions } from '../normalize.js';
import {
  bad,
  imagesOf,
  listOf,
  optionsOf,
  recordId,
  textOf,
  truthLetter,
  type RawRecord,
  type RecordContext,
} from './fields.js';

export async function mmsiItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const full = textOf(rec.question);
  if (!full?.trim()) bad('no question');
  let options = optionsOf(rec.options ?? rec.choices);
  let text = full.trim();
  if (options.length < 2) {
    const split = splitEmbeddedOptions(full);
    if (!split) bad('no options ("Options: A: …, B: …") in the question');
    ({ stem: text, options } = split);
  }
  const answer = truthLetter(rec.answer, options, 'answer');
  const id = recordId(rec) ?? `mmsi-${index}`;
  const images = await imagesOf(listOf(rec.images ?? rec.image ?? rec.image_paths ?? rec.image_path), ctx, 'images');
  const category = textOf(rec.question_type) ?? textOf(rec.category) ?? 'all';
  return { id, images, question: { id, text, options, answer, category } };
}
