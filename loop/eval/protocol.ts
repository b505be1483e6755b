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
import type { EvalFormat, EvalLine, OfficialScore, OptionOrder } from './types.js';

/** One scored item: its presentations' lines folded together. */
export interface ScoredUnit {
  id: string;
  category: string;
  source?: string;
  /** right after k rounds: every presentation right after k */
  correctAfter: boolean[];
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

const right = (u: ScoredUnit, k: number): boolean => u.correctAfter[Math.min(k, u.correctAfter.length - 1)] ?? false;

/** Accuracy over units (null when there are none). */
export function microAccuracy(units: ScoredUnit[], k: number): number | null {
  return units.length ? units.filter((u) => right(u, k)).length / units.length : null;
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
    headline: { ...MICRO, reference: 'accuracy over all items' },
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
    return {
      id,
      category: group[0].category,
      ...(group[0].source ? { source: group[0].source } : {}),
      correctAfter: Array.from({ length: len }, (_, k) => group.every((l) => at(l, k))),
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
