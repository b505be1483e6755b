/**
 * Depth from a single photo: resolve the model (file, or known name fetched into the cache), open it
 * with onnxruntime-node on the asked execution provider, recognise its family, run it, resize the
 * prediction back to the image, and turn it into depth (metric as is; relative through the
 * alignment of align.ts). Every step leaves a line in `notes` for the trace.
 *
 *   estimateDepth(image, opts)        one image → depth (loads and releases the model unless given one)
 *   depthForImage(path, opts)         the same for a file, with the prediction cached per image + model
 *   loadDepthModel / predictDepth / depthFromPrediction   the steps, for callers that batch
 */
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEPTH_MODEL_DEFAULTS } from '../config.js';
import { VantageError } from '../../core/errors.js';
import { readFileCapped } from '../../core/io/files.js';
import { readImage, type RgbImage } from '../../core/io/image.js';
import type { DepthUnits } from '../../core/types.js';
import { alignDisparity, alignMetric, type Alignment, type AlignOptions, type DepthAnchor } from './align.js';
import {
  modelFingerprint,
  predictionCacheKey,
  readCachedPrediction,
  sha256Hex,
  writeCachedPrediction,
  type PredictionMeta,
} from './cache.js';
import { ensureModelFile, type EnsureModelOptions } from './download.js';
import {
  describeModelIo,
  detectDepthAdapter,
  modelInputSize,
  parseDepthKind,
  predictionToImage,
  preprocessImage,
  type DepthAdapter,
  type DepthKind,
  type ModelIo,
  type PredictionType,
} from './families.js';
import { resolveModelSpec, vantageCacheDir, type KnownDepthModel } from './models.js';
import { readOnnxGraphSummary, type OnnxGraphSummary } from './onnx-graph.js';
import { halfToFloat } from './onnx-proto.js';

export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** A --provider value checked. */
function parseProvider(s: string | undefined): ExecutionProvider {
  const p = (s ?? DEPTH_MODEL_DEFAULTS.provider).trim().toLowerCase();
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(p)) {
    throw new VantageError(
      'bad-provider',
      `unknown execution provider "${s}"`,
      `use one of: ${EXECUTION_PROVIDERS.join(', ')} (default ${DEPTH_MODEL_DEFAULTS.provider})`,
    );
  }
  return p as ExecutionProvider;
}

/** What this onnxruntime-node build offers, in words, for errors. */
function providersAvailableHere(): string {
  const listed = ort.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  const bundled = listed.filter((b) => b.bundled).map((b) => b.name);
  const extra = listed.filter((b) => !b.bundled).map((b) => b.name);
  return (
    `this onnxruntime-node build bundles ${bundled.join(', ') || 'cpu'}` +
    (extra.length
      ? `; ${extra.join(', ')} need(s) onnxruntime-node installed with its GPU libraries (not with ONNXRUNTIME_NODE_INSTALL=skip) and the NVIDIA drivers/CUDA runtime`
      : '')
  );
}

export interface LoadDepthModelOptions extends EnsureModelOptions {
  /** --depth-kind: the family, instead of detecting it */
  kind?: DepthKind | string;
  /** execution provider (default cpu) */
  provider?: ExecutionProvider | string;
  /** the Vantage cache (default vantageCacheDir()) */
  cacheDir?: string;
  /** progress lines (default: none) */
  log?: (line: string) => void;
}

export interface DepthModel {
  /** the model file */
  path: string;
  /** the known model's name, or the file's name */
  name: string;
  known?: KnownDepthModel;
  adapter: DepthAdapter;
  provider: ExecutionProvider;
  session: ort.InferenceSession;
  /** family and loading notes for the trace */
  notes: string[];
  release(): Promise<void>;
}

/** The model file a --depth-model argument names, downloading a known model into the cache if needed. */
async function resolveDepthModelFile(
  spec: string,
  opts: LoadDepthModelOptions = {},
): Promise<{ path: string; known?: KnownDepthModel; downloaded: boolean }> {
  const cacheDir = opts.cacheDir ?? vantageCacheDir();
  const r = resolveModelSpec(spec, cacheDir);
  if (r.type === 'file') return { path: r.path, downloaded: false };
  if (r.present) return { path: r.path, known: r.model, downloaded: false };
  opts.log?.(`depth model ${r.model.name} is not in the cache (${r.path}); downloading it`);
  const got = await ensureModelFile(r.model, r.path, opts);
  return { path: got.path, known: r.model, downloaded: got.downloaded };
}

