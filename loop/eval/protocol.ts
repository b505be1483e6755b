/**
 * Each benchmark's published protocol: the option order its numbers assume, how its records are
 * grouped into categories, and its headline number, computed from scored units (one per item; a
 * circular item is one unit, right only if every rotation was). The summary prints the headline
 * beside the micro average, each labelled.
 *
 * Sources (read when this was written):
 * - MindCube: mll-lab-nu/MindCube src/evaluation/core/extractors.py `get_setting_from_id` — results
 *   are reported overall and by setting (around / rotation / translation / among, from the item id).
 * - SAT: UMass-Embodied-AGI/MindJourney pipelines/pipeline_baseline.py — accuracy over questions, by
 *   `question_type`; the files list the correct answer first in every record, so the options are
 *   rotated here by default (circular evaluation, as VLMEvalKit's `mcq_circular_eval` does for
 *   MMBench: an item counts only if every rotation is answered right).
 * - MMSI-Bench: RunsenXu/MMSI-Bench via VLMEvalKit (`MMSI_Bench`): plain accuracy over all items.
 * - BLINK: zeyofu/BLINK_Benchmark eval/evaluate.py `eval_prediction` — accuracy per subtask, and
 *   the total is their mean over subtasks (a macro average); test answers are hidden, predictions go
 *   to a JSON {idx: "(A)"} file for the leaderboard.
 * - CV-Bench: nyu-visionx/CV-Bench README "Accuracy" — accuracy per source, 2D = mean(ADE20K, COCO),
 *   3D = Omni3D, CV-Bench = mean(2D, 3D).
 * - VLMEvalKit TSV: plain accuracy (VLMEvalKit's `report_acc` "Overall").
 *
 * Answer extraction: the official scripts pull a letter out of free text (MindCube `extract_answer`,
 * MMSI-Bench's backtick-then-bare-letter regex, lmms-eval BLINK's leading "(A)"/"A." match, MindJourney's
 * option-text substring). The loop asks for a structured reply whose `choice` field is read by
 * core/options.ts `letterOfReply`, which accepts each of those forms ("B", "(B)", "B.", "`B`",
 * "Answer: B", the option's own text); a reply naming no option is scored wrong and counted as
 * unparsed, as the official scripts count a failed extraction.
 */
import { isVsiType, vsiAggregate } from './vsibench.js';
import type { EvalFormat, EvalLine, OfficialScore, OptionOrder } from './types.js';

/** One scored item: its presentations' lines folded together. */
export interface ScoredUnit {
  id: string;
  category: string;
  source?: string;
  /** right after k rounds: every presentation right after k */
  correctAfter: boolean[];
  /** numeric questions: the score after k rounds (MRA, 0..1) instead of right / wrong */
  scoreAfter?: number[];
}

export interface BenchmarkProtocol {
  title: string;
  /** the option order the published numbers assume (or that makes them meaningful) */
  defaultOrder: OptionOrder;
  /** what the categories are */
  categories: string;
  headline: {
    label: string;
    reference: string;
    score: (units: ScoredUnit[], k: number) => number | null;
    note?: string;
  };
}

/** A unit's score after k rounds: its numeric score, else 1 for right and 0 for wrong. */
export function scoreOf(u: ScoredUnit, k: number): number {
  if (u.scoreAfter?.length) return u.scoreAfter[Math.min(k, u.scoreAfter.length - 1)] ?? 0;
  return (u.correctAfter[Math.min(k, u.correctAfter.length - 1)] ?? false) ? 1 : 0;
}

/** Accuracy (mean score) over units (null when there are none). */
export function microAccuracy(units: ScoredUnit[], k: number): number | null {
  return units.length ? units.reduce((a, u) => a + scoreOf(u, k), 0) / units.length : null;
}

/** VSI-Bench's overall: per-type mean scores, the three direction levels as one, then their mean. */
export function vsiOverall(units: ScoredUnit[], k: number): number | null {
  if (!units.length) return null;
  return vsiAggregate(units.map((u) => ({ questionType: u.category, score: scoreOf(u, k) }))).overall;
}

/** Mean over groups of each group's accuracy. */
export function macroAccuracy(units: ScoredUnit[], k: number, groupOf: (u: ScoredUnit) => string): number | null {
  const groups = new Map<string, ScoredUnit[]>();
  for (const u of units) groups.set(groupOf(u), [...(groups.get(groupOf(u)) ?? []), u]);
  if (!groups.size) return null;
  let sum = 0;
  for (const g of groups.values()) sum += microAccuracy(g, k)!;
  return sum / groups.size;
}

/** CV-Bench's combined accuracy: ((ADE20K + COCO) / 2 + Omni3D) / 2; null unless all three sources are present. */
export function cvBenchAccuracy(units: ScoredUnit[], k: number): number | null {
  const of = (s: string) =>
    microAccuracy(
      units.filter((u) => (u.source ?? '').toLowerCase() === s.toLowerCase()),
      k,
    );
  const [ade, coco, omni] = [of('ADE20K'), of('COCO'), of('Omni3D')];
  if (ade === null || coco === null || omni === null) return null;
  return ((ade + coco) / 2 + omni) / 2;
}

