/**
 * The contract between the loop and a vision model: what a model is handed (images with captions,
 * the question, the history of poses) and what it returns (an answer, or the next pose or "stop"),
 * with every call recorded as a CallLog. A failed call throws a ModelCallError carrying its CallLogs,
 * so the trace keeps them.
 */
import type { Camera, Question, Renderer, Scene } from '../../core/types.js';
import { VantageError } from '../../core/errors.js';
import type { NumericPose, Pose } from '../../core/pose.js';
import type { Answer, CallLog, ControllerDecision, LoopConfig } from '../types.js';
import type { PoseFormat } from '../prompts.js';

/**
 * What a model that reads geometry gets beside the picture (the built-in perceiver does; an MLLM
 * never does): the decoded pixels, the depth and coverage per pixel, and the camera. The loop
 * attaches it only for models whose `wantsGeometry` is set.
 */
export interface ViewGeometry {
  /** width × height × 4, sRGB */
  rgba: Uint8Array;
  /** camera-space z per pixel (0 = none): rendered depth, or the input depth for an original */
  depth?: Float32Array;
  /** 1 = real surface, 0 = hole (rendered views only) */
  coverage?: Uint8Array;
  camera?: Camera;
}

/** An image as the loop hands it to a model. */
export interface ModelImage {
  /** file name inside the trace directory (original-0.png, round-01.png …) */
  file: string;
  png: Buffer;
  width: number;
  height: number;
  /** what the model is told about the image: its pose in words and numbers, and coverage */
  caption: string;
  /** 0 for an original image, else the round that rendered it */
  round: number;
  /** share of real surface (1 for an original) */
  coverageRatio: number;
  pose?: Pose;
  /** only for models that ask for it (VisionModel.wantsGeometry) */
  geometry?: ViewGeometry;
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
  /** the loop attaches each image's ViewGeometry (pixels, depth, camera) when set */
  readonly wantsGeometry?: boolean;
  answer(ctx: AnswerContext): Promise<{ answer: Answer; calls: CallLog[] }>;
  nextPose(ctx: PoseRequestContext): Promise<PoseResult>;
  /**
   * called by the session before each question's loop, for models that show the scene live (the
   * browser human model renders frames as the person moves the camera)
   */
  beginQuestion?(q: { question: Question; scene: Scene; renderer: Renderer; config: LoopConfig }): void | Promise<void>;
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
