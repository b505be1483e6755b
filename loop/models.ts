/**
 * The vision models the loop can drive, behind one interface: an OpenAI-compatible MLLM (the real
 * thing), the built-in pixel perceiver (no endpoint; deterministic), and a human at a terminal
 * (for baselines). Each answers a question from images and proposes the next camera pose; the loop
 * (loop/run.ts) owns rendering, validation of poses, fusion and stopping.
 *
 * Every call is returned as a CallLog (tokens, latency, errors, prompt text without image bytes,
 * reply) so that the trace records it; a failed call throws a ModelCallError carrying its CallLogs.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Camera } from '../core/types.js';
import { VantageError, isVantageError } from '../core/errors.js';
import { parsePose, REFERENCE_POSE, type NumericPose, type Pose } from '../core/pose.js';
import {
  createMllmClient,
  mllmConfigFromEnv,
  MllmError,
  type CallRecord,
  type ChatMessage,
  type MllmClient,
  type MllmConfig,
} from '../core/mllm/client.js';
import type { Limiter } from '../core/mllm/limiter.js';
import type { Answer, CallLog, ControllerDecision, LoopConfig, OptionDist, Question } from './types.js';
import { letters, normalizeDist } from './fusion.js';
import {
  AnswerReplySchema,
  answererMessages,
  controllerMessages,
  controllerReplySchema,
  languagePoseMessages,
  LanguagePoseReplySchema,
  optionLines,
  poseFormatText,
  type AnswerReply,
  type ControllerReply,
  type PoseFormat,
} from './prompts.js';
import { answerWithPerceiver, choosePoseWithPerceiver, PERCEIVER_LABEL, type PerceiverView } from './perceiver.js';

// ---------------------------------------------------------------------------------------------
// The interface

/** An image as the loop hands it to a model. */
export interface ModelImage {
  /** file name inside the trace directory (original-0.png, round-01.png …) */
  file: string;
  png: Buffer;
  width: number;
  height: number;
  /** width × height × 4, sRGB */
  rgba: Uint8Array;
  /** what the model is told about the image: its pose in words and numbers, and coverage */
  caption: string;
  /** 0 for an original image, else the round that rendered it */
  round: number;
  /** camera-space z per pixel (0 = none): rendered depth, or the input depth for an original */
  depth?: Float32Array;
  /** 1 = real surface, 0 = hole (rendered views only) */
  coverage?: Uint8Array;
  coverageRatio: number;
  camera?: Camera;
  pose?: Pose;
}

export interface AnswerContext {
  question: Question;
  /** the original image(s): always shown */
  originals: ModelImage[];
  /** rendered views to show, in round order (the loop already applied the image budget) */
  views: ModelImage[];
  /** views rendered so far but not shown again (image budget) */
  omittedViews: number;
  round: number;
  config: LoopConfig;
}

export interface PoseRequestContext extends AnswerContext {
  format: PoseFormat;
  maxRounds: number;
  /** every pose rendered so far, in order (including views not shown again) */
  history: Pose[];
  historyCaptions: string[];
  /** the fused answer so far */
  current?: { choice: string; probability: number };
  /** problems with the previous pose, fed back once */
  feedback?: string[];
}

export interface PoseResult {
  decision: ControllerDecision;
  calls: CallLog[];
  /** the numeric pose to render when decision.pose is a language pose (turned into numbers) */
  resolved?: NumericPose;
  /** why the decision's pose cannot be used at all (e.g. none was given): fed back, then a default pose */
  problems?: string[];
}

export interface VisionModel {
  /** what was asked for: "builtin:perceiver", "human", or the served model name */
  readonly id: string;
  /** what it is, in every output (e.g. "builtin:perceiver (deterministic pixel perceiver — not an LLM)") */
  readonly label: string;
  answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }>;
  nextPose(ctx: PoseRequestContext): Promise<PoseResult>;
  /** release resources (terminal, sockets) */
  close?(): void;
}

