/**
 * Model families: which monocular depth export a graph is (from its input/output names and shapes,
 * and what computes its output), and the pre/post-processing each expects.
 *
 *   da2-relative  Depth Anything V2: `pixel_values` (or `image`) [1,3,H,W], ImageNet mean/std, aspect
 *                 kept, short side 518, sides multiples of 14 → `predicted_depth` (or `depth`) [1,H,W],
 *                 relative inverse depth (larger = nearer). Head ends in ReLU.
 *   da2-metric    The same contract, output in metres (head: max_depth · sigmoid; 20 m indoor, 80 m outdoor).
 *   midas-small   MiDaS v2.1 small: fixed [1,3,256,256], ImageNet mean/std (aspect not kept) → [1,256,256]
 *                 relative inverse depth; its names vary between exports, so the shape decides.
 *   depth-pro     Apple Depth Pro: `pixel_values` [1,3,1536,1536], mean/std 0.5 → depth and `focallength_px`
 *                 (or a field of view). Whether the depth output is metric or canonical inverse depth
 *                 is read from the graph (does it end in 1/x?), not assumed.
 */
import sharp from 'sharp';
import { DEPTH_MODEL_DEFAULTS } from '../config.js';
import type { RgbImage } from '../../core/io/image.js';
import { VantageError } from '../../core/errors.js';
import { originOf, producerOf, type OnnxGraphSummary } from './onnx-graph.js';

export const DEPTH_KINDS = ['da2-relative', 'da2-metric', 'midas-small', 'depth-pro'] as const;
export type DepthKind = (typeof DEPTH_KINDS)[number];

/** What the depth output holds. */
export type PredictionType =
  /** relative inverse depth (disparity): larger = nearer, unknown scale and shift */
  | 'inverse'
  /** depth in metres */
  | 'metric'
  /** Depth Pro's canonical inverse depth: metres = f_px / (W · value), f_px and W at the model input */
  | 'canonical-inverse';

/** One tensor as the runtime describes it. */
export interface ModelIo {
  name: string;
  /** 'float32', 'float16', … */
  type: string;
  /** fixed sizes as numbers, dynamic ones as names (or -1) */
  dims: (number | string)[];
}

