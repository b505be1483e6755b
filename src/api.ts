/**
 * The library API: what `import { liftScene, renderView, answer, runEval } from 'vantage-nvs'` gives.
 *
 *   const lifted = await liftScene({ image: 'room.png', depth: 'room-depth.png' });
 *   const view = await renderView(lifted, { mode: 'orbit', azimuth_deg: 30, elevation_deg: 10, distance_scale: 1 });
 *   const result = await answer(lifted, 'Is the mug left of the vase?', { options: ['yes', 'no'] });
 *
 * Each function is a thin, typed layer over the same stages the CLI and the MCP server use
 * (src/scene-source.ts, synth/renderer.ts, loop/session.ts), so the three behave alike. Every bad input
 * is a VantageError naming the input and what was expected.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { HoleMode, Question, Renderer, RenderMode, RenderedView, Scene } from '../core/types.js';
import { VantageError } from '../core/errors.js';
import { checkRenderSide, MIN_RENDER_SIDE } from '../core/render-size.js';
import { fitIntrinsics } from '../core/camera.js';
import { optionTexts } from '../core/options.js';
import { numericSpecFor } from '../core/numeric.js';
import {
  c2wFromPose,
  clampPose,
  parsePose,
  poseCaption,
  poseRangeErrors,
  type NumericPose,
  type PoseSchema,
} from '../core/pose.js';
import { encodePng } from '../core/io/image.js';
import { RENDER_DEFAULTS } from '../synth/config.js';
import { defaultRenderer, type RendererChoice } from '../synth/renderer.js';
import { poseContextOf } from '../synth/scene.js';
import type { LoadedScene } from '../synth/scene-source.js';
import type { FixtureScene } from '../fixtures/types.js';
import { loopConfigFrom, type LoopConfigInput } from '../loop/config.js';
import { createModel, type CreateModelOptions } from '../loop/models/create.js';
import type { VisionModel } from '../loop/models/contract.js';
import type { LoopHooks } from '../loop/run.js';
import { loopInputOf, runSession, type SessionResult } from '../loop/session.js';
import { loadScene, type SceneSource } from './scene-source.js';
import { modelNameFor } from './model-name.js';

// ---------------------------------------------------------------------------------------------
// liftScene

/** An image or depth map: a file path, or its encoded bytes (PNG, JPEG, WebP…; depth: 16-bit PNG, .npy, .pfm). */
export type ImageSource = string | Uint8Array;

/**
 * What to lift. Exactly one scene source: `image`/`images` (with `depth`/`depths` or `depthModel`),
 * `ply`, or `fixture`. Every other field is as in {@link SceneSource} (intrinsics, trajectory,
 * depth format and scale …). A plain SceneSource (paths only) is accepted as it is.
 */
export interface LiftInput extends Omit<SceneSource, 'images' | 'depths'> {
  /** one RGB image (shorthand for `images: [image]`) */
  image?: ImageSource;
  /** its depth map (shorthand for `depths: [depth]`) */
  depth?: ImageSource;
  /** RGB images; several fuse into one scene, posed by `trajectory` or else registered from the photos (`registerMethod`) */
  images?: ImageSource[];
  /** one depth map per image */
  depths?: ImageSource[];
}

/**
 * A lifted scene with the original image(s) it came from (each with the depth and camera it was
 * lifted with) and a record of what was assumed; `fixture` is a procedural scene's ground truth.
 */
export type LiftedScene = LoadedScene & { fixture?: FixtureScene };

const startsWith = (b: Uint8Array, bytes: number[]) => bytes.every((x, i) => b[i] === x);
const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** The file extension that makes the readers recognise encoded bytes (by their magic numbers). */
export function extensionForBytes(b: Uint8Array, kind: 'image' | 'depth'): string {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47])) return '.png';
  if (kind === 'depth') {
    if (b[0] === 0x93 && ascii(b, 1, 'NUMPY')) return '.npy';
    if (ascii(b, 0, 'Pf') || ascii(b, 0, 'PF')) return '.pfm';
    if (ascii(b, 0, 'P5')) return '.pgm';
    return '.bin';
  }
  if (startsWith(b, [0xff, 0xd8, 0xff])) return '.jpg';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return '.webp';
  if (ascii(b, 0, 'GIF8')) return '.gif';
  if (ascii(b, 0, 'II*') || ascii(b, 0, 'MM')) return '.tif';
  if (ascii(b, 0, 'P5')) return '.pgm';
  if (ascii(b, 0, 'P6')) return '.ppm';
  return '.img';
}