function ioOf(
  meta: readonly ort.InferenceSession.ValueMetadata[] | undefined,
  names: readonly string[],
  graph: OnnxGraphSummary | undefined,
  which: 'inputs' | 'outputs',
): ModelIo[] {
  if (meta?.length) {
    return meta.map((m) =>
      m.isTensor
        ? { name: m.name, type: String(m.type), dims: [...m.shape] }
        : { name: m.name, type: 'non-tensor', dims: [] },
    );
  }
  const fromGraph = new Map((graph?.[which] ?? []).map((v) => [v.name, v]));
  const typeName: Record<number, string> = { 1: 'float32', 10: 'float16', 7: 'int64', 6: 'int32', 2: 'uint8' };
  return names.map((n) => {
    const g = fromGraph.get(n);
    return { name: n, type: g ? (typeName[g.elemType] ?? `type${g.elemType}`) : 'float32', dims: g?.dims ?? [] };
  });
}

/** Open a model (file path or known name) and recognise its family. Call release() when done. */
export async function loadDepthModel(spec: string, opts: LoadDepthModelOptions = {}): Promise<DepthModel> {
  const provider = parseProvider(opts.provider);
  const kind = parseDepthKind(opts.kind);
  const file = await resolveDepthModelFile(spec, opts);
  const name = file.known?.name ?? basename(file.path);
  const notes: string[] = [`depth model ${name} (${file.path})`];
  let graph: OnnxGraphSummary | undefined;
  try {
    graph = await readOnnxGraphSummary(file.path);
  } catch (e) {
    notes.push(`graph not inspected: ${(e as Error).message}`);
  }
  // The runtime's own logger would print an [E:onnxruntime] line on first use: the CPU build looks
  // for the GPU provider bridge that ONNXRUNTIME_NODE_INSTALL=skip leaves out. That is harmless, and
  // every real failure still arrives as the exception handled below, so only fatal lines are logged.
  ort.env.logLevel = 'fatal';
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file.path, {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (e) {
    const why = (e as Error)?.message?.split('\n')[0] ?? String(e);
    if (provider !== 'cpu') {
      throw new VantageError(
        'depth-provider-unavailable',
        `execution provider "${provider}" is not available: ${why}`,
        `use --provider cpu (always available); ${providersAvailableHere()}`,
        { cause: e },
      );
    }
    throw new VantageError(
      'depth-model-invalid',
      `cannot load depth model ${name} (${file.path}): ${why}`,
      file.known
        ? `the cached file may be damaged: delete ${file.path} to download it again`
        : 'check that the file is a complete ONNX model',
      { cause: e },
    );
  }
  let adapter: DepthAdapter;
  try {
    adapter = detectDepthAdapter(
      ioOf(session.inputMetadata, session.inputNames, graph, 'inputs'),
      ioOf(session.outputMetadata, session.outputNames, graph, 'outputs'),
      {
        kind,
        graph,
        knownKind: file.known?.kind,
      },
    );
  } catch (e) {
    await session.release();
    if (e instanceof VantageError) {
      throw new VantageError(e.code, `${name}: ${e.message}`, e.hint, { cause: e.cause });
    }
    throw e;
  }
  notes.push(...adapter.notes, `execution provider ${provider}`);
  return {
    path: file.path,
    name,
    known: file.known,
    adapter,
    provider,
    session,
    notes,
    release: () => session.release(),
  };
}

export interface PredictOptions {
  /** short side of the model input for dynamic-size models (default 518) */
  inputSize?: number;
}

/** The model's raw prediction, resized to the image, with what it means. */
export interface DepthPrediction {
  width: number;
  height: number;
  /** width × height, NaN = no depth */
  prediction: Float32Array;
  meta: PredictionMeta;
  timings: { preMs: number; inferMs: number; postMs: number };
}

/** IEEE half-precision bits of each float32 (round toward zero; fp16 exports take these as input). */
function toHalfArray(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    const sign = (b >>> 16) & 0x8000;
    const e8 = (b >>> 23) & 0xff;
    const exp = e8 - 127 + 15;
    const mant = b & 0x7fffff;
    if (e8 === 0xff) out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
    else if (exp >= 31) out[i] = sign | 0x7c00;
    else if (exp <= 0) out[i] = exp < -10 ? sign : sign | ((mant | 0x800000) >> (14 - exp));
    else out[i] = sign | (exp << 10) | (mant >> 13);
  }
  return out;
}

function floatData(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const half = t.data as Uint16Array;
    const table = new Float32Array(65536); // every half value once, then a lookup per sample
    for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h);
    const out = new Float32Array(half.length);
    for (let i = 0; i < half.length; i++) out[i] = table[half[i]];
    return out;
  }
  return Float32Array.from(t.data as ArrayLike<number>, Number);
}

