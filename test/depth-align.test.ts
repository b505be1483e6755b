/**
 * Relative → metric alignment. On real depth (Open3D's living room, uint16 mm): turn it into a
 * disparity with a known scale and shift (plus noise) and recover the depth from what a user could
 * know — sparse anchors, a range, one distance.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignDisparity, alignMetric, fitInverseDepth, finiteQuantiles } from '../synth/depth/align.js';
import { VantageError } from '../core/errors.js';
import { DEPTH_MODEL_DEFAULTS } from '../synth/config.js';
import { describeShared, sharedPath } from './support/shared-data.js';

/** Deterministic standard-normal noise (LCG + Box–Muller). */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uni = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(uni())) * Math.cos(2 * Math.PI * uni());
}

/** Median and 95th percentile of |recovered / truth − 1| over pixels with true depth. */
function relErrors(recovered: Float32Array, truth: Float32Array): { median: number; p95: number; count: number } {
  const all = new Float64Array(truth.length);
  let n = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] > 0) all[n++] = Math.abs(recovered[i] / truth[i] - 1);
  const errs = all.subarray(0, n).sort();
  return { median: errs[errs.length >> 1], p95: errs[Math.floor(errs.length * 0.95)], count: errs.length };
}

describe('fitInverseDepth / alignDisparity (synthetic)', () => {
  it('least squares recovers s and t exactly from clean pairs', () => {
    const z = [0.5, 1, 2, 3, 5, 8];
    const d = z.map((x) => 2 / x + 0.3); // 1/z = 0.5·d − 0.15
    const fit = fitInverseDepth(d, z);
    expect(fit.s).toBeCloseTo(0.5, 10);
    expect(fit.t).toBeCloseTo(-0.15, 10);
    expect(fit.rms).toBeLessThan(1e-12);
  });

  it('refuses degenerate anchors with a clear error', () => {
    expect(() => fitInverseDepth([1, 1, 1], [1, 2, 3])).toThrow(/same model disparity/);
    expect(() => fitInverseDepth([1], [1])).toThrow(VantageError);
  });

  const W = 40;
  const H = 30;
  const disp = new Float32Array(W * H);
  for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) disp[v * W + u] = 1 + u / 4 + v / 10; // 1 … 13.65

  it('default: percentiles → 10/1 depth units, recorded as relative and not metres', () => {
    const { depth, alignment } = alignDisparity(disp, W, H);
    expect(alignment.method).toBe('default');
    expect(alignment.units).toBe('relative');
    expect(alignment.note).toMatch(/not metres/);
    const [dLo, dHi] = finiteQuantiles(disp, DEPTH_MODEL_DEFAULTS.rangePercentiles);
    expect(1 / (alignment.s * dHi + alignment.t)).toBeCloseTo(1, 6);
    expect(1 / (alignment.s * dLo + alignment.t)).toBeCloseTo(10, 6);
    // larger disparity = nearer
    expect(depth[W - 1]).toBeLessThan(depth[0]);
  });

  it('depth range: the percentiles land on near and far (metres)', () => {
    const { alignment } = alignDisparity(disp, W, H, { depthRange: [0.5, 4] });
    expect(alignment).toMatchObject({ method: 'depth-range', units: 'metres' });
    const [dLo, dHi] = finiteQuantiles(disp, DEPTH_MODEL_DEFAULTS.rangePercentiles);
    expect(1 / (alignment.s * dHi + alignment.t)).toBeCloseTo(0.5, 6);
    expect(1 / (alignment.s * dLo + alignment.t)).toBeCloseTo(4, 6);
    expect(() => alignDisparity(disp, W, H, { depthRange: [4, 0.5] })).toThrow(/far must be greater/);
    expect(() => alignDisparity(disp, W, H, { depthRange: [0, 4] })).toThrow(/positive/);
  });

  it('known depth: that pixel lands on it, with the default shape', () => {
    const { depth, alignment } = alignDisparity(disp, W, H, { knownDepth: [20, 15, 2.5] });
    expect(alignment).toMatchObject({ method: 'known-depth', units: 'metres' });
    expect(depth[15 * W + 20]).toBeCloseTo(2.5, 4);
    expect(() => alignDisparity(disp, W, H, { knownDepth: [40, 15, 2.5] })).toThrow(/outside the 40×30 image/);
  });

  it('range and known depths together are a conflict', () => {
    expect(() => alignDisparity(disp, W, H, { depthRange: [1, 2], knownDepth: [1, 1, 1] })).toThrow(
      /either --depth-range or known depths/,
    );
  });

  it('pixels beyond infinity go to the far cap, non-finite ones get no depth', () => {
    const d = Float32Array.from(disp);
    d[0] = NaN;
    d[1] = -100; // far beyond the fitted range
    const { depth, alignment } = alignDisparity(d, W, H);
    expect(depth[0]).toBe(0);
    expect(depth[1]).toBeCloseTo(alignment.farCap!, 4);
    expect(alignment.clamped).toBeGreaterThanOrEqual(1);
  });

  it('metric maps pass through, or rescale to known depths (least squares)', () => {
    const metric = Float32Array.from(disp, (x) => x / 2);
    expect(alignMetric(metric, W, H).alignment.method).toBe('metric');
    const { depth, alignment } = alignMetric(metric, W, H, {
      anchors: [
        { u: 5, v: 5, depth: metric[5 * W + 5] * 1.5 },
        { u: 30, v: 20, depth: metric[20 * W + 30] * 1.5 },
      ],
    });
    expect(alignment.method).toBe('metric-scaled');
    expect(alignment.s).toBeCloseTo(1.5, 6);
    expect(depth[10 * W + 10]).toBeCloseTo(metric[10 * W + 10] * 1.5, 4);
  });
});

