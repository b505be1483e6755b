/**
 * `vantage eval`: a benchmark through the reasoning loop, for ablations at scale. One results line
 * per (grid cell, item) in <out>/results.jsonl (resumable: rerun the same command to continue),
 * and a summary (Markdown, CSV, an SVG/PNG plot of accuracy against rounds, one line per cell).
 */
import type { Command } from 'commander';
import { EXIT_CODES, VantageError } from '../../core/errors.js';
import { MLLM_DEFAULTS } from '../../core/config.js';
import { RENDER_DEFAULTS, RENDER_PARALLEL } from '../../synth/config.js';
import { RENDERER_CHOICES, RENDERER_CHOICE_HELP } from '../../synth/renderer.js';
import { defaultModelName, LOOP_DEFAULTS } from '../../loop/config.js';
import { runEval, type EvalOptions } from '../../loop/eval/run.js';
import { EVAL_FORMATS, OPTION_ORDERS, type EvalFormat, type EvalSummary } from '../../loop/eval/types.js';
import { createQueueExecutor } from '../../loop/queue/coordinator.js';
import { QUEUE_DEFAULTS } from '../../loop/queue/config.js';

const int =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new VantageError('bad-option', `${name} must be a whole number, got "${v}"`);
    return n;
  };
const num =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new VantageError('bad-option', `${name} must be a number, got "${v}"`);
    return n;
  };

function oneOf<T extends string>(name: string, allowed: readonly T[]) {
  return (v: string): T => {
    if (!(allowed as readonly string[]).includes(v))
      throw new VantageError('bad-option', `${name} "${v}" is not one of ${allowed.join(', ')}`);
    return v as T;
  };
}

