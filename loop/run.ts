/**
 * The reasoning loop (DESIGN.md, "Data flow"). Round 0 answers from the original image(s) alone.
 * Each later round asks the controller for a pose (or "stop"), validates it (an out-of-range pose
 * goes back to the model once, then is clamped and the clamp recorded), renders the view, asks the
 * answerer again with the original and the views so far, and fuses the answers into a posterior.
 * The stop policy decides after every round whether to look again.
 *
 * Nothing is lost: a failure mid-loop ends the loop with stopReason 'error' and keeps every round
 * done so far (and the failed round's calls), so the trace shows what happened.
 */
import type { Camera, RenderedView, Renderer, Scene } from '../core/types.js';
import { scaleIntrinsics, toF64 } from '../core/camera.js';
import {
  c2wFromPose,
  clampPose,
  poseCaption,
  poseRangeErrors,
  REFERENCE_POSE,
  type NumericPose,
  type Pose,
  type PoseContext,
} from '../core/pose.js';
import { HOLE_MARK_COLOR } from '../core/config.js';
import { isVantageError } from '../core/errors.js';
import { encodePng } from '../core/io/image.js';
import { poseContextOf } from '../synth/scene.js';
import type {
  Answer,
  CallLog,
  ControllerDecision,
  LoopConfig,
  OptionDist,
  Question,
  RoundRecord,
  StopReason,
  Trace,
  ViewRecord,
} from './types.js';
import { fusePosterior, letters, roundWeight, topChoice } from './fusion.js';
import { stopDecision } from './stop.js';
import { originalCaption, viewCaption } from './prompts.js';
import { ModelCallError, type ModelImage, type PoseRequestContext, type VisionModel } from './models.js';

/** An original image: pixels (and, when known, its depth and camera, which the perceiver can use). */
export interface OriginalView {
  png: Buffer;
  width: number;
  height: number;
  /** width × height × 4 */
  rgba: Uint8Array;
  depth?: Float32Array;
  camera?: Camera;
}

export interface LoopInput {
  question: Question;
  scene: Scene;
  originals: OriginalView[];
  inputInfo: Trace['input'];
}

export interface LoopHooks {
  /** after every round (failed ones included), with the trace so far */
  onRound?: (round: RoundRecord, trace: Trace) => void | Promise<void>;
  /** progress lines (the CLI sends them to stderr) */
  log?: (line: string) => void;
}

export interface LoopResult {
  trace: Trace;
  /** PNGs for the trace directory: the original(s) and one per rendered view */
  views: { file: string; png: Buffer }[];
}

/** The file name of round r's view. */
export const viewFile = (round: number): string => `round-${String(round).padStart(2, '0')}.png`;
/** The file name of original image i. */
export const originalFile = (i: number): string => `original-${i}.png`;

/** Views shown to a model: the latest ones that fit in the image budget after the originals. */
export function viewsWithinBudget<T>(
  views: T[],
  originals: number,
  imageBudget: number,
): { shown: T[]; omitted: number } {
  const room = Math.max(1, imageBudget - originals);
  const shown = views.slice(Math.max(0, views.length - room));
  return { shown, omitted: views.length - shown.length };
}

/** Orbit (or ego / preset) moves tried, in order, when a pose is needed and the model gave none usable. */
const FALLBACK_ORBITS: [number, number][] = [
  [45, 20],
  [-45, 20],
  [90, 0],
  [-90, 0],
  [0, 60],
  [135, 20],
  [-135, 20],
  [180, 0],
];
const FALLBACK_PRESETS = [
  'orbit_right_60',
  'orbit_left_60',
  'high_angle',
  'orbit_right_90',
  'orbit_left_90',
  'behind',
  'top_down',
] as const;

/** A default exploration pose not yet in `history`, in the configured format (language → orbit). */
export function fallbackPose(format: LoopConfig['poseFormat'], history: Pose[]): NumericPose {
  const seen = new Set(history.map((p) => JSON.stringify(p)));
  const candidates: NumericPose[] =
    format === 'preset'
      ? FALLBACK_PRESETS.map((name) => ({ mode: 'preset', name }))
      : format === 'ego'
        ? FALLBACK_ORBITS.map(([az, el]) => ({
            mode: 'ego',
            yaw_deg: -az / 2,
            pitch_deg: -el / 2,
            forward_m: 0,
            right_m: 0,
            up_m: 0,
          }))
        : FALLBACK_ORBITS.map(([az, el]) => ({ mode: 'orbit', azimuth_deg: az, elevation_deg: el, distance_scale: 1 }));
  return candidates.find((p) => !seen.has(JSON.stringify(p))) ?? candidates[history.length % candidates.length];
}

