/**
 * `vantage ask`: answer a spatial question about an image by letting a model move the camera.
 * Lifts the image (with a depth map or a depth model) to 3D, runs the reasoning loop, writes the
 * trace (trace.json, PNGs, index.html) and prints the answer, its probability and the trace path.
 */
import { makeDir, readJsonFile } from '../../core/io/files.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Question, Renderer } from '../../core/types.js';
import { EXIT_CODES, VantageError } from '../../core/errors.js';
import { MLLM_DEFAULTS } from '../../core/config.js';
import { abortReason } from '../../core/mllm/client.js';
import { optionTexts } from '../../core/options.js';
import { numericSpecFor } from '../../core/numeric.js';
import { RENDER_DEFAULTS } from '../../synth/config.js';
import { parseRenderSize } from '../../core/render-size.js';
import {
  RENDERER_CHOICE_HELP,
  createRenderer,
  parseRendererChoice,
  type RendererChoice,
} from '../../synth/renderer.js';
import { LOOP_DEFAULTS, loopConfigFrom, type LoopConfigInput } from '../../loop/config.js';
import { createModel } from '../../loop/models/create.js';
import type { VisionModel } from '../../loop/models/contract.js';
import { describeStopReason } from '../../loop/stop.js';
import { loopInputOf, runSession, type SessionResult } from '../../loop/session.js';
import { addSceneOptions, loadScene, sceneSourceFromCli, type SceneSource } from '../scene-source.js';
import { modelNameFor } from '../model-name.js';

export type AskOptions = SceneSource & AskSettings;

export interface AskSettings {
  question: string;
  options?: string[];
  /** the unit of a numeric answer ("m", "cm", "m²", "count"…); inferred from the question when it has no options */
  unit?: string;
  model?: string;
  rounds?: number;
  out?: string;
  json?: boolean;
  /** a JSON file with loop settings (LoopConfig keys); flags override it */
  config?: string;
  poseFormat?: string;
  fusion?: string;
  stop?: string;
  stableRounds?: number;
  margin?: number;
  tokenBudget?: number;
  secondsBudget?: number;
  size?: string;
  render?: string;
  holes?: string;
  imageBudget?: number;
  renderer?: RendererChoice;
  /** MLLM endpoint settings (else OPENAI_BASE_URL / OPENAI_API_KEY) */
  baseUrl?: string;
  /** seconds per HTTP attempt */
  timeout?: number;
  /** retries after a failed attempt (429, 5xx, timeouts, dropped connections) */
  retries?: number;
  /** seconds for the whole question, retries included (default MLLM_DEFAULTS.questionDeadlineMs) */
  deadline?: number;
  /** stops the question (Ctrl-C); the deadline is added to it */
  signal?: AbortSignal;
  cacheDir?: string;
  logprobs?: boolean;
  /** human model: open each view with the desktop viewer */
  open?: boolean;
  /** human-web model: the page's port (default any free one) */
  webPort?: number;
}

/** What `ask` returns: the session's result (the trace directory is always asked for). */
export type AskResult = SessionResult & {
  /** why the question was stopped before its end (Ctrl-C, the deadline), when it was */
  interrupted?: string;
};

/** The loop settings from a config file and flags (flags win), checked; the model stays unset when none was named. */
async function askLoopSettings(o: AskSettings): Promise<LoopConfigInput> {
  let base: LoopConfigInput = {};
  if (o.config) {
    base = (await readJsonFile(o.config, { what: '--config file', code: 'bad-config' })) as LoopConfigInput;
  }
  const size = o.size ? parseRenderSize(o.size) : undefined;
  const num = (v: unknown, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new VantageError('bad-option', `${name} must be a number, got "${String(v)}"`);
    return n;
  };
  const stop = {
    ...(base.stop ?? {}),
    ...(o.stop !== undefined ? { policy: o.stop } : {}),
    ...(o.stableRounds !== undefined ? { stableRounds: num(o.stableRounds, '--stable-rounds') } : {}),
    ...(o.margin !== undefined ? { marginTau: num(o.margin, '--margin') } : {}),
    ...(o.tokenBudget !== undefined ? { tokenBudget: num(o.tokenBudget, '--token-budget') } : {}),
    ...(o.secondsBudget !== undefined ? { secondsBudget: num(o.secondsBudget, '--seconds-budget') } : {}),
  };
  const flags: Record<string, unknown> = {
    model: o.model ?? base.model,
    maxRounds: num(o.rounds, '--rounds'),
    poseFormat: o.poseFormat,
    fusion: o.fusion,
    render: o.render,
    holes: o.holes,
    width: size?.width,
    height: size?.height,
    imageBudget: num(o.imageBudget, '--image-budget'),
  };
  const merged = {
    ...base,
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
    stop,
  } as LoopConfigInput;
  loopConfigFrom(merged); // a bad setting fails here, before any scene is loaded
  return merged;
}

