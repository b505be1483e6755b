/**
 * Plain data of `vantage eval`: the items a loader yields, the line written per (grid cell, item)
 * to results.jsonl, and the summary. A results line is self-contained JSON: everything the summary
 * needs (every round's answer and posterior, correctness after every round, cost) is in it, so a
 * summary can be rebuilt from results.jsonl alone.
 */
import type { LoopConfig, OptionDist, StopReason } from '../types.js';
import type { Question } from '../../core/types.js';

export const EVAL_FORMATS = ['native', 'mindcube', 'sat', 'mmsi', 'blink', 'cvbench', 'vlmeval', 'vsibench'] as const;
export type EvalFormat = (typeof EVAL_FORMATS)[number];

/**
 * How the options are shown: as the file lists them, shuffled once per item (seeded), or every
 * rotation of them (circular evaluation: an item counts only if all its rotations are right).
 */
export const OPTION_ORDERS = ['given', 'shuffle', 'circular'] as const;
export type OptionOrder = (typeof OPTION_ORDERS)[number];

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
  /**
   * a clip whose sampled frames are the originals (then `images` is empty): with one depth map per
   * encoded frame and a camera path when the set ships them (procedural walk-throughs)
   */
  video?: { path: string; depths?: string[]; trajectory?: string };
  /** text, options (texts, no letters), ground-truth letter ("" when the split hides it), category */
  question: Question & { answer: string; category: string };
  /** the split hides its answers (e.g. BLINK test): the item can only be predicted, not scored */
  hidden?: boolean;
  /** where the image came from, for scores weighted by it (CV-Bench: ADE20K, COCO, Omni3D) */
  source?: string;
  /** the data file's index in the run's list of files */
  file?: number;
  /** the record's own id when this item is one presentation of it (shuffled or rotated options) */
  base?: string;
  /** shown option i is the file's option order[i] (absent: the file's order) */
  order?: number[];
}

/** A record a loader could not use, and why (the run goes on without it). */
export interface SkippedRecord {
  /** 0-based record index in the file */
  index: number;
  /** the data file (when a run reads several) */
  file?: string;
  id?: string;
  reason: string;
}

export interface LoadedItems {
  format: EvalFormat;
  /** the data files read, absolute, in order */
  files: string[];
  items: EvalItem[];
  skipped: SkippedRecord[];
  /** usable items in the files (absent when --limit stopped reading early) */
  available?: number;
  /** --limit left usable items out */
  limited?: boolean;
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
  /** numeric questions: the fused estimate after this round, and its score (VSI-Bench MRA, 0..1) */
  value?: number;
  score?: number;
  /** the view of this round: pose caption and coverage (round 0 has none) */
  view?: { caption: string; coverage: number; pose?: unknown };
  failed?: string;
  /** the answerer's request hash (the response cache's key), or a hash of its prompt text */
  promptHash?: string;
  /** the answerer's reply text and its stated reason */
  reply?: string;
  rationale?: string;
}

export interface EvalLine {
  v: 1;
  cell: string;
  item: string;
  category: string;
  /** ground-truth letter ("" when the split hides it) */
  truth: string;
  options: number;
  /** the question and the option texts as shown (in the order shown) */
  question?: string;
  choices?: string[];
  /** the record's own id when the item is one presentation of it (shuffle, circular) */
  base?: string;
  /** shown option i is the file's option order[i] */
  order?: number[];
  /** image source, for source-weighted scores */
  source?: string;
  /** the image files shown, relative to the run's folder when inside it */
  images?: string[];
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
  /**
   * numeric questions: score after k rounds (Mean Relative Accuracy against the true number, 0..1);
   * accuracy tables average these instead of counting `correctAfter` (which marks a score of 1)
   */
  scoreAfter?: number[];
  /** numeric questions: the final fused estimate */
  value?: number;
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
  /** images the model's own per-request limit cut from the largest request (originals are cut last) */
  imagesCut?: number;
  /** of the item's photos, how many were registered and lifted into its scene (multi-image items) */
  lifted?: number;
}

/** Accuracy of a group, with its Wilson 95% interval. */
export interface AccuracyCell {
  n: number;
  correct: number;
  accuracy: number;
  low: number;
  high: number;
}

/** A benchmark's own headline number after k rounds (null: the run lacks what it needs). */
export interface OfficialScore {
  label: string;
  /** where the metric is defined */
  reference: string;
  byRound: (number | null)[];
  note?: string;
}

export interface CellSummary {
  key: string;
  label: string;
  settings: CellSettings;
  /** scored items (a circular item counts once however many rotations it had) */
  items: number;
  /** (cell, presentation) pairs behind them: rotations and shuffles included */
  presentations: number;
  /** the benchmark's headline metric; byRound above is the micro average */
  official: OfficialScore;
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
  /** items whose requests the model's own image limit cut */
  itemsCut: number;
}

export interface EvalSummary {
  /** the first data file (see files for all) */
  data: string;
  dataFiles: string[];
  format: EvalFormat;
  optionOrder: OptionOrder;
  seed: number;
  /** a --limit below the whole set: the numbers are not the benchmark's metric */
  limited?: { items: number; of?: number };
  /** answers hidden: predictions only, no accuracy */
  predictOnly?: boolean;
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
  files: {
    results: string;
    markdown: string;
    csv: string;
    cellsCsv: string;
    svg: string;
    png?: string;
    report: string;
    manifest: string;
    submission?: string;
  };
  seconds: number;
}
