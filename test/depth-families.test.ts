/**
 * The real onnxruntime-node path on tiny models made in code (fixtures/tiny-onnx.ts): preprocessing,
 * family detection, output resizing and Depth Pro's focal length, checked against the function the
 * models compute. The "fixture notices" block shows that each kind of preprocessing mistake would
 * fail these checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTinyDepthModel,
  describeTinyModel,
  gradientColour,
  gradientImage,
  tinyDepthReference,
  type TinyDepthModelOptions,
  type TinyHead,
} from '../fixtures/tiny-onnx.js';
import { loadDepthModel, predictDepth, estimateDepth, type DepthModel } from '../synth/depth/estimate.js';
import {
  depthHeadOf,
  detectDepthAdapter,
  modelInputSize,
  resizeBilinear,
  predictionToImage,
  type DepthAdapter,
} from '../synth/depth/families.js';
import { readOnnxGraphSummary } from '../synth/depth/onnx-graph.js';
import { VantageError } from '../core/errors.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
let dir: string;

function modelFile(name: string, opts: TinyDepthModelOptions = {}): string {
  const p = join(dir, `${name}.onnx`);
  writeFileSync(p, buildTinyDepthModel(opts));
  return p;
}

/** Expected output at image pixel (u, v) of a gradientImage(w, h) for a model input of mw × mh. */
function expected(
  u: number,
  v: number,
  w: number,
  h: number,
  mw: number,
  mh: number,
  head: TinyHead = 'relative',
  mean = IMAGENET_MEAN,
  std = IMAGENET_STD,
  maxDepth = 20,
): number {
  const xn = (u + 0.5) / w;
  const yn = (v + 0.5) / h;
  const c = gradientColour(xn, yn);
  const norm = [0, 1, 2].map((k) => (c[k] / 255 - mean[k]) / std[k]) as [number, number, number];
  return tinyDepthReference(norm, xn, yn, mw, mh, head, maxDepth);
}

/** Largest |prediction − expected| over the image, `border` px in from the edges (resampling clamps there). */
function maxError(
  pred: Float32Array,
  w: number,
  h: number,
  mw: number,
  mh: number,
  head: TinyHead = 'relative',
  maxDepth = 20,
  border = 3,
): number {
  let worst = 0;
  for (let v = border; v < h - border; v += 3) {
    for (let u = border; u < w - border; u += 3) {
      worst = Math.max(
        worst,
        Math.abs(pred[v * w + u] - expected(u, v, w, h, mw, mh, head, IMAGENET_MEAN, IMAGENET_STD, maxDepth)),
      );
    }
  }
  return worst;
}

const TOL = 0.05;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-depth-fam-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tiny ONNX fixture', () => {
  it('encodes a valid model with the Depth Anything V2 contract', () => {
    const bytes = buildTinyDepthModel();
    expect(describeTinyModel(bytes)).toMatchObject({ inputs: ['pixel_values'], outputs: ['predicted_depth'] });
    expect(bytes.length).toBeLessThan(10_000);
  });
});

describe('Depth Anything V2 contract (tiny model through onnxruntime-node)', () => {
  let model: DepthModel;
  beforeAll(async () => {
    model = await loadDepthModel(modelFile('da2'));
  });
  afterAll(async () => model?.release());

  it('is detected as relative Depth Anything V2 from names and its ReLU head', () => {
    expect(model.adapter.kind).toBe('da2-relative');
    expect(model.adapter.prediction).toBe('inverse');
    expect(model.notes.join(' ')).toMatch(/ReLU/);
  });

  it('640×480: short side 518, aspect kept, multiples of 14, output back at image size', async () => {
    const img = gradientImage(640, 480);
    const p = await predictDepth(model, img);
    expect(p.meta.modelInput).toEqual({ width: 686, height: 518 });
    expect(p.prediction.length).toBe(640 * 480);
    expect(maxError(p.prediction, 640, 480, 686, 518)).toBeLessThan(TOL);
    // the border too, within resampling slack
    expect(Math.abs(p.prediction[0] - expected(0, 0, 640, 480, 686, 518))).toBeLessThan(0.2);
  });

  it('portrait 300×500 (upscaled): 518×868', async () => {
    const img = gradientImage(300, 500);
    const p = await predictDepth(model, img);
    expect(p.meta.modelInput).toEqual({ width: 518, height: 868 });
    expect(maxError(p.prediction, 300, 500, 518, 868)).toBeLessThan(TOL);
  });

  it('a configurable short side (--input-size 252)', async () => {
    const img = gradientImage(640, 480);
    const p = await predictDepth(model, img, { inputSize: 252 });
    expect(p.meta.modelInput).toEqual({ width: 336, height: 252 });
    expect(maxError(p.prediction, 640, 480, 336, 252)).toBeLessThan(TOL);
  });

  it('estimateDepth: relative with nothing known → depth units, default alignment recorded', async () => {
    const est = await estimateDepth(gradientImage(160, 120), { model });
    expect(est.units).toBe('relative');
    expect(est.alignment.method).toBe('default');
    expect(est.notes.join('\n')).toMatch(/not metres/);
    // larger disparity = nearer: the right side (larger f) is nearer
    expect(est.depth[60 * 160 + 150]).toBeLessThan(est.depth[60 * 160 + 10]);
  });
});