/** A model call that failed; `calls` are the CallLogs to keep in the trace. */
export class ModelCallError extends VantageError {
  readonly calls: CallLog[];
  constructor(message: string, calls: CallLog[], hint?: string, options?: { cause?: unknown }) {
    super('model-failed', message, hint, options);
    this.name = 'ModelCallError';
    this.calls = calls;
  }
}

// ---------------------------------------------------------------------------------------------
// Answers from replies

/** Confidence as 0..1: percentages (1 < c ≤ 100) are rescaled, anything unusable becomes 0.5. */
export function normalizeConfidence(c: unknown): number {
  const n = typeof c === 'number' ? c : Number(c);
  if (!Number.isFinite(n)) return 0.5;
  const v = n > 1 && n <= 100 ? n / 100 : n;
  return Math.min(1, Math.max(0, v));
}

/**
 * The option letter a reply's choice stands for: "B", "b", "(B)", "B) behind", "Option B", or the
 * option's own text; undefined when it matches nothing.
 */
export function letterOfChoice(choice: string, question: Question): string | undefined {
  const keys = letters(question.options.length);
  const t = choice.trim();
  if (!t) return undefined;
  const m = /^(?:option\s+|answer\s*:?\s*)?[("'[]?\s*([A-Za-z]{1,2})\s*[)"'\].:]?(?:\s|$)/i.exec(t);
  if (m) {
    const up = m[1].toUpperCase();
    if (keys.includes(up) && (m[1].length === 1 || m[1] === up)) return up;
  }
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  const i = question.options.findIndex((o) => norm(o) === norm(t));
  return i >= 0 ? keys[i] : undefined;
}

/**
 * The Answer of a reply: the option distribution from logprobs when given, else from the
 * self-reported confidence (the choice gets it, the others share the rest).
 */
export function answerFromReply(reply: AnswerReply, question: Question, optionProbs?: Record<string, number>): Answer {
  const keys = letters(question.options.length);
  const confidence = normalizeConfidence(reply.confidence);
  const rationale = String(reply.rationale ?? '');
  if (!keys.length) {
    const choice = String(reply.choice ?? '').trim();
    const key = choice.toLowerCase();
    return key
      ? { choice, confidence, rationale, dist: { [key]: 1 }, distSource: 'self-report' }
      : { choice: '', confidence: 0, rationale, dist: {}, distSource: 'uniform-fallback', cannotTell: true };
  }
  const letter = letterOfChoice(String(reply.choice ?? ''), question);
  if (optionProbs && Object.keys(optionProbs).length) {
    const dist = normalizeDist(optionProbs, keys);
    const best = keys.reduce((a, b) => (dist[b] > dist[a] ? b : a), keys[0]);
    return { choice: letter ?? best, confidence, rationale, dist, distSource: 'logprobs' };
  }
  if (!letter) {
    const dist: OptionDist = Object.fromEntries(keys.map((k) => [k, 1 / keys.length]));
    return {
      choice: '',
      confidence: 0,
      dist,
      distSource: 'uniform-fallback',
      cannotTell: true,
      rationale: `the reply's choice "${String(reply.choice).slice(0, 40)}" is not one of ${keys.join(', ')}. ${rationale}`,
    };
  }
  return {
    choice: letter,
    confidence,
    rationale,
    dist: selfReportDist(letter, confidence, keys),
    distSource: 'self-report',
  };
}

/** The chosen option gets the confidence; the others share what is left equally. */
export function selfReportDist(choice: string, confidence: number, keys: string[]): OptionDist {
  if (keys.length === 1) return { [keys[0]]: 1 };
  const c = Math.min(1, Math.max(1 / keys.length, confidence));
  const rest = (1 - c) / (keys.length - 1);
  return normalizeDist(Object.fromEntries(keys.map((k) => [k, k === choice ? c : rest])), keys);
}

// ---------------------------------------------------------------------------------------------
// Call logs

/** The prompt as text, each image replaced by "[image: file]". */
export function promptText(messages: readonly ChatMessage[], fileOf: (png: Buffer) => string | undefined): string {
  return messages
    .map((m) => {
      const body =
        typeof m.content === 'string'
          ? m.content
          : m.content
              .map((c) => (c.type === 'text' ? c.text : `[image: ${fileOf(c.png) ?? c.caption ?? 'image'}]`))
              .join('\n');
      return `### ${m.role}\n${body}`;
    })
    .join('\n\n');
}

/** A CallLog from the MLLM client's CallRecord. */
export function callLogOf(role: CallLog['role'], record: CallRecord, prompt?: string, reply?: string): CallLog {
  return {
    role,
    model: record.model,
    cached: record.cached,
    attempts: record.attempts,
    latencyMs: Math.round(record.latencyMs),
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    errors: [...record.errors],
    ...(prompt !== undefined ? { prompt } : {}),
    ...(reply !== undefined ? { reply } : {}),
  };
}

function localCall(
  role: CallLog['role'],
  model: string,
  t0: number,
  reply: unknown,
  errors: string[] = [],
  prompt?: string,
): CallLog {
  return {
    role,
    model,
    cached: false,
    attempts: 1,
    latencyMs: Math.round(performance.now() - t0),
    promptTokens: 0,
    completionTokens: 0,
    errors,
    ...(prompt !== undefined ? { prompt } : {}),
    reply: typeof reply === 'string' ? reply : JSON.stringify(reply),
  };
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible MLLM

export interface OpenAIModelOptions {
  client: MllmClient;
  /** keep prompt texts in the CallLogs (default true) */
  recordPrompts?: boolean;
}

/** A model behind an OpenAI-compatible endpoint: the loop's prompts, the client's structured calls. */
export class OpenAIVisionModel implements VisionModel {
  readonly id: string;
  readonly label: string;
  private readonly client: MllmClient;
  private readonly recordPrompts: boolean;

  constructor(opts: OpenAIModelOptions) {
    this.client = opts.client;
    this.id = opts.client.config.model;
    this.label = `${this.id} (MLLM at an OpenAI-compatible endpoint)`;
    this.recordPrompts = opts.recordPrompts ?? true;
  }

  private async call<T>(
    role: CallLog['role'],
    messages: ChatMessage[],
    schema: Parameters<MllmClient['structured']>[1],
    name: string,
    files: Map<Buffer, string>,
    optionLetters?: string[],
  ) {
    const prompt = this.recordPrompts ? promptText(messages, (png) => files.get(png)) : undefined;
    try {
      const res = await this.client.structured(messages, schema, {
        name,
        ...(optionLetters?.length ? { optionLetters } : {}),
      });
      return { value: res.value as T, optionProbs: res.optionProbs, log: callLogOf(role, res.record, prompt, res.raw) };
    } catch (e) {
      if (e instanceof MllmError) {
        throw new ModelCallError(e.message, [callLogOf(role, e.record, prompt, e.raw)], e.hint, { cause: e });
      }
      throw e;
    }
  }

  async answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }> {
    const images = [...ctx.originals, ...ctx.views];
    const messages = answererMessages({
      question: ctx.question,
      images,
      holes: ctx.config.holes,
      omittedViews: ctx.omittedViews,
    });
    const keys = letters(ctx.question.options.length);
    const r = await this.call<AnswerReply>('answerer', messages, AnswerReplySchema, 'answer', filesOf(images), keys);
    return { answer: answerFromReply(r.value, ctx.question, r.optionProbs), calls: [r.log] };
  }

  async nextPose(ctx: PoseRequestContext): Promise<PoseResult> {
    const images = [...ctx.originals, ...ctx.views];
    const messages = controllerMessages({
      question: ctx.question,
      images,
      format: ctx.format,
      holes: ctx.config.holes,
      history: ctx.historyCaptions,
      round: ctx.round,
      maxRounds: ctx.maxRounds,
      current: ctx.current,
      feedback: ctx.feedback,
      omittedViews: ctx.omittedViews,
    });
    const r = await this.call<ControllerReply>(
      'controller',
      messages,
      controllerReplySchema(ctx.format),
      'controller',
      filesOf(images),
    );
    const calls = [r.log];
    const reply = r.value;
    if (reply.action === 'stop') return { decision: { action: 'stop', reason: reply.reason }, calls };
    if (!reply.pose) {
      // the loop feeds this back once, then falls back to a default pose
      return {
        decision: { action: 'view', pose: REFERENCE_POSE, reason: reply.reason },
        calls,
        problems: ['the reply asked for a view but gave no pose'],
      };
    }
    const pose = reply.pose;
    if (pose.mode !== 'language') return { decision: { action: 'view', pose, reason: reply.reason }, calls };
    // The language ablation: a second call turns the words into an orbit.
    const lang = languagePoseMessages(pose.text, ctx.feedback);
    const l = await this.call<{ pose: NumericPose }>(
      'language-pose',
      lang,
      LanguagePoseReplySchema,
      'language_pose',
      new Map(),
    );
    calls.push(l.log);
    return { decision: { action: 'view', pose, reason: reply.reason }, calls, resolved: l.value.pose };
  }
}

function filesOf(images: ModelImage[]): Map<Buffer, string> {
  return new Map(images.map((im) => [im.png, im.file]));
}

// ---------------------------------------------------------------------------------------------
// builtin:perceiver

/** The images as the perceiver sees them: pixels, depth, coverage, camera, pose. */
export function perceiverViewsOf(images: ModelImage[]): PerceiverView[] {
  return images.map((im) => ({
    width: im.width,
    height: im.height,
    rgba: im.rgba,
    ...(im.depth ? { depth: im.depth } : {}),
    ...(im.coverage ? { coverage: im.coverage } : {}),
    ...(im.camera ? { camera: im.camera } : {}),
    ...(im.pose ? { pose: im.pose } : {}),
  }));
}

/**
 * The built-in pixel perceiver as a VisionModel. It sees the pixels, depth and camera of the images
 * the loop hands it, never the scene's ground truth. For the language pose format it answers with
 * orbit poses (it has no words), and says so in its reason.
 */
export class PerceiverModel implements VisionModel {
  readonly id = 'builtin:perceiver';
  readonly label = PERCEIVER_LABEL;

  async answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }> {
    const t0 = performance.now();
    const images = [...ctx.originals, ...ctx.views];
    const answer = answerWithPerceiver(ctx.question, perceiverViewsOf(images));
    const prompt = `${ctx.question.text}\n${optionLines(ctx.question)}\n${images.map((im) => `[image: ${im.file}] ${im.caption}`).join('\n')}`;
    return {
      answer,
      calls: [
        localCall(
          'answerer',
          this.id,
          t0,
          { choice: answer.choice, confidence: answer.confidence, rationale: answer.rationale },
          [],
          prompt,
        ),
      ],
    };
  }

  async nextPose(ctx: PoseRequestContext): Promise<PoseResult> {
    const t0 = performance.now();
    const images = [...ctx.originals, ...ctx.views];
    const format = ctx.format === 'language' ? 'orbit' : ctx.format;
    let decision = choosePoseWithPerceiver(ctx.question, perceiverViewsOf(images), ctx.history, format);
    if (ctx.format === 'language' && decision.action === 'view') {
      decision = {
        ...decision,
        reason: `${decision.reason} (the perceiver has no words: orbit pose instead of language)`,
      };
    }
    return { decision, calls: [localCall('controller', this.id, t0, decision)] };
  }
}

// ---------------------------------------------------------------------------------------------
// human

export interface HumanModelOptions {
  input?: Readable;
  output?: Writable;
  /** where view PNGs are written for the person to open (default: ./vantage-out/human-views) */
  viewDir?: string;
  /** open each view with xdg-open (or `open` on macOS) */
  open?: boolean;
}

/** Lines of a stream, one at a time, none lost between questions. */
class LineReader {
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void)[] = [];
  private closed = false;
  readonly rl: Interface;

  constructor(input: Readable) {
    this.rl = createInterface({ input, terminal: false });
    this.rl.on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.queue.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(undefined);
    });
  }

  next(): Promise<string | undefined> {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((res) => this.waiting.push(res));
  }

  close(): void {
    this.rl.close();
  }
}