/** What the CLI prints at the end: the official number and the micro average per cell, and where the files are. */
export function evalReport(s: EvalSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const officialPct = (x: number | null | undefined) => (x === null || x === undefined ? '— (see summary.md)' : pct(x));
  const shown = s.dataFiles.length > 1 ? `${s.dataFiles.length} files` : s.data;
  const lines = [
    `${s.format} ${shown}: ${s.items} item(s) × ${s.cells.length} cell(s), options ${s.optionOrder}; ${s.ranNow} run now, ${s.resumed} resumed${s.pending ? `, ${s.pending} NOT RUN YET (rerun to continue)` : ''}` +
      `${s.skipped.length ? `; ${s.skipped.length} record(s) skipped` : ''}`,
    ...(s.limited
      ? [
          `  limited run (${s.limited.items}${s.limited.of !== undefined ? ` of ${s.limited.of}` : ''} items): not the benchmark's metric`,
        ]
      : []),
    ...(s.predictOnly ? [`  predictions only (answers hidden): submission ${s.files.submission}`] : []),
    ...s.cells.map((c) => {
      if (s.predictOnly)
        return `  ${c.label}: ${c.presentations} prediction(s)${c.errors ? `, ${c.errors} error(s)` : ''}`;
      const f = c.byRound[c.byRound.length - 1];
      const r0 = c.byRound[0];
      return (
        `  ${c.label}: official ${c.official.label} ${officialPct(c.official.byRound[c.official.byRound.length - 1])}; micro ${pct(f.accuracy)} [${pct(f.low)}, ${pct(f.high)}] after ${c.byRound.length - 1} round(s)` +
        `${c.byRound.length > 1 ? ` (round 0: ${pct(r0.accuracy)})` : ''}, n=${c.items}${c.errors ? `, ${c.errors} error(s)` : ''}`
      );
    }),
    `report: ${s.files.report}`,
    `summary: ${s.files.markdown}`,
    `plot: ${s.files.svg}${s.files.png ? `, ${s.files.png}` : ''}`,
    `results: ${s.files.results}`,
  ];
  return lines.join('\n');
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'run a benchmark through the loop (ablation grid, resumable): accuracy after every round, by category, with 95% intervals',
    )
    .requiredOption(
      '--data <file...>',
      'benchmark file(s): JSONL, JSON array, parquet or TSV; folders of them; globs ("BLINK/*/val-*.parquet")',
    )
    .requiredOption('--format <fmt>', `${EVAL_FORMATS.join(' | ')}`, oneOf('--format', EVAL_FORMATS))
    .requiredOption(
      '--out <dir>',
      'results directory, e.g. runs/NAME (rerunning the same command into it continues the run)',
    )
    .option(
      '--model <name>',
      'builtin:perceiver, human, human-web (you, in the browser: a local URL is printed), or a served model name; default $VANTAGE_MODEL, else builtin:perceiver',
    )
    .option('--rounds <n>', `most views after round 0 (default ${LOOP_DEFAULTS.maxRounds})`, int('--rounds'))
    .option('--pose-format <fmt>', `orbit | ego | preset | language (default ${LOOP_DEFAULTS.poseFormat})`)
    .option('--render <mode>', `points | gaussians (default ${RENDER_DEFAULTS.mode})`)
    .option('--fusion <policy>', `loglinear | vote | last (default ${LOOP_DEFAULTS.fusion})`)
    .option(
      '--stop <policy>',
      `adaptive | fixed (default ${LOOP_DEFAULTS.stop.policy}; fixed makes accuracy after k rounds exact for every k)`,
    )
    .option(
      '--stable-rounds <k>',
      `adaptive stop: the fused answer held for k rounds (default ${LOOP_DEFAULTS.stop.stableRounds})`,
      int('--stable-rounds'),
    )
    .option(
      '--margin <tau>',
      `adaptive stop: posterior margin ≥ tau (default ${LOOP_DEFAULTS.stop.marginTau})`,
      num('--margin'),
    )
    .option('--holes <how>', `mark | fill | none (default ${RENDER_DEFAULTS.holes})`)
    .option(
      '--image-budget <n>',
      `rendered views per request plus one original (default ${LOOP_DEFAULTS.imageBudget}); an item's own photos are always all sent`,
      int('--image-budget'),
    )
    .option('--size <WxH>', `rendered view size (default ${RENDER_DEFAULTS.width}x${RENDER_DEFAULTS.height})`)
    .option(
      '--grid <spec>',
      'ablation grid, every combination is a cell: "rounds=0,1,2,3 pose=orbit,ego" (keys: rounds, pose, render, fusion, stop, holes, images)',
    )
    .option(
      '--concurrency <c>',
      `items in flight and MLLM requests in flight (default ${MLLM_DEFAULTS.concurrency})`,
      int('--concurrency'),
    )
    .option(
      '--renders <n>',
      `renders in flight at once, on one GPU device (default ${RENDER_PARALLEL}: half the cores, 1..4)`,
      int('--renders'),
    )
    .option(
      '--limit <k>',
      'per file: the first K usable items, or a fraction 0<k<1 of them (a limited run is not the benchmark metric)',
      num('--limit'),
    )
    .option(
      '--options <order>',
      `${OPTION_ORDERS.join(' | ')}: options as the file lists them, shuffled (seeded), or every rotation (circular: an item counts only if all are right); default per benchmark (sat: circular, others: given)`,
      oneOf('--options', OPTION_ORDERS),
    )
    .option('--seed <n>', 'seeds option shuffling and is sent to the endpoint as seed', int('--seed'))
    .option('--predict-only', 'answers hidden (a test split): run every item and write the submission file')
    .option('--max-tokens <n>', 'max_tokens sent to the endpoint', int('--max-tokens'))
    .option(
      '--temperature <t>',
      `temperature sent to the endpoint (default ${MLLM_DEFAULTS.temperature})`,
      num('--temperature'),
    )
    .option('--top-p <p>', 'top_p sent to the endpoint', num('--top-p'))
    .option(
      '--log-samples',
      "write every pair's trace folder under OUT/traces (default: on for runs under 1,000 pairs)",
    )
    .option('--no-log-samples', 'write no trace folders')
    .option(
      '--lift <which>',
      'multi-image items: all (register the photos, first as reference, and lift them together) | first (lift the first photo only)',
      oneOf('--lift', ['all', 'first'] as const),
      'all',
    )
    .option('--register-method <method>', 'how multi-image items are registered: auto | features', 'auto')
    .option(
      '--depth-model <name|path>',
      'estimate depth for items that ship images only (e.g. depth-anything-v2-small); needed for views',
    )
    .option(
      '--frames <n>',
      'frames sampled from each video item (vsibench, walk-through sets), uniformly in time',
      (v: string) => Number.parseInt(v, 10),
      16,
    )
    .option(
      '--image-root <dir>',
      'directory the image paths in the data file are relative to (default: next to the file, then up)',
    )
    .option(
      '--base-url <url>',
      'OpenAI-compatible endpoint (default $OPENAI_BASE_URL, or its alias $OPENAI_API_BASE); the key comes from $OPENAI_API_KEY',
    )
    .option('--timeout <s>', 'seconds per MLLM request attempt', num('--timeout'))
    .option('--cache-dir <dir>', 'cache MLLM responses here: reruns are free and reproducible')
    .option('--logprobs', "option distributions from the answer token's logprobs")
    .option('--renderer <which>', RENDERER_CHOICE_HELP, oneOf('--renderer', RENDERER_CHOICES), 'auto')
    .option(
      '--progress <how>',
      'auto (a bar on a terminal, lines otherwise) | bar | lines | none',
      oneOf('--progress', ['auto', 'bar', 'lines', 'none'] as const),
      'auto',
    )
    .option(
      '--web-port <n>',
      'human-web model: port of the page on 127.0.0.1 (default: any free port)',
      int('--web-port'),
    )
    .option(
      '--queue <redis-url>',
      'run the items on `vantage worker` processes through a job queue in Redis: redis://[:PASSWORD@]HOST:PORT[/DB]; results are written here as in a local run',
    )
    .option('--queue-name <name>', `the queue's name (default ${QUEUE_DEFAULTS.name})`)
    .option('--no-png', 'write the plot as SVG only')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Formats (official metric in brackets; README "Benchmarks" says where to get each):
  native    Vantage question sets (questions.jsonl: images, depth, intrinsics, question, options, answer)
  mindcube  MindCube JSONL: id, images, question with "A. … B. …" inside, gt_answer [overall; by setting]
  sat       SAT as MindJourney's val/test.json: answer_choices, correct_answer, img_paths [accuracy; options rotated]
  mmsi      MMSI-Bench parquet or MMSI_bench.tsv: question with "Options: A: …", answer [overall]
  blink     BLINK records: prompt, choices, answer "(A)", image_1 … image_4 [mean over subtasks]
  cvbench   CV-Bench records: prompt, choices, answer "(A)", source [((ADE20K+COCO)/2+Omni3D)/2]
  vlmeval   VLMEvalKit multiple-choice TSV: index, image (base64), question, A, B, …, answer [overall]
