/**
 * The reasoning loop (docs/design.md, "Data flow"). Round 0 answers from the original image(s) alone.
 * Each later round is: the controller asks for a pose (or "stop") → the view is rendered → the
 * answerer answers again with the originals and the views so far → fusion updates the posterior →
 * the stop policy decides whether to look again.
 *
 * Nothing is lost: a failure mid-loop ends the loop with stopReason 'error' and keeps every round
 * done so far (and the failed round's calls), so the trace shows what happened.
 */
import type { Camera, Intrinsics, Question, Renderer, Scene } from '../core/types.js';
import { scaleIntrinsics, toF64 } from '../core/camera.js';
import {
  c2wFromPose,
  poseCaption,
  REFERENCE_POSE,
  type NumericPose,
  type Pose,
  type PoseContext,
} from '../core/pose.js';
import { HOLE_MARK_COLOR } from '../core/config.js';
import { letters } from '../core/options.js';
import { encodePng } from '../core/io/image.js';
import { poseContextOf } from '../synth/scene.js';
import type { InputInfo } from '../synth/scene-source.js';
import type {
  Answer,
  CallLog,
  ControllerDecision,
  LoopConfig,
  OptionDist,
  RoundRecord,
  StopReason,
  Trace,
  ViewRecord,
} from './types.js';
import { fuseNumeric, fusePosterior, roundWeight, topChoice } from './fusion.js';
import { stopDecision, type StopState } from './stop.js';
import { originalCaption, viewCaption } from './prompts.js';
import { fallbackPose, forcedPose, poseProblems } from './pose-choice.js';
import {
  ModelCallError,
  type AnswerContext,
  type ModelImage,
  type PoseRequestContext,
  type PoseResult,
  type ViewGeometry,
  type VisionModel,
} from './models/contract.js';

/** An original image as the loop shows it: its PNG (encoded once) and its geometry for models that read it. */
export interface OriginalView {
  png: Buffer;
  width: number;
  height: number;
  /** pixels, and the depth and camera it was lifted with when known */
  geometry: ViewGeometry;
}

