/**
 * `vantage demo`: no key, no GPU, no download. It is `vantage questions` followed by `vantage eval`
 * with the built-in pixel perceiver, so its numbers are those two commands' numbers: it writes the
 * procedural question set (with RGB-D scan frames) to OUT/questions, evaluates it for a fixed number
 * of view rounds into OUT (results.jsonl, summary.md, a trace folder per question, and the run's
 * report OUT/index.html linking to each), and prints accuracy after 0..N rounds, overall and per
 * category.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { SPATIAL_CATEGORIES, type SpatialCategory } from '../../core/question-templates.js';
import { parseRenderSize } from '../../core/render-size.js';
import { RENDERER_CHOICE_HELP, parseRendererChoice, type RendererChoice } from '../../synth/renderer.js';
import { generateQuestions } from '../../fixtures/questions.js';
import { writeQuestionSet } from '../../fixtures/dataset.js';
import { SCAN_ORBITS } from '../../fixtures/scan.js';
import { runEval } from '../../loop/eval/run.js';
import type { AccuracyCell, CellSummary, EvalSummary } from '../../loop/eval/types.js';
import type { LoopConfig } from '../../loop/types.js';

/** The demo's defaults: small renders keep the whole set well under a minute on 2 CPU cores. */
export const DEMO_DEFAULTS = {
  count: 12,
  seed: 7,
  rounds: 3,
  width: 256,
  height: 192,
  render: 'points',
  scanFrames: 2,
} as const;

export interface DemoOptions {
  count?: number;
  seed?: number;
  /** view rounds after round 0 (fixed, so accuracy after every k is exact) */
  rounds?: number;
  /** folder for the question set (OUT/questions) and the evaluation (OUT) */
  out?: string;
  /** size of the photos and of the rendered views, "WxH" */
  size?: string;
  render?: LoopConfig['render'];
  holes?: LoopConfig['holes'];
  fusion?: LoopConfig['fusion'];
  poseFormat?: LoopConfig['poseFormat'];
  scanFrames?: number;
  categories?: string[];
  renderer?: RendererChoice;
  /** write every question's trace folder (default true) */
  traces?: boolean;
  log?: (line: string) => void;
}

export interface DemoResult {
  summary: EvalSummary;
  /** the one grid cell the demo runs */
  cell: CellSummary;
  questions: { jsonl: string; scenes: number; questions: number };
  out: string;
}

/** Generate the question set and evaluate it with builtin:perceiver. */
export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const count = o.count ?? DEMO_DEFAULTS.count;
  const seed = o.seed ?? DEMO_DEFAULTS.seed;
  const rounds = o.rounds ?? DEMO_DEFAULTS.rounds;
  const scanFrames = o.scanFrames ?? DEMO_DEFAULTS.scanFrames;
  const log = o.log ?? (() => {});
  if (!(Number.isInteger(count) && count >= 1 && count <= 10_000))
    throw new VantageError('bad-option', `--count ${count} must be a whole number from 1 to 10000`);
  if (!(Number.isInteger(rounds) && rounds >= 0 && rounds <= 20))
    throw new VantageError('bad-option', `--rounds ${rounds} must be a whole number from 0 to 20`);
  if (!(Number.isInteger(scanFrames) && scanFrames >= 0 && scanFrames <= SCAN_ORBITS.length))
    throw new VantageError(
      'bad-option',
      `--scan-frames ${scanFrames} must be a whole number from 0 to ${SCAN_ORBITS.length}`,
    );
  const bad = (o.categories ?? []).filter((c) => !(SPATIAL_CATEGORIES as readonly string[]).includes(c));
  if (bad.length)
    throw new VantageError(
      'bad-option',
      `unknown categories: ${bad.join(', ')}`,
      `use ${SPATIAL_CATEGORIES.join(', ')}`,
    );
  const size = o.size ? parseRenderSize(o.size) : { width: DEMO_DEFAULTS.width, height: DEMO_DEFAULTS.height };
  const out = resolve(o.out ?? join('vantage-out', 'demo'));

  log(
    `vantage demo: writing ${count} questions (seed ${seed}, ${scanFrames} scan frame(s)) to ${join(out, 'questions')}…`,
  );
  const items = generateQuestions({
    count,
    seed,
    ...(o.categories?.length ? { categories: o.categories as SpatialCategory[] } : {}),
  });
  const questions = await writeQuestionSet(join(out, 'questions'), items, { scanFrames, ...size });
  // the demo always runs afresh: an earlier demo's results in OUT are not resumed
  for (const f of ['run.json', 'results.jsonl', 'traces', 'index.html'])
    await rm(join(out, f), { recursive: true, force: true });
  log(`vantage demo: evaluating with builtin:perceiver, ${rounds} fixed view round(s)…`);
  const summary = await runEval({
    data: questions.jsonl,
    format: 'native',
    model: 'builtin:perceiver',
    out,
    rounds,
    stop: 'fixed',
    size: `${size.width}x${size.height}`,
    render: o.render ?? DEMO_DEFAULTS.render,
    ...(o.holes ? { holes: o.holes } : {}),
    ...(o.fusion ? { fusion: o.fusion } : {}),
    ...(o.poseFormat ? { poseFormat: o.poseFormat } : {}),
    renderer: parseRendererChoice(o.renderer),
    logSamples: o.traces ?? true,
    log,
  });
  return { summary, cell: summary.cells[0], questions, out };
}

