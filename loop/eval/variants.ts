/**
 * Presentations of an item's options: as the file lists them, shuffled (one seeded permutation per
 * item, the same for a given seed and id whatever else is in the run), or every rotation (circular
 * evaluation, as VLMEvalKit's `mcq_circular_eval`: option i of rotation r is the file's option
 * (i + r) mod k; the item is right only if every rotation is — see protocol.ts `scoredUnits`).
 * Each presentation is an item of its own (its id gains "@cR" for rotation R); `base` and `order`
 * record where it came from, so results lines say exactly what the model was shown.
 */
import { createHash } from 'node:crypto';
import { mulberry32 } from '../../core/random.js';
import { letterIndex, optionLetter } from '../../core/options.js';
import type { EvalItem, OptionOrder } from './types.js';

/** The item with its options in `order` (shown option i = the file's option order[i]). */
export function presentItem(item: EvalItem, order: number[], id: string): EvalItem {
  const q = item.question;
  const truth = letterIndex(q.answer);
  const shownTruth = truth >= 0 ? order.indexOf(truth) : -1;
  return {
    ...item,
    id,
    base: item.id,
    order,
    question: {
      ...q,
      id,
      options: order.map((i) => q.options[i]),
      answer: shownTruth >= 0 ? optionLetter(shownTruth) : q.answer,
    },
  };
}

/** A seeded permutation of n, from the run's seed and the item's id. */
export function shuffledOrder(n: number, seed: number, id: string): number[] {
  const h = createHash('sha256').update(`${seed}\u0000${id}`).digest().readUInt32LE(0);
  const rand = mulberry32(h);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Every presentation the option order asks for (items whose answers are hidden keep the file's order). */
export function presentations(items: EvalItem[], how: OptionOrder, seed: number): EvalItem[] {
  if (how === 'given') return items;
  return items.flatMap((item) => {
    const n = item.question.options.length;
    if (item.hidden || n < 2) return [item];
    if (how === 'shuffle') return [presentItem(item, shuffledOrder(n, seed, item.id), item.id)];
    return Array.from({ length: n }, (_, r) =>
      presentItem(
        item,
        Array.from({ length: n }, (_, i) => (i + r) % n),
        `${item.id}@c${r}`,
      ),
    );
  });
}