/** Run the model on an image: preprocess, infer, resize the output back (bilinear). */
export async function predictDepth(
  model: DepthModel,
  image: RgbImage,
  opts: PredictOptions = {},
): Promise<DepthPrediction> {
  const a = model.adapter;
  const t0 = performance.now();
  const size = modelInputSize(a, image.width, image.height, opts.inputSize ?? DEPTH_MODEL_DEFAULTS.shortSide);
  const input = await preprocessImage(image, a, size);
  const dims = [1, 3, size.height, size.width];
  const tensor =
    a.input.type === 'float16'
      ? new ort.Tensor('float16', toHalfArray(input), dims)
      : new ort.Tensor('float32', input, dims);
  const t1 = performance.now();
  let out: ort.InferenceSession.ReturnType;
  try {
    const fetches = [a.depthOutput.name, ...(a.focalOutput ? [a.focalOutput.name] : [])];
    out = await model.session.run({ [a.input.name]: tensor }, fetches);
  } catch (e) {
    throw new VantageError(
      'depth-model-failed',
      `depth model ${model.name} failed on a ${size.width}×${size.height} input: ${(e as Error).message.split('\n')[0]}`,
      `the model may expect another input size or family; try --depth-kind (${describeModelIo([{ name: a.input.name, type: a.input.type, dims }], [])})`,
      { cause: e },
    );
  }
  const t2 = performance.now();
  const depthTensor = out[a.depthOutput.name];
  const prediction = predictionToImage(floatData(depthTensor), depthTensor.dims, image.width, image.height);
  const notes = [
    `model input ${size.width}×${size.height}${a.input.fixed ? ' (fixed by the model; aspect not kept)' : ` (short side ${Math.min(size.width, size.height)}, aspect kept, multiples of ${a.multiple})`}; output resized to ${image.width}×${image.height} (bilinear)`,
  ];
  let focalPx: number | undefined;
  if (a.focalOutput) {
    const v = floatData(out[a.focalOutput.name])[0];
    if (Number.isFinite(v) && v > 0) {
      if (a.focalOutput.meaning === 'focal-px') {
        focalPx = (v * image.width) / size.width;
        notes.push(
          `focal length from the model: ${v.toFixed(1)} px at ${size.width} px wide → ${focalPx.toFixed(1)} px at ${image.width} px`,
        );
      } else if (v < 180) {
        focalPx = (0.5 * image.width) / Math.tan((v * Math.PI) / 360);
        notes.push(`field of view from the model: ${v.toFixed(1)}° → focal length ${focalPx.toFixed(1)} px`);
      }
    } else {
      notes.push(`the model's ${a.focalOutput.name} output (${v}) is not usable`);
    }
  }
  let nonFinite = 0;
  for (let i = 0; i < prediction.length; i++) if (!Number.isFinite(prediction[i])) nonFinite++;
  if (nonFinite) notes.push(`${nonFinite} pixels had a non-finite prediction and have no depth`);
  const t3 = performance.now();
  return {
    width: image.width,
    height: image.height,
    prediction,
    meta: { kind: a.kind, prediction: a.prediction, modelInput: size, focalPx, maxDepth: a.maxDepth, notes },
    timings: { preMs: t1 - t0, inferMs: t2 - t1, postMs: t3 - t2 },
  };
}

/** A prediction turned into depth: metric as it is (or rescaled to known depths), relative through the alignment. */
function depthFromPrediction(
  pred: { width: number; height: number; prediction: Float32Array; meta: PredictionMeta },
  align: AlignOptions = {},
): { depth: Float32Array; units: DepthUnits; alignment: Alignment } {
  const { width, height, prediction, meta } = pred;
  let r: { depth: Float32Array; alignment: Alignment };
  if (meta.prediction === 'inverse') {
    r = alignDisparity(prediction, width, height, align);
  } else if (meta.prediction === 'canonical-inverse') {
    if (!meta.focalPx)
      throw new VantageError(
        'depth-model-output',
        "canonical inverse depth needs the model's focal length, which it did not give",
      );
    const k = meta.focalPx / width; // f_px / W is the same at the model's and the image's resolution
    const metres = Float32Array.from(prediction, (p) => (p > 0 ? k / p : NaN));
    r = alignMetric(metres, width, height, align);
  } else {
    r = alignMetric(prediction, width, height, align);
  }
  return { depth: r.depth, units: r.alignment.units, alignment: r.alignment };
}

export interface EstimateDepthOptions extends LoadDepthModelOptions, AlignOptions, PredictOptions {
  /** a model name, a .onnx path, or a model already loaded (then it is not released) */
  model: string | DepthModel;
}

export interface DepthEstimate {
  /** width × height camera-space depth; 0 = no depth */
  depth: Float32Array;
  width: number;
  height: number;
  units: DepthUnits;
  kind: DepthKind;
  /** focal length in image pixels, when the model gave one (Depth Pro) */
  focalPx?: number;
  /** everything decided or assumed, one line each, for the trace */
  notes: string[];
  alignment: Alignment;
  /** the raw model prediction at image size, and what it holds */
  prediction: Float32Array;
  predictionType: PredictionType;
  modelInput: { width: number; height: number };
  modelPath: string;
  timings: { preMs: number; inferMs: number; postMs: number };
}