/** Run `ask`: returns the result; prints nothing (see registerAskCommand for the printing). */
export async function runAsk(o: AskOptions, log: (line: string) => void = () => {}): Promise<AskResult> {
  if (!o.question?.trim())
    throw new VantageError('bad-option', 'no question given', 'pass --question "Is the mug left of the vase?"');
  const settings = await askLoopSettings(o);
  const text = o.question.trim();
  const options = optionTexts(o.options);
  const numeric = numericSpecFor(text, options, o.unit);
  const question: Question = { text, options, ...(numeric ? { numeric } : {}) };
  if (question.options.length === 1) {
    throw new VantageError(
      'bad-option',
      'a multiple-choice question needs at least two --options',
      'give two or more, or none for a free-form answer',
    );
  }
  const timeoutS = positiveSeconds(o.timeout, '--timeout');
  const deadlineS = positiveSeconds(o.deadline, '--deadline') ?? MLLM_DEFAULTS.questionDeadlineMs / 1000;
  const retries = o.retries !== undefined ? retriesOf(o.retries) : undefined;
  if (o.out) await makeDir(o.out, 'trace directory'); // an unusable --out fails now, not after a paid run
  const loaded = await loadScene({ ...o, log });
  if (!loaded.originals.length) {
    throw new VantageError(
      'bad-input',
      'the scene has no original image to show the model',
      'ask needs a photo: use --image (with --depth or --depth-model) or --fixture',
    );
  }
  const config = loopConfigFrom({ ...settings, model: modelNameFor(settings.model, loaded) });
  // the deadline starts with the first model call, not with the scene loading before it
  const deadline = AbortSignal.timeout(deadlineS * 1000);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  loaded.info.notes.push(`deadline: ${deadlineS} s for the whole question (retries included)`);
  const model: VisionModel = createModel(config.model, {
    mllm: {
      ...(o.baseUrl ? { baseURL: o.baseUrl } : {}),
      ...(timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {}),
      ...(retries !== undefined ? { maxRetries: retries } : {}),
      signal,
      ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
      ...(o.logprobs ? { logprobs: true } : {}),
      maxImages: config.imageBudget,
    },
    human: { open: o.open, viewDir: o.out ? join(o.out, 'human-views') : undefined, output: process.stderr },
    humanWeb: { ...(o.webPort !== undefined ? { port: o.webPort } : {}) },
  });
  let renderer: Renderer | undefined;
  try {
    const input = await loopInputOf(question, loaded);
    renderer = await createRenderer({ prefer: parseRendererChoice(o.renderer), warn: log });
    log(`asking ${model.label}, up to ${config.maxRounds} view(s), renderer ${renderer.kind}…`);
    const r: AskResult = await runSession(input, {
      model,
      renderer,
      config,
      traceDir: o.out ?? join('vantage-out', `ask-${new Date().toISOString().replace(/[:.]/g, '-')}`),
      hooks: { log },
    });
    if (signal.aborted) r.interrupted = abortReason(signal);
    return r;
  } finally {
    renderer?.dispose();
    model.close?.();
  }
}

/** A positive number of seconds from a flag, or a clear error ("--timeout 0" and "abc" are not silently the default). */
function positiveSeconds(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new VantageError(
      'bad-option',
      `${flag} must be a positive number of seconds, got "${String(v)}"`,
      `e.g. ${flag} 60`,
    );
  return n;
}

function retriesOf(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new VantageError(
      'bad-option',
      `--retries must be a whole number ≥ 0, got "${String(v)}"`,
      'e.g. --retries 2',
    );
  return n;
}

/** How the model calls of a result were answered: from the server, or replayed from the cache. */
export function cacheCount(r: AskResult): { calls: number; cached: number } {
  const calls = r.trace.rounds.flatMap((x) => x.calls);
  return { calls: calls.length, cached: calls.filter((c) => c.cached).length };
}

/**
 * The exit code of a finished question (README "Exit codes"): 0 answered, 4 stopped by Ctrl-C or
 * the deadline, 3 no answer because the model or its endpoint failed or gave nothing usable.
 */
