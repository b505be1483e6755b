/**
 * Shared set-up of the loop tests: small fixture questions lifted to scenes, their original image,
 * and a local-server brain that answers with the pixel perceiver and proposes scripted poses.
 */
import sharp from 'sharp';
import { generateQuestions, type SpatialQuestion } from '../fixtures/questions.js';
import type { Scene } from '../core/types.js';
import { loadFixtureScene } from '../fixtures/scene-source.js';
import { loopInputOf } from '../loop/session.js';
import { loopConfigFrom, type LoopConfigInput } from '../loop/config.js';
import { answerFromImages2d } from './support/perceiver-2d.js';
import type { LoopInput } from '../loop/run.js';
import type { LoopConfig } from '../loop/types.js';
import type { BrainRequest } from './support/openai-server.js';

export const W = 160;
export const H = 120;

/** Small, fast loop settings for tests: points at 160×120. */
export function testConfig(extra: LoopConfigInput = {}): LoopConfig {
  return loopConfigFrom({ width: W, height: H, render: 'points', maxRounds: 2, ...extra });
}

export interface TestQuestion {
  question: SpatialQuestion;
  input: LoopInput;
  scene: Scene;
}

/** Questions of the demo generator with their lifted scenes (scanFrames as in the demo). */
export async function testQuestions(opts: {
  count: number;
  seed?: number;
  categories?: SpatialQuestion['category'][];
  scanFrames?: number;
}): Promise<TestQuestion[]> {
  const items = generateQuestions({
    count: opts.count,
    seed: opts.seed ?? 7,
    ...(opts.categories ? { categories: opts.categories } : {}),
  });
  const out: TestQuestion[] = [];
  for (const { fixture, question } of items) {
    // the same path as every interface: a loaded scene, then the session's loop input
    const loaded = loadFixtureScene(fixture, { width: W, height: H, scanFrames: opts.scanFrames ?? 4 });
    const input = await loopInputOf(
      {
        id: question.id,
        text: question.text,
        options: question.options,
        answer: question.answer,
        category: question.category,
      },
      loaded,
    );
    out.push({ question, scene: loaded.scene, input });
  }
  return out;
}

/** Is this request the controller's (by its schema name)? */
export function isControllerRequest(req: BrainRequest): boolean {
  const name = (req.responseFormat as { json_schema?: { name?: string } } | undefined)?.json_schema?.name;
  return name ? name === 'controller' : req.texts.some((t) => t.includes('"action"'));
}

/** The perceiver's 2-D answer from the request's decoded images, or the next scripted orbit. */
export function perceiverBrain(
  poses: object[] = [{ mode: 'orbit', azimuth_deg: 90, elevation_deg: 20, distance_scale: 1 }],
) {
  let k = 0;
  return async (req: BrainRequest) => {
    if (isControllerRequest(req)) {
      return { action: 'view', pose: poses[k++ % poses.length], reason: 'scripted by the test brain' };
    }
    const images = await Promise.all(
      req.images.map(async (b) => {
        const { data, info } = await sharp(b).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        return { width: info.width, height: info.height, rgba: new Uint8Array(data) };
      }),
    );
    return answerFromImages2d(req.texts, images);
  };
}

/** Probabilities of a distribution sum to 1. */
export function total(d: Record<string, number>): number {
  return Object.values(d).reduce((a, b) => a + b, 0);
}