const MICRO = {
  label: 'accuracy',
  score: microAccuracy,
};

export const PROTOCOLS: Record<EvalFormat, BenchmarkProtocol> = {
  native: {
    title: 'Vantage question set',
    defaultOrder: 'given',
    categories: "the record's category",
    headline: {
      label: 'accuracy (VSI-Bench overall when every category is a VSI-Bench type)',
      reference: 'accuracy over all items; walk-through sets: lmms-eval tasks/vsibench aggregate',
      // walk-through sets (`vantage questions --video`) are scored as the benchmark they imitate
      score: (units, k) =>
        units.length && units.every((u) => isVsiType(u.category)) ? vsiOverall(units, k) : microAccuracy(units, k),
    },
  },
  mindcube: {
    title: 'MindCube',
    defaultOrder: 'given',
    categories: 'setting from the item id: around, rotation, translation, among',
    headline: {
      ...MICRO,
      label: 'overall accuracy',
      reference: 'mll-lab-nu/MindCube src/evaluation (overall, and by setting from the id)',
    },
  },
  sat: {
    title: 'SAT (MindJourney files)',
    defaultOrder: 'circular',
    categories: 'question_type',
    headline: {
      ...MICRO,
      label: 'accuracy',
      reference: 'UMass-Embodied-AGI/MindJourney pipelines/pipeline_baseline.py (over questions)',
      note: 'the files list the right answer first in every record: scored with every rotation of the options unless --options says otherwise',
    },
  },
  mmsi: {
    title: 'MMSI-Bench',
    defaultOrder: 'given',
    categories: 'question_type (category in the TSV)',
    headline: {
      ...MICRO,
      label: 'overall accuracy',
      reference: 'RunsenXu/MMSI-Bench (VLMEvalKit MMSI_Bench, Overall)',
    },
  },
  blink: {
    title: 'BLINK',
    defaultOrder: 'given',
    categories: 'sub_task',
    headline: {
      label: 'mean over subtasks',
      reference: 'zeyofu/BLINK_Benchmark eval/evaluate.py (total = mean of the subtask accuracies)',
      score: (units, k) => macroAccuracy(units, k, (u) => u.category),
    },
  },
  cvbench: {
    title: 'CV-Bench',
    defaultOrder: 'given',
    categories: 'type and task (2D Count, 3D Depth, …); the headline weights by source',
    headline: {
      label: 'CV-Bench accuracy ((ADE20K+COCO)/2 + Omni3D)/2',
      reference: 'nyu-visionx/CV-Bench README, "Accuracy"',
      score: cvBenchAccuracy,
      note: 'needs items from all three sources (ADE20K, COCO, Omni3D)',
    },
  },
  vsibench: {
    title: 'VSI-Bench',
    defaultOrder: 'given',
    categories: 'question_type (multiple choice: accuracy; numeric: Mean Relative Accuracy)',
    headline: {
      label: 'overall (mean of the task scores)',
      reference: 'lmms-eval tasks/vsibench/utils.py vsibench_aggregate_results (as vision-x-nyu/thinking-in-space)',
      score: vsiOverall,
    },
  },
  vlmeval: {
    title: 'VLMEvalKit TSV',
    defaultOrder: 'given',
    categories: 'category',
    headline: { ...MICRO, label: 'overall accuracy', reference: "open-compass/VLMEvalKit report_acc ('Overall')" },
  },
};

/** Lines of one cell folded into scored units: presentations of one record (by `base`) together. */
export function scoredUnits(lines: EvalLine[]): ScoredUnit[] {
  const byId = new Map<string, EvalLine[]>();
  for (const l of lines) {
    const id = l.base ?? l.item;
    byId.set(id, [...(byId.get(id) ?? []), l]);
  }
  return [...byId].map(([id, group]) => {
    const len = Math.max(...group.map((l) => l.correctAfter.length));
    const at = (l: EvalLine, k: number) => l.correctAfter[Math.min(k, l.correctAfter.length - 1)] ?? false;
    const scores = group[0].scoreAfter;
    return {
      id,
      category: group[0].category,
      ...(group[0].source ? { source: group[0].source } : {}),
      correctAfter: Array.from({ length: len }, (_, k) => group.every((l) => at(l, k))),
      // numeric questions have one presentation (no options to rotate)
      ...(scores ? { scoreAfter: scores } : {}),
    };
  });
}

/** The benchmark's headline after every round 0..maxK. */
export function officialScore(format: EvalFormat, units: ScoredUnit[], maxK: number): OfficialScore {
  const h = PROTOCOLS[format].headline;
  return {
    label: h.label,
    reference: h.reference,
    byRound: Array.from({ length: maxK + 1 }, (_, k) => h.score(units, k)),
    ...(h.note ? { note: h.note } : {}),
  };
}