export function askExitCode(r: AskResult): number {
  if (r.choice) return EXIT_CODES.ok;
  if (r.interrupted) return EXIT_CODES.interrupted;
  return EXIT_CODES.modelFailed;
}

/** The answer as the CLI prints it. */
export function askSummary(r: AskResult): string {
  const numeric = r.trace.question.numeric;
  const answer =
    numeric && r.value !== undefined
      ? `${Number(r.value.toPrecision(4))}${numeric.unit ? ` ${numeric.unit}` : ''}`
      : r.choice
        ? `${r.choice}${r.option ? `) ${r.option}` : ''}`
        : '(no answer)';
  const failed = r.trace.rounds.find((x) => x.failed)?.failed;
  const estimates = r.trace.rounds.map((x) => x.answer.value).filter((v) => v !== undefined);
  const { calls, cached } = cacheCount(r);
  return [
    `answer: ${answer}`,
    numeric
      ? `estimates: ${estimates.join(', ') || 'none'} (fused by a weighted median)`
      : `probability: ${r.probability.toFixed(3)}`,
    `model: ${r.model}`,
    `rounds: ${r.rounds} (stopped: ${describeStopReason(r.stopReason, r.trace.config.stop)})`,
    `model calls: ${calls}${cached ? ` (${cached} answered from the cache)` : ''}`,
    ...(failed ? [`error: ${failed}`] : []),
    r.traceError ? `trace: not written (${r.traceError})` : `trace: ${r.indexHtml}`,
  ].join('\n');
}

/** The answer as --json prints it (no trace body: it is in trace.json). */
export function askJson(r: AskResult): object {
  return {
    choice: r.choice,
    option: r.option ?? null,
    probability: r.probability,
    value: r.value ?? null,
    unit: r.trace.question.numeric?.unit ?? null,
    posterior: r.trace.final.posterior,
    stopReason: r.stopReason,
    rounds: r.rounds,
    model: r.model,
    error: r.trace.rounds.find((x) => x.failed)?.failed ?? null,
    interrupted: r.interrupted ?? null,
    trace: r.traceError ? { error: r.traceError } : { dir: r.traceDir, json: r.traceJson, html: r.indexHtml },
    calls: cacheCount(r),
    tokens: { prompt: r.trace.totals.promptTokens, completion: r.trace.totals.completionTokens },
  };
}

const int = (v: string) => Number.parseInt(v, 10);