/**
 * A person at a terminal: each view is written to a PNG (path printed, optionally opened), the
 * person types the answer ("B" or "B 0.8") and the next pose (JSON, "az el dist" for orbit, a
 * preset name, or "stop"). For human baselines; its label says so.
 */
export class HumanModel implements VisionModel {
  readonly id = 'human';
  readonly label = 'human (answers and poses typed by a person at a terminal)';
  private readonly out: Writable;
  private readonly lines: LineReader;
  private readonly viewDir: string;
  private readonly open: boolean;
  private readonly shown = new Set<string>();

  constructor(opts: HumanModelOptions = {}) {
    this.out = opts.output ?? process.stderr;
    this.lines = new LineReader(opts.input ?? process.stdin);
    this.viewDir = resolve(opts.viewDir ?? join('vantage-out', 'human-views'));
    this.open = opts.open ?? false;
  }

  private say(text: string): void {
    this.out.write(`${text}\n`);
  }

  private async ask(prompt: string): Promise<string> {
    this.out.write(prompt);
    const line = await this.lines.next();
    if (line === undefined) {
      throw new ModelCallError(
        'the terminal input closed before an answer was typed',
        [],
        'run `vantage ask --model human` in an interactive terminal',
      );
    }
    return line.trim();
  }

  private async show(images: ModelImage[]): Promise<void> {
    await mkdir(this.viewDir, { recursive: true });
    for (const im of images) {
      const path = join(this.viewDir, im.file);
      if (!this.shown.has(im.file)) {
        await writeFile(path, im.png);
        this.shown.add(im.file);
        if (this.open) openFile(path);
      } else {
        await access(path).catch(() => writeFile(path, im.png));
      }
      this.say(`  ${path}\n    ${im.caption}`);
    }
  }

