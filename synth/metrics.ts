/**
 * Image comparison: PSNR and absolute errors over the RGB channels of interleaved images
 * (channels = 3 for RGB, 4 for RGBA: alpha is ignored; 1 for grey), optionally only where a mask
 * is non-zero. An empty mask gives NaN: there is nothing to compare.
 */
import { VantageError } from '../core/errors.js';

type Pixels = ArrayLike<number>;

/** Visit |a − b| of every compared sample; returns how many were visited. */
function eachDifference(
  a: Pixels,
  b: Pixels,
  channels: number,
  mask: Pixels | undefined,
  fn: (d: number) => void,
): number {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new VantageError('bad-metric-input', `channels must be a positive integer, got ${channels}`);
  }
  if (a.length !== b.length) {
    throw new VantageError('bad-metric-input', `images differ in size: ${a.length} vs ${b.length} values`);
  }
  const pixels = Math.floor(a.length / channels);
  if (mask && mask.length !== pixels) {
    throw new VantageError('bad-metric-input', `mask has ${mask.length} entries; the images have ${pixels} pixels`);
  }
  const used = Math.min(channels, 3);
  let n = 0;
  for (let p = 0; p < pixels; p++) {
    if (mask && !mask[p]) continue;
    const o = p * channels;
    for (let k = 0; k < used; k++) fn(Math.abs(a[o + k] - b[o + k]));
    n += used;
  }
  return n;
}

/** Mean squared error over the compared samples (NaN when none). */
export function meanSquaredError(a: Pixels, b: Pixels, channels: number, mask?: Pixels): number {
  let sum = 0;
  const n = eachDifference(a, b, channels, mask, (d) => {
    sum += d * d;
  });
  return n ? sum / n : NaN;
}

/**
 * Peak signal-to-noise ratio in dB over the RGB of (masked) pixels; `peak` is the largest value
 * (255 for 8-bit). Infinity when the images are identical there, NaN when the mask is empty.
 */
export function psnr(a: Pixels, b: Pixels, channels: number, mask?: Pixels, peak = 255): number {
  const mse = meanSquaredError(a, b, channels, mask);
  if (Number.isNaN(mse)) return NaN;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/** Largest absolute difference over the RGB of (masked) pixels (0 when the mask is empty). */
export function maxAbsError(a: Pixels, b: Pixels, channels: number, mask?: Pixels): number {
  let max = 0;
  eachDifference(a, b, channels, mask, (d) => {
    if (d > max) max = d;
  });
  return max;
}

/** Mean absolute difference over the RGB of (masked) pixels (NaN when the mask is empty). */
export function meanAbsError(a: Pixels, b: Pixels, channels: number, mask?: Pixels): number {
  let sum = 0;
  const n = eachDifference(a, b, channels, mask, (d) => {
    sum += d;
  });
  return n ? sum / n : NaN;
}
