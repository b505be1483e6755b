/**
 * Relative → metric: a relative inverse-depth map (disparity, larger = nearer, unknown scale and
 * shift) becomes depth through  z = 1 / (s·d + t).  s and t come from what the user knows, in this
 * order of precedence:
 *   - sparse metric anchors (u, v, metres), ≥ 2: least squares of s·d + t ≈ 1/z (a known depth
 *     given beside them is one more anchor);
 *   - --depth-range near,far: the 98th/2nd-percentile disparities become near/far (metres);
 *   - --known-depth u,v,metres alone: the default shape below, scaled so that (u, v) is at that depth;
 *   - nothing: the documented default, percentiles → DEPTH_MODEL_DEFAULTS.defaultRange in depth
 *     units (not metres).
 * The result always says which was used and in what units. Non-finite disparities get no depth (0);
 * pixels beyond a far cap (or "beyond infinity", s·d + t ≤ 0) are put at the cap (see depthFromDisparity).
 */
import { DEPTH_MODEL_DEFAULTS } from '../config.js';
import { VantageError } from '../../core/errors.js';
import { kthSmallest } from '../../core/select.js';
import type { DepthUnits } from '../../core/types.js';

export interface DepthAnchor {
  /** pixel column and row (0-based) */
  u: number;
  v: number;
  /** metric depth (camera-space z) at that pixel, metres */
  depth: number;
}

export interface AlignOptions {
  /** [near, far] metres of the scene (at the 2nd/98th disparity percentiles) */
  depthRange?: [number, number];
  /** [u, v, metres]: one pixel whose depth is known */
  knownDepth?: [number, number, number];
  /** several pixels whose depth is known: least squares */
  anchors?: DepthAnchor[];
}

export type AlignmentMethod = 'anchors' | 'depth-range' | 'known-depth' | 'default' | 'metric' | 'metric-scaled';

export interface Alignment {
  method: AlignmentMethod;
  /** z = 1 / (s·d + t) for relative maps; for metric maps z = s·prediction and t = 0 */
  s: number;
  t: number;
  units: DepthUnits;
  /** one line for the trace: what was assumed or fitted */
  note: string;
  /** RMS of the fit in inverse depth (1/m), for anchors */
  residualRms?: number;
  anchorsUsed?: number;
  /** relative maps: the far cap, and how many pixels were put at it */
  farCap?: number;
  clamped?: number;
}

/** Least squares of s·d + t ≈ 1/z over pairs of disparity d and depth z (both finite, z > 0). */
export function fitInverseDepth(
  disparities: ArrayLike<number>,
  depths: ArrayLike<number>,
): { s: number; t: number; rms: number; count: number } {
  let n = 0;
  let md = 0;
  let my = 0;
  for (let i = 0; i < disparities.length; i++) {
    const d = disparities[i];
    const z = depths[i];
    if (!Number.isFinite(d) || !(z > 0) || !Number.isFinite(z)) continue;
    n++;
    md += d;
    my += 1 / z;
  }
  if (n < 2)
    throw new VantageError(
      'depth-anchors-too-few',
      `${n} usable depth anchor(s); a scale and a shift need at least 2`,
      'give two or more anchors at pixels with different depths',
    );
  md /= n;
  my /= n;
  let sdd = 0;
  let sdy = 0;
  for (let i = 0; i < disparities.length; i++) {
    const d = disparities[i];
    const z = depths[i];
    if (!Number.isFinite(d) || !(z > 0) || !Number.isFinite(z)) continue;
    sdd += (d - md) * (d - md);
    sdy += (d - md) * (1 / z - my);
  }
  if (!(sdd > 1e-12 * Math.max(1, md * md) * n)) {
    throw new VantageError(
      'depth-anchors-degenerate',
      'the depth anchors all have the same model disparity, so scale and shift cannot both be fitted',
      'place anchors at pixels at clearly different distances',
    );
  }
  const s = sdy / sdd;
  const t = my - s * md;
  let ss = 0;
  for (let i = 0; i < disparities.length; i++) {
    const d = disparities[i];
    const z = depths[i];
    if (!Number.isFinite(d) || !(z > 0) || !Number.isFinite(z)) continue;
    const r = s * d + t - 1 / z;
    ss += r * r;
  }
  return { s, t, rms: Math.sqrt(ss / n), count: n };
}

