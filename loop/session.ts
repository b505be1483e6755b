/**
 * One question session: the one way every interface — `vantage ask`, the library's `answer`, the
 * MCP tool, `vantage eval` (and so `vantage demo`) — turns a loaded scene and a question into an
 * answer. `loopInputOf` encodes the original images once and keeps the depth and camera they were
 * lifted with; `runSession` runs the loop, maps the fused choice back to its option text, and writes
 * the trace when asked (an answer is never lost to a trace that cannot be written: the failure is
 * returned beside it).
 */
import { resolve } from 'node:path';
import type { Question, Renderer } from '../core/types.js';
import { describeError } from '../core/errors.js';
import { letterIndex } from '../core/options.js';
import { encodePng, rgbaFromRgb } from '../core/io/image.js';
import type { LoadedScene } from '../synth/scene-source.js';
import type { LoopConfig, OptionDist, StopReason, Trace } from './types.js';
import type { VisionModel } from './models/contract.js';
import { runLoop, type LoopHooks, type LoopInput, type OriginalView } from './run.js';
import { writeTrace } from './trace.js';
import { footprintOf } from './footprint.js';

/** The loop input of a question about a loaded scene: its originals encoded once, with their geometry. */
export async function loopInputOf(question: Question, loaded: LoadedScene): Promise<LoopInput> {
  const originals: OriginalView[] = await Promise.all(
    loaded.originals.map(async (im) => {
      const rgba = rgbaFromRgb(im.rgb);
      const depth = im.depth && im.depth.length === im.width * im.height ? im.depth : undefined;
      return {
        png: await encodePng(rgba, im.width, im.height, 4),
        width: im.width,
        height: im.height,
        geometry: { rgba, ...(depth ? { depth } : {}), ...(im.camera ? { camera: im.camera } : {}) },
      };
    }),
  );
  return { question, scene: loaded.scene, originals, inputInfo: loaded.info };
}

export interface SessionOptions {
  model: VisionModel;
  renderer: Renderer;
  config: LoopConfig;
  /** write the trace (trace.json, PNGs, index.html) here */
  traceDir?: string;
  /** a link from the trace page back to the page that lists it (an eval run's report) */
  traceBackLink?: { href: string; label: string };
  hooks?: LoopHooks;
}

export interface SessionResult {
  /** the fused answer: an option letter ("A"), free-form text, or "" when no answer was reached */
  choice: string;
  /** the option text of the choice (multiple choice) */
  option?: string;
  /** posterior probability of the choice (0 for numeric questions, which have no distribution) */
  probability: number;
  /** numeric questions: the fused estimate in the question's unit */
  value?: number;
  posterior: OptionDist;
  stopReason: StopReason;
  /** rounds run, round 0 (the original image alone) included */
  rounds: number;
  /** what answered, labelled as what it is */
  model: string;
  trace: Trace;
  /** the PNGs of the trace: original-*.png and one round-NN.png per rendered view */
  views: { file: string; png: Buffer }[];
  /** where the trace was written (when traceDir was given and writing it worked) */
  traceDir?: string;
  traceJson?: string;
  indexHtml?: string;
  /** why the trace could not be written (the answer above stands) */
  traceError?: string;
}

/** Run one question through the loop; never rejects once the loop has started. */
export async function runSession(input: LoopInput, o: SessionOptions): Promise<SessionResult> {
  await o.model.beginQuestion?.({
    question: input.question,
    scene: input.scene,
    renderer: o.renderer,
    config: o.config,
  });
  const { trace, views } = await runLoop(input, o.model, o.renderer, o.config, o.hooks);
  trace.footprint = footprintOf(input.scene);
  const idx = letterIndex(trace.final.choice);
  const options = input.question.options;
  const result: SessionResult = {
    choice: trace.final.choice,
    ...(options.length && idx >= 0 && idx < options.length ? { option: options[idx] } : {}),
    probability: trace.final.probability,
    ...(trace.final.value !== undefined ? { value: trace.final.value } : {}),
    posterior: trace.final.posterior,
    stopReason: trace.final.stopReason,
    rounds: trace.final.rounds,
    model: trace.modelLabel,
    trace,
    views,
  };
  if (o.traceDir) {
    try {
      const { traceJson, indexHtml } = await writeTrace(
        o.traceDir,
        trace,
        views,
        o.traceBackLink ? { backLink: o.traceBackLink } : {},
      );
      Object.assign(result, { traceDir: resolve(o.traceDir), traceJson, indexHtml });
    } catch (e) {
      result.traceError = describeError(e).split('\n')[0];
    }
  }
  return result;
}
