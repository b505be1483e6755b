/**
 * `runEval`: a benchmark through the reasoning loop, once per grid cell, with bounded concurrency,
 * resumable results and a summary.
 *
 *   out/run.json        what must match to continue (data and its checksums, format, model, size,
 *                       depth model, option order, seed, generation settings), and what produced it
 *                       (package version, git commit, every cell's loop settings)
 *   out/results.jsonl   one line per finished (cell, item): the question and options as shown, every
 *                       round's prompt hash, reply, parsed choice, rationale, pose, coverage, posterior
 *   out/traces/…        each pair's trace folder (trace.json, PNGs, index.html), when samples are logged
 *   out/index.html      the run's report (report-html.ts): accuracy by round, categories, items
 *   out/summary.md, summary.csv, cells.csv, accuracy.svg, accuracy.png
 *   out/submission.json (BLINK) / predictions.jsonl   with --predict-only (answers hidden)
 *
 * Concurrency: `concurrency` pairs run at once, and the MLLM client's limiter (shared by every
 * cell's model) allows as many requests in flight; retries and the response cache sit underneath.
 * One renderer on one GPU device serves the whole run, with `renders` renders in flight (a caller's
 * renderer is queued one at a time).
 * Pairs are scheduled item by item, and scenes are cached by their files, so the scene of a picture
 * is lifted once for all its cells and all the questions about it.
 */
import { meanRelativeAccuracy } from '../../core/numeric.js';
import { VIDEO_LIMITS } from '../../core/io/video.js';
import { createHash } from 'node:crypto';
import { makeDir } from '../../core/io/files.js';
import { lockDir } from '../../core/io/lock.js';
import { join, relative, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import type { HoleMode, RenderMode, Renderer } from '../../core/types.js';
import { VantageError, describeError } from '../../core/errors.js';
import { EVAL_DEFAULTS } from './config.js';
import { MLLM_DEFAULTS } from '../../core/config.js';
import { parseRenderSize } from '../../core/render-size.js';
import { createLimiter, type Limiter } from '../../core/mllm/limiter.js';
import type { MllmConfig, ResponseStore } from '../../core/mllm/index.js';
import { createRenderer, type RendererChoice } from '../../synth/renderer.js';
import { RENDER_PARALLEL } from '../../synth/config.js';
import { loopConfigFrom } from '../config.js';
import { createModel } from '../models/create.js';
import type { HumanWebOptions } from '../models/human-web.js';
import { type VisionModel } from '../models/contract.js';
import { runSession } from '../session.js';
import { letters } from '../../core/options.js';
import type { FusionPolicy, LoopConfig, RoundRecord, Trace } from '../types.js';
import type { LoopInput } from '../run.js';
import { checkLimit, loadEvalItems } from './loaders/index.js';
import { letterOfReply } from '../../core/options.js';
import { PROTOCOLS } from './protocol.js';
import { presentations } from './variants.js';
import { fileChecksums, gitCommit } from './run-record.js';
import { packageVersion } from '../../core/package.js';
import { writeEvalReport } from './report-html.js';
import { writeSubmission } from './submission.js';
import { cellsOf, parseGrid } from './grid.js';
import { checkManifest, pairKey, readResults, ResultsWriter } from './results.js';
import { writeFileAtomic } from '../../core/io/files.js';
import { createInputCache, itemsNeedingDepth } from './scenes.js';
import { cellsCsv, summarizeCell, summaryCsv, summaryMarkdown } from './summary.js';
import { accuracyPlotPng, accuracyPlotSvg } from './plot.js';
import { createProgress, type Progress } from './progress.js';
import {
  OPTION_ORDERS,
  type EvalFormat,
  type EvalItem,
  type EvalLine,
  type EvalRoundLine,
  type EvalSummary,
  type GridCell,
  type OptionOrder,
} from './types.js';

export interface EvalOptions {
  /** benchmark file(s): JSONL, JSON array, parquet or TSV; folders of them; globs */
  data: string | string[];
  format: EvalFormat;
  /** how options are shown (default: the benchmark's protocol, see protocol.ts) */
  optionOrder?: OptionOrder;
  /** seeds option shuffling, and is sent to the endpoint as `seed` */
  seed?: number;
  /** answers hidden (a test split): run every item and write the submission file, no accuracy */
  predictOnly?: boolean;
  /** sent to the endpoint with every request */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** builtin:perceiver, human, human-web, or a model served at an OpenAI-compatible endpoint */
  model: string;
  /** results directory (created); rerunning into it continues the run */
  out: string;
  /** view rounds after round 0 (default LOOP_DEFAULTS.maxRounds) */
  rounds?: number;
  poseFormat?: LoopConfig['poseFormat'];
  render?: RenderMode;
  fusion?: FusionPolicy;
  stop?: LoopConfig['stop']['policy'];
  stableRounds?: number;
  margin?: number;
  holes?: HoleMode;
  imageBudget?: number;
  /** rendered view size "WxH" */
  size?: string;
  /** e.g. "rounds=0,1,2,3 pose=orbit,ego" */
  grid?: string;
  /** (cell, item) pairs in flight, and MLLM requests in flight (default MLLM_DEFAULTS.concurrency) */
  concurrency?: number;
  /** per file: the first K usable items, or (0 < limit < 1) that share of them */
  limit?: number;
  /** depth for items that ship images only */
  depthModel?: string;
  /** frames sampled from each video item (VSI-Bench, walk-through sets; default 16) */
  videoFrames?: number;
  /** multi-image items: lift the first image only instead of registering and lifting them all */
  firstImageOnly?: boolean;
  /** how multi-image items are registered (default auto) */
  registerMethod?: string;
  /** directory the image paths in the data file are relative to */
  imageRoot?: string;
  /** MLLM endpoint (else $OPENAI_BASE_URL), per-attempt timeout (s), response cache, logprobs */
  baseUrl?: string;
  timeout?: number;
  cacheDir?: string;
  logprobs?: boolean;
  /** a renderer to use (the caller keeps ownership), or which kind to create */
  renderer?: Renderer | RendererChoice;
  /** further MLLM client settings (retries, back-off, max tokens …); the flags above win */
  mllm?: Partial<MllmConfig>;
  /** renders in flight at once when the renderer is made here (default RENDER_PARALLEL: sized to the cores) */
  renders?: number;
  /** a limiter to share with other work (else one of `concurrency` slots is created) */
  limiter?: Limiter;
  /** stop scheduling new pairs; pairs in flight finish and are written */
  signal?: AbortSignal;
  /** progress on stderr: 'auto' (bar on a terminal, lines otherwise), 'bar', 'lines', or 'none' */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  progressStream?: Writable;
  /** warnings and notes (default: stderr) */
  log?: (line: string) => void;
  /** write accuracy.png beside accuracy.svg (default true) */
  png?: boolean;
  env?: NodeJS.ProcessEnv;
  /** --model human-web: the browser page's server (host, port, where its URL goes) */
  humanWeb?: HumanWebOptions;
  /** called after every finished pair (tests, UIs) */
  onLine?: (line: EvalLine) => void;
  /** run the pairs elsewhere (the job queue's coordinator) instead of in this process */
  executor?: PairExecutor;
  /**
   * write each pair's trace folder (trace.json, PNGs, index.html) under out/traces/ and name it in
   * its results line (default: on for runs under EVAL_DEFAULTS.logSamplesBelow pairs)
   */
  logSamples?: boolean;
}

/** A pair's trace folder, relative to the run's folder: traces/<cell label>/<item id>. */
export function traceFolderOf(cell: GridCell, item: EvalItem): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 120);
  return join('traces', safe(cell.label), safe(item.id));
}