/**
 * z = 1 / (s·d + t) per pixel; 0 (no depth) where d is not finite. Depths beyond a far cap — and
 * pixels where s·d + t ≤ 0, "beyond infinity" under the fit (sky, mostly) — are put at the cap:
 * DEPTH_MODEL_DEFAULTS.farClampFactor × the 98th-percentile depth. A distant backdrop renders better
 * than a hole where the sky was.
 */
function depthFromDisparity(
  disparity: Float32Array,
  s: number,
  t: number,
): { depth: Float32Array; farCap: number; clamped: number } {
  const depth = new Float32Array(disparity.length);
  for (let i = 0; i < disparity.length; i++) {
    const d = disparity[i];
    const q = s * d + t;
    depth[i] = !Number.isFinite(d) ? NaN : q > 0 ? 1 / q : Infinity;
  }
  let farCap = 1;
  try {
    farCap = DEPTH_MODEL_DEFAULTS.farClampFactor * finiteQuantiles(depth, [0.98])[0]; // ∞ ("beyond infinity") is not finite: left out
  } catch {
    // no finite depth at all: nothing to cap
  }
  let clamped = 0;
  for (let i = 0; i < depth.length; i++) {
    if (depth[i] > farCap) {
      depth[i] = farCap;
      clamped++;
    } else if (Number.isNaN(depth[i])) {
      depth[i] = 0;
    }
  }
  return { depth, farCap, clamped };
}

/** Values at the given quantiles (0..1) of the finite entries (nearest rank). */
export function finiteQuantiles(values: Float32Array, qs: number[]): number[] {
  const buf = new Float32Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) buf[n++] = values[i];
  if (!n)
    throw new VantageError(
      'depth-empty',
      'the depth model returned no finite value',
      'check the model file and the image',
    );
  return qs.map((q) => kthSmallest(buf, Math.min(n - 1, Math.max(0, Math.round(q * (n - 1)))), n));
}

/**
 * The map's value at pixel (u, v), after checking (u, v) lies in the image; where that pixel has no
 * value, the median of the finite values in the (2r+1)² window around it.
 */
function valueAtPixel(
  map: Float32Array,
  width: number,
  height: number,
  u: number,
  v: number,
  what: string,
  r = DEPTH_MODEL_DEFAULTS.anchorWindowRadius,
): number {
  if (!(u >= 0 && u < width && v >= 0 && v < height)) {
    throw new VantageError(
      'depth-anchor-outside',
      `${what} pixel (${u}, ${v}) lies outside the ${width}×${height} image`,
      `u is a column in 0..${width - 1}, v a row in 0..${height - 1}`,
    );
  }
  const cu = Math.floor(u);
  const cv = Math.floor(v);
  const centre = map[cv * width + cu];
  if (Number.isFinite(centre)) return centre;
  const vals: number[] = [];
  for (let y = Math.max(0, cv - r); y <= Math.min(height - 1, cv + r); y++) {
    for (let x = Math.max(0, cu - r); x <= Math.min(width - 1, cu + r); x++) {
      const d = map[y * width + x];
      if (Number.isFinite(d)) vals.push(d);
    }
  }
  if (!vals.length)
    throw new VantageError(
      'depth-anchor-no-depth',
      `the model gave no depth around ${what} pixel (${u}, ${v})`,
      'choose another pixel',
    );
  vals.sort((a, b) => a - b);
  const m = vals.length >> 1;
  return vals.length % 2 ? vals[m] : (vals[m - 1] + vals[m]) / 2;
}

