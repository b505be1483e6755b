/** `vantage questions`: write the procedural spatial question set as native JSONL (for `vantage eval`). */
import type { Command } from 'commander';
import { VantageError } from '../errors.js';
import { generateQuestions, type SpatialQuestion } from '../../fixtures/questions.js';
import { writeQuestionSet } from '../../fixtures/dataset.js';

const CATEGORIES: SpatialQuestion['category'][] = ['hidden-behind', 'left-right', 'front-behind', 'count'];

export interface QuestionsCommandOptions {
  count: number;
  seed: number;
  out: string;
  categories?: string;
}

export async function runQuestionsCommand(o: QuestionsCommandOptions): Promise<{ jsonl: string; scenes: number; questions: number }> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) {
    throw new VantageError('bad-option', `--count ${o.count} must be a whole number from 1 to 10000`);
  }
  const categories = o.categories?.split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = categories?.filter((c) => !(CATEGORIES as string[]).includes(c)) ?? [];
  if (unknown.length) throw new VantageError('bad-option', `unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}`, `categories: ${CATEGORIES.join(', ')}`);
  process.stderr.write(`generating ${o.count} questions (seed ${o.seed})…\n`);
  const items = generateQuestions({ count: o.count, seed: o.seed, categories: categories as SpatialQuestion['category'][] | undefined });
  return writeQuestionSet(o.out, items);
}

export function registerQuestionsCommand(program: Command): void {
  program
    .command('questions')
    .description('write a procedural spatial question set with ground truth as native JSONL (reference RGB, 16-bit depth, intrinsics per scene)')
    .option('--count <n>', 'questions (categories balanced)', (v) => Number.parseInt(v, 10), 40)
    .option('--seed <n>', 'seed (same seed, same questions)', (v) => Number.parseInt(v, 10), 1)
    .option('--categories <list>', `comma-separated subset of ${CATEGORIES.join(', ')}`)
    .option('--out <dir>', 'folder for questions.jsonl and scenes/', 'vantage-out/questions')
    .addHelpText('after', `
Each record: id, images, depth, intrinsics, question, options, answer, category (paths relative to the file).
Every question is about something hidden from the reference photo; lifted from that one photo, the hidden
object is not in the scene, so run it through \`vantage eval --format native\` to measure a model's round 0,
and see \`vantage demo\` for the loop on scenes captured from more than one position.`)
    .action(async (opts) => {
      const r = await runQuestionsCommand(opts);
      process.stdout.write(`${r.questions} questions over ${r.scenes} scenes: ${r.jsonl}\n`);
    });
}
