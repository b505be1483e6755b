/** `vantage questions`: write the procedural spatial question set as native JSONL (for `vantage eval`). */
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { generateQuestions, type SpatialQuestion } from '../../fixtures/questions.js';
import { writeQuestionSet } from '../../fixtures/dataset.js';
import { SCAN_ORBITS } from '../../fixtures/scan.js';
import { writeVideoQuestionSet } from '../../fixtures/video-set.js';
import { VIDEO_QUESTION_TYPES, type VideoQuestionType } from '../../fixtures/walkthrough.js';
import { MULTIVIEW_SETTINGS, type MultiviewSetting } from '../../fixtures/multiview.js';

/** Scan frames per scene unless told otherwise (as `vantage demo`): the hidden object is in the scene. */
export const QUESTIONS_SCAN_FRAMES = 2;

const CATEGORIES: SpatialQuestion['category'][] = ['hidden-behind', 'left-right', 'front-behind', 'count'];

export interface QuestionsCommandOptions {
  count: number;
  seed: number;
  out: string;
  categories?: string;
  /**
   * RGB-D scan frames written per scene (0..6, the demo's SCAN_ORBITS poses), lifted by `vantage eval`
   * together with the reference photo. Default QUESTIONS_SCAN_FRAMES (2), in code as on the CLI;
   * 0 = the reference photo and its depth alone.
   */
  scanFrames?: number;
  /** write VSI-Bench-style questions over procedural walk-through videos instead */
  video?: boolean;
  /** walk-through scenes with --video */
  scenes?: number;
  /** frames per walk-through clip with --video */
  frames?: number;
  /** photos per scene, shown to the model without poses (1 = the reference photo only) */
  views?: number;
  setting?: string;
}

export async function runQuestionsCommand(
  o: QuestionsCommandOptions,
): Promise<{ jsonl: string; scenes: number; questions: number }> {
  if (o.video) {
    const types = o.categories
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean) as VideoQuestionType[] | undefined;
    return writeVideoQuestionSet(o.out, {
      scenes: o.scenes ?? 2,
      seed: o.seed,
      ...(o.frames !== undefined ? { frames: o.frames } : {}),
      ...(types?.length ? { types } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  }
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) {
    throw new VantageError('bad-option', `--count ${o.count} must be a whole number from 1 to 10000`);
  }
  const views = o.views ?? 1;
  if ((o.views ?? 1) > 1 && (o.scanFrames ?? 0) > 0)
    throw new VantageError(
      'bad-option',
      '--views and --scan-frames do not mix',
      'a multi-view set shows every photo; scan frames are for single-photo sets',
    );
  const scanFrames = views > 1 ? 0 : (o.scanFrames ?? QUESTIONS_SCAN_FRAMES);
  if (!Number.isInteger(scanFrames) || scanFrames < 0 || scanFrames > SCAN_ORBITS.length) {
    throw new VantageError(
      'bad-option',
      `--scan-frames ${o.scanFrames} must be a whole number from 0 to ${SCAN_ORBITS.length}`,
    );
  }
  const categories = o.categories
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const unknown = categories?.filter((c) => !(CATEGORIES as string[]).includes(c)) ?? [];
  if (unknown.length)
    throw new VantageError(
      'bad-option',
      `unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}`,
      `categories: ${CATEGORIES.join(', ')}`,
    );
  process.stderr.write(`generating ${o.count} questions (seed ${o.seed})…\n`);
  const items = generateQuestions({
    count: o.count,
    seed: o.seed,
    categories: categories as SpatialQuestion['category'][] | undefined,
  });
  return writeQuestionSet(o.out, items, {
    scanFrames,
    ...(views > 1 ? { views, setting: (o.setting ?? 'around') as MultiviewSetting } : {}),
  });
}

export function registerQuestionsCommand(program: Command): void {
  program
    .command('questions')
    .description(
      'write a procedural spatial question set with ground truth as native JSONL (reference RGB, 16-bit depth, intrinsics per scene)',
    )
    .option('--count <n>', 'questions (categories balanced)', (v) => Number.parseInt(v, 10), 40)
    .option('--seed <n>', 'seed (same seed, same questions)', (v) => Number.parseInt(v, 10), 1)
    .option(
      '--categories <list>',
      `comma-separated subset of ${CATEGORIES.join(', ')} (with --video: of ${VIDEO_QUESTION_TYPES.join(', ')})`,
    )
    .option('--video', 'VSI-Bench-style questions (all eight types) over procedural walk-through videos')
    .option('--scenes <n>', 'walk-through scenes with --video', (v) => Number.parseInt(v, 10), 2)
    .option('--frames <n>', 'frames per walk-through clip with --video (10 fps)', (v) => Number.parseInt(v, 10), 60)
    .option(
      '--scan-frames <n>',
      `RGB-D scan frames per scene from other positions, 0..${SCAN_ORBITS.length}, lifted with the photo by \`vantage eval\` but not shown to the model (0: the photo alone; default ${QUESTIONS_SCAN_FRAMES})`,
      (v) => Number.parseInt(v, 10),
    )
    .option(
      '--views <k>',
      'photos per scene, 1..8: with K > 1 every record lists K photos with depth and no poses (a MindCube-like multi-view item; `vantage eval` registers and lifts them together)',
      (v) => Number.parseInt(v, 10),
      1,
    )
    .option('--setting <s>', `where the K photos are taken: ${MULTIVIEW_SETTINGS.join(' | ')}`, 'around')
    .option('--out <dir>', 'folder for questions.jsonl and scenes/', 'vantage-out/questions')
    .addHelpText(
      'after',
      `
Each record: id, images, depth, intrinsics, question, options, answer, category, and with --scan-frames > 0
scan {images, depths, trajectory} (paths relative to the file). Every question is about something hidden
from the reference photo. \`vantage eval --format native\` lifts the scene from the photo plus the scan frames
(as \`vantage demo\` does) and shows the model only the photo, so the loop's views can find what it hides.
With --scan-frames 0 the scene is lifted from the one photo and the hidden object is not in the scene:
only a model's round 0 is meaningful then.

With --video: per scene an H.264 walk-through (a pan, then an arc about the objects), every frame's
depth and the camera path; records carry video {path, depths, trajectory} and numeric questions
(counts, distances in m, sizes in cm, room area in m²) carry numeric {kind, unit} with no options.`,
    )
    .action(async (opts) => {
      const r = await runQuestionsCommand(opts);
      process.stdout.write(`${r.questions} questions over ${r.scenes} scenes: ${r.jsonl}\n`);
    });
}