describe('the fixture notices preprocessing mistakes', () => {
  let model: DepthModel;
  const img = gradientImage(640, 480);
  beforeAll(async () => {
    model = await loadDepthModel(modelFile('da2-mut'));
  });
  afterAll(async () => model?.release());

  async function withAdapter(change: (a: DepthAdapter) => DepthAdapter, image = img) {
    const original = model.adapter;
    model.adapter = change({ ...original });
    try {
      return await predictDepth(model, image);
    } finally {
      model.adapter = original;
    }
  }

  it('wrong mean/std', async () => {
    const p = await withAdapter((a) => ({ ...a, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }));
    expect(maxError(p.prediction, 640, 480, 686, 518)).toBeGreaterThan(0.5);
  });
  it('channels swapped (BGR)', async () => {
    const bgr = { ...img, rgb: img.rgb.slice() };
    for (let i = 0; i < bgr.rgb.length; i += 3) [bgr.rgb[i], bgr.rgb[i + 2]] = [bgr.rgb[i + 2], bgr.rgb[i]];
    const p = await predictDepth(model, bgr);
    expect(maxError(p.prediction, 640, 480, 686, 518)).toBeGreaterThan(0.5);
  });
  it('aspect squashed to 518×518', async () => {
    const p = await withAdapter((a) => ({ ...a, input: { ...a.input, fixed: { width: 518, height: 518 } } }));
    expect(maxError(p.prediction, 640, 480, 686, 518)).toBeGreaterThan(0.1);
  });
  it('sides not rounded to multiples of 14', async () => {
    const p = await withAdapter((a) => ({ ...a, multiple: 1 }));
    expect(p.meta.modelInput.width % 14).not.toBe(0);
    expect(maxError(p.prediction, 640, 480, 686, 518)).toBeGreaterThan(1);
  });
  it('output flipped, or off by one pixel', async () => {
    const p = await predictDepth(model, img);
    const flipped = new Float32Array(p.prediction.length);
    const shifted = new Float32Array(p.prediction.length);
    for (let v = 0; v < 480; v++) {
      for (let u = 0; u < 640; u++) {
        flipped[v * 640 + u] = p.prediction[v * 640 + (639 - u)];
        shifted[v * 640 + u] = p.prediction[v * 640 + Math.max(0, u - 1)];
      }
    }
    expect(maxError(flipped, 640, 480, 686, 518)).toBeGreaterThan(10);
    expect(maxError(shifted, 640, 480, 686, 518)).toBeGreaterThan(0.1);
  });
  it('nearest-neighbour instead of bilinear output resize', async () => {
    // run the graph at a small size so that the upscale factor is large
    const small = gradientImage(640, 480);
    const p = await predictDepth(model, small, { inputSize: 56 });
    const { width: mw, height: mh } = p.meta.modelInput;
    const edge = Math.ceil(640 / mw); // one model pixel: bilinear clamps within half of it
    expect(maxError(p.prediction, 640, 480, mw, mh, 'relative', 20, edge)).toBeLessThan(TOL);
    // nearest neighbour of the same model output
    const raw = resizeBilinear(p.prediction, 640, 480, mw, mh);
    const nearest = new Float32Array(640 * 480);
    for (let v = 0; v < 480; v++)
      for (let u = 0; u < 640; u++)
        nearest[v * 640 + u] = raw[Math.floor(((v + 0.5) * mh) / 480) * mw + Math.floor(((u + 0.5) * mw) / 640)];
    expect(maxError(nearest, 640, 480, mw, mh, 'relative', 20, edge)).toBeGreaterThan(0.5);
  });
});

