/**
 * Errors a user can act on, and the exit codes of the CLI (docs/design.md, "Errors").
 *
 * A VantageError says what was wrong, with which input, and how to fix it; the CLI prints `message`
 * (and `hint`) without a stack trace. Anything that is not a VantageError is a bug and keeps its
 * stack. Every code is listed in ErrorCode, so a typo in a code, or a branch on a code nothing
 * throws, fails the type-check. Callers that branch on a kind of failure test a subclass
 * (NoGpuError, MllmError in core/mllm/errors.ts) rather than comparing strings.
 */

/** Every error code, by subject. */
export type ErrorCode =
  // command-line options, configs, library arguments
  | 'bad-option'
  | 'bad-options'
  | 'bad-arguments'
  | 'bad-config'
  | 'bad-input'
  | 'bad-output'
  | 'bad-size'
  | 'bad-seed'
  | 'bad-grid'
  | 'bad-fusion'
  | 'bad-subset'
  | 'bad-question'
  | 'bad-model'
  | 'no-model'
  | 'input-too-large'
  // files and paths
  | 'file-not-found'
  | 'file-empty'
  | 'file-too-large'
  | 'file-unreadable'
  | 'file-write-failed'
  | 'not-a-file'
  | 'bad-path'
  | 'bad-root'
  | 'path-outside-root'
  | 'cache-unwritable'
  // images and depth maps
  | 'image-corrupt'
  | 'image-empty'
  | 'image-invalid'
  | 'image-too-large'
  | 'image-unsupported'
  | 'bad-pixels'
  | 'size-mismatch'
  | 'depth-corrupt'
  | 'depth-empty'
  | 'depth-no-valid'
  | 'depth-not-16bit'
  | 'depth-bad-dtype'
  | 'bad-depth-value'
  | 'bad-depth-kind'
  | 'bad-depth-range'
  | 'mixed-units'
  // videos
  | 'bad-video'
  | 'video-too-long'
  | 'video-failed'
  | 'no-ffmpeg'
  // stops, locks and hosts
  | 'interrupted'
  | 'deadline'
  | 'dir-locked'
  | 'no-roots'
  // registration of several photos
  | 'no-registration'
  | 'opencv-start'
  | 'bad-register-method'
  // the job queue
  | 'queue-unreachable'
  | 'worker-files'
  // depth alignment and depth models
  | 'bad-anchors'
  | 'depth-alignment-conflict'
  | 'depth-anchor-no-depth'
  | 'depth-anchor-outside'
  | 'depth-anchors-degenerate'
  | 'depth-anchors-too-few'
  | 'bad-depth-model'
  | 'unknown-depth-model'
  | 'bad-input-size'
  | 'bad-provider'
  | 'depth-provider-unavailable'
  | 'depth-model-failed'
  | 'depth-model-invalid'
  | 'depth-model-output'
  | 'depth-model-unrecognised'
  | 'model-download-failed'
  | 'model-not-cached'
  // cameras, poses, trajectories, scenes
  | 'bad-camera'
  | 'bad-intrinsics'
  | 'bad-fov'
  | 'bad-matrix'
  | 'bad-vector'
  | 'bad-pose'
  | 'bad-trajectory'
  | 'bad-frame'
  | 'no-frames'
  | 'bad-scene'
  | 'ply-invalid'
  | 'ply-format-mismatch'
  | 'ply-truncated'
  | 'ply-missing-properties'
  | 'ply-too-large'
  | 'bad-object'
  // rendering and the GPU
  | 'bad-render-options'
  | 'render-too-large'
  | 'renderer-disposed'
  | 'webgpu-unavailable'
  | 'no-gpu-adapter'
  | 'gpu-device-failed'
  | 'gpu-error'
  | 'gpu-lost'
  | 'shader-error'
  | 'shaders-missing'
  | 'bad-metric-input'
  // the MLLM and the loop
  | 'mllm-config'
  | 'mllm-request'
  | 'mllm-failed'
  | 'model-failed'
  | 'bad-trace'
  | 'bad-trace-file'
  | 'trace-dir'
  // question sets, fixtures, evaluation
  | 'bad-record'
  | 'bad-jsonl'
  | 'unknown-fixture'
  | 'fixture-failed'
  | 'questions-failed'
  | 'no-scenes'
  | 'eval-mismatch'
  | 'eval-failing'
  | 'eval-bug'
  // the MCP server
  | 'bad-request'
  | 'request-too-large'
  | 'unknown-scene'
  | 'scene-evicted'
  | 'scene-too-large'
  | 'port-in-use'
  // the browser viewer
  | 'no-scene'
  | 'viewer-listen';

/**
 * Exit codes of `vantage`: 0 done; 1 an unexpected error (a bug: the stack is shown with
 * VANTAGE_DEBUG=1); 2 a VantageError or a command-line usage error (the message says what to fix);
 * 3 `vantage eval` stopped with pairs still to run (run it again to resume); 130 interrupted (Ctrl-C).
 */
/** A user-facing failure: what was wrong, with which input, and how to fix it. */
export class VantageError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VantageError';
    this.code = code;
    this.hint = hint;
  }
}

/** No usable WebGPU here (binding, adapter or device): the renderer falls back to the reference one. */
export class NoGpuError extends VantageError {
  constructor(
    code: 'webgpu-unavailable' | 'no-gpu-adapter' | 'gpu-device-failed',
    message: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, options);
    this.name = 'NoGpuError';
  }
}

export function isVantageError(e: unknown): e is VantageError {
  return e instanceof VantageError;
}

/** The one-line (or two-line, with hint) text the CLI shows for an error. */
export function describeError(e: unknown): string {
  if (isVantageError(e)) return e.hint ? `${e.message}\n  hint: ${e.hint}` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * The process exit codes of every command (README "Exit codes"): scripts tell a bad input from a
 * failed endpoint from an interruption without reading the text.
 */
export const EXIT_CODES = {
  /** answered / done */
  ok: 0,
  /** a bug: anything that is not a VantageError (VANTAGE_DEBUG=1 shows the stack) */
  bug: 1,
  /** bad input, option or usage: fix the command line or the files */
  badInput: 2,
  /** the model or its endpoint failed, so there is no answer */
  modelFailed: 3,
  /** `vantage eval` stopped with pairs left (the endpoint kept failing): run it again to resume */
  incomplete: 3,
  /** interrupted (Ctrl-C, a deadline, a cancelled call) before finishing */
  interrupted: 4,
} as const;

/** Error codes that mean "the model/endpoint failed" (exit 3) or "stopped before finishing" (exit 4). */
const MODEL_FAILURE_CODES = new Set(['mllm-failed', 'model-failed', 'no-answer']);
const INTERRUPT_CODES = new Set(['interrupted', 'deadline']);

/** The exit code for an error that ends a command. */
export function exitCodeOf(e: unknown): number {
  if (!isVantageError(e)) return EXIT_CODES.bug;
  if (MODEL_FAILURE_CODES.has(e.code)) return EXIT_CODES.modelFailed;
  if (INTERRUPT_CODES.has(e.code)) return EXIT_CODES.interrupted;
  return EXIT_CODES.badInput;
}
