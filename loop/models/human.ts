/**
 * A person at a terminal as a model, for human baselines: each view is written to a PNG (path
 * printed, optionally opened), the person types the answer and the next pose.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { VantageError, isVantageError } from '../../core/errors.js';
import { letters } from '../../core/options.js';
import { parsePose } from '../../core/pose.js';
import type { Answer, CallLog, ControllerDecision } from '../types.js';
import { optionLines, poseFormatText, type AnswerReply, type PoseFormat } from '../prompts.js';
import {
  ModelCallError,
  type AnswerContext,
  type ModelImage,
  type PoseRequestContext,
  type PoseResult,
  type VisionModel,
} from './contract.js';
import { localCall } from './calls.js';
import { answerFromReply, normalizeConfidence } from './reply.js';

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
