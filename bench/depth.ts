/**
 * Depth-model figures: the inference time of the tiny fixture model (the onnxruntime-node path, not
 * a real network's cost) and the pre/post-processing a real Depth Anything V2 run adds for a 640×480
 * photo — resize + normalise to 686×518 (short side 518, aspect kept) or to a fixed 518×518 export,
 * and the bilinear resize back plus the default relative→depth alignment. Median of several runs
 * after a warm-up, CPU execution provider.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildTinyDepthModel, gradientImage } from '../fixtures/tiny-onnx.js';
import { alignDisparity } from '../synth/depth/align.js';
import { loadDepthModel, type DepthModel } from '../synth/depth/estimate.js';
import { modelInputSize, predictionToImage, preprocessImage, type DepthAdapter } from '../synth/depth/families.js';
import type { BenchFigure } from './run.js';

async function medianMs(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function benchDepth(): Promise<BenchFigure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-depth-'));
  let model: DepthModel | undefined;
  try {
    const path = join(dir, 'tiny.onnx');
    await writeFile(path, buildTinyDepthModel());
    model = await loadDepthModel(path, { provider: 'cpu' });
    const image = gradientImage(640, 480);
    const figures: BenchFigure[] = [];
    const runs = 9;

    for (const [label, adapter] of [
      ['686×518 (short side 518, aspect kept)', model.adapter],
      [
        '518×518 (fixed-size export)',
        { ...model.adapter, input: { ...model.adapter.input, fixed: { width: 518, height: 518 } } } as DepthAdapter,
      ],
    ] as const) {
      const size = modelInputSize(adapter, image.width, image.height);
      let input: Float32Array = new Float32Array(0);
      const pre = await medianMs(runs, async () => {
        input = await preprocessImage(image, adapter, size);
      });
      const tensor = new ort.Tensor('float32', input, [1, 3, size.height, size.width]);
      let output: ort.Tensor | undefined;
      const m = model;
      const infer = await medianMs(runs, async () => {
        output = (await m.session.run({ [adapter.input.name]: tensor }))[adapter.depthOutput.name];
      });
      const raw = output!.data as Float32Array;
      const dims = output!.dims;
      const post = await medianMs(runs, () => {
        const pred = predictionToImage(raw, dims, image.width, image.height);
        alignDisparity(pred, image.width, image.height);
      });
      figures.push(
        {
          name: `depth pre-processing, 640×480 photo → ${label}`,
          value: round(pre),
          unit: 'ms',
          note: 'sharp bicubic resize + ImageNet normalisation to planar float32',
        },
        {
          name: `tiny ONNX depth model inference at ${label}`,
          value: round(infer),
          unit: 'ms',
          note: 'fixtures/tiny-onnx.ts (≈40 elementwise ops) on onnxruntime-node CPU: the runtime path, not a real network',
        },
        {
          name: `depth post-processing, ${label} → 640×480`,
          value: round(post),
          unit: 'ms',
          note: 'bilinear resize back + default relative→depth alignment',
        },
      );
    }
    return figures;
  } finally {
    await model?.release();
    await rm(dir, { recursive: true, force: true });
  }
}
