/**
 * VSI-Bench's official protocol, as its evaluation code in lmms-eval (`lmms_eval/tasks/vsibench/utils.py`,
 * also used by the benchmark's own repository vision-x-nyu/thinking-in-space) frames and scores it:
 *
 * - prompt: "These are frames of a video." + question (its per-type post-prompts are replaced here by
 *   the loop's structured reply, and the loop's fused answer is what is scored);
 * - multiple choice: exact match with the ground-truth letter;
 * - numeric: Mean Relative Accuracy over θ = 0.50 … 0.95 (core/numeric.ts); unreadable → 0;
 * - aggregate: the mean per question type; the three object_rel_direction_{easy,medium,hard} means
 *   are averaged into one object_rel_direction; "overall" is the mean of the per-type scores.
 */

export const VSI_MC_TYPES = [
  'object_rel_direction_easy',
  'object_rel_direction_medium',
  'object_rel_direction_hard',
  'object_rel_distance',
  'route_planning',
  'obj_appearance_order',
] as const;
export const VSI_NUMERIC_TYPES = [
  'object_abs_distance',
  'object_counting',
  'object_size_estimation',
  'room_size_estimation',
] as const;
export type VsiQuestionType = (typeof VSI_MC_TYPES)[number] | (typeof VSI_NUMERIC_TYPES)[number];

export const VSI_PRE_PROMPT = 'These are frames of a video.';
export const isVsiNumeric = (t: string): boolean => (VSI_NUMERIC_TYPES as readonly string[]).includes(t);
export const isVsiType = (t: string): t is VsiQuestionType =>
  isVsiNumeric(t) || (VSI_MC_TYPES as readonly string[]).includes(t);

/** A scored record, for the aggregate. */
export interface VsiScored {
  questionType: string;
  score: number;
}

/** Per-type means, object_rel_direction merged, and the benchmark's overall average. */
export function vsiAggregate(rows: VsiScored[]): { byType: Record<string, number>; overall: number } {
  const sums = new Map<string, { s: number; n: number }>();
  for (const r of rows) {
    const e = sums.get(r.questionType) ?? { s: 0, n: 0 };
    e.s += r.score;
    e.n += 1;
    sums.set(r.questionType, e);
  }
  const byType: Record<string, number> = {};
  for (const [t, e] of sums) byType[t] = e.s / e.n;
  const dirs = ['object_rel_direction_easy', 'object_rel_direction_medium', 'object_rel_direction_hard'];
  const present = dirs.filter((d) => d in byType);
  if (present.length) {
    // the official code divides by 3 and requires all three; with a subset we average what is there
    byType.object_rel_direction = present.reduce((s, d) => s + byType[d], 0) / present.length;
    for (const d of present) delete byType[d];
  }
  const vals = Object.values(byType);
  return { byType, overall: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0 };
}