const pct = (a: AccuracyCell | undefined) => (a ? `${(a.accuracy * 100).toFixed(0)}%` : '—');

/** The accuracy table as text: one row for all questions, one per category. */
export function demoTable(cell: CellSummary): string {
  const n = cell.byRound.length - 1;
  const head = ['category', 'n', ...Array.from({ length: n + 1 }, (_, k) => `round ${k}`)];
  const rows = [
    ['all', String(cell.items), ...cell.byRound.map(pct)],
    ...Object.entries(cell.byCategory).map(([c, v]) => [c, String(v[0]?.n ?? 0), ...v.map(pct)]),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** What the CLI prints. */
function demoReport(r: DemoResult): string {
  return [
    'model: builtin:perceiver (deterministic pixel perceiver — not an LLM)',
    'accuracy after k view rounds (0 = the original image alone):',
    demoTable(r.cell),
    `questions: ${r.questions.jsonl}`,
    `report: ${r.summary.files.report} (open it in a browser: every question, its views, its trace)`,
    `results: ${r.summary.files.results} (summary: ${r.summary.files.markdown})`,
    `traces: ${join(r.out, 'traces')}`,
    `time: ${r.summary.seconds.toFixed(1)} s`,
  ].join('\n');
}

const int = (v: string) => Number.parseInt(v, 10);

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'answer a procedural spatial question set with the built-in pixel perceiver (no key, GPU or download) and print accuracy by round',
    )
    .option('--count <n>', 'questions (categories balanced)', int, DEMO_DEFAULTS.count)
    .option('--seed <n>', 'question set seed (same seed, same questions)', int, DEMO_DEFAULTS.seed)
    .option(
      '--rounds <n>',
      'view rounds after round 0 (fixed, so accuracy after every k is exact)',
      int,
      DEMO_DEFAULTS.rounds,
    )
    .option('--out <dir>', 'where the question set, results, traces and the report (index.html) go', 'vantage-out/demo')
    .option(
      '--size <WxH>',
      `size of the photos and the rendered views (default ${DEMO_DEFAULTS.width}x${DEMO_DEFAULTS.height})`,
    )
    .option('--render <mode>', `points | gaussians (default ${DEMO_DEFAULTS.render})`)
    .option('--holes <how>', 'mark (magenta) | fill | none (default mark)')
    .option('--fusion <policy>', 'loglinear | vote | last (default loglinear)')
    .option('--pose-format <fmt>', 'orbit | ego | preset | language (the perceiver answers language with orbits)')
    .option(
      '--scan-frames <n>',
      `RGB-D scan frames lifted with the photo, 0..${SCAN_ORBITS.length} (0: the photo alone, so nothing hidden in it can appear)`,
      int,
      DEMO_DEFAULTS.scanFrames,
    )
    .option('--categories <names...>', `only these: ${SPATIAL_CATEGORIES.join(', ')}`)
    .option('--renderer <which>', RENDERER_CHOICE_HELP, 'auto')
    .option('--json', 'print the eval summary as JSON')
    .addHelpText(
      'after',
      `
The same numbers come from:  vantage questions --count N --seed S --out OUT/questions
                             vantage eval --data OUT/questions/questions.jsonl --format native \\
                               --model builtin:perceiver --rounds R --stop fixed --out OUT
The model is builtin:perceiver, a deterministic pixel perceiver (not an LLM): it sees only the pixels
and rendered depth of the views it is given, never the scenes' ground truth.`,
    )
    .action(async (opts) => {
      const r = await runDemo({
        count: opts.count,
        seed: opts.seed,
        rounds: opts.rounds,
        out: opts.out,
        size: opts.size,
        render: opts.render,
        holes: opts.holes,
        fusion: opts.fusion,
        poseFormat: opts.poseFormat,
        scanFrames: opts.scanFrames,
        categories: opts.categories,
        renderer: opts.renderer,
        log: (s) => process.stderr.write(`${s}\n`),
      });
      process.stdout.write(`${opts.json ? JSON.stringify(r.summary, null, 2) : demoReport(r)}\n`);
    });
}