function loopBaseConfig(o: EvalOptions): LoopConfig {
  const size = o.size ? parseRenderSize(o.size) : undefined;
  const defined = (obj: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
  return loopConfigFrom(
    defined({
      model: o.model,
      maxRounds: o.rounds,
      poseFormat: o.poseFormat,
      render: o.render,
      fusion: o.fusion,
      holes: o.holes,
      imageBudget: o.imageBudget,
      width: size?.width,
      height: size?.height,
      stop: defined({ policy: o.stop, stableRounds: o.stableRounds, marginTau: o.margin }),
    }),
  );
}

/** The reply's own words for the choice (JSON "choice", or the reply text). */
function rawChoiceOf(r: RoundRecord): string | undefined {
  const call = [...r.calls].reverse().find((c) => c.role === 'answerer');
  const reply = call?.reply;
  if (!reply) return undefined;
  try {
    const v = JSON.parse(reply) as { choice?: unknown };
    if (v && typeof v === 'object' && v.choice !== undefined) return String(v.choice);
  } catch {
    /* not JSON: the text itself */
  }
  return reply.slice(0, 200);
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The answerer's request hash (the response cache's key), else a hash of the prompt text it recorded. */
function promptHashOf(r: RoundRecord): string | undefined {
  const call = [...r.calls].reverse().find((c) => c.role === 'answerer');
  if (call?.requestHash) return call.requestHash;
  return call?.prompt ? createHash('sha256').update(call.prompt).digest('hex').slice(0, 32) : undefined;
}

/** What a results line says about the item whatever happened: the question as shown, where it came from. */
export function itemFields(item: EvalItem, out?: string): Partial<EvalLine> {
  const shown = (p: string) => {
    if (!out) return p;
    const r = relative(out, p);
    return r.startsWith('..') || r.startsWith(sep) ? p : r.split(sep).join('/');
  };
  return {
    question: item.question.text,
    choices: item.question.options,
    ...(item.base !== undefined ? { base: item.base } : {}),
    ...(item.order ? { order: item.order } : {}),
    ...(item.source ? { source: item.source } : {}),
    images: item.images.map(shown),
  };
}

/** The results line of a finished loop (`out`: the run's folder, image paths inside it are written relative). */
export function lineOfTrace(cell: GridCell, item: EvalItem, trace: Trace, seconds: number, out?: string): EvalLine {
  const truth = item.question.answer;
  const keys = letters(item.question.options.length);
  const numeric = item.question.numeric;
  // numeric questions score the fused estimate by VSI-Bench's Mean Relative Accuracy; "correct" marks a full score
  const scoreOfValue = (v: number | undefined) => meanRelativeAccuracy(v, Number(truth));
  const rounds: EvalRoundLine[] = trace.rounds.map((r) => {
    const raw = rawChoiceOf(r);
    const hash = promptHashOf(r);
    const reply = [...r.calls].reverse().find((c) => c.role === 'answerer')?.reply;
    const own = numeric
      ? r.answer.choice
      : keys.includes(r.answer.choice)
        ? r.answer.choice
        : (letterOfReply(raw ?? r.answer.choice, item.question.options) ?? '');
    const score = numeric ? scoreOfValue(r.fusedValue) : undefined;
    return {
      round: r.round,
      answer: own,
      ...(raw !== undefined && raw !== own ? { raw } : {}),
      parsed: own !== '',
      distSource: r.answer.distSource,
      fused: r.fusedChoice,
      posterior: Object.fromEntries(Object.entries(r.posterior).map(([k, v]) => [k, round4(v)])),
      margin: round4(r.margin),
      correct: numeric ? score === 1 : r.fusedChoice !== '' && r.fusedChoice === truth,
      ...(numeric && r.fusedValue !== undefined ? { value: r.fusedValue } : {}),
      ...(score !== undefined ? { score } : {}),
      ...(r.view ? { view: { caption: r.view.caption, coverage: round4(r.view.coverage), pose: r.view.pose } } : {}),
      ...(r.failed ? { failed: r.failed } : {}),
      ...(hash ? { promptHash: hash } : {}),
      ...(reply !== undefined ? { reply: reply.slice(0, 4000) } : {}),
      ...(r.answer.rationale ? { rationale: r.answer.rationale.slice(0, 2000) } : {}),
    };
  });
  const stopRound = Math.max(0, rounds.length - 1);
  const maxRounds = cell.config.maxRounds;
  const correctAfter = Array.from(
    { length: maxRounds + 1 },
    (_, k) => rounds[Math.min(k, stopRound)]?.correct ?? false,
  );
  const calls = trace.rounds.flatMap((r) => r.calls);
  const failed = trace.rounds.find((r) => r.failed)?.failed;
  const final = rounds[stopRound]?.fused ?? '';
  const scoreAfter = numeric
    ? Array.from({ length: maxRounds + 1 }, (_, k) => rounds[Math.min(k, stopRound)]?.score ?? 0)
    : undefined;
  return {
    v: 1,
    cell: cell.key,
    item: item.id,
    category: item.question.category,
    truth,
    options: keys.length,
    ...itemFields(item, out),
    status: trace.final.stopReason === 'error' ? 'error' : 'ok',
    ...(trace.final.stopReason === 'error' ? { error: failed ?? 'the loop ended in an error' } : {}),
    stopRound,
    stopReason: trace.final.stopReason,
    maxRounds,
    rounds,
    correctAfter,
    final,
    correct: numeric ? scoreAfter![maxRounds] === 1 : final !== '' && final === truth,
    ...(scoreAfter ? { scoreAfter } : {}),
    ...(numeric && trace.final.value !== undefined ? { value: trace.final.value } : {}),
    unparsed: rounds.filter((r) => !r.parsed).length,
    tokens: { prompt: trace.totals.promptTokens, completion: trace.totals.completionTokens },
    calls: calls.length,
    cachedCalls: calls.filter((c) => c.cached).length,
    views: trace.rounds.filter((r) => r.view).length,
    seconds: round4(seconds),
    model: trace.modelLabel,
    at: new Date().toISOString(),
  };
}

/** The line of a pair that failed before the loop could run (unreadable image, depth). */
export function errorLine(
  cell: GridCell,
  item: EvalItem,
  error: unknown,
  seconds: number,
  model: string,
  out?: string,
): EvalLine {
  const maxRounds = cell.config.maxRounds;
  return {
    v: 1,
    cell: cell.key,
    item: item.id,
    category: item.question.category,
    truth: item.question.answer,
    options: item.question.options.length,
    ...itemFields(item, out),
    status: 'error',
    error: describeError(error).split('\n')[0],
    stopRound: 0,
    stopReason: 'not-run',
    maxRounds,
    rounds: [],
    correctAfter: new Array<boolean>(maxRounds + 1).fill(false),
    final: '',
    correct: false,
    unparsed: 0,
    tokens: { prompt: 0, completion: 0 },
    calls: 0,
    cachedCalls: 0,
    views: 0,
    seconds: round4(seconds),
    model,
    at: new Date().toISOString(),
  };
}

/** What one (cell, item) pair needs besides its input: shared by every pair of a run. */
export interface PairContext {
  model: VisionModel;
  renderer: Renderer;
  /** the run's folder (a queue worker has none: it writes no trace, and the coordinator fills in the paths) */
  out?: string;
  /** write the pair's trace folder under out/traces/ (with a link back to out/index.html) */
  logSamples: boolean;
}

/**
 * One (cell, item) pair through the question session: its results line, and why its trace could not
 * be written (the line stands). Never rejects for a failed loop: that is an error line.
 */
export async function evalPair(
  cell: GridCell,
  item: EvalItem,
  input: LoopInput,
  ctx: PairContext,
  startedAt = performance.now(),
): Promise<{ line: EvalLine; traceError?: string }> {
  const folder = traceFolderOf(cell, item);
  const traceDir = ctx.logSamples && ctx.out ? join(ctx.out, folder) : undefined;
  const depth = folder.split(/[/\\]/).length;
  const r = await runSession(input, {
    model: ctx.model,
    renderer: ctx.renderer,
    config: cell.config,
    traceDir,
    traceBackLink: {
      href: `${'../'.repeat(depth)}index.html#item-${encodeURIComponent(item.id)}`,
      label: 'eval report',
    },
  });
  const line = lineOfTrace(cell, item, r.trace, (performance.now() - startedAt) / 1000, ctx.out);
  if (r.traceDir) line.trace = folder.split(sep).join('/');
  return { line, ...(r.traceError ? { traceError: r.traceError } : {}) };
}

/** A (grid cell, item) pair of a run. */
export interface EvalPair {
  cell: GridCell;
  item: EvalItem;
}

/**
 * Runs a run's pairs somewhere else (loop/queue: workers on other machines) and hands each finished
 * pair's line to `record`, which writes it like a local run's; resolves once every pair is recorded,
 * the signal is aborted or `stopped()` says the run is failing.
 */
export interface PairExecutor {
  run(
    pairs: EvalPair[],
    ctx: {
      options: EvalOptions;
      /** no cell renders a view (round 0 only) */
      roundZeroOnly: boolean;
      record: (line: EvalLine) => Promise<void>;
      note: (line: string) => void;
      stopped: () => boolean;
    },
  ): Promise<void>;
}

/** What a pair runner needs besides the pairs: the model and its client settings, depth, the renderer. */
export interface PairRunnerOptions {
  model: string;
  /** the human-web model's page settings (port, how the page is announced) */
  humanWeb?: HumanWebOptions;
  baseUrl?: string;
  timeout?: number;
  cacheDir?: string;
  logprobs?: boolean;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  mllm?: Partial<MllmConfig>;
  env?: NodeJS.ProcessEnv;
  /** shared by every model the runner makes; `concurrency` is their client setting */
  limiter: Limiter;
  concurrency: number;
  /** keep MLLM responses here instead of the file cache */
  responseStore?: ResponseStore;
  depthModel?: string;
  roundZeroOnly: boolean;
  /** frames sampled from each video item, and where they are written */
  videoFrames?: number;
  frameDir?: string;
  /** lift only the first image of multi-image items (the comparison for registration) */
  firstImageOnly?: boolean;
  /** how multi-image items are registered */
  registerMethod?: string;
  /** the model's own image limit (the cells' image budget limits rendered views only) */
  modelImageLimit?: number;
  /** what renders the views, safe to share between pairs (undefined when no cell renders) */
  renderer?: Renderer;
  /** the run's folder (none on a queue worker) */
  out?: string;
  logSamples: boolean;
  note: (line: string) => void;
}

export interface PairRunner {
  /** The results line of one pair; never rejects (a failure is an error line). `onInput`: its input is built. */
  run(pair: EvalPair, onInput?: () => void): Promise<EvalLine>;
  /** Start building an item's input ahead of its turn (a failure is met again by its own run). */
  prefetch(item: EvalItem): void;
  /** Throws on a model that cannot be made (a bad endpoint configuration), before any work. */
  check(cell: GridCell): void;
  close(): void;
}

/**
 * `evalPair` with what every pair of a run shares: the items' loop inputs (lifted once per distinct
 * picture), one model per image budget, the renderer. Local runs and the job queue's workers both
 * run pairs through it.
 */
export function createPairRunner(o: PairRunnerOptions): PairRunner {
  const inputOf = createInputCache({
    depthModel: o.depthModel,
    roundZeroOnly: o.roundZeroOnly,
    ...(o.videoFrames !== undefined ? { videoFrames: o.videoFrames } : {}),
    ...(o.frameDir ? { frameDir: o.frameDir } : {}),
    ...(o.firstImageOnly ? { firstImageOnly: true } : {}),
    ...(o.registerMethod ? { registerMethod: o.registerMethod } : {}),
  });
  // the model's own limit; the cell's image budget limits rendered views (loop/run.ts), never photos
  const modelImageLimit = o.modelImageLimit ?? o.mllm?.maxImages ?? EVAL_DEFAULTS.modelImageLimit;
  // One model per image budget (the only client setting a cell changes), all sharing one limiter.
  const models = new Map<number, VisionModel>();
  const modelFor = (cell: GridCell): VisionModel => {
    const budget = cell.config.imageBudget;
    let m = models.get(budget);
    if (!m) {
      m = createModel(o.model, {
        mllm: {
          ...o.mllm,
          ...(o.baseUrl ? { baseURL: o.baseUrl } : {}),
          ...(o.timeout ? { timeoutMs: o.timeout * 1000 } : {}),
          ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
          ...(o.logprobs ? { logprobs: true } : {}),
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.topP !== undefined ? { topP: o.topP } : {}),
          ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          maxImages: modelImageLimit,
          concurrency: o.concurrency,
        },
        limiter: o.limiter,
        responseStore: o.responseStore,
        env: o.env,
        // prompts go into the trace folders when samples are logged; results lines keep their hash
        recordPrompts: o.logSamples,
        human: { output: process.stderr },
        ...(o.humanWeb ? { humanWeb: o.humanWeb } : {}),
      });
      models.set(budget, m);
    }
    return m;
  };
  return {
    async run({ item, cell }, onInput) {
      const ts = performance.now();
      try {
        const input = await inputOf(item);
        onInput?.();
        const r = await evalPair(
          cell,
          item,
          input,
          { model: modelFor(cell), renderer: o.renderer ?? noRenderer(), out: o.out, logSamples: o.logSamples },
          ts,
        );
        const line = r.line;
        const largest = input.originals.length + Math.min(line.views, Math.max(1, cell.config.imageBudget - 1));
        if (largest > modelImageLimit) line.imagesCut = largest - modelImageLimit;
        const reg = input.inputInfo.registration;
        if (reg) line.lifted = reg.photos.filter((p) => p.registered).length;
        if (r.traceError) o.note(`eval: ${item.id}: trace not written (${r.traceError})`);
        return line;
      } catch (e) {
        // recorded and the run goes on; a setup that fails every item stops the run (fail fast)
        if (!(e instanceof VantageError) && process.env.VANTAGE_DEBUG && e instanceof Error)
          o.note(e.stack ?? e.message);
        return errorLine(cell, item, e, (performance.now() - ts) / 1000, o.model, o.out);
      }
    },
    prefetch(item) {
      inputOf(item).catch(() => {});
    },
    check(cell) {
      modelFor(cell);
    },
    close() {
      for (const m of models.values()) m.close?.();
    },
  };
}