describe('family detection', () => {
  it('image → depth naming with a [1,1,H,W] output (the other popular export)', async () => {
    const m = await loadDepthModel(modelFile('img-depth', { inputName: 'image', outputName: 'depth', outputRank: 4 }));
    try {
      expect(m.adapter.kind).toBe('da2-relative');
      const p = await predictDepth(m, gradientImage(320, 240));
      expect(p.meta.modelInput).toEqual({ width: 686, height: 518 });
      expect(maxError(p.prediction, 320, 240, 686, 518)).toBeLessThan(TOL);
    } finally {
      await m.release();
    }
  });

  it('metric head (20 · sigmoid) → da2-metric in metres, max depth noted', async () => {
    const est = await estimateDepth(gradientImage(320, 240), {
      model: modelFile('metric', { inputName: 'image', outputName: 'depth', head: 'metric', maxDepth: 20 }),
    });
    expect(est.kind).toBe('da2-metric');
    expect(est.units).toBe('metres');
    expect(est.notes.join(' ')).toMatch(/max 20 m, indoor/);
    expect(maxError(est.depth, 320, 240, 686, 518, 'metric', 20)).toBeLessThan(0.02);
  });

  it('MiDaS v2.1 small: fixed 256×256 under arbitrary names, aspect not kept', async () => {
    const m = await loadDepthModel(
      modelFile('midas', { inputName: 'input.1', outputName: '797', fixedSize: [256, 256] }),
    );
    try {
      expect(m.adapter.kind).toBe('midas-small');
      const p = await predictDepth(m, gradientImage(320, 240));
      expect(p.meta.modelInput).toEqual({ width: 256, height: 256 });
      // ImageNet normalisation, and 256 % 14 = 4 on each side (the model's mod-14 term)
      expect(maxError(p.prediction, 320, 240, 256, 256)).toBeLessThan(TOL);
    } finally {
      await m.release();
    }
  });

  it('Depth Pro: 1536², mean/std 0.5, graph ending in 1/x → metres; focal length → intrinsics at image size', async () => {
    const est = await estimateDepth(gradientImage(400, 300), {
      model: modelFile('dpro', {
        fixedSize: [1536, 1536],
        head: 'reciprocal',
        focal: { name: 'focallength_px', value: 1200 },
      }),
    });
    expect(est.kind).toBe('depth-pro');
    expect(est.units).toBe('metres');
    expect(est.alignment.method).toBe('metric');
    expect(est.focalPx).toBeCloseTo((1200 * 400) / 1536, 3);
    expect(est.notes.join(' ')).toMatch(/ends in 1\/x/);
    const u = 200;
    const v = 150;
    const xn = (u + 0.5) / 400;
    const yn = (v + 0.5) / 300;
    const c = gradientColour(xn, yn).map((x) => (x / 255 - 0.5) / 0.5) as [number, number, number];
    const ref = tinyDepthReference(c, xn, yn, 1536, 1536, 'reciprocal');
    expect(Math.abs(est.depth[v * 400 + u] / ref - 1)).toBeLessThan(1e-3);
  });

  it('Depth Pro whose graph does not invert: canonical inverse depth, metres = f / (W · value)', async () => {
    const est = await estimateDepth(gradientImage(400, 300), {
      model: modelFile('dpro-canon', {
        fixedSize: [1536, 1536],
        head: 'identity',
        focal: { name: 'focallength_px', value: 1200 },
      }),
    });
    expect(est.predictionType).toBe('canonical-inverse');
    const i = 150 * 400 + 200;
    expect(est.depth[i]).toBeCloseTo(1200 / 1536 / est.prediction[i], 4);
  });

  it('a model that matches no family: a clear error listing what was found', async () => {
    const path = modelFile('odd', { inputName: 'frames', outputName: 'logits', channels: 4 });
    const err = await loadDepthModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VantageError);
    const e = err as VantageError;
    expect(e.code).toBe('depth-model-unrecognised');
    expect(e.message).toMatch(/frames float32 \[1,4,height,width\]/);
    expect(e.message).toMatch(/logits float32 \[1,height,width\]/);
    expect(e.hint).toMatch(/--depth-kind/);
  });

  it('names that fit no family are refused, and --depth-kind overrides', async () => {
    const path = modelFile('renamed', { inputName: 'x', outputName: 'y', fixedSize: [518, 518] });
    await expect(loadDepthModel(path)).rejects.toThrow(
      /matches no known depth family.*x float32 \[1,3,518,518\].*y float32/,
    );
    const m = await loadDepthModel(path, { kind: 'da2-relative' });
    try {
      expect(m.adapter.kind).toBe('da2-relative');
      const p = await predictDepth(m, gradientImage(320, 240));
      expect(p.meta.modelInput).toEqual({ width: 518, height: 518 });
      expect(p.meta.notes.join(' ')).toMatch(/fixed by the model/);
    } finally {
      await m.release();
    }
  });

  it('float16 input and output (fp16 exports) are converted both ways', async () => {
    const m = await loadDepthModel(modelFile('fp16', { float16Io: true }));
    try {
      expect(m.adapter.input.type).toBe('float16');
      expect(m.adapter.kind).toBe('da2-relative'); // ReLU found behind the Cast
      const p = await predictDepth(m, gradientImage(320, 240));
      // fp16 keeps ~3 significant digits: values up to ~170 are within 0.1
      expect(maxError(p.prediction, 320, 240, 686, 518)).toBeLessThan(0.15);
    } finally {
      await m.release();
    }
  });

  it('the graph reader skips weights: 16 MB of initializer costs no decoding', async () => {
    const path = modelFile('padded', { paddingBytes: 16 * 1024 * 1024 });
    const t0 = performance.now();
    const g = await readOnnxGraphSummary(path);
    const ms = performance.now() - t0;
    expect(g.inputs.map((i) => i.name)).toEqual(['pixel_values']);
    expect(g.outputs.map((o) => o.name)).toEqual(['predicted_depth']);
    expect(g.constants.has('padding_weights')).toBe(false);
    expect(depthHeadOf(g, 'predicted_depth').head).toBe('relu');
    expect(ms).toBeLessThan(1000);
  });

  it('unknown --depth-kind is an error naming the kinds', async () => {
    await expect(loadDepthModel(modelFile('k'), { kind: 'zoedepth' })).rejects.toThrow(/unknown depth kind/);
  });

  it('detects from I/O alone (no graph): relative assumed and said so', () => {
    const a = detectDepthAdapter(
      [{ name: 'pixel_values', type: 'float32', dims: [1, 3, 'h', 'w'] }],
      [{ name: 'predicted_depth', type: 'float32', dims: [1, 'h', 'w'] }],
    );
    expect(a.kind).toBe('da2-relative');
    expect(a.notes.join(' ')).toMatch(/assumed relative/);
  });
});

