/**
 * mindcube: MindCube JSONL — `id`, `images` (paths relative to the data root), `question` with the
 * options written in ("… A. Left B. Right"), `gt_answer` ("B"). The category is the setting MindCube
 * reports by, read from the id as its evaluator does (mll-lab-nu/MindCube
 * src/evaluation/core/extractors.py `get_setting_from_id`: "around", "rotation", "translation",
 * "among" in that order of precedence, else "other"); `type` ("0_frame") is not a setting.
 */
import type { EvalItem } from '../types.js';
import { splitEmbeddedOptions } from '../normalize.js';
import { bad, imagesOf, listOf, recordId, textOf, truthLetter, type RawRecord, type RecordContext } from './fields.js';

/** MindCube's setting of an item id (get_setting_from_id). */
export function mindcubeSetting(id: string): string {
  const l = id.toLowerCase();
  for (const s of ['around', 'rotation', 'translation', 'among']) if (l.includes(s)) return s;
  return 'other';
}

export async function mindcubeItem(rec: RawRecord, index: number, ctx: RecordContext): Promise<EvalItem> {
  const full = textOf(rec.question);
  if (!full?.trim()) bad('no question');
  const split = splitEmbeddedOptions(full);
  if (!split) bad('no lettered options ("A. … B. …") in the question');
  const { stem, options } = split;
  const answer = truthLetter(rec.gt_answer ?? rec.answer, options, 'gt_answer');
  const id = recordId(rec) ?? `mindcube-${index}`;
  const cat = mindcubeSetting(id);
  const images = await imagesOf(listOf(rec.images), ctx, 'images');
  return { id, images, question: { id, text: stem, options, answer, category: cat } };
}