function listOf(
  one: ImageSource | undefined,
  many: ImageSource[] | undefined,
  name: string,
): ImageSource[] | undefined {
  if (one !== undefined && many?.length) {
    throw new VantageError('bad-input', `give either ${name} or ${name}s, not both`);
  }
  return one !== undefined ? [one] : many;
}

/** Paths for the sources: bytes are written to `dir` (a temporary folder the caller removes). */
async function pathsOf(
  sources: ImageSource[] | undefined,
  kind: 'image' | 'depth',
  tmp: () => Promise<string>,
): Promise<string[] | undefined> {
  if (!sources) return undefined;
  const out: string[] = [];
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i];
    if (typeof s === 'string') {
      out.push(s);
    } else if (s instanceof Uint8Array) {
      if (s.length === 0) throw new VantageError('bad-input', `${kind} ${i} is empty (0 bytes)`);
      const path = join(await tmp(), `${kind}-${i}${extensionForBytes(s, kind)}`);
      await writeFile(path, s);
      out.push(path);
    } else {
      throw new VantageError('bad-input', `${kind} ${i} must be a file path or encoded bytes (Buffer / Uint8Array)`);
    }
  }
  return out;
}

/**
 * Lift an image (with a depth map or a depth model), a 3DGS PLY, or a procedural fixture to a
 * {@link Scene} of Gaussians in the reference camera's frame (OpenCV axes, metres or depth units).
 *
 * @example
 *   const lifted = await liftScene({ image: 'rgb.png', depth: 'depth.png', intrinsics: '525,525,320,240' });
 *   const demo = await liftScene({ fixture: 'tabletop' });
 * @throws VantageError when the input is missing, unreadable, or inconsistent
 */
