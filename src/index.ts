/**
 * The `vantage` package entry. The four functions most callers need:
 *
 *   import { liftScene, renderView, answer, runEval } from 'vantage-nvs';
 *
 * plus the plain data types they pass around, the pose helpers, the error class, and the pieces an
 * embedder may want to hold on to (a renderer, a model, the MCP server).
 */

// The library API
export {
  liftScene,
  renderView,
  answer,
  runEval,
  extensionForBytes,
  questionOf,
  renderablePose,
  viewSize,
  type PoseInput,
  type ImageSource,
  type LiftInput,
  type LiftedScene,
  type RenderViewOptions,
  type PosedView,
  type AnswerOptions,
  type AnswerResult,
  type EvalOptions,
  type EvalSummary,
  type EvalFormat,
} from './api.js';

// Evaluation across machines: runEval({ …, executor: createQueueExecutor({ queue: 'redis://…' }) }) and workers
export { createQueueExecutor, type QueueExecutorOptions } from '../loop/queue/coordinator.js';
export { runWorker, type WorkerOptions, type WorkerSummary } from '../loop/queue/worker.js';

// Plain data
export type {
  Vec3,
  Mat4,
  Intrinsics,
  Camera,
  DepthUnits,
  RgbdFrame,
  Scene,
  RenderMode,
  HoleMode,
  RenderOptions,
  RenderedView,
  Renderer,
} from '../core/types.js';
export type { SceneSource } from './scene-source.js';
export type { LoadedScene, SourceImage, InputInfo } from '../synth/scene-source.js';
export type { SessionResult } from '../loop/session.js';
export type { Question } from '../core/types.js';
export type {
  OptionDist,
  Answer,
  ControllerDecision,
  CallLog,
  ViewRecord,
  RoundRecord,
  FusionPolicy,
  StopReason,
  LoopConfig,
  Trace,
} from '../loop/types.js';

// Errors
export { VantageError, NoGpuError, isVantageError, describeError, EXIT_CODES, type ErrorCode } from '../core/errors.js';
export { MllmError } from '../core/mllm/errors.js';

// Poses and cameras
export {
  parsePose,
  poseCaption,
  poseRangeErrors,
  clampPose,
  c2wFromPose,
  PoseSchema,
  PRESET_NAMES,
  REFERENCE_POSE,
  type Pose,
  type NumericPose,
  type PoseMode,
  type OrbitPose,
  type EgoPose,
  type PresetPose,
  type PresetName,
  type C2wPose,
  type LookAtPose,
  type LanguagePose,
  type PoseContext,
} from '../core/pose.js';
export { poseContextOf } from '../synth/scene.js';
export { lookAt, scaleIntrinsics, intrinsicsFromHfov } from '../core/camera.js';

// Renderers, models, loop settings
export { createRenderer, type CreateRendererOptions } from '../synth/renderer.js';
export { createModel, type CreateModelOptions } from '../loop/models/create.js';
export { type VisionModel } from '../loop/models/contract.js';
export { LOOP_DEFAULTS, loopConfigFrom, LoopConfigInputSchema, type LoopConfigInput } from '../loop/config.js';
export { writeTrace, readTrace } from '../loop/trace.js';

// Agent interfaces
export { createVantageMcpServer, type VantageMcpOptions, type VantageMcp } from './mcp/server.js';
export { startMcpHttpServer, type McpHttpOptions, type McpHttpServer } from './mcp/http.js';
export { TOOL_DEFINITIONS, openAiTools, type OpenAiTool } from './mcp/tools.js';