  async answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }> {
    const t0 = performance.now();
    const q = ctx.question;
    this.say(`\n— round ${ctx.round}: answer the question —\n${q.text}\n${optionLines(q)}\nImages:`);
    await this.show([...ctx.originals, ...ctx.views]);
    this.say('Magenta pixels in rendered views are unknown (never seen), not magenta things.');
    const keys = letters(q.options.length);
    const errors: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const line = await this.ask(
        keys.length
          ? `answer (${keys.join('/')}) and optional confidence 0..1, e.g. "B 0.8": `
          : 'answer (short text), optionally "| 0.8": ',
      );
      const reply = parseHumanAnswer(line, keys.length > 0);
      const answer = answerFromReply(reply, q);
      if (answer.distSource !== 'uniform-fallback') {
        return { answer, calls: [localCall('answerer', this.id, t0, line, errors)] };
      }
      errors.push(`"${line}" is not an answer`);
      this.say(`"${line}" is not one of the options; try again.`);
    }
    throw new ModelCallError('no usable answer was typed after 3 tries', [
      localCall('answerer', this.id, t0, '', errors),
    ]);
  }

  async nextPose(ctx: PoseRequestContext): Promise<PoseResult> {
    const t0 = performance.now();
    this.say(`\n— round ${ctx.round}: where should the camera go next? —`);
    if (ctx.feedback?.length) this.say(`The previous pose could not be used: ${ctx.feedback.join('; ')}`);
    this.say(poseFormatText(ctx.format));
    const errors: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const line = await this.ask('pose (JSON, "azimuth elevation distance" for orbit, a preset name, or "stop"): ');
      try {
        const decision = parseHumanPose(line, ctx.format);
        return { decision, calls: [localCall('controller', this.id, t0, line, errors)] };
      } catch (e) {
        const msg = isVantageError(e) ? e.message : String(e);
        errors.push(msg);
        this.say(msg);
      }
    }
    throw new ModelCallError('no usable pose was typed after 3 tries', [
      localCall('controller', this.id, t0, '', errors),
    ]);
  }

  close(): void {
    this.lines.close();
  }
}