function estimateFrom(
  pred:
    | DepthPrediction
    | {
        width: number;
        height: number;
        prediction: Float32Array;
        meta: PredictionMeta;
        timings?: DepthPrediction['timings'];
      },
  align: AlignOptions,
  modelPath: string,
  modelNotes: string[],
): DepthEstimate {
  const { depth, units, alignment } = depthFromPrediction(pred, align);
  return {
    depth,
    width: pred.width,
    height: pred.height,
    units,
    kind: pred.meta.kind as DepthKind,
    focalPx: pred.meta.focalPx,
    notes: [...modelNotes, ...pred.meta.notes, alignment.note, `depth units: ${units}`],
    alignment,
    prediction: pred.prediction,
    predictionType: pred.meta.prediction,
    modelInput: pred.meta.modelInput,
    modelPath,
    timings: pred.timings ?? { preMs: 0, inferMs: 0, postMs: 0 },
  };
}

const alignOf = (o: AlignOptions): AlignOptions => ({
  depthRange: o.depthRange,
  knownDepth: o.knownDepth,
  anchors: o.anchors,
});

/** Depth for one image (RGB pixels, a file path or encoded bytes). */
export async function estimateDepth(
  image: RgbImage | string | Buffer,
  opts: EstimateDepthOptions,
): Promise<DepthEstimate> {
  const img = typeof image === 'string' || Buffer.isBuffer(image) ? await readImage(image) : image;
  const model = typeof opts.model === 'string' ? await loadDepthModel(opts.model, opts) : opts.model;
  try {
    const pred = await predictDepth(model, img, opts);
    return estimateFrom(pred, alignOf(opts), model.path, model.notes);
  } finally {
    if (typeof opts.model === 'string') await model.release();
  }
}

export interface DepthForImageOptions extends Omit<LoadDepthModelOptions, 'kind'>, PredictOptions {
  /** model name or .onnx path */
  depthModel: string;
  /** --depth-kind (auto when absent) */
  depthKind?: DepthKind | string;
  /** [near, far] metres */
  depthRange?: [number, number];
  /** [u, v, metres] */
  knownDepth?: [number, number, number];
  anchors?: DepthAnchor[];
  /** read and write the depth-map cache (default true) */
  useCache?: boolean;
}

/**
 * Depth for an image file, as `vantage render --image photo.jpg --depth-model …` needs it: the model's
 * prediction is cached per image bytes + model file (+ family and input size), so a second render of
 * the same photo skips the model; alignment options apply afresh each time.
 */
export async function depthForImage(
  imagePath: string,
  opts: DepthForImageOptions,
): Promise<DepthEstimate & { cached: boolean }> {
  const cacheDir = opts.cacheDir ?? vantageCacheDir();
  const kind = parseDepthKind(opts.depthKind);
  const inputSize = opts.inputSize ?? DEPTH_MODEL_DEFAULTS.shortSide;
  const align: AlignOptions = { depthRange: opts.depthRange, knownDepth: opts.knownDepth, anchors: opts.anchors };
  const bytes = await readFileCapped(imagePath, { what: 'image' });
  const file = await resolveDepthModelFile(opts.depthModel, { ...opts, cacheDir });
  const useCache = opts.useCache ?? true;
  let key: string | undefined;
  if (useCache) {
    key = predictionCacheKey({
      imageHash: sha256Hex(bytes),
      modelHash: await modelFingerprint(file.path),
      kind: kind ?? 'auto',
      inputSize,
    });
    const hit = await readCachedPrediction(cacheDir, key);
    if (hit) {
      opts.log?.(`depth for ${basename(imagePath)} from the cache`);
      const est = estimateFrom(hit, align, file.path, [
        `depth model ${file.known?.name ?? basename(file.path)} (${file.path})`,
        'prediction read from the depth cache',
      ]);
      return { ...est, cached: true };
    }
  }
  const image = await readImage(bytes, { name: imagePath });
  const model = await loadDepthModel(opts.depthModel, { ...opts, kind, cacheDir });
  try {
    opts.log?.(
      `running ${model.adapter.label} on ${basename(imagePath)} (${image.width}×${image.height}, ${model.provider})…`,
    );
    const pred = await predictDepth(model, image, { inputSize });
    if (key) {
      await writeCachedPrediction(cacheDir, key, pred).catch((e: unknown) =>
        opts.log?.(`depth cache not written: ${(e as Error).message}`),
      );
    }
    return { ...estimateFrom(pred, align, model.path, model.notes), cached: false };
  } finally {
    await model.release();
  }
}