/** A renderer whose renders run one at a time (one GPU device for the whole run). */
function queuedRenderer(r: Renderer): Renderer {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    get kind() {
      return r.kind;
    },
    render(scene, camera, options) {
      const p = chain.then(() => r.render(scene, camera, options));
      chain = p.catch(() => {});
      return p;
    },
    dispose() {
      r.dispose();
    },
  };
}

/**
 * Run (or continue) an evaluation; resolves with the summary once every pair is done or the run is aborted.
 * The output folder is held for the run: a second eval into it is refused, naming the PID that holds it.
 */
export async function runEval(o: EvalOptions): Promise<EvalSummary> {
  const lock = await lockDir(resolve(o.out), 'eval output');
  try {
    return await runEvalHeld(o);
  } finally {
    await lock.release();
  }
}

async function runEvalHeld(o: EvalOptions): Promise<EvalSummary> {
  const t0 = performance.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!o.model?.trim())
    throw new VantageError(
      'bad-option',
      'no model named',
      'pass --model builtin:perceiver, human, or a served model name',
    );
  const concurrency = o.concurrency ?? MLLM_DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new VantageError('bad-option', `--concurrency must be a whole number 1..256, got ${o.concurrency}`);
  }
  if (o.optionOrder !== undefined && !(OPTION_ORDERS as readonly string[]).includes(o.optionOrder))
    throw new VantageError('bad-option', `--options "${o.optionOrder}" is not one of ${OPTION_ORDERS.join(', ')}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new VantageError('bad-option', `--seed must be a whole number, got ${o.seed}`);
  checkLimit(o.limit);
  if (
    o.videoFrames !== undefined &&
    !(Number.isInteger(o.videoFrames) && o.videoFrames >= 1 && o.videoFrames <= VIDEO_LIMITS.maxFrames)
  )
    throw new VantageError(
      'bad-option',
      `--frames ${o.videoFrames} must be a whole number from 1 to ${VIDEO_LIMITS.maxFrames}`,
      'video benchmarks sample 8–32 frames',
    );
  const predictOnly = !!o.predictOnly;
  // answers hidden: the file's order (a submission names the file's letters)
  const optionOrder: OptionOrder = predictOnly
    ? 'given'
    : (o.optionOrder ?? PROTOCOLS[o.format]?.defaultOrder ?? 'given');
  if (predictOnly && o.optionOrder && o.optionOrder !== 'given')
    log(`eval: --predict-only shows the options as the file lists them (--options ${o.optionOrder} ignored)`);
  const base = loopBaseConfig(o);
  const cells = cellsOf(base, parseGrid(o.grid));
  const out = resolve(o.out);
  await makeDir(out, 'eval output');
  const files = {
    results: join(out, 'results.jsonl'),
    markdown: join(out, 'summary.md'),
    csv: join(out, 'summary.csv'),
    cellsCsv: join(out, 'cells.csv'),
    svg: join(out, 'accuracy.svg'),
    ...(o.png === false ? {} : { png: join(out, 'accuracy.png') }),
    report: join(out, 'index.html'),
    manifest: join(out, 'run.json'),
  };

  const loaded = await loadEvalItems({
    format: o.format,
    data: o.data,
    limit: o.limit,
    imageRoot: o.imageRoot,
    imageCacheDir: join(out, 'images'),
  });
  const shownData = loaded.files.length === 1 ? loaded.files[0] : `${loaded.files.length} files`;
  for (const s of loaded.skipped.slice(0, 5))
    log(`eval: skipped record ${s.index}${s.file ? ` of ${s.file}` : ''}${s.id ? ` (${s.id})` : ''}: ${s.reason}`);
  if (loaded.skipped.length > 5) log(`eval: … ${loaded.skipped.length - 5} more record(s) skipped (see summary.md)`);
  const hidden = loaded.items.filter((i) => i.hidden);
  if (hidden.length && !predictOnly) {
    throw new VantageError(
      'bad-input',
      `${hidden.length} of ${loaded.items.length} item(s) in ${shownData} hide their answers (e.g. ${hidden[0].id}): this split cannot be scored here`,
      'pass --predict-only to run it and write the submission file, or evaluate the split with answers (e.g. val)',
    );
  }
  const records = loaded.items;
  const items = presentations(records, optionOrder, seed);
  const maxRounds = Math.max(...cells.map((c) => c.config.maxRounds));
  const noDepth = itemsNeedingDepth(records);
  if (noDepth.length && !o.depthModel && maxRounds > 0) {
    throw new VantageError(
      'bad-input',
      `${noDepth.length} of ${records.length} item(s) have images but no depth map (e.g. ${noDepth[0].id}), and new views need depth`,
      'pass --depth-model depth-anything-v2-small (or a .onnx path) to estimate it, or --grid "rounds=0" for the no-view baseline',
    );
  }

  const generation = {
    ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
    ...(o.topP !== undefined ? { topP: o.topP } : {}),
    ...(o.maxTokens !== undefined ? { maxTokens: o.maxTokens } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.logprobs ? { logprobs: true } : {}),
  };
  const checksums = await fileChecksums(loaded.files);
  await checkManifest(
    files.manifest,
    {
      data: loaded.files,
      format: o.format,
      model: o.model,
      size: `${base.width}x${base.height}`,
      depthModel: o.depthModel ?? null,
      optionOrder,
      seed,
      predictOnly,
      generation,
      sha256: checksums.map((c) => c.sha256),
    },
    {
      cells: cells.map((c) => c.key),
      vantage: packageVersion(),
      commit: gitCommit(),
      files: checksums,
      cellConfigs: Object.fromEntries(cells.map((c) => [c.key, c.config])),
      ...(o.mllm ? { mllm: Object.fromEntries(Object.entries(o.mllm).filter(([k]) => k !== 'apiKey')) } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
    },
  );
  const previous = await readResults(files.results);
  if (previous.torn || previous.corrupt || previous.duplicates) {
    log(
      `eval: repaired results.jsonl (${[
        previous.torn ? 'a torn last line' : '',
        previous.corrupt ? `${previous.corrupt} unreadable line(s)` : '',
        previous.duplicates ? `${previous.duplicates} duplicate(s)` : '',
      ]
        .filter(Boolean)
        .join(', ')} dropped)`,
    );
  }
  if (previous.errors) log(`eval: ${previous.errors} pair(s) that ended in an error will run again`);
  const done = new Map(previous.lines.map((l) => [pairKey(l.cell, l.item), l]));
  const itemIds = new Set(items.map((i) => i.id));
  const cellKeys = new Set(cells.map((c) => c.key));
  const pairs = items
    .flatMap((item) => cells.map((cell) => ({ item, cell })))
    .filter((p) => !done.has(pairKey(p.cell.key, p.item.id)));
  const resumed = previous.lines.filter((l) => itemIds.has(l.item) && cellKeys.has(l.cell)).length;
  const logSamples = o.logSamples ?? items.length * cells.length < EVAL_DEFAULTS.logSamplesBelow;

  const isHuman = o.model.trim() === 'human' || o.model.trim() === 'human-web';
  const workers = isHuman ? 1 : concurrency;
  if (isHuman && concurrency > 1 && !o.executor)
    log('eval: the human model answers one question at a time: concurrency 1');
  const roundZeroOnly = maxRounds === 0;

  let renderer: Renderer | undefined;
  let queued: Renderer | undefined;
  let ownRenderer = false;
  let runner: PairRunner | undefined;
  const progressMode = o.progress ?? 'auto';
  const progress: Progress | undefined =
    progressMode === 'none'
      ? undefined
      : createProgress({
          total: pairs.length,
          resumed,
          stream: o.progressStream,
          ...(progressMode === 'bar' ? { tty: true } : progressMode === 'lines' ? { tty: false } : {}),
        });
  const note = (line: string) => (progress ? progress.note(line) : log(line));
  const needsRenderer = !o.executor && pairs.some((p) => p.cell.config.maxRounds > 0);
  let writer: ResultsWriter | undefined;
  let ranNow = 0;
  let failStop: VantageError | undefined;
  try {
    writer = await ResultsWriter.open(files.results);
    let successes = 0;
    let errorsInARow = 0;
    let firstError: string | undefined;

    const record = async (line: EvalLine) => {
      await writer!.append(line);
      ranNow++;
      if (line.status === 'error') {
        errorsInARow++;
        firstError ??= line.error;
        if (errorsInARow <= 3)
          note(`eval: ${line.item} [${cells.find((c) => c.key === line.cell)?.label ?? line.cell}]: ${line.error}`);
        if (successes === 0 && errorsInARow >= EVAL_DEFAULTS.failFastAfter && !failStop) {
          failStop = new VantageError(
            'eval-failing',
            `the first ${errorsInARow} item(s) all failed; the first error: ${firstError}`,
            'check the model endpoint, the data paths and --depth-model; finished items are kept, rerun to continue',
          );
        }
      } else {
        successes++;
        errorsInARow = 0;
      }
      o.onLine?.(line);
      progress?.tick({ correct: line.correct, error: line.status === 'error' });
    };

    if (o.executor) {
      if (pairs.length)
        await o.executor.run(pairs, { options: o, roundZeroOnly, record, note, stopped: () => !!failStop });
    } else {
      const pairRunner = createPairRunner({
        model: o.model,
        ...(o.humanWeb ? { humanWeb: o.humanWeb } : {}),
        baseUrl: o.baseUrl,
        timeout: o.timeout,
        cacheDir: o.cacheDir,
        logprobs: o.logprobs,
        temperature: o.temperature,
        topP: o.topP,
        maxTokens: o.maxTokens,
        seed: o.seed,
        mllm: o.mllm,
        env: o.env,
        limiter: o.limiter ?? createLimiter(workers),
        concurrency: workers,
        depthModel: o.depthModel,
        roundZeroOnly,
        videoFrames: o.videoFrames,
        frameDir: join(out, 'frames'),
        ...(o.firstImageOnly ? { firstImageOnly: true } : {}),
        ...(o.registerMethod ? { registerMethod: o.registerMethod } : {}),
        out,
        logSamples,
        note,
        // created below, after check(): a bad endpoint fails before the GPU is set up; a renderer made
        // here takes `renders` at once, a caller's is kept to one at a time
        get renderer() {
          return renderer && !ownRenderer ? (queued ??= queuedRenderer(renderer)) : renderer;
        },
      });
      runner = pairRunner;
      // fail on a bad endpoint configuration before any work
      if (pairs.length) pairRunner.check(cells[0]);
      if (needsRenderer) {
        if (o.renderer && typeof o.renderer === 'object') renderer = o.renderer;
        else {
          renderer = await createRenderer({ prefer: o.renderer, warn: note, parallel: o.renders ?? RENDER_PARALLEL });
          ownRenderer = true;
        }
      }
      let next = 0;
      const worker = async () => {
        while (next < pairs.length && !o.signal?.aborted && !failStop) {
          const i = next++;
          // Once this pair has its input, build the input of the pair one round of workers ahead while
          // this one waits on the model: lifting is CPU work that would otherwise sit on that pair's
          // critical path. A failure is not kept, so the pair itself meets it again and records it.
          await record(
            await pairRunner.run(pairs[i], () => {
              const ahead = pairs[i + workers];
              if (ahead && !o.signal?.aborted) pairRunner.prefetch(ahead.item);
            }),
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, Math.max(1, pairs.length)) }, worker));
    }
  } finally {
    progress?.done();
    await writer?.close();
    if (ownRenderer) renderer?.dispose();
    runner?.close();
  }
  if (failStop) throw failStop;

  // The summary covers this run's cells and items, from the file (finished pairs of earlier runs included).
  const all = (await readResults(files.results, { keepErrors: true })).lines.filter(
    (l) => itemIds.has(l.item) && cellKeys.has(l.cell),
  );
  const summaries = cells.map((c) =>
    summarizeCell(
      c,
      all.filter((l) => l.cell === c.key),
      o.format,
    ),
  );
  const pending = items.length * cells.length - all.length;
  const limited = loaded.limited
    ? { items: records.length, ...(loaded.available !== undefined ? { of: loaded.available } : {}) }
    : undefined;
  const ctx = {
    data: shownData,
    format: o.format,
    model: o.model,
    items: records.length,
    skipped: loaded.skipped.length,
    pending,
    optionOrder,
    seed,
    ...(limited ? { limited } : {}),
    ...(predictOnly ? { predictOnly } : {}),
  };
  let md = summaryMarkdown(summaries, ctx);
  if (loaded.skipped.length) {
    md +=
      `\n## Skipped records\n\n${loaded.skipped
        .slice(0, 50)
        .map((s) => `- record ${s.index}${s.file ? ` of ${s.file}` : ''}${s.id ? ` (${s.id})` : ''}: ${s.reason}`)
        .join('\n')}` + `${loaded.skipped.length > 50 ? `\n- … and ${loaded.skipped.length - 50} more` : ''}\n`;
  }
  await writeFileAtomic(files.markdown, md);
  await writeFileAtomic(files.csv, summaryCsv(summaries));
  await writeFileAtomic(files.cellsCsv, cellsCsv(summaries));
  const svg = accuracyPlotSvg(summaries, { title: `${o.format}: accuracy after k rounds (${o.model})` });
  await writeFileAtomic(files.svg, svg);
  if (files.png) await writeFileAtomic(files.png, await accuracyPlotPng(svg));
  const submission = predictOnly ? await writeSubmission(out, o.format, records, cells, all) : undefined;
  const summary: EvalSummary = {
    data: loaded.files[0],
    dataFiles: loaded.files,
    format: o.format,
    optionOrder,
    seed,
    ...(limited ? { limited } : {}),
    ...(predictOnly ? { predictOnly } : {}),
    model: o.model,
    out,
    items: records.length,
    skipped: loaded.skipped,
    cells: summaries,
    ranNow,
    resumed,
    pending,
    files: { ...files, ...(submission ? { submission } : {}) },
    seconds: (performance.now() - t0) / 1000,
  };
  await writeEvalReport(files.report, summary, all);
  return summary;
}

/** For runs whose cells render nothing (0 rounds): rendering would be a bug. */
function noRenderer(): Renderer {
  return {
    kind: 'reference',
    render: () => Promise.reject(new VantageError('eval-bug', 'no renderer was created for a 0-round run')),
    dispose: () => {},
  };
}