export async function liftScene(input: LiftInput): Promise<LiftedScene> {
  if (!input || typeof input !== 'object') {
    throw new VantageError(
      'bad-input',
      'liftScene needs an object such as { image, depth } or { fixture: "tabletop" }',
    );
  }
  const { image, depth, images, depths, ...rest } = input;
  let dir: string | undefined;
  const tmp = async () => (dir ??= await mkdtemp(join(tmpdir(), 'vantage-lift-')));
  try {
    const imagePaths = await pathsOf(listOf(image, images, 'image'), 'image', tmp);
    const depthPaths = await pathsOf(listOf(depth, depths, 'depth'), 'depth', tmp);
    return await loadScene({
      ...rest,
      ...(imagePaths ? { images: imagePaths } : {}),
      ...(depthPaths ? { depths: depthPaths } : {}),
    });
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// renderView

export interface RenderViewOptions {
  /** output width in pixels (default 512, or from `height` keeping the reference aspect) */
  width?: number;
  /** output height in pixels (default: the reference camera's aspect at `width`) */
  height?: number;
  /** 'gaussians' (default) or 'points' */
  mode?: RenderMode;
  /** holes (pixels no surface covers): 'mark' (magenta, default), 'fill' or 'none' */
  holes?: HoleMode;
  /** clamp out-of-range pose values into range instead of failing (default false) */
  clamp?: boolean;
  /**
   * A renderer to use (from `createRenderer()`, e.g. on a device you lend it). Without one the
   * process's renderer for `prefer` is used: one device and one set of compiled shaders for all calls.
   */
  renderer?: Renderer;
  /** when no renderer is passed: 'auto' (default: WebGPU when there is an adapter), 'webgpu' or 'reference' */
  prefer?: RendererChoice;
  /** where the renderer's one fallback warning goes (default stderr) */
  warn?: (line: string) => void;
}

/** A rendered view with its PNG, the pose as rendered and its caption in words and numbers. */
export interface PosedView extends RenderedView {
  /** the view as PNG bytes */
  png: Buffer;
  /** the pose rendered (after clamping, when `clamp` was set) */
  pose: NumericPose;
  /** the pose in words and numbers, as the loop shows it to an MLLM */
  caption: string;
  /** what was clamped ("azimuth_deg 200 → 180"); empty when nothing was */
  clamped: string[];
}

/** A pose as a caller may write it: fields with defaults (elevation_deg 0, distance_scale 1, …) may be left out. */
export type PoseInput = z.input<typeof PoseSchema>;

const sceneOf = (s: LiftedScene | Scene): Scene => ('scene' in s && s.scene ? s.scene : (s as Scene));

/** Output size: as asked, else 512 wide at the reference camera's aspect ratio. */
export function viewSize(scene: Scene, width?: number, height?: number): { width: number; height: number } {
  const ref = scene.reference.intrinsics;
  const aspect = ref.height / ref.width;
  const w =
    width ?? (height !== undefined ? Math.max(MIN_RENDER_SIDE, Math.round(height / aspect)) : RENDER_DEFAULTS.width);
  const h = height ?? Math.max(MIN_RENDER_SIDE, Math.round(w * aspect));
  return { width: checkRenderSide(w, 'width'), height: checkRenderSide(h, 'height') };
}

/** A pose made renderable: parsed, a number-only mode, in range (or clamped when asked). */
export function renderablePose(pose: PoseInput | string, clamp = false): { pose: NumericPose; clamped: string[] } {
  const p = parsePose(pose);
  if (p.mode === 'language') {
    throw new VantageError(
      'bad-pose',
      'a language pose cannot be rendered directly: it needs numbers',
      'use an orbit pose, e.g. {"mode":"orbit","azimuth_deg":30,"elevation_deg":10,"distance_scale":1}',
    );
  }
  const errs = poseRangeErrors(p);
  if (errs.length && !clamp) {
    throw new VantageError(
      'bad-pose',
      `pose out of range: ${errs.join('; ')}`,
      'orbit: azimuth_deg −180..180, elevation_deg −85..85, distance_scale 0.25..4; ego: yaw_deg −180..180, pitch_deg −85..85 (or pass clamp)',
    );
  }
  const c = errs.length ? clampPose(p) : { pose: p, clamped: [] };
  return { pose: c.pose as NumericPose, clamped: c.clamped };
}

/**
 * Render a lifted scene from a pose (docs/conventions.md poses: orbit, ego, preset, c2w, lookat).
 *
 * @param scene  what liftScene returned (or a bare Scene)
 * @param pose   a pose object or its JSON text; `{ mode: 'orbit', azimuth_deg: 0 }` is the reference view
 * @returns the view (RGBA, depth, coverage per pixel and coverageRatio 0..1) with its PNG and caption
 * @throws VantageError for an invalid or out-of-range pose (unless `clamp`), or a bad size
 */
export async function renderView(
  scene: LiftedScene | Scene,
  pose: PoseInput | string,
  opts: RenderViewOptions = {},
): Promise<PosedView> {
  const s = sceneOf(scene);
  const { pose: p, clamped } = renderablePose(pose, opts.clamp);
  const { width, height } = viewSize(s, opts.width, opts.height);
  const c2w = c2wFromPose(p, poseContextOf(s));
  const renderer = opts.renderer ?? (await defaultRenderer(opts.prefer, opts.warn));
  const view = await renderer.render(
    s,
    { intrinsics: fitIntrinsics(s.reference.intrinsics, width, height), c2w },
    {
      mode: opts.mode ?? RENDER_DEFAULTS.mode,
      holes: opts.holes ?? RENDER_DEFAULTS.holes,
      width,
      height,
    },
  );
  const png = await encodePng(view.rgba, view.width, view.height, 4);
  return { ...view, png, pose: p, caption: poseCaption(p), clamped };
}

// ---------------------------------------------------------------------------------------------
// answer

export interface AnswerOptions {
  /** option texts, when `question` is a string (none: a free-form answer) */
  options?: string[];
  /** loop settings (maxRounds, poseFormat, fusion, stop …; see loop/config.ts) */
  config?: LoopConfigInput;
  /**
   * The model: a name ('builtin:perceiver', 'human', or a model served at OPENAI_BASE_URL) or a
   * VisionModel instance. Default: config.model, else $VANTAGE_MODEL, else 'builtin:perceiver' for a
   * fixture (for a photo a model must be named: the perceiver only understands the procedural scenes).
   */
  model?: string | VisionModel;
  /** settings for the model created from a name (MLLM base URL, key, cache …) */
  modelOptions?: CreateModelOptions;
  /** a renderer to use; without one, the process's renderer for `prefer` (see RenderViewOptions) */
  renderer?: Renderer;
  prefer?: RendererChoice;
  /** write the trace (trace.json, PNGs, index.html) to this folder */
  traceDir?: string;
  /** progress lines */
  log?: (line: string) => void;
  /** called after every round with the trace so far */
  onRound?: LoopHooks['onRound'];
}

/** What `answer` returns: the session's result (loop/session.ts). */
export type AnswerResult = SessionResult;

/** The Question for a string (plus option texts) or a Question object, checked. */
export function questionOf(question: string | Question, options?: string[]): Question {
  const q: Question =
    typeof question === 'string'
      ? { text: question.trim(), options: optionTexts(options) }
      : { ...question, text: String(question?.text ?? '').trim(), options: optionTexts(question?.options ?? options) };
  // a question without options that asks for a number ("how many", "(in metres)") is answered with one
  if (!q.numeric) {
    const numeric = numericSpecFor(q.text, q.options);
    if (numeric) q.numeric = numeric;
  }
  if (!q.text)
    throw new VantageError(
      'bad-question',
      'the question is empty',
      'pass a question such as "Is the mug left of the vase?"',
    );
  if (q.options.length === 1) {
    throw new VantageError(
      'bad-question',
      'a multiple-choice question needs at least two options',
      'give two or more, or none for a free-form answer',
    );
  }
  return q;
}

const isLifted = (x: LiftedScene | LiftInput): x is LiftedScene =>
  !!x && typeof x === 'object' && 'scene' in x && 'originals' in x;

/**
 * Answer a spatial question about a scene: round 0 answers from the original image alone, then the
 * model asks for camera poses, sees the rendered views, and the answers are fused until they stop
 * changing (docs/design.md, "Data flow").
 *
 * @param input    a LiftedScene, or what liftScene takes (it is lifted first)
 * @param question the question text (with `opts.options`), or a Question { text, options }
 * @example
 *   const r = await answer({ fixture: 'occluded' }, 'What is hidden behind the red box?',
 *     { options: ['a blue ball', 'a green cube'], model: 'builtin:perceiver', traceDir: 'out/q1' });
 *   console.log(r.choice, r.probability, r.indexHtml);
 */
export async function answer(
  input: LiftedScene | LiftInput,
  question: string | Question,
  opts: AnswerOptions = {},
): Promise<AnswerResult> {
  const q = questionOf(question, opts.options);
  const lifted = isLifted(input) ? input : await liftScene({ ...input, log: input.log ?? opts.log });
  if (!lifted.originals.length) {
    throw new VantageError(
      'bad-input',
      'the scene has no original image to show the model',
      'answer needs a photo: lift an image (with a depth map or a depth model) or a fixture, not a bare PLY',
    );
  }
  const given = typeof opts.model === 'object' ? opts.model : undefined;
  const modelName = given?.id ?? modelNameFor(typeof opts.model === 'string' ? opts.model : opts.config?.model, lifted);
  const config = loopConfigFrom({ ...opts.config, model: modelName });
  const model =
    given ??
    createModel(config.model, {
      ...opts.modelOptions,
      mllm: { maxImages: config.imageBudget, ...opts.modelOptions?.mllm },
    });
  const renderer = opts.renderer ?? (await defaultRenderer(opts.prefer, opts.log));
  try {
    return await runSession(await loopInputOf(q, lifted), {
      model,
      renderer,
      config,
      traceDir: opts.traceDir,
      hooks: { log: opts.log, onRound: opts.onRound },
    });
  } finally {
    if (!given) model.close?.();
  }
}

// ---------------------------------------------------------------------------------------------
// runEval

/**
 * Run (or continue) a benchmark evaluation through the loop: one results line per (grid cell, item),
 * resumable, with a Markdown/CSV summary and an accuracy-by-round plot in `out`.
 * See loop/eval/run.ts for every option.
 *
 * @example
 *   const summary = await runEval({ data: 'set.jsonl', format: 'native', model: 'builtin:perceiver', out: 'runs/a', rounds: 2 });
 */
export { runEval, type EvalOptions } from '../loop/eval/run.js';
export type { EvalSummary, EvalFormat } from '../loop/eval/types.js';
