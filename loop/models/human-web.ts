/**
 * A person in the browser as a model, for human baselines that go through the same loop as an MLLM:
 * the local viewer page shows each question with the originals and the views so far; the person
 * answers with a button and a confidence slider, and between answers moves the camera over the live,
 * server-rendered scene — each "Look from here" is the next round, its pose recorded numerically (the
 * same orbit / ego JSON a model writes). Fusion, stop policy, traces and results are the loop's.
 */
import { VantageError } from '../../core/errors.js';
import { letters } from '../../core/options.js';
import { parsePose } from '../../core/pose.js';
import type { Question, Renderer, Scene } from '../../core/types.js';
import type { Answer, CallLog, LoopConfig } from '../types.js';
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
import { startViewerApp, type ViewerApp } from '../viewer/app.js';
import { LiveView } from '../viewer/live.js';
import type { Handler } from '../viewer/server.js';

export interface HumanWebOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port */
  port?: number;
  /** told the page's URL once the server listens (default: printed to stderr) */
  onReady?: (url: string) => void;
}

type TaskKind = 'waiting' | 'answer' | 'pose' | 'finished';

/** What the page shows now. */
interface Task {
  id: number;
  kind: TaskKind;
  questionNumber: number;
  round: number;
  question: { text: string; options: { letter: string; text: string }[] };
  images: { file: string; caption: string }[];
  format?: string;
  feedback?: string[];
  sceneVersion: number;
}

type Reply = { choice: string; confidence: number } | { pose: unknown } | { stop: true };

/** How long a long-poll for the next task waits before answering "no change". */
const POLL_MS = 20_000;

export class HumanWebModel implements VisionModel {
  readonly id = 'human-web';
  readonly label = 'human-web (answers and camera moves by a person in the browser viewer)';
  private app?: ViewerApp;
  private starting?: Promise<ViewerApp>;
  private task: Task = {
    id: 0,
    kind: 'waiting',
    questionNumber: 0,
    round: 0,
    question: { text: '', options: [] },
    images: [],
    sceneVersion: 0,
  };
  private pngs = new Map<string, Buffer>();
  private pollers: (() => void)[] = [];
  private pending?: { id: number; resolve: (r: Reply) => void };
  private closed = false;

  constructor(private readonly opts: HumanWebOptions = {}) {}

  /** Start the page's server (once); resolves with its URL. */
  async start(): Promise<string> {
    this.starting ??= startViewerApp({
      title: 'Vantage — answer as a person',
      routes: this.routes(),
      host: this.opts.host,
      port: this.opts.port,
    });
    this.app = await this.starting;
    return this.app.url;
  }

  async beginQuestion(q: { question: Question; scene: Scene; renderer: Renderer; config: LoopConfig }): Promise<void> {
    const first = !this.app;
    const url = await this.start();
    if (first) {
      if (this.opts.onReady) this.opts.onReady(url);
      else process.stderr.write(`human-web: open ${url} in a browser to answer (the questions wait for you)\n`);
    }
    const { config } = q;
    this.app!.setView(
      new LiveView({
        scene: q.scene,
        renderer: q.renderer,
        width: config.width,
        height: config.height,
        mode: config.render,
        holes: config.holes,
      }),
    );
    this.pngs = new Map();
    this.publish({ kind: 'waiting', questionNumber: this.task.questionNumber + 1, round: 0, images: [] });
  }