/** "B", "B 0.8", "b, 80%" → a reply; free-form: "two | 0.7". */
export function parseHumanAnswer(line: string, multipleChoice: boolean): AnswerReply {
  if (!multipleChoice) {
    const [text, conf] = line.split('|');
    return {
      choice: text.trim(),
      confidence: conf ? normalizeConfidence(parseFloat(conf)) : 1,
      rationale: 'typed by a person',
    };
  }
  const m = /^\s*\(?([A-Za-z]{1,2})\)?[\s,;:]*([0-9.]+)?\s*(%)?\s*$/.exec(line);
  if (!m) return { choice: line, confidence: 1, rationale: 'typed by a person' };
  const conf = m[2] === undefined ? 1 : Number(m[2]) / (m[3] ? 100 : 1);
  return { choice: m[1].toUpperCase(), confidence: normalizeConfidence(conf), rationale: 'typed by a person' };
}

/** A typed pose: "stop", JSON, "az el [dist]" (orbit), a preset name, or words (language format). */
export function parseHumanPose(line: string, format: PoseFormat): ControllerDecision {
  const t = line.trim();
  if (/^(stop|enough|done|q|quit)$/i.test(t)) return { action: 'stop', reason: 'the person said stop' };
  if (t.startsWith('{')) return { action: 'view', pose: parsePose(t), reason: 'typed by a person' };
  const nums = t.split(/[\s,]+/).map(Number);
  if (t && nums.every(Number.isFinite) && nums.length >= 1 && nums.length <= 3 && format === 'orbit') {
    return {
      action: 'view',
      pose: { mode: 'orbit', azimuth_deg: nums[0], elevation_deg: nums[1] ?? 0, distance_scale: nums[2] ?? 1 },
      reason: 'typed by a person',
    };
  }
  if (t && nums.every(Number.isFinite) && nums.length === 5 && format === 'ego') {
    const [yaw_deg, pitch_deg, forward_m, right_m, up_m] = nums;
    return {
      action: 'view',
      pose: { mode: 'ego', yaw_deg, pitch_deg, forward_m, right_m, up_m },
      reason: 'typed by a person',
    };
  }
  if (/^[a-z_0-9]+$/.test(t) && !/^\d/.test(t))
    return { action: 'view', pose: parsePose({ mode: 'preset', name: t }), reason: 'typed by a person' };
  if (format === 'language' && t)
    return { action: 'view', pose: { mode: 'language', text: t }, reason: 'typed by a person' };
  throw new VantageError(
    'bad-pose',
    `"${t}" is not a pose`,
    format === 'ego'
      ? 'type 5 numbers: yaw pitch forward right up, or JSON'
      : 'type e.g. "60 20 1" (azimuth elevation distance), a preset like orbit_right_60, or JSON',
  );
}