/** Problems that keep a pose from being rendered: out-of-range fields, or no camera resolves. */
function poseProblems(pose: Pose, ctx: PoseContext): string[] {
  if (pose.mode === 'language') return ['a language pose must be turned into numbers first'];
  const errs = poseRangeErrors(pose);
  if (errs.length) return errs;
  try {
    c2wFromPose(pose, ctx);
    return [];
  } catch (e) {
    return [isVantageError(e) ? e.message : String(e)];
  }
}

/** A pose made renderable: clamped into range; an unresolvable pivot becomes the centre; else a default. */
function forcedPose(
  pose: Pose,
  ctx: PoseContext,
  format: LoopConfig['poseFormat'],
  history: Pose[],
): { pose: NumericPose; clamped: string[] } {
  if (pose.mode !== 'language') {
    try {
      const c = clampPose(pose);
      let p = c.pose as NumericPose;
      const clamped = [...c.clamped];
      if (p.mode === 'orbit' && p.pivot && p.pivot !== 'center' && poseProblems(p, ctx).length) {
        clamped.push(`pivot (${p.pivot.u}, ${p.pivot.v}) → center (no lifted point there)`);
        p = { ...p, pivot: 'center' };
      }
      if (!poseProblems(p, ctx).length) return { pose: p, clamped };
    } catch {
      /* not clampable: fall through to a default pose */
    }
  }
  const p = fallbackPose(format, history);
  return { pose: p, clamped: [`pose replaced by the default exploration pose ${poseCaption(p)}`] };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function uniformDist(keys: string[]): OptionDist {
  return Object.fromEntries(keys.map((k) => [k, 1 / keys.length]));
}

function failedAnswer(keys: string[], why: string): Answer {
  return {
    choice: '',
    confidence: 0,
    rationale: why,
    dist: uniformDist(keys),
    distSource: 'uniform-fallback',
    cannotTell: true,
  };
}

/** Run the loop for one question over one scene. Never rejects once round 0 has started. */
export async function runLoop(
  input: LoopInput,
  model: VisionModel,
  renderer: Renderer,
  config: LoopConfig,
  hooks: LoopHooks = {},
): Promise<LoopResult> {
  const t0 = performance.now();
  const log = hooks.log ?? (() => {});
  const { question, scene } = input;
  const keys = letters(question.options.length);
  const poseCtx = poseContextOf(scene);
  const intrinsics = scaleIntrinsics(scene.reference.intrinsics, config.width, config.height);
  const createdAt = new Date().toISOString();

  const originals: ModelImage[] = input.originals.map((o, i) => ({
    file: originalFile(i),
    png: o.png,
    width: o.width,
    height: o.height,
    rgba: o.rgba,
    caption: `${originalCaption(i, input.originals.length)}${i === 0 ? `: ${poseCaption(REFERENCE_POSE)}` : ''}`,
    round: 0,
    coverageRatio: 1,
    ...(o.depth ? { depth: o.depth } : {}),
    camera: o.camera ?? (i === 0 ? scene.reference : undefined),
    ...(i === 0 ? { pose: REFERENCE_POSE } : {}),
  }));
  const files: { file: string; png: Buffer }[] = originals.map((o) => ({ file: o.file, png: o.png }));
  const rendered: ModelImage[] = [];
  const history: Pose[] = [];
  const rounds: RoundRecord[] = [];
  let stopReason: StopReason | undefined;

  const tokensUsed = () =>
    rounds.reduce((a, r) => a + r.calls.reduce((b, c) => b + c.promptTokens + c.completionTokens, 0), 0);
  const lastGood = () => rounds[rounds.length - 1];
  const posteriorOf = (): OptionDist =>
    fusePosterior(
      config.fusion,
      rounds.map((r) => ({ dist: r.answer.dist, weight: roundWeight(r) })),
      keys,
    );
  const anyEvidence = () => rounds.some((r) => roundWeight(r) > 0);

  const trace = (): Trace => {
    const last = lastGood();
    const posterior = last?.posterior ?? uniformDist(keys);
    const top = anyEvidence() ? topChoice(posterior) : { choice: '', probability: 0 };
    const calls = rounds.flatMap((r) => r.calls);
    return {
      version: 1,
      createdAt,
      question,
      config,
      modelLabel: model.label,
      input: input.inputInfo,
      reference: { intrinsics: scene.reference.intrinsics, c2w: Array.from(toF64(scene.reference.c2w)) },
      up: [...scene.up],
      pivot: [...scene.pivot],
      rounds,
      final: {
        choice: top.choice,
        probability: top.probability,
        posterior,
        stopReason: stopReason ?? 'error',
        rounds: rounds.length,
      },
      totals: {
        promptTokens: calls.reduce((a, c) => a + c.promptTokens, 0),
        completionTokens: calls.reduce((a, c) => a + c.completionTokens, 0),
        calls: calls.length,
        ms: Math.round(performance.now() - t0),
      },
    };
  };

  /** Fuse and record a finished round (or a failed one, which carries no weight). */
  const record = async (r: Omit<RoundRecord, 'posterior' | 'fusedChoice' | 'margin'>) => {
    const partial = { ...r, posterior: {}, fusedChoice: '', margin: 0 } as RoundRecord;
    rounds.push(partial);
    const posterior = anyEvidence() ? posteriorOf() : uniformDist(keys);
    const top = anyEvidence() ? topChoice(posterior) : { choice: '', margin: 0, probability: 0 };
    partial.posterior = posterior;
    partial.fusedChoice = top.choice;
    partial.margin = top.margin;
    const what = r.failed
      ? `failed: ${r.failed}`
      : `answer ${r.answer.choice || '—'} → fused ${top.choice || '—'} (p=${(posterior[top.choice] ?? 0).toFixed(2)})`;
    log(`round ${r.round}${r.view ? ` [${r.view.caption}]` : ''}: ${what}`);
    if (hooks.onRound) {
      try {
        await hooks.onRound(partial, trace());
      } catch (e) {
        log(`onRound hook failed: ${messageOf(e)}`);
      }
    }
  };

  const answerCtx = (round: number) => {
    const { shown, omitted } = viewsWithinBudget(rendered, originals.length, config.imageBudget);
    return { question, originals, views: shown, omittedViews: omitted, round, config };
  };

  // Round 0: the original image(s) alone.
  {
    const rt = performance.now();
    try {
      const { answer, calls } = await model.answer(answerCtx(0));
      await record({ round: 0, answer, calls, ms: Math.round(performance.now() - rt) });
    } catch (e) {
      await record({
        round: 0,
        answer: failedAnswer(keys, messageOf(e)),
        calls: callsOf(e),
        ms: Math.round(performance.now() - rt),
        failed: messageOf(e),
      });
      stopReason = 'error';
    }
  }

  while (!stopReason) {
    const state = () => ({
      round: rounds.length - 1,
      maxRounds: config.maxRounds,
      fusedChoices: rounds.map((r) => r.fusedChoice),
      margins: rounds.map((r) => r.margin),
      modelSaidStop: false,
      tokensUsed: tokensUsed(),
      msUsed: performance.now() - t0,
    });
    stopReason = stopDecision(config.stop, state());
    if (stopReason) break;

    const round = rounds.length;
    const rt = performance.now();
    const calls: CallLog[] = [];
    let decision: ControllerDecision | undefined;
    let view: ViewRecord | undefined;
    try {
      const current = lastGood();
      const poseCtxFor = (feedback?: string[]): PoseRequestContext => ({
        ...answerCtx(round),
        format: config.poseFormat,
        maxRounds: config.maxRounds,
        history: [...history],
        historyCaptions: rendered.map((v) => v.caption),
        ...(current?.fusedChoice
          ? { current: { choice: current.fusedChoice, probability: current.posterior[current.fusedChoice] ?? 0 } }
          : {}),
        ...(feedback ? { feedback } : {}),
      });

      // 1. the controller's pose (fed back once when unusable, then clamped)
      const poseErrors: string[] = [];
      let clamped: string[] = [];
      let first = await model.nextPose(poseCtxFor());
      calls.push(...first.calls);
      decision = first.decision;
      if (decision.action === 'stop') {
        const reason = stopDecision(config.stop, { ...state(), modelSaidStop: true });
        if (reason) {
          // no view this time: the stop and its call belong to the last round
          const last = rounds[rounds.length - 1];
          last.calls.push(...calls);
          last.decision ??= decision;
          stopReason = reason;
          log(`controller: stop (${decision.reason})`);
          break;
        }
        // a fixed-rounds run looks anyway
        const p = fallbackPose(config.poseFormat, history);
        decision = {
          action: 'view',
          pose: p,
          reason: `the model said stop (${decision.reason}); the fixed-rounds policy needs a view, so a default pose`,
        };
        first = { decision, calls: [] };
      }
      let pose: Pose = first.resolved ?? decision.pose;
      let noPose = !!first.problems?.length;
      let problems = noPose ? first.problems! : poseProblems(pose, poseCtx);
      if (problems.length) {
        poseErrors.push(...problems);
        log(`pose problem, fed back: ${problems.join('; ')}`);
        const again = await model.nextPose(poseCtxFor(problems));
        calls.push(...again.calls);
        if (again.decision.action === 'view') {
          decision = again.decision;
          pose = again.resolved ?? again.decision.pose;
          noPose = !!again.problems?.length;
          problems = noPose ? again.problems! : poseProblems(pose, poseCtx);
          if (problems.length) poseErrors.push(...problems.map((p) => `again: ${p}`));
        }
        // a stop in reply to the feedback is not honoured: the first request asked for a view
      }
      if (problems.length) {
        const forced = noPose
          ? { pose: fallbackPose(config.poseFormat, history), clamped: [] as string[] }
          : forcedPose(pose, poseCtx, config.poseFormat, history);
        if (noPose) forced.clamped.push(`no pose given: the default exploration pose ${poseCaption(forced.pose)}`);
        pose = forced.pose;
        clamped = forced.clamped;
        log(`pose clamped: ${clamped.join('; ')}`);
      }
      const numeric = pose as NumericPose;

      // 2. render
      const c2w = c2wFromPose(numeric, poseCtx);
      const camera: Camera = { intrinsics, c2w };
      const rs = performance.now();
      const out: RenderedView = await renderer.render(scene, camera, {
        mode: config.render,
        width: config.width,
        height: config.height,
        holes: config.holes,
        holeColor: HOLE_MARK_COLOR,
      });
      const png = await encodePng(out.rgba, out.width, out.height, 4);
      const renderMs = Math.round(performance.now() - rs);
      const caption = viewCaption(round, poseCaption(numeric), out.coverageRatio);
      const file = viewFile(round);
      history.push(numeric);
      files.push({ file, png });
      rendered.push({
        file,
        png,
        width: out.width,
        height: out.height,
        rgba: out.rgba,
        caption,
        round,
        depth: out.depth,
        coverage: out.coverage,
        coverageRatio: out.coverageRatio,
        camera,
        pose: numeric,
      });
      view = {
        file,
        pose: numeric,
        caption,
        camera: { intrinsics, c2w: Array.from(c2w) },
        c2w: Array.from(c2w),
        coverage: out.coverageRatio,
        mode: out.mode,
        holes: out.holes,
        renderer: out.renderer,
        renderMs,
        poseErrors,
        clamped,
      };

      // 3. answer again, with the original and the views so far
      const { answer, calls: answerCalls } = await model.answer(answerCtx(round));
      calls.push(...answerCalls);
      await record({ round, view, decision, answer, calls, ms: Math.round(performance.now() - rt) });
    } catch (e) {
      calls.push(...callsOf(e));
      await record({
        round,
        ...(view ? { view } : {}),
        ...(decision ? { decision } : {}),
        answer: failedAnswer(keys, messageOf(e)),
        calls,
        ms: Math.round(performance.now() - rt),
        failed: messageOf(e),
      });
      stopReason = 'error';
    }
  }

  return { trace: trace(), views: files };
}

function callsOf(e: unknown): CallLog[] {
  return e instanceof ModelCallError ? e.calls : [];
}
