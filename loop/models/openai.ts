/** A model behind an OpenAI-compatible endpoint: the loop's prompts, the MLLM client's structured calls. */
import { MllmError, type ChatMessage, type MllmClient } from '../../core/mllm/index.js';
import { letters } from '../../core/options.js';
import { REFERENCE_POSE, type NumericPose } from '../../core/pose.js';
import type { Answer, CallLog } from '../types.js';
import {
  AnswerReplySchema,
  answererMessages,
  controllerMessages,
  controllerReplySchema,
  languagePoseMessages,
  LanguagePoseReplySchema,
  type AnswerReply,
  type ControllerReply,
} from '../prompts.js';
import {
  ModelCallError,
  type AnswerContext,
  type ModelImage,
  type PoseRequestContext,
  type PoseResult,
  type VisionModel,
} from './contract.js';
import { callLogOf, promptText } from './calls.js';
import { answerFromReply } from './reply.js';

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
    const images = [...ctx.originals.map((o) => ({ ...o, original: true })), ...ctx.views];
    const messages = answererMessages({
      question: ctx.question,
      images,
      holes: ctx.config.holes,
      omittedViews: ctx.omittedViews,
    });
    const keys = letters(ctx.question.options.length);
    const files = filesOf(images);
    const r = await this.call<AnswerReply>('answerer', messages, AnswerReplySchema, 'answer', files, keys);
    const answer = answerFromReply(r.value, ctx.question, r.optionProbs);
    if (!answer.unparsed) return { answer, calls: [r.log] };
    // a letter outside the options is fed back once; a second miss is recorded as unparsed
    const again = await this.call<AnswerReply>(
      'answerer',
      [
        ...messages,
        { role: 'assistant', content: JSON.stringify(r.value) },
        {
          role: 'user',
          content: `"${String(r.value.choice).slice(0, 40)}" is not one of the options. Reply again with "choice" set to exactly one of ${keys.join(', ')}.`,
        },
      ],
      AnswerReplySchema,
      'answer',
      files,
      keys,
    );
    return { answer: answerFromReply(again.value, ctx.question, again.optionProbs), calls: [r.log, again.log] };
  }

  async nextPose(ctx: PoseRequestContext): Promise<PoseResult> {
    const images = [...ctx.originals.map((o) => ({ ...o, original: true })), ...ctx.views];
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
