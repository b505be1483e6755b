/** The built-in pixel perceiver as a VisionModel (loop/models/contract.ts). */
import type { Answer, CallLog } from '../types.js';
import { optionLines } from '../prompts.js';
import {
  ModelCallError,
  type AnswerContext,
  type ModelImage,
  type PoseRequestContext,
  type PoseResult,
  type VisionModel,
} from '../models/contract.js';
import { localCall } from '../models/calls.js';
import { answerWithPerceiver, choosePoseWithPerceiver, PERCEIVER_LABEL } from './reason.js';
import type { PerceiverView } from './types.js';

/** The images as the perceiver sees them: pixels, depth, coverage, camera, pose. */
function perceiverViewsOf(images: ModelImage[]): PerceiverView[] {
  return images.map((im) => {
    const g = im.geometry;
    if (!g) throw new ModelCallError(`the perceiver was handed ${im.file} without its pixels`, []);
    return {
      width: im.width,
      height: im.height,
      rgba: g.rgba,
      ...(g.depth ? { depth: g.depth } : {}),
      ...(g.coverage ? { coverage: g.coverage } : {}),
      ...(g.camera ? { camera: g.camera } : {}),
      ...(im.pose ? { pose: im.pose } : {}),
    };
  });
}

/**
 * The built-in pixel perceiver as a VisionModel. It sees the pixels, depth and camera of the images
 * the loop hands it, never the scene's ground truth. For the language pose format it answers with
 * orbit poses (it has no words), and says so in its reason.
 */
export class PerceiverModel implements VisionModel {
  readonly id = 'builtin:perceiver';
  readonly label = PERCEIVER_LABEL;
  readonly wantsGeometry = true;

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