describe('output handling', () => {
  it('non-finite model output becomes "no depth"', async () => {
    const est = await estimateDepth(gradientImage(200, 100), { model: modelFile('inf', { infRightOf: 0.75 }) });
    let right = 0;
    let left = 0;
    for (let v = 0; v < 100; v++) {
      for (let u = 0; u < 200; u++) {
        const d = est.depth[v * 200 + u];
        if (u > 0.78 * 200) right += d === 0 ? 0 : 1;
        if (u < 0.72 * 200) left += d > 0 && Number.isFinite(d) ? 0 : 1;
        expect(Number.isFinite(d)).toBe(true);
      }
    }
    expect(right).toBe(0);
    expect(left).toBe(0);
    expect(est.notes.join(' ')).toMatch(/non-finite/);
  });

  it('bilinear resize keeps a linear ramp exact (pixel centres aligned)', () => {
    const sw = 7;
    const sh = 5;
    const src = new Float32Array(sw * sh);
    for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) src[y * sw + x] = (x + 0.5) / sw + 2 * ((y + 0.5) / sh);
    const out = resizeBilinear(src, sw, sh, 70, 50);
    for (let y = 5; y < 45; y++)
      for (let x = 5; x < 65; x++) expect(out[y * 70 + x]).toBeCloseTo((x + 0.5) / 70 + 2 * ((y + 0.5) / 50), 5);
  });

  it('rejects an output whose size does not match its values', () => {
    expect(() => predictionToImage(new Float32Array(10), [1, 4, 4], 8, 8)).toThrow(VantageError);
  });

  it('input size rule: lower bound 518, multiples of 14', () => {
    const a = { input: {}, multiple: 14 } as DepthAdapter;
    expect(modelInputSize(a, 640, 480)).toEqual({ width: 686, height: 518 });
    expect(modelInputSize(a, 4000, 3000)).toEqual({ width: 686, height: 518 });
    expect(modelInputSize(a, 1920, 1080)).toEqual({ width: 924, height: 518 });
    expect(modelInputSize(a, 500, 500, 500)).toEqual({ width: 504, height: 504 });
  });
});

describe('execution providers', () => {
  it('an unavailable provider is a VantageError naming what is available; an available one matches CPU', async () => {
    const path = modelFile('ep');
    const img = gradientImage(160, 120);
    const cpu = await estimateDepth(img, { model: path });
    for (const provider of ['cuda', 'webgpu']) {
      try {
        const gpu = await estimateDepth(img, { model: path, provider });
        let worst = 0;
        for (let i = 0; i < cpu.prediction.length; i++)
          worst = Math.max(worst, Math.abs(cpu.prediction[i] - gpu.prediction[i]));
        expect(worst).toBeLessThan(1e-2);
      } catch (e) {
        expect(e).toBeInstanceOf(VantageError);
        expect((e as VantageError).code).toBe('depth-provider-unavailable');
        expect((e as VantageError).message).toContain(provider);
        expect((e as VantageError).hint).toMatch(/--provider cpu/);
        expect((e as VantageError).hint).toMatch(/bundles cpu/);
      }
    }
    await expect(estimateDepth(img, { model: path, provider: 'tpu' })).rejects.toThrow(
      /unknown execution provider "tpu"/,
    );
  });
});
