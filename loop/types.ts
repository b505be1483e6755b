/**
 * Plain data of the reasoning loop (docs/design.md, "Data flow"). The trace is what
 * `trace.json` holds: every prompt, pose, image, answer, posterior, token count and latency, and why
 * the loop stopped. It never holds an API key or an auth header.
 */
import type { Camera, HoleMode, Mat4, Question, RenderMode } from '../core/types.js';
import type { LoopConfig } from './config.js';
import type { Pose } from '../core/pose.js';
import type { Footprint } from './footprint.js';
import type { CallRecord } from '../core/mllm/index.js';
import type { RegistrationRecord } from '../synth/register/types.js';

/** Probability per option letter, summing to 1. */
export type OptionDist = Record<string, number>;

/** What an answerer returned for one round. */
export interface Answer {
  /** option letter ("A") or free-form text; "" when the model failed */
  choice: string;
  confidence: number;
  rationale: string;
  /** option distribution: from logprobs when the server gave them, else from the self-report */
  dist: OptionDist;
  distSource: 'logprobs' | 'self-report' | 'uniform-fallback';
  /** the model said it cannot tell from what it sees */
  cannotTell?: boolean;
  /** numeric questions: the estimate in the question's unit (`choice` holds it as text) */
  value?: number;
  /** the reply named no option (a letter outside them, even after it was fed back): no evidence */
  unparsed?: boolean;
}

/** The controller's request for the next view, or its decision to stop. */
export type ControllerDecision = { action: 'view'; pose: Pose; reason: string } | { action: 'stop'; reason: string };

/** One model call, as recorded: the client's CallRecord figures (no keys, no headers), its role and texts. */
export interface CallLog extends Pick<
  CallRecord,
  'model' | 'cached' | 'attempts' | 'latencyMs' | 'promptTokens' | 'completionTokens' | 'errors'
> {
  role: 'controller' | 'answerer' | 'language-pose';
  /** prompt text sent (images replaced by "[image: file]") */
  prompt?: string;
  /** raw model reply text */
  reply?: string;
  /** the request's hash (the response cache's key: model, messages, parameters) */
  requestHash?: string;
}

/** A rendered view as the trace keeps it. */
export interface ViewRecord {
  /** PNG file name inside the trace directory */
  file: string;
  pose: Pose;
  /** the pose as actually rendered (after any clamp) */
  caption: string;
  camera: Camera;
  c2w: number[];
  coverage: number;
  mode: RenderMode;
  holes: HoleMode;
  renderer: 'webgpu' | 'reference';
  renderMs: number;
  /** pose problems sent back to the model, and clamps applied */
  poseErrors: string[];
  clamped: string[];
}

export interface RoundRecord {
  round: number;
  /** round 0 has no view */
  view?: ViewRecord;
  decision?: ControllerDecision;
  answer: Answer;
  /** fused posterior after this round */
  posterior: OptionDist;
  /** letter with the highest posterior after this round */
  fusedChoice: string;
  margin: number;
  calls: CallLog[];
  /** this round's own wall time (render + calls + fusion) */
  ms: number;
  failed?: string;
  /** the weight this round carried in fusion (round 0: 1; a view: its coverage, …), when recorded */
  fusionWeight?: number;
  /** numeric questions: the fused estimate after this round (weighted log-space median), question's unit */
  fusedValue?: number;
}

export type StopReason =
  | 'stable'
  | 'model-stop'
  | 'max-rounds'
  | 'token-budget'
  | 'time-budget'
  | 'fixed-rounds'
  | 'error'
  | 'unusable-replies';

export type { FusionPolicy, LoopConfig } from './config.js';

export interface Trace {
  version: 1;
  createdAt: string;
  question: Question;
  config: LoopConfig;
  /** human label of the model, e.g. "builtin:perceiver (deterministic pixel perceiver — not an LLM)" */
  modelLabel: string;
  input: {
    images: string[];
    depth?: string;
    intrinsics: string;
    units: 'metres' | 'relative';
    notes: string[];
    /** poses estimated from the photos, per photo, when several came without a trajectory */
    registration?: RegistrationRecord;
  };
  /** reference camera and scene up, for the top-down sketch */
  reference: Camera;
  up: [number, number, number];
  pivot: [number, number, number];
  /** a sample of the scene's points for the top-down map (loop/footprint.ts); absent in older traces */
  footprint?: Footprint;
  rounds: RoundRecord[];
  final: {
    choice: string;
    probability: number;
    posterior: OptionDist;
    stopReason: StopReason;
    rounds: number;
    /** numeric questions: the fused estimate in the question's unit */
    value?: number;
  };
  totals: { promptTokens: number; completionTokens: number; calls: number; ms: number };
}

export type { Mat4 };