export function registerAskCommand(program: Command): void {
  const cmd = program
    .command('ask')
    .description(
      'answer a spatial question about an image: the model moves a virtual camera, looks again, and the answers are fused',
    );
  addSceneOptions(cmd)
    .requiredOption('--question <text>', 'the question, e.g. "Is the mug left of the vase, seen from the door?"')
    .option(
      '--options <text...>',
      'answer options, e.g. "A) left" "B) right" (letters optional); none = free-form answer, or a number when the question asks for one',
    )
    .option(
      '--unit <unit>',
      'a numeric answer in this unit: count, m, cm, mm, ft, in, m² (default: read off the question, e.g. "(in metres)", "how many")',
    )
    .option(
      '--model <name>',
      'builtin:perceiver (no endpoint), human (you, at this terminal), human-web (you, in the browser), or a served model name; default $VANTAGE_MODEL, else builtin:perceiver',
    )
    .option('--rounds <n>', `most views to render after round 0 (default ${LOOP_DEFAULTS.maxRounds})`, int)
    .option(
      '--pose-format <fmt>',
      `orbit | ego | preset | language (default ${LOOP_DEFAULTS.poseFormat}; language is an ablation)`,
    )
    .option('--fusion <policy>', `loglinear | vote | last (default ${LOOP_DEFAULTS.fusion})`)
    .option(
      '--stop <policy>',
      `adaptive (stable answer, model's stop, budgets) | fixed (always --rounds) (default ${LOOP_DEFAULTS.stop.policy})`,
    )
    .option(
      '--stable-rounds <k>',
      `adaptive stop: the fused answer held for k rounds (default ${LOOP_DEFAULTS.stop.stableRounds})`,
      Number,
    )
    .option(
      '--margin <tau>',
      `adaptive stop: … with posterior margin p1 − p2 ≥ tau (default ${LOOP_DEFAULTS.stop.marginTau})`,
      Number,
    )
    .option('--token-budget <n>', 'stop once this many prompt + completion tokens are spent', int)
    .option('--seconds-budget <s>', 'stop once this much wall time is spent', Number)
    .option('--size <WxH>', `size of the rendered views (default ${RENDER_DEFAULTS.width}x${RENDER_DEFAULTS.height})`)
    .option('--render <mode>', `points | gaussians (default ${RENDER_DEFAULTS.mode})`)
    .option('--holes <how>', `mark (magenta) | fill | none (default ${RENDER_DEFAULTS.holes})`)
    .option(
      '--image-budget <n>',
      `images per request: the original plus the latest views (default ${LOOP_DEFAULTS.imageBudget})`,
      int,
    )
    .option('--config <file.json>', 'loop settings as JSON (keys of the loop config); flags override it')
    .option('--renderer <which>', RENDERER_CHOICE_HELP, 'auto')
    .option(
      '--base-url <url>',
      'OpenAI-compatible endpoint (default $OPENAI_BASE_URL); the key comes from $OPENAI_API_KEY',
    )
    .option('--timeout <s>', `seconds per MLLM request attempt (default ${MLLM_DEFAULTS.timeoutMs / 1000})`)
    .option('--retries <n>', `retries of a failed MLLM request (default ${MLLM_DEFAULTS.maxRetries})`)
    .option(
      '--deadline <s>',
      `seconds for the whole question, every call and retry included (default ${MLLM_DEFAULTS.questionDeadlineMs / 1000})`,
    )
    .option('--cache-dir <dir>', 'cache MLLM responses here: reruns are free and reproducible')
    .option('--logprobs', 'ask the server for logprobs: the option distribution then comes from the answer token')
    .option('--open', 'human model: open each view with the desktop image viewer')
    .option('--web-port <n>', 'human-web model: port of the page on 127.0.0.1 (default: any free port)', int)
    .option('--out <dir>', 'trace directory (trace.json, PNGs, index.html); default vantage-out/ask-<time>')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  vantage ask --fixture occluded --question "From the camera's viewpoint, which object is hidden behind the purple box?" \\
      --options "A) the orange box" "B) nothing"
  OPENAI_BASE_URL=http://localhost:8000/v1 vantage ask --image room.jpg --depth-model depth-anything-v2-small \\
      --question "Is the lamp left of the sofa, seen from the window?" --options left right --model Qwen2.5-VL-7B-Instruct
Models: builtin:perceiver is a deterministic pixel perceiver for the procedural scenes (not an LLM);
human shows each view and reads your answer; human-web prints a local URL (127.0.0.1, with a token) where you
answer in the browser and move the camera yourself, each "Look from here" a round; any other name is sent to the OpenAI-compatible endpoint.
Exit codes: 0 answered, 2 bad input, 3 no answer (model/endpoint failed), 4 interrupted (Ctrl-C, --deadline), 1 bug.`,
    )
    .action(async (opts) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      // Ctrl-C stops the model calls and keeps what was answered; a second one quits at once
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
        process.stderr.write('\nvantage ask: stopping (Ctrl-C again to quit now)\n');
        controller.abort(new Error('interrupted by Ctrl-C'));
      };
      process.on('SIGINT', onSigint);
      const r = await runAsk(
        {
          ...sceneSourceFromCli(opts),
          question: opts.question,
          options: opts.options,
          unit: opts.unit,
          model: opts.model,
          rounds: opts.rounds,
          poseFormat: opts.poseFormat,
          fusion: opts.fusion,
          stop: opts.stop,
          stableRounds: opts.stableRounds,
          margin: opts.margin,
          tokenBudget: opts.tokenBudget,
          secondsBudget: opts.secondsBudget,
          size: opts.size,
          render: opts.render,
          holes: opts.holes,
          imageBudget: opts.imageBudget,
          config: opts.config,
          renderer: opts.renderer,
          baseUrl: opts.baseUrl,
          timeout: opts.timeout,
          deadline: opts.deadline,
          retries: opts.retries,
          signal: controller.signal,
          cacheDir: opts.cacheDir,
          logprobs: opts.logprobs,
          open: opts.open,
          webPort: opts.webPort,
          out: opts.out,
          json: opts.json,
        },
        log,
      ).finally(() => process.off('SIGINT', onSigint));
      process.stdout.write(`${opts.json ? JSON.stringify(askJson(r), null, 2) : askSummary(r)}\n`);
      const failed = r.trace.rounds.find((x) => x.failed)?.failed;
      const code = askExitCode(r);
      if (code === EXIT_CODES.interrupted) process.stderr.write(`vantage: no answer: stopped (${r.interrupted})\n`);
      else if (code === EXIT_CODES.modelFailed)
        process.stderr.write(`vantage: no answer: ${failed ?? 'no reply named one of the options'}\n`);
      process.exitCode = code;
    });
}