export interface DepthAdapter {
  kind: DepthKind;
  label: string;
  input: { name: string; type: string; fixed?: { width: number; height: number } };
  depthOutput: { name: string };
  /** Depth Pro's focal length (pixels at the model input width) or field of view (degrees) */
  focalOutput?: { name: string; meaning: 'focal-px' | 'fov-deg' };
  mean: [number, number, number];
  std: [number, number, number];
  /** model input sides must be multiples of this (1 = any) */
  multiple: number;
  prediction: PredictionType;
  /** the metric head's ceiling (metres), when the graph shows it */
  maxDepth?: number;
  /** how the family and the output's meaning were decided, for the trace */
  notes: string[];
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
const HALF: [number, number, number] = [0.5, 0.5, 0.5];

function isDepthKind(s: string): s is DepthKind {
  return (DEPTH_KINDS as readonly string[]).includes(s);
}

/** A --depth-kind value checked, with the known kinds in the error. */
export function parseDepthKind(s: string | undefined): DepthKind | undefined {
  if (s === undefined || s === '' || s === 'auto') return undefined;
  if (!isDepthKind(s)) {
    throw new VantageError(
      'bad-depth-kind',
      `unknown depth kind "${s}"`,
      `use one of: auto, ${DEPTH_KINDS.join(', ')}`,
    );
  }
  return s;
}

const fixedDim = (d: number | string | undefined): number | undefined =>
  typeof d === 'number' && d > 0 ? d : undefined;
const describeIo = (v: ModelIo) =>
  `${v.name} ${v.type} [${v.dims.map((d) => (typeof d === 'number' && d < 0 ? '?' : d)).join(',')}]`;

/** "inputs: … ; outputs: …" for errors. */
export function describeModelIo(inputs: ModelIo[], outputs: ModelIo[]): string {
  return `inputs: ${inputs.map(describeIo).join(', ') || 'none'}; outputs: ${outputs.map(describeIo).join(', ') || 'none'}`;
}

function noFamily(inputs: ModelIo[], outputs: ModelIo[], why: string): VantageError {
  return new VantageError(
    'depth-model-unrecognised',
    `the ONNX model matches no known depth family (${why}); found ${describeModelIo(inputs, outputs)}`,
    `known families: Depth Anything V2 (pixel_values|image [1,3,H,W] → predicted_depth|depth [1,H,W]), MiDaS v2.1 small ([1,3,256,256] → [1,256,256]), ` +
      `Depth Pro (pixel_values [1,3,1536,1536] → depth + focallength_px). If the model is one of them under other names, pass --depth-kind ${DEPTH_KINDS.join('|')}`,
  );
}

const isFloat = (t: string) => t === 'float32' || t === 'float16';

/** Mul(Sigmoid(·), c) → c; Relu → 'relu'; Div(1, ·) / Reciprocal → 'reciprocal'; else undefined. */
export function depthHeadOf(
  graph: OnnxGraphSummary,
  outputName: string,
): { head: 'sigmoid-max' | 'relu' | 'reciprocal' | 'other' | 'unknown'; maxDepth?: number; chain: string[] } {
  const { node, chain } = originOf(graph, outputName);
  if (!node) return { head: 'unknown', chain };
  const constOf = (name: string) => {
    const v = graph.constants.get(name);
    return v && v.length === 1 ? v[0] : undefined;
  };
  if (node.opType === 'Relu') return { head: 'relu', chain };
  if (node.opType === 'Reciprocal') return { head: 'reciprocal', chain };
  if (node.opType === 'Div' && constOf(node.inputs[0]) !== undefined) return { head: 'reciprocal', chain };
  if (node.opType === 'Mul') {
    for (const [a, b] of [
      [0, 1],
      [1, 0],
    ]) {
      const c = constOf(node.inputs[b]);
      const p = producerOf(graph, node.inputs[a]);
      if (c !== undefined && p?.opType === 'Sigmoid')
        return { head: 'sigmoid-max', maxDepth: c, chain: [...chain, 'Sigmoid'] };
      if (c !== undefined && p?.opType === 'Relu') return { head: 'relu', chain: [...chain, 'Relu'] };
    }
  }
  return { head: 'other', chain };
}

export interface DetectOptions {
  /** --depth-kind: skip detection of the family (I/O must still fit) */
  kind?: DepthKind;
  /** the graph, when it could be read: decides metric vs relative, and Depth Pro's output meaning */
  graph?: OnnxGraphSummary;
  /** the kind a known model is registered as (a hint when the graph cannot tell) */
  knownKind?: DepthKind;
}

/** Decide the family of a model from its I/O (and graph), or explain why none fits. */
export function detectDepthAdapter(inputs: ModelIo[], outputs: ModelIo[], opts: DetectOptions = {}): DepthAdapter {
  const images = inputs.filter(
    (i) =>
      i.dims.length === 4 && isFloat(i.type) && (fixedDim(i.dims[1]) ?? 3) === 3 && (fixedDim(i.dims[0]) ?? 1) === 1,
  );
  if (inputs.length !== 1 || images.length !== 1) {
    throw noFamily(
      inputs,
      outputs,
      inputs.length !== 1
        ? `it has ${inputs.length} inputs, a depth model has one image input`
        : 'its input is not a float [1,3,H,W] image',
    );
  }
  const input = images[0];
  const focalOut = outputs.find((o) => /focal/i.test(o.name)) ?? outputs.find((o) => /fov|field_of_view/i.test(o.name));
  const maps = outputs.filter(
    (o) =>
      o !== focalOut &&
      (o.dims.length === 3 || (o.dims.length === 4 && (fixedDim(o.dims[1]) ?? 1) === 1)) &&
      isFloat(o.type),
  );
  const depthOut =
    maps.find((o) => /^(predicted_depth|depth)$/i.test(o.name)) ?? (maps.length === 1 ? maps[0] : undefined);
  if (!depthOut) {
    throw noFamily(
      inputs,
      outputs,
      maps.length
        ? `it has ${maps.length} depth-like outputs and none is named predicted_depth or depth`
        : 'no output is a [1,H,W] or [1,1,H,W] map',
    );
  }
  const h = fixedDim(input.dims[2]);
  const w = fixedDim(input.dims[3]);
  const fixed = h && w ? { width: w, height: h } : undefined;
  const daNames = /^(pixel_values|image)$/i.test(input.name) && /^(predicted_depth|depth)$/i.test(depthOut.name);

  let kind = opts.kind;
  const notes: string[] = [];
  if (kind) {
    notes.push(`family ${kind} as asked (--depth-kind)`);
  } else if (focalOut || (w === 1536 && h === 1536)) {
    kind = 'depth-pro';
    notes.push(`family depth-pro: ${focalOut ? `output ${focalOut.name}` : 'fixed 1536×1536 input'}`);
  } else if (w === 256 && h === 256) {
    kind = 'midas-small';
    notes.push('family midas-small: fixed 256×256 input');
  } else if (
    daNames ||
    (!fixed && maps.length === 1 && depthOut.dims.length === 3 && /pixel|image|input/i.test(input.name))
  ) {
    kind = opts.knownKind === 'da2-metric' ? 'da2-metric' : 'da2-relative';
    notes.push(`family Depth Anything V2: ${input.name} → ${depthOut.name}`);
  } else {
    throw noFamily(
      inputs,
      outputs,
      `input "${input.name}" and output "${depthOut.name}" with ${fixed ? `a fixed ${fixed.width}×${fixed.height}` : 'a dynamic'} size fit none`,
    );
  }

  const head = opts.graph ? depthHeadOf(opts.graph, depthOut.name) : undefined;
  let prediction: PredictionType;
  let maxDepth: number | undefined;
  if (kind === 'da2-relative' || kind === 'da2-metric') {
    if (head?.head === 'sigmoid-max') {
      if (!opts.kind) kind = 'da2-metric';
      maxDepth = head.maxDepth;
      notes.push(
        `graph ends in ${maxDepth} · sigmoid: metric depth head (max ${maxDepth} m${maxDepth === 20 ? ', indoor' : maxDepth === 80 ? ', outdoor' : ''})`,
      );
    } else if (head?.head === 'relu') {
      if (!opts.kind) kind = 'da2-relative';
      notes.push('graph ends in ReLU: relative inverse-depth head');
    } else if (!opts.kind) {
      notes.push(
        opts.knownKind
          ? `head not recognised in the graph; ${kind} as registered for this model`
          : 'head not recognised in the graph; assumed relative inverse depth (pass --depth-kind da2-metric if it outputs metres)',
      );
    }
    if (kind === 'da2-metric' && opts.kind === 'da2-metric' && head?.head === 'relu')
      notes.push('warning: --depth-kind da2-metric, but the graph ends in ReLU like a relative head');
    prediction = kind === 'da2-metric' ? 'metric' : 'inverse';
  } else if (kind === 'midas-small') {
    prediction = 'inverse';
  } else {
    // Depth Pro: check what the graph outputs before trusting metric or inverse
    if (head?.head === 'reciprocal') {
      prediction = 'metric';
      notes.push('Depth Pro graph ends in 1/x: its depth output is metric (metres)');
    } else if (head && head.head !== 'unknown') {
      prediction = 'canonical-inverse';
      notes.push(
        `Depth Pro graph ends in ${head.chain.join(' ← ')}, not 1/x: output read as canonical inverse depth (metres = f_px / (W · value))`,
      );
    } else {
      prediction = 'metric';
      notes.push('Depth Pro graph could not be read: output assumed metric (metres); check against a known distance');
    }
    if (prediction === 'canonical-inverse' && !focalOut) {
      throw noFamily(
        inputs,
        outputs,
        'a Depth Pro graph with canonical inverse depth needs a focal-length or field-of-view output to become metres',
      );
    }
  }

  const da = kind === 'da2-relative' || kind === 'da2-metric';
  const adapter: DepthAdapter = {
    kind,
    label: {
      'da2-relative': 'Depth Anything V2 (relative)',
      'da2-metric': 'Depth Anything V2 (metric)',
      'midas-small': 'MiDaS v2.1 small',
      'depth-pro': 'Depth Pro',
    }[kind],
    input: {
      name: input.name,
      type: input.type,
      fixed:
        fixed ??
        (kind === 'midas-small'
          ? { width: 256, height: 256 }
          : kind === 'depth-pro'
            ? { width: 1536, height: 1536 }
            : undefined),
    },
    depthOutput: { name: depthOut.name },
    focalOutput: focalOut
      ? { name: focalOut.name, meaning: /focal/i.test(focalOut.name) ? 'focal-px' : 'fov-deg' }
      : undefined,
    mean: kind === 'depth-pro' ? HALF : IMAGENET_MEAN,
    std: kind === 'depth-pro' ? HALF : IMAGENET_STD,
    multiple: da ? DEPTH_MODEL_DEFAULTS.patchMultiple : 1,
    prediction,
    maxDepth,
    notes,
  };
  if (da && adapter.input.fixed && (adapter.input.fixed.width % 14 || adapter.input.fixed.height % 14)) {
    notes.push(
      `warning: fixed input ${adapter.input.fixed.width}×${adapter.input.fixed.height} is not a multiple of 14`,
    );
  }
  return adapter;
}

/** Round x to a multiple of m, never below minVal (Depth Anything's "lower_bound" resize rule). */
function multipleAtLeast(x: number, m: number, minVal: number): number {
  let y = Math.round(x / m) * m;
  if (y < minVal) y = Math.ceil(x / m) * m;
  return Math.max(m, y);
}

/** The model input size for an image: fixed by the model, or short side `shortSide`, aspect kept, multiples of 14. */
export function modelInputSize(
  adapter: DepthAdapter,
  imageWidth: number,
  imageHeight: number,
  shortSide: number = DEPTH_MODEL_DEFAULTS.shortSide,
): { width: number; height: number } {
  if (adapter.input.fixed) return { ...adapter.input.fixed };
  if (!(shortSide >= adapter.multiple && Number.isFinite(shortSide))) {
    throw new VantageError(
      'bad-input-size',
      `model input size ${shortSide} is too small`,
      `use at least ${adapter.multiple} (default ${DEPTH_MODEL_DEFAULTS.shortSide})`,
    );
  }
  const scale = shortSide / Math.min(imageWidth, imageHeight);
  return {
    width: multipleAtLeast(imageWidth * scale, adapter.multiple, shortSide),
    height: multipleAtLeast(imageHeight * scale, adapter.multiple, shortSide),
  };
}

/** The image resized (bicubic) to the model's input and normalised into planar float32 RGB [1,3,H,W]. */
export async function preprocessImage(
  image: RgbImage,
  adapter: DepthAdapter,
  size: { width: number; height: number },
): Promise<Float32Array> {
  const { width, height } = size;
  let pixels: Uint8Array = image.rgb;
  if (width !== image.width || height !== image.height) {
    pixels = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(width, height, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
  }
  const n = width * height;
  const out = new Float32Array(3 * n);
  // (x / 255 − mean) / std as one multiply-add per sample, via a 256-entry table per channel
  const lut = new Float32Array(768);
  for (let c = 0; c < 3; c++)
    for (let x = 0; x < 256; x++) lut[c * 256 + x] = (x / 255 - adapter.mean[c]) / adapter.std[c];
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = lut[pixels[j]];
    out[n + i] = lut[256 + pixels[j + 1]];
    out[2 * n + i] = lut[512 + pixels[j + 2]];
  }
  return out;
}

/**
 * Bilinear resize of a float map with pixel centres aligned (align_corners = false). A sample whose
 * neighbourhood holds a non-finite value is NaN: "no depth" spreads to the pixels it touches.
 */
export function resizeBilinear(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (src.length !== sw * sh) throw new Error(`map has ${src.length} values for ${sw}×${sh}`);
  if (sw === dw && sh === dh) {
    const out = Float32Array.from(src);
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) out[i] = NaN;
    return out;
  }
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  const x0s = new Int32Array(dw);
  const x1s = new Int32Array(dw);
  const fxs = new Float32Array(dw);
  for (let x = 0; x < dw; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, sw - 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    const r0 = y0 * sw;
    const r1 = y1 * sw;
    for (let x = 0; x < dw; x++) {
      const a = src[r0 + x0s[x]];
      const b = src[r0 + x1s[x]];
      const c = src[r1 + x0s[x]];
      const d = src[r1 + x1s[x]];
      const wx = fxs[x];
      const v = (a * (1 - wx) + b * wx) * (1 - wy) + (c * (1 - wx) + d * wx) * wy;
      // ∞·0 and ∞−∞ are NaN, but ∞·w is ∞: make every non-finite contribution "no depth"
      out[y * dw + x] = Number.isFinite(v) && Number.isFinite(a + b + c + d) ? v : NaN;
    }
  }
  return out;
}

/** The model's depth output ([1,H,W] or [1,1,H,W]) resized back to the image (bilinear). */
export function predictionToImage(
  data: Float32Array,
  dims: readonly number[],
  imageWidth: number,
  imageHeight: number,
): Float32Array {
  const w = dims[dims.length - 1];
  const h = dims[dims.length - 2];
  if (!(w > 0 && h > 0) || data.length !== w * h) {
    throw new VantageError(
      'depth-model-output',
      `the depth output has shape [${dims.join(',')}] and ${data.length} values; expected one [1,H,W] map`,
      'pass --depth-kind to choose the family, or use another export of the model',
    );
  }
  return resizeBilinear(data, w, h, imageWidth, imageHeight);
}