/** Opens a file with the desktop's viewer; failures are ignored (it is a convenience). */
function openFile(path: string): void {
  try {
    const cmd = process.platform === 'darwin' ? 'open' : 'xdg-open';
    const child = spawn(cmd, [path], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* no viewer: the path is printed anyway */
  }
}

// ---------------------------------------------------------------------------------------------
// Factory

export interface CreateModelOptions {
  /** MLLM client settings (base URL, key, timeouts …); the rest comes from the environment */
  mllm?: Partial<MllmConfig>;
  limiter?: Limiter;
  human?: HumanModelOptions;
  env?: NodeJS.ProcessEnv;
  recordPrompts?: boolean;
}

/** 'builtin:perceiver', 'human', or the name of a model served at an OpenAI-compatible endpoint. */
export function createModel(name: string, opts: CreateModelOptions = {}): VisionModel {
  const n = name.trim();
  if (n === 'builtin:perceiver') return new PerceiverModel();
  if (n === 'human') return new HumanModel(opts.human);
  if (n.startsWith('builtin:')) {
    throw new VantageError('bad-model', `unknown built-in model "${n}"`, 'built-in models: builtin:perceiver, human');
  }
  if (!n)
    throw new VantageError(
      'bad-model',
      'no model named',
      'use --model builtin:perceiver, human, or a served model name',
    );
  const config = mllmConfigFromEnv({ ...opts.mllm, model: n }, opts.env);
  return new OpenAIVisionModel({ client: createMllmClient(config, opts.limiter), recordPrompts: opts.recordPrompts });
}