  async answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }> {
    const t0 = performance.now();
    const keys = letters(ctx.question.options.length);
    const reply = await this.ask('answer', ctx);
    if (!('choice' in reply))
      throw new ModelCallError('the page sent no answer', [localCall('answerer', this.id, t0, reply)]);
    const answer = answerFromReply(
      { choice: reply.choice, confidence: reply.confidence, rationale: 'chosen by a person in the browser' },
      ctx.question,
    );
    if (keys.length && answer.distSource === 'uniform-fallback')
      throw new ModelCallError(`"${reply.choice}" is not one of ${keys.join(', ')}`, [
        localCall('answerer', this.id, t0, reply),
      ]);
    return { answer, calls: [localCall('answerer', this.id, t0, reply)] };
  }

  async nextPose(ctx: PoseRequestContext): Promise<PoseResult> {
    const t0 = performance.now();
    const reply = await this.ask('pose', ctx, ctx.format, ctx.feedback);
    const call = localCall('controller', this.id, t0, reply);
    if ('stop' in reply) return { decision: { action: 'stop', reason: 'the person stopped looking' }, calls: [call] };
    if (!('pose' in reply)) throw new ModelCallError('the page sent no pose', [call]);
    return {
      decision: { action: 'view', pose: parsePose(reply.pose), reason: 'the view the person stopped at' },
      calls: [call],
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.publish({ kind: 'finished', images: [] });
    this.pending = undefined;
    const app = this.app;
    // let the waiting page hear "finished" before the server goes
    if (app) setTimeout(() => void app.close(), 300).unref();
  }

  /** Show a task on the page and wait for the person's reply to it. */
  private ask(kind: 'answer' | 'pose', ctx: AnswerContext, format?: string, feedback?: string[]): Promise<Reply> {
    if (this.closed) return Promise.reject(new VantageError('model-failed', 'the browser model is closed'));
    const images = [...ctx.originals, ...ctx.views];
    for (const im of images) this.pngs.set(im.file, im.png);
    this.publish({
      kind,
      round: ctx.round,
      question: {
        text: ctx.question.text,
        options: ctx.question.options.map((text, i) => ({ letter: letters(ctx.question.options.length)[i], text })),
      },
      images: images.map((im: ModelImage) => ({ file: im.file, caption: im.caption })),
      ...(format ? { format } : {}),
      ...(feedback?.length ? { feedback } : {}),
    });
    return new Promise<Reply>((resolve) => {
      this.pending = { id: this.task.id, resolve };
    });
  }

  private publish(t: Partial<Task>): void {
    const { feedback: _f, format: _g, ...rest } = this.task;
    this.task = { ...rest, ...t, id: this.task.id + 1, sceneVersion: this.app?.sceneVersion() ?? 0 };
    for (const p of this.pollers.splice(0)) p();
  }

  /** Settle the pending task with the page's reply; a reply to an older task is refused. */
  private settle(body: string, kind: 'answer' | 'pose'): { status: number; body: string; type: string } {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, type: 'text/plain', body: 'the body is not JSON' };
    }
    if (!this.pending || this.task.kind !== kind || msg.task !== this.pending.id)
      return { status: 409, type: 'text/plain', body: `no ${kind} is being asked for now (reload the page)` };
    let reply: Reply;
    if (kind === 'answer') {
      const choice = String(msg.choice ?? '').trim();
      const keys = this.task.question.options.map((o) => o.letter);
      if (!choice || (keys.length && !keys.includes(choice)))
        return { status: 400, type: 'text/plain', body: `the answer must be one of ${keys.join(', ')}` };
      reply = { choice, confidence: normalizeConfidence(msg.confidence) };
    } else if (msg.stop === true) reply = { stop: true };
    else {
      try {
        parsePose(msg.pose);
      } catch (e) {
        return { status: 400, type: 'text/plain', body: e instanceof Error ? e.message : String(e) };
      }
      reply = { pose: msg.pose };
    }
    const p = this.pending;
    this.pending = undefined;
    this.publish({ kind: 'waiting', images: [] });
    p.resolve(reply);
    return { status: 200, type: 'application/json', body: '{"ok":true}' };
  }

  private routes(): Record<string, Handler> {
    return {
      '/api/task': async ({ query }) => {
        const after = Number(query.get('after') ?? -1);
        if (this.task.id <= after && !this.closed) {
          await new Promise<void>((ok) => {
            const timer = setTimeout(ok, POLL_MS);
            this.pollers.push(() => {
              clearTimeout(timer);
              ok();
            });
          });
        }
        return { type: 'application/json', body: JSON.stringify(this.task) };
      },
      '/api/answer': ({ body, method }) =>
        method === 'POST' ? this.settle(body, 'answer') : { status: 405, body: 'POST only' },
      '/api/pose': ({ body, method }) =>
        method === 'POST' ? this.settle(body, 'pose') : { status: 405, body: 'POST only' },
      '/api/image': ({ query }) => {
        const png = this.pngs.get(query.get('file') ?? '');
        return png ? { type: 'image/png', body: png } : { status: 404, body: 'not found' };
      },
    };
  }
}
