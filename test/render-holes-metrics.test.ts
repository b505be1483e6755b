/** Hole handling (mark / fill / none) and the image metrics, on hand-made arrays. */
import { describe, expect, it } from 'vitest';
import { applyHoles, pushPullFill } from '../synth/holes.js';
import { maxAbsError, meanAbsError, meanSquaredError, psnr } from '../synth/metrics.js';
import { HOLE_MARK_COLOR } from '../core/config.js';

/** width × height RGBA image of one colour. */
function image(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(4 * width * height);
  for (let p = 0; p < width * height; p++) out.set([...rgb, 255], 4 * p);
  return out;
}

describe('applyHoles', () => {
  const W = 6,
    H = 4;
  const coverage = new Uint8Array(W * H).map((_, p) => (p % W < 3 ? 1 : 0)); // left half covered

  it("'mark' paints uncovered pixels only, alpha untouched", () => {
    const rgba = image(W, H, [10, 20, 30]);
    applyHoles(rgba, coverage, W, H, 'mark');
    expect([...rgba.subarray(0, 4)]).toEqual([10, 20, 30, 255]);
    expect([...rgba.subarray(4 * 3, 4 * 4)]).toEqual([...HOLE_MARK_COLOR, 255]);
    applyHoles(rgba, coverage, W, H, 'mark', [1, 2, 3]);
    expect([...rgba.subarray(4 * 5, 4 * 6)]).toEqual([1, 2, 3, 255]);
  });

  it("'none' leaves the image alone", () => {
    const rgba = image(W, H, [10, 20, 30]);
    applyHoles(rgba, coverage, W, H, 'none');
    expect(rgba).toEqual(image(W, H, [10, 20, 30]));
  });

  it("'fill' pulls the covered colour into holes and keeps covered pixels exact", () => {
    const rgba = image(W, H, [0, 0, 0]);
    for (let p = 0; p < W * H; p++) if (coverage[p]) rgba.set([200, 100, 50], 4 * p);
    applyHoles(rgba, coverage, W, H, 'fill');
    for (let p = 0; p < W * H; p++) expect([...rgba.subarray(4 * p, 4 * p + 4)]).toEqual([200, 100, 50, 255]);
  });

  it('fills between two colours with values between them', () => {
    const w = 16,
      h = 1;
    const rgba = image(w, h, [0, 0, 0]);
    const cov = new Uint8Array(w);
    for (let x = 0; x < 4; x++) {
      rgba.set([255, 0, 0], 4 * x);
      cov[x] = 1;
    }
    for (let x = 12; x < 16; x++) {
      rgba.set([0, 0, 255], 4 * x);
      cov[x] = 1;
    }
    pushPullFill(rgba, cov, w, h);
    const reds = Array.from({ length: w }, (_, x) => rgba[4 * x]);
    for (let x = 4; x < 12; x++) {
      expect(reds[x] + rgba[4 * x + 2]).toBeGreaterThan(200); // a mix of the two, not black
      expect(reds[x]).toBeLessThanOrEqual(255);
    }
    expect(reds[4]).toBeGreaterThan(reds[11]); // nearer the red side is redder
    expect([...rgba.subarray(0, 3)]).toEqual([255, 0, 0]);
  });

  it('leaves images with no or full coverage as they are', () => {
    const rgba = image(5, 3, [7, 8, 9]);
    pushPullFill(rgba, new Uint8Array(15), 5, 3);
    expect(rgba).toEqual(image(5, 3, [7, 8, 9]));
    pushPullFill(rgba, new Uint8Array(15).fill(1), 5, 3);
    expect(rgba).toEqual(image(5, 3, [7, 8, 9]));
  });

  it('fills odd-sized images from a single covered pixel', () => {
    const rgba = image(7, 5, [0, 0, 0]);
    const cov = new Uint8Array(35);
    rgba.set([90, 60, 30], 4 * 17);
    cov[17] = 1;
    pushPullFill(rgba, cov, 7, 5);
    for (let p = 0; p < 35; p++) expect([...rgba.subarray(4 * p, 4 * p + 3)]).toEqual([90, 60, 30]);
  });
});

describe('metrics', () => {
  const a = image(4, 4, [100, 100, 100]);
  const b = image(4, 4, [110, 90, 100]);

  it('PSNR is Infinity for identical images and 10·log10(255²/MSE) otherwise', () => {
    expect(psnr(a, a, 4)).toBe(Infinity);
    // per pixel squared errors 100, 100, 0 → MSE = 200/3 over RGB; alpha ignored
    expect(meanSquaredError(a, b, 4)).toBeCloseTo(200 / 3, 10);
    expect(psnr(a, b, 4)).toBeCloseTo(10 * Math.log10((255 * 255) / (200 / 3)), 10);
  });

  it('works on RGB (3 channels) and grey (1 channel)', () => {
    const rgbA = new Uint8Array([0, 0, 0, 10, 10, 10]);
    const rgbB = new Uint8Array([0, 0, 0, 10, 10, 20]);
    expect(maxAbsError(rgbA, rgbB, 3)).toBe(10);
    expect(meanAbsError(rgbA, rgbB, 3)).toBeCloseTo(10 / 6, 10);
    expect(psnr(new Uint8Array([5, 5]), new Uint8Array([5, 6]), 1)).toBeCloseTo(10 * Math.log10(65025 / 0.5), 10);
  });

  it('compares only masked pixels; an empty mask gives NaN', () => {
    const c = a.slice();
    c.set([0, 0, 0], 0); // pixel 0 differs
    const mask = new Uint8Array(16).fill(1);
    expect(psnr(a, c, 4, mask)).toBeCloseTo(10 * Math.log10(65025 / ((3 * 100 * 100) / 48)), 10);
    mask[0] = 0;
    expect(psnr(a, c, 4, mask)).toBe(Infinity);
    expect(maxAbsError(a, c, 4, mask)).toBe(0);
    expect(psnr(a, c, 4, new Uint8Array(16))).toBeNaN();
    expect(meanAbsError(a, c, 4, new Uint8Array(16))).toBeNaN();
  });

  it('rejects images of different sizes and masks of the wrong length', () => {
    expect(() => psnr(a, a.subarray(4), 4)).toThrow(/differ in size/);
    expect(() => psnr(a, a, 4, new Uint8Array(3))).toThrow(/mask/);
    expect(() => psnr(a, a, 0)).toThrow(/channels/);
  });
});