function checkPositive(x: number, what: string): void {
  if (!(x > 0) || !Number.isFinite(x))
    throw new VantageError('bad-depth-value', `${what} must be a positive number of metres, got ${x}`);
}

/** s, t that send the percentile disparities to [near, far]. */
function rangeFit(
  disparity: Float32Array,
  near: number,
  far: number,
): { s: number; t: number; dLo: number; dHi: number } {
  const [pLo, pHi] = DEPTH_MODEL_DEFAULTS.rangePercentiles;
  const [dLo, dHi] = finiteQuantiles(disparity, [pLo, pHi]);
  if (!(dHi > dLo)) {
    // a flat disparity map: everything at one depth, the middle of the range
    return { s: 0, t: 2 / (near + far), dLo, dHi };
  }
  const s = (1 / near - 1 / far) / (dHi - dLo);
  return { s, t: 1 / far - s * dLo, dLo, dHi };
}

const fmt = (x: number) => (Math.abs(x) >= 100 || Math.abs(x) < 0.01 ? x.toExponential(3) : x.toFixed(4));

/** Relative disparity → depth with the user's knowledge (see the file comment for the precedence). */
export function alignDisparity(
  disparity: Float32Array,
  width: number,
  height: number,
  opts: AlignOptions = {},
): { depth: Float32Array; alignment: Alignment } {
  if (disparity.length !== width * height)
    throw new Error(`disparity has ${disparity.length} values for ${width}×${height}`);
  const anchors = [...(opts.anchors ?? [])];
  if (opts.knownDepth && anchors.length)
    anchors.push({ u: opts.knownDepth[0], v: opts.knownDepth[1], depth: opts.knownDepth[2] });
  if (opts.depthRange && (anchors.length || opts.knownDepth)) {
    throw new VantageError(
      'depth-alignment-conflict',
      'give either --depth-range or known depths (--known-depth / anchors), not both',
      'a range fixes scale and shift by itself; anchors fit them by least squares',
    );
  }

  let s: number;
  let t: number;
  let alignment: Omit<Alignment, 's' | 't' | 'farCap' | 'clamped'>;
  if (anchors.length >= 2) {
    const ds: number[] = [];
    const zs: number[] = [];
    for (const a of anchors) {
      checkPositive(a.depth, `anchor depth at (${a.u}, ${a.v})`);
      ds.push(valueAtPixel(disparity, width, height, a.u, a.v, 'anchor'));
      zs.push(a.depth);
    }
    const fit = fitInverseDepth(ds, zs);
    ({ s, t } = fit);
    alignment = {
      method: 'anchors',
      units: 'metres',
      residualRms: fit.rms,
      anchorsUsed: fit.count,
      note: `relative depth aligned to ${fit.count} metric anchors by least squares in inverse depth (s=${fmt(s)}, t=${fmt(t)}, rms ${fmt(fit.rms)} 1/m)`,
    };
  } else if (anchors.length === 1 && !opts.knownDepth) {
    return alignDisparity(disparity, width, height, { knownDepth: [anchors[0].u, anchors[0].v, anchors[0].depth] });
  } else if (opts.depthRange) {
    const [near, far] = opts.depthRange;
    checkPositive(near, 'near depth');
    checkPositive(far, 'far depth');
    if (!(far > near))
      throw new VantageError(
        'bad-depth-range',
        `depth range ${near},${far}: far must be greater than near`,
        'example: --depth-range 0.5,6',
      );
    const r = rangeFit(disparity, near, far);
    ({ s, t } = r);
    alignment = {
      method: 'depth-range',
      units: 'metres',
      note: `relative depth mapped to the given range: disparity percentiles ${DEPTH_MODEL_DEFAULTS.rangePercentiles.map((p) => p * 100).join('/')} → ${far} m / ${near} m (s=${fmt(s)}, t=${fmt(t)})`,
    };
  } else if (opts.knownDepth) {
    const [u, v, z] = opts.knownDepth;
    checkPositive(z, `known depth at (${u}, ${v})`);
    const [near0, far0] = DEPTH_MODEL_DEFAULTS.defaultRange;
    const base = rangeFit(disparity, near0, far0);
    const d = valueAtPixel(disparity, width, height, u, v, 'known-depth');
    const q = base.s * d + base.t;
    if (!(q > 0))
      throw new VantageError(
        'depth-anchor-no-depth',
        `the default alignment puts pixel (${u}, ${v}) beyond infinity`,
        'choose a nearer pixel, or give --depth-range',
      );
    const k = z * q; // depth scales by k: z = k / (s₀d + t₀)
    s = base.s / k;
    t = base.t / k;
    alignment = {
      method: 'known-depth',
      units: 'metres',
      note: `relative depth scaled so that pixel (${u}, ${v}) is at ${z} m; the near:far shape is the default ${near0}:${far0} (give more anchors or --depth-range to fit it)`,
    };
  } else {
    const [near0, far0] = DEPTH_MODEL_DEFAULTS.defaultRange;
    ({ s, t } = rangeFit(disparity, near0, far0));
    alignment = {
      method: 'default',
      units: 'relative',
      note: `relative depth, scale and shift unknown: disparity percentiles ${DEPTH_MODEL_DEFAULTS.rangePercentiles.map((p) => p * 100).join('/')} mapped to ${far0}/${near0} depth units (not metres; give --depth-range, --known-depth or anchors for metres)`,
    };
  }
  const { depth, farCap, clamped } = depthFromDisparity(disparity, s, t);
  const note = clamped
    ? `${alignment.note}; ${clamped} pixels beyond ${fmt(farCap)} put at that far cap`
    : alignment.note;
  return { depth, alignment: { ...alignment, note, s, t, farCap, clamped } };
}

