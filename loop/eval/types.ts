/**
 * Plain data of `vantage eval`: the items a loader yields, the line written per (grid cell, item)
 * to results.jsonl, and the summary. A results line is self-contained JSON: everything the summary
 * needs (every round's answer and posterior, correctness after every round, cost) is in it, so a
 * summary can be rebuilt from results.jsonl alone.
 */
import type { LoopConfig, OptionDist, StopReason } from '../types.js';
import type { Question } from '../../core/types.js';

export const EVAL_FORMATS = ['native', 'mindcube', 'sat', 'mmsi', 'blink', 'cvbench'] as const;
export type EvalFormat = (typeof EVAL_FORMATS)[number];

/** One benchmark question with what is needed to build its scene. */
export interface EvalItem {
  /** unique within the data file */
  id: string;
  /** absolute paths of the image(s); images shipped as bytes were written to a cache directory */
  images: string[];
  /** absolute path of a depth map for each image, when the benchmark ships depth */
  depths?: string[];
  /** "fx,fy,cx,cy", "fov:DEG" or a JSON file (as `--intrinsics`) */
  intrinsics?: string;
  /**
   * RGB-D frames from other positions (native sets written with scan frames): lifted together with
   * images[0] and depths[0] at the trajectory's poses ([reference, scan…]), never shown to the model
   */
  scan?: { images: string[]; depths: string[]; trajectory: string };
  /** text, options (texts, no letters), ground-truth letter, category */
  question: Question & { answer: string; category: string };
}

/** A record a loader could not use, and why (the run goes on without it). */
export interface SkippedRecord {
  /** 0-based record index in the file */
  index: number;
  id?: string;
  reason: string;
}

export interface LoadedItems {
  format: EvalFormat;
  items: EvalItem[];
  skipped: SkippedRecord[];
}

/** The settings a grid cell varies (and every cell has). */
export interface CellSettings {
  rounds: number;
  pose: LoopConfig['poseFormat'];
  render: LoopConfig['render'];
  fusion: LoopConfig['fusion'];
  stop: LoopConfig['stop']['policy'];
  holes: LoopConfig['holes'];
  images: number;
}

export interface GridCell {
  /** canonical key, e.g. "rounds=2 pose=orbit render=gaussians fusion=loglinear stop=fixed holes=mark images=4" */
  key: string;
  /** short label for plots and tables: only the settings the grid varies (or "default") */
  label: string;
  settings: CellSettings;
  config: LoopConfig;
}

/** One round of one item, as results.jsonl keeps it. */
export interface EvalRoundLine {
  round: number;
  /** this round's own answer, as a letter ("" when the reply could not be read as an option) */
  answer: string;
  /** the reply's own words for the choice, when they differ from the letter (kept to audit parsing) */
  raw?: string;
  /** false: the reply named no option (counted as no evidence; the item is wrong if nothing else decides) */
  parsed: boolean;
  distSource: 'logprobs' | 'self-report' | 'uniform-fallback';
  /** fused answer after this round ("" when nothing usable was answered yet) */
  fused: string;
  posterior: OptionDist;
  margin: number;
  correct: boolean;
  /** the view of this round: pose caption and coverage (round 0 has none) */
  view?: { caption: string; coverage: number };
  failed?: string;
}

export interface EvalLine {
  v: 1;
  cell: string;
  item: string;
  category: string;
  /** ground-truth letter */
  truth: string;
  options: number;
  status: 'ok' | 'error';
  error?: string;
  /** the last round done (adaptive runs may stop before maxRounds) */
  stopRound: number;
  stopReason: StopReason | 'not-run';
  maxRounds: number;
  rounds: EvalRoundLine[];
  /**
   * correct after k rounds, k = 0..maxRounds: the fused answer of round min(k, stopRound). For
   * fixed-round runs this is exact; for adaptive runs, a budget of k rounds stops at k or earlier.
   */
  correctAfter: boolean[];
  final: string;
  correct: boolean;
  /** replies that named no option, over all rounds */
  unparsed: number;
  tokens: { prompt: number; completion: number };
  calls: number;
  cachedCalls: number;
  views: number;
  /** wall time of this item (scene + loop), seconds */
  seconds: number;
  model: string;
  at: string;
  /** the pair's trace folder, relative to the run's folder (when samples are logged) */
  trace?: string;
}

/** Accuracy of a group, with its Wilson 95% interval. */
export interface AccuracyCell {
  n: number;
  correct: number;
  accuracy: number;
  low: number;
  high: number;
}

export interface CellSummary {
  key: string;
  label: string;
  settings: CellSettings;
  items: number;
  errors: number;
  unparsed: number;
  /** accuracy after k rounds (index k) over all categories */
  byRound: AccuracyCell[];
  /** category → accuracy after k rounds */
  byCategory: Record<string, AccuracyCell[]>;
  /** items whose loop stopped after round r (index r) */
  stopRounds: number[];
  meanStopRound: number;
  tokens: { prompt: number; completion: number };
  calls: number;
  cachedCalls: number;
  views: number;
  seconds: number;
}

export interface EvalSummary {
  data: string;
  format: EvalFormat;
  model: string;
  out: string;
  /** items in this run (after --limit) and records the loader skipped */
  items: number;
  skipped: SkippedRecord[];
  cells: CellSummary[];
  /** (cell, item) pairs run now, and found finished in results.jsonl */
  ranNow: number;
  resumed: number;
  /** pairs not finished (aborted or interrupted); 0 after a complete run */
  pending: number;
  files: { results: string; markdown: string; csv: string; cellsCsv: string; svg: string; png?: string };
  seconds: number;
}