describeShared('alignment on real depth (Open3D living room, frame 0)', () => {
  let truth: Float32Array;
  let W = 0;
  let H = 0;
  // disparity = S0 / z + T0 (+ noise): a relative model's output with a scale and shift nobody told us
  const S0 = 3.7;
  const T0 = 0.42;
  let disparity: Float32Array;

  beforeAll(async () => {
    const { data, info } = await sharp(sharedPath('rgbd', 'open3d', 'depth', '00000.png'))
      .toColourspace('grey16') // keep the 16-bit values as they are (no sRGB conversion)
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(1);
    W = info.width;
    H = info.height;
    truth = new Float32Array(W * H);
    for (let i = 0; i < truth.length; i++) truth[i] = data.readUInt16LE(2 * i) / 1000; // mm → m
    const noise = gaussian(7);
    disparity = Float32Array.from(truth, (z) => (z > 0 ? S0 / z + T0 + 0.002 * noise() : NaN));
  });

  it('the frame is real depth: 640×480, mostly valid, metres in a room', () => {
    expect([W, H]).toEqual([640, 480]);
    const [lo, hi] = finiteQuantiles(
      Float32Array.from(truth, (z) => (z > 0 ? z : NaN)),
      [0.02, 0.98],
    );
    expect(lo).toBeGreaterThan(0.3);
    expect(hi).toBeLessThan(10);
  });

  it('sparse anchors (least squares) recover depth within 1%', () => {
    const anchors = [];
    for (let k = 0; k < 40; k++) {
      const u = 15 + ((k * 97) % 610);
      const v = 15 + ((k * 53) % 450);
      const z = truth[v * W + u];
      if (z > 0) anchors.push({ u, v, depth: z });
    }
    expect(anchors.length).toBeGreaterThan(20);
    const { depth, alignment } = alignDisparity(disparity, W, H, { anchors });
    expect(alignment.method).toBe('anchors');
    expect(alignment.units).toBe('metres');
    expect(alignment.s).toBeCloseTo(1 / S0, 2);
    expect(alignment.t).toBeCloseTo(-T0 / S0, 2);
    const e = relErrors(depth, truth);
    expect(e.count).toBeGreaterThan(0.8 * W * H); // the frame's own valid pixels (~87%)
    expect(e.median).toBeLessThan(0.01);
    expect(e.p95).toBeLessThan(0.02);
  });

  it("the scene's range (at the 2nd/98th percentiles) recovers depth within 1%", () => {
    const valid = Float32Array.from(truth, (z) => (z > 0 ? z : NaN));
    const [near, far] = finiteQuantiles(valid, DEPTH_MODEL_DEFAULTS.rangePercentiles);
    const { depth, alignment } = alignDisparity(disparity, W, H, { depthRange: [near, far] });
    expect(alignment.method).toBe('depth-range');
    expect(relErrors(depth, truth).median).toBeLessThan(0.01);
  });

  it('one known distance fixes the scale at that pixel (the near:far shape stays the default)', () => {
    const u = 320;
    const v = 240;
    const { depth, alignment } = alignDisparity(disparity, W, H, { knownDepth: [u, v, truth[v * W + u]] });
    expect(alignment.method).toBe('known-depth');
    expect(alignment.units).toBe('metres');
    expect(Math.abs(depth[v * W + u] / truth[v * W + u] - 1)).toBeLessThan(0.01);
    expect(alignment.note).toMatch(/shape is the default/);
  });

  it('with nothing known, depth is ordered like the truth but in relative units', () => {
    const { depth, alignment } = alignDisparity(disparity, W, H);
    expect(alignment.units).toBe('relative');
    // rank agreement on a sample of pixel pairs
    let agree = 0;
    let total = 0;
    for (let k = 0; k < 2000; k++) {
      const i = (k * 7919) % (W * H);
      const j = (k * 104729 + 13) % (W * H);
      if (!(truth[i] > 0 && truth[j] > 0) || Math.abs(truth[i] - truth[j]) < 0.05) continue;
      total++;
      if (Math.sign(depth[i] - depth[j]) === Math.sign(truth[i] - truth[j])) agree++;
    }
    expect(agree / total).toBeGreaterThan(0.98);
  });
});