/**
 * Metric prediction (metres) → depth, optionally rescaled by what the user knows (anchors or a known
 * depth: least squares of z ≈ k·prediction). A depth range cannot rescale a metric map and is noted.
 */
export function alignMetric(
  prediction: Float32Array,
  width: number,
  height: number,
  opts: AlignOptions = {},
): { depth: Float32Array; alignment: Alignment } {
  const anchors = [...(opts.anchors ?? [])];
  if (opts.knownDepth) anchors.push({ u: opts.knownDepth[0], v: opts.knownDepth[1], depth: opts.knownDepth[2] });
  let k = 1;
  let alignment: Omit<Alignment, 's' | 't'> = {
    method: 'metric',
    units: 'metres',
    note: 'metric depth from the model (metres)',
  };
  if (anchors.length) {
    let num = 0;
    let den = 0;
    for (const a of anchors) {
      checkPositive(a.depth, `anchor depth at (${a.u}, ${a.v})`);
      const p = valueAtPixel(prediction, width, height, a.u, a.v, 'anchor');
      num += a.depth * p;
      den += p * p;
    }
    if (!(den > 0))
      throw new VantageError(
        'depth-anchor-no-depth',
        'the model predicts zero depth at every anchor',
        'choose other pixels',
      );
    k = num / den;
    alignment = {
      method: 'metric-scaled',
      units: 'metres',
      anchorsUsed: anchors.length,
      note: `metric depth from the model, rescaled ×${k.toFixed(4)} to fit ${anchors.length} known depth(s)`,
    };
  } else if (opts.depthRange) {
    alignment = {
      ...alignment,
      note: 'metric depth from the model (metres); --depth-range was ignored because the model is metric',
    };
  }
  const depth = new Float32Array(prediction.length);
  for (let i = 0; i < prediction.length; i++) {
    const p = prediction[i];
    if (Number.isFinite(p) && p > 0) depth[i] = k * p;
  }
  return { depth, alignment: { ...alignment, s: k, t: 0 } };
}
