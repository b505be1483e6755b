/**
 * mindcube: MindCube JSONL — `id`, `images` (paths relative to the data root), `question` with the
 * options written in ("… A. Left B. Right"), `gt_answer` ("B").
 */
import type { EvalItem } from '../types.js';
import { splitEmbeddedOptions } from '../normalize.js';
import { bad, imagesOf, listOf, recordId, textOf, truthLetter, type RawRecord, type RecordContext } from './fields.js';

export async function mindcubeItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const full = textOf(rec.question);
  if (!full?.trim()) bad('no question');
  const split = splitEmbeddedOptions(full);
  if (!split) bad('no lettered options ("A. … B. …") in the question');
  const { stem, options } = split;
  const answer = truthLetter(rec.gt_answer ?? rec.answer, options, 'gt_answer');
  const id = recordId(rec) ?? `mindcube-${index}`;
  const cat = textOf(rec.type) ?? textOf(listOf(rec.category)[0]) ?? (id.includes('_') ? id.split('_')[0] : 'all');
  const images = await imagesOf(listOf(rec.images), ctx, 'images');
  return { id, images, question: { id, text: stem, options, answer, category: cat } };
}