export interface LoopInput {
  question: Question;
  scene: Scene;
  originals: OriginalView[];
  inputInfo: InputInfo;
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
const viewFile = (round: number): string => `round-${String(round).padStart(2, '0')}.png`;
/** The file name of original image i. */
export const originalFile = (i: number): string => `original-${i}.png`;

/**
 * Views shown to a model: the latest imageBudget − 1 (at least one). The budget counts one original as
 * a single photo's does; further originals (several photos of one item) never take a view's place, and
 * are never dropped for views.
 */
export function viewsWithinBudget<T>(
  views: T[],
  _originals: number,
  imageBudget: number,
): { shown: T[]; omitted: number } {
  const room = Math.max(1, imageBudget - 1);
  const shown = views.slice(Math.max(0, views.length - room));
  return { shown, omitted: views.length - shown.length };
}

/** Everything one run of the loop holds while it runs. */
interface Run {
  input: LoopInput;
  model: VisionModel;
  config: LoopConfig;
  hooks: LoopHooks;
  log: (line: string) => void;
  keys: string[];
  poseCtx: PoseContext;
  /** the rendered views' intrinsics: the reference camera's at the configured size */
  intrinsics: Intrinsics;
  t0: number;
  createdAt: string;
  originals: ModelImage[];
  rendered: ModelImage[];
  files: { file: string; png: Buffer }[];
  history: Pose[];
  rounds: RoundRecord[];
  stopReason?: StopReason;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const callsOf = (e: unknown): CallLog[] => (e instanceof ModelCallError ? e.calls : []);
const uniformDist = (keys: string[]): OptionDist => Object.fromEntries(keys.map((k) => [k, 1 / keys.length]));

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
  const run = startRun(input, model, config, hooks);
  // The renderer uploads the scene while the model answers round 0, off the views' critical path.
  if (config.maxRounds > 0) void renderer.prepare?.(input.scene);
  await answerRound0(run);
  while (!run.stopReason) {
    run.stopReason = stopDecision(config.stop, stopState(run));
    if (run.stopReason) break;
    await viewRound(run, renderer);
  }
  return { trace: traceOf(run), views: run.files };
}

function startRun(input: LoopInput, model: VisionModel, config: LoopConfig, hooks: LoopHooks): Run {
  const { scene } = input;
  const originals: ModelImage[] = input.originals.map((o, i) => ({
    file: originalFile(i),
    png: o.png,
    width: o.width,
    height: o.height,
    caption: `${originalCaption(i, input.originals.length)}${i === 0 ? `: ${poseCaption(REFERENCE_POSE)}` : ''}`,
    round: 0,
    coverageRatio: 1,
    ...(i === 0 ? { pose: REFERENCE_POSE } : {}),
    ...(model.wantsGeometry
      ? { geometry: { ...o.geometry, camera: o.geometry.camera ?? (i === 0 ? scene.reference : undefined) } }
      : {}),
  }));
  return {
    input,
    model,
    config,
    hooks,
    log: hooks.log ?? (() => {}),
    keys: letters(input.question.options.length),
    poseCtx: poseContextOf(scene),
    intrinsics: scaleIntrinsics(scene.reference.intrinsics, config.width, config.height),
    t0: performance.now(),
    createdAt: new Date().toISOString(),
    originals,
    rendered: [],
    files: originals.map((o) => ({ file: o.file, png: o.png })),
    history: [],
    rounds: [],
  };
}

/** Round 0: the original image(s) alone. */
async function answerRound0(run: Run): Promise<void> {
  const rt = performance.now();
  try {
    const { answer, calls } = await run.model.answer(answerContext(run, 0));
    await recordRound(run, { round: 0, answer, calls, ms: Math.round(performance.now() - rt) });
  } catch (e) {
    await recordRound(run, {
      round: 0,
      answer: failedAnswer(run.keys, messageOf(e)),
      calls: callsOf(e),
      ms: Math.round(performance.now() - rt),
      failed: messageOf(e),
    });
    run.stopReason = 'error';
  }
}

/** One view round: controller → render → answerer → fusion. A failure ends the loop, keeping what was done. */
async function viewRound(run: Run, renderer: Renderer): Promise<void> {
  const round = run.rounds.length;
  const rt = performance.now();
  const calls: CallLog[] = [];
  let decision: ControllerDecision | undefined;
  let view: ViewRecord | undefined;
  try {
    const chosen = await choosePose(run, round, calls);
    if (chosen === 'stopped') return;
    decision = chosen.decision;
    view = await renderRoundView(run, renderer, round, chosen);
    const { answer, calls: answerCalls } = await run.model.answer(answerContext(run, round));
    calls.push(...answerCalls);
    await recordRound(run, { round, view, decision, answer, calls, ms: Math.round(performance.now() - rt) });
  } catch (e) {
    calls.push(...callsOf(e));
    await recordRound(run, {
      round,
      ...(view ? { view } : {}),
      ...(decision ? { decision } : {}),
      answer: failedAnswer(run.keys, messageOf(e)),
      calls,
      ms: Math.round(performance.now() - rt),
      failed: messageOf(e),
    });
    run.stopReason = 'error';
  }
}

interface ChosenPose {
  decision: ControllerDecision & { action: 'view' };
  pose: NumericPose;
  poseErrors: string[];
  clamped: string[];
}

/**
 * The controller's pose for this round, fed back once when unusable, then clamped or replaced. A
 * "stop" the policy accepts ends the loop here ('stopped'); a fixed-rounds run looks anyway.
 */
async function choosePose(run: Run, round: number, calls: CallLog[]): Promise<ChosenPose | 'stopped'> {
  const { config, model, poseCtx, history, log } = run;
  let first = await model.nextPose(poseRequest(run, round));
  calls.push(...first.calls);
  let decision = first.decision;
  if (decision.action === 'stop') {
    const reason = stopDecision(config.stop, { ...stopState(run), modelSaidStop: true });
    if (reason) {
      // no view this time: the stop and its call belong to the last round
      const last = run.rounds[run.rounds.length - 1];
      last.calls.push(...calls);
      last.decision ??= decision;
      run.stopReason = reason;
      log(`controller: stop (${decision.reason})`);
      return 'stopped';
    }
    const p = fallbackPose(config.poseFormat, history);
    decision = {
      action: 'view',
      pose: p,
      reason: `the model said stop (${decision.reason}); the fixed-rounds policy needs a view, so a default pose`,
    };
    first = { decision, calls: [] };
  }
  let viewDecision: ChosenPose['decision'] = decision;
  let pose: Pose = first.resolved ?? viewDecision.pose;
  let noPose = !!first.problems?.length;
  let problems = noPose ? first.problems! : poseProblems(pose, poseCtx);
  const poseErrors: string[] = [];
  if (problems.length) {
    poseErrors.push(...problems);
    log(`pose problem, fed back: ${problems.join('; ')}`);
    const again: PoseResult = await model.nextPose(poseRequest(run, round, problems));
    calls.push(...again.calls);
    // a stop in reply to the feedback is not honoured: the first request asked for a view
    if (again.decision.action === 'view') {
      viewDecision = again.decision;
      pose = again.resolved ?? again.decision.pose;
      noPose = !!again.problems?.length;
      problems = noPose ? again.problems! : poseProblems(pose, poseCtx);
      if (problems.length) poseErrors.push(...problems.map((p) => `again: ${p}`));
    }
  }
  let clamped: string[] = [];
  if (problems.length) {
    const forced = noPose
      ? { pose: fallbackPose(config.poseFormat, history), clamped: [] as string[] }
      : forcedPose(pose, poseCtx, config.poseFormat, history);
    if (noPose) forced.clamped.push(`no pose given: the default exploration pose ${poseCaption(forced.pose)}`);
    pose = forced.pose;
    clamped = forced.clamped;
    log(`pose clamped: ${clamped.join('; ')}`);
  }
  return { decision: viewDecision, pose: pose as NumericPose, poseErrors, clamped };
}

/** Render the chosen pose, add the view to what the model sees, and return its record. */
async function renderRoundView(run: Run, renderer: Renderer, round: number, chosen: ChosenPose): Promise<ViewRecord> {
  const { config, intrinsics } = run;
  const c2w = c2wFromPose(chosen.pose, run.poseCtx);
  const camera: Camera = { intrinsics, c2w };
  const rs = performance.now();
  const out = await renderer.render(run.input.scene, camera, {
    mode: config.render,
    width: config.width,
    height: config.height,
    holes: config.holes,
    holeColor: HOLE_MARK_COLOR,
  });
  const png = await encodePng(out.rgba, out.width, out.height, 4);
  const renderMs = Math.round(performance.now() - rs);
  const caption = viewCaption(round, poseCaption(chosen.pose), out.coverageRatio);
  const file = viewFile(round);
  run.history.push(chosen.pose);
  run.files.push({ file, png });
  run.rendered.push({
    file,
    png,
    width: out.width,
    height: out.height,
    caption,
    round,
    coverageRatio: out.coverageRatio,
    pose: chosen.pose,
    ...(run.model.wantsGeometry
      ? { geometry: { rgba: out.rgba, depth: out.depth, coverage: out.coverage, camera } }
      : {}),
  });
  return {
    file,
    pose: chosen.pose,
    caption,
    camera: { intrinsics, c2w: Array.from(c2w) },
    c2w: Array.from(c2w),
    coverage: out.coverageRatio,
    mode: out.mode,
    holes: out.holes,
    renderer: out.renderer,
    renderMs,
    poseErrors: chosen.poseErrors,
    clamped: chosen.clamped,
  };
}

function answerContext(run: Run, round: number): AnswerContext {
  const { shown, omitted } = viewsWithinBudget(run.rendered, run.originals.length, run.config.imageBudget);
  return {
    question: run.input.question,
    originals: run.originals,
    views: shown,
    omittedViews: omitted,
    round,
    config: run.config,
  };
}

function poseRequest(run: Run, round: number, feedback?: string[]): PoseRequestContext {
  const current = run.rounds[run.rounds.length - 1];
  return {
    ...answerContext(run, round),
    format: run.config.poseFormat,
    maxRounds: run.config.maxRounds,
    history: [...run.history],
    historyCaptions: run.rendered.map((v) => v.caption),
    ...(current?.fusedChoice
      ? { current: { choice: current.fusedChoice, probability: current.posterior[current.fusedChoice] ?? 0 } }
      : {}),
    ...(feedback ? { feedback } : {}),
  };
}

function stopState(run: Run): StopState {
  const { rounds } = run;
  return {
    round: rounds.length - 1,
    maxRounds: run.config.maxRounds,
    fusedChoices: rounds.map((r) => r.fusedChoice),
    margins: rounds.map((r) => r.margin),
    ...(run.input.question.numeric ? { fusedValues: rounds.map((r) => r.fusedValue) } : {}),
    modelSaidStop: false,
    unusableStreak: unusableStreakOf(rounds),
    tokensUsed: rounds.reduce((a, r) => a + r.calls.reduce((b, c) => b + c.promptTokens + c.completionTokens, 0), 0),
    msUsed: performance.now() - run.t0,
  };
}

/** Rounds in a row, ending with the last, whose answer named none of the options. */
function unusableStreakOf(rounds: RoundRecord[]): number {
  let n = 0;
  for (let i = rounds.length - 1; i >= 0 && rounds[i].answer.unparsed; i--) n++;
  return n;
}

const anyEvidence = (run: Run) => run.rounds.some((r) => roundWeight(r) > 0);

/** Fusion: add a finished round (or a failed one, which carries no weight) and update the posterior. */
async function recordRound(run: Run, r: Omit<RoundRecord, 'posterior' | 'fusedChoice' | 'margin'>): Promise<void> {
  const { keys, config } = run;
  const partial = { ...r, posterior: {}, fusedChoice: '', margin: 0 } as RoundRecord;
  run.rounds.push(partial);
  const evidence = anyEvidence(run);
  if (run.input.question.numeric) {
    // numbers are pooled by a weighted median, not by a distribution over options
    const value = fuseNumeric(run.rounds.map((x) => ({ value: x.answer.value, weight: roundWeight(x) })));
    partial.fusedValue = value;
    partial.fusedChoice = value === undefined ? '' : String(value);
    run.log(
      `round ${r.round}${r.view ? ` [${r.view.caption}]` : ''}: ${r.failed ? `failed: ${r.failed}` : `estimate ${r.answer.choice || '—'} → fused ${partial.fusedChoice || '—'}`}`,
    );
    await callOnRound(run, partial);
    return;
  }
  const posterior = evidence
    ? fusePosterior(
        config.fusion,
        run.rounds.map((x) => ({ dist: x.answer.dist, weight: roundWeight(x) })),
        keys,
      )
    : uniformDist(keys);
  const top = evidence ? topChoice(posterior) : { choice: '', margin: 0, probability: 0 };
  partial.posterior = posterior;
  partial.fusedChoice = top.choice;
  partial.margin = top.margin;
  const what = r.failed
    ? `failed: ${r.failed}`
    : `answer ${r.answer.choice || '—'} → fused ${top.choice || '—'} (p=${(posterior[top.choice] ?? 0).toFixed(2)})`;
  run.log(`round ${r.round}${r.view ? ` [${r.view.caption}]` : ''}: ${what}`);
  await callOnRound(run, partial);
}

async function callOnRound(run: Run, round: RoundRecord): Promise<void> {
  if (!run.hooks.onRound) return;
  try {
    await run.hooks.onRound(round, traceOf(run));
  } catch (e) {
    run.log(`onRound hook failed: ${messageOf(e)}`);
  }
}

/** The trace so far (the final one once the loop has stopped). */
function traceOf(run: Run): Trace {
  const { rounds, keys, input, t0 } = run;
  const { scene } = input;
  const last = rounds[rounds.length - 1];
  const posterior = last?.posterior ?? uniformDist(keys);
  const numeric = input.question.numeric ? last?.fusedValue : undefined;
  const top =
    numeric !== undefined
      ? { choice: String(numeric), probability: 0 }
      : anyEvidence(run) && !input.question.numeric
        ? topChoice(posterior)
        : { choice: '', probability: 0 };
  const calls = rounds.flatMap((r) => r.calls);
  return {
    version: 1,
    createdAt: run.createdAt,
    question: input.question,
    config: run.config,
    modelLabel: run.model.label,
    input: input.inputInfo,
    reference: { intrinsics: scene.reference.intrinsics, c2w: Array.from(toF64(scene.reference.c2w)) },
    up: [...scene.up],
    pivot: [...scene.pivot],
    rounds,
    final: {
      choice: top.choice,
      probability: top.probability,
      posterior,
      stopReason: run.stopReason ?? 'error',
      rounds: rounds.length,
      ...(numeric !== undefined ? { value: numeric } : {}),
    },
    totals: {
      promptTokens: calls.reduce((a, c) => a + c.promptTokens, 0),
      completionTokens: calls.reduce((a, c) => a + c.completionTokens, 0),
      calls: calls.length,
      ms: Math.round(performance.now() - t0),
    },
  };
}