Examples:
  vantage eval --data set/questions.jsonl --format native --model builtin:perceiver --grid "rounds=0,1,2,3" --stop fixed --out runs/demo
  vantage eval --data 'BLINK/*/val-*.parquet' --format blink --model gpt-4o --grid "rounds=0" --out runs/blink
  OPENAI_BASE_URL=http://localhost:8000/v1 vantage eval --data MindCube_tinybench.jsonl --format mindcube \\
      --model Qwen2.5-VL-7B-Instruct --depth-model depth-anything-v2-small --grid "rounds=0,2 pose=orbit,ego" \\
      --concurrency 8 --cache-dir .cache/mllm --out runs/mindcube-qwen
Across machines (a job queue in Redis; --concurrency is then the limit toward the endpoint over all workers):
  redis-server --bind 0.0.0.0 --requirepass SECRET           # one Redis the machines can reach
  vantage worker --queue redis://:SECRET@HOST:6379 --concurrency 4   # on every machine, as many as you like
  vantage eval --data … --format … --model … --out runs/NAME --queue redis://:SECRET@HOST:6379
Ctrl-C stops scheduling new items and writes the summary; rerun the same command to continue.`,
    )
    .action(async (opts) => {
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts === 1) {
          process.stderr.write(
            '\nvantage eval: stopping after the items in flight (Ctrl-C again to quit now; finished items are kept)\n',
          );
          controller.abort();
        } else {
          process.exit(EXIT_CODES.interrupted);
        }
      };
      process.on('SIGINT', onSigint);
      try {
        const o: EvalOptions = {
          data: opts.data,
          format: opts.format as EvalFormat,
          out: opts.out,
          model: opts.model ?? defaultModelName(),
          rounds: opts.rounds,
          poseFormat: opts.poseFormat,
          render: opts.render,
          fusion: opts.fusion,
          stop: opts.stop,
          stableRounds: opts.stableRounds,
          margin: opts.margin,
          holes: opts.holes,
          imageBudget: opts.imageBudget,
          size: opts.size,
          grid: opts.grid,
          concurrency: opts.concurrency,
          renders: opts.renders,
          limit: opts.limit,
          ...(opts.options ? { optionOrder: opts.options } : {}),
          seed: opts.seed,
          predictOnly: opts.predictOnly,
          maxTokens: opts.maxTokens,
          temperature: opts.temperature,
          topP: opts.topP,
          ...(opts.logSamples !== undefined ? { logSamples: opts.logSamples } : {}),
          depthModel: opts.depthModel,
          videoFrames: opts.frames,
          firstImageOnly: opts.lift === 'first',
          registerMethod: opts.registerMethod,
          imageRoot: opts.imageRoot,
          baseUrl: opts.baseUrl,
          timeout: opts.timeout,
          cacheDir: opts.cacheDir,
          logprobs: opts.logprobs,
          renderer: opts.renderer,
          progress: opts.progress,
          png: opts.png,
          ...(opts.webPort !== undefined ? { humanWeb: { port: opts.webPort } } : {}),
          signal: controller.signal,
          ...(opts.queue ? { executor: createQueueExecutor({ queue: opts.queue, queueName: opts.queueName }) } : {}),
        };
        const summary = await runEval(o);
        process.stdout.write(`${opts.json ? JSON.stringify(summary, null, 2) : evalReport(summary)}\n`);
        // pairs left: stopped by Ctrl-C (4), else by a failing endpoint (3); README "Exit codes"
        if (summary.pending)
          process.exitCode = controller.signal.aborted ? EXIT_CODES.interrupted : EXIT_CODES.incomplete;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
