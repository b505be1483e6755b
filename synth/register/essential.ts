/**
 * Relative pose from 2-D matches alone (no depth): the essential matrix by the normalised 8-point
 * algorithm inside RANSAC (Sampson error), refitted on the inliers, decomposed into the one (R, t) that
 * puts the points in front of both cameras. Translation comes out unit-length: its scale is unknown.
 * Coordinates are normalised image coordinates ((u − cx) / fx, (v − cy) / fy).
 */
import { mulberry32 } from '../../core/random.js';
import { mul3, ransacIterationsFor, svd3, symEig, transpose3, type M3 } from './linalg.js';

export interface EssentialResult {
  /** x2 = R·x1 + t (camera 1 → camera 2), |t| = 1 */
  r: M3;
  t: [number, number, number];
  inliers: number[];
  /** RMS Sampson error of the inliers, in normalised units */
  rms: number;
}

function eightPoint(p1: Float64Array, p2: Float64Array, idx: ArrayLike<number>): M3 | undefined {
  const ata = new Array<number>(81).fill(0);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k] * 2;
    const [x1, y1, x2, y2] = [p1[i], p1[i + 1], p2[i], p2[i + 1]];
    const row = [x2 * x1, x2 * y1, x2, y2 * x1, y2 * y1, y2, x1, y1, 1];
    for (let a = 0; a < 9; a++) for (let b = a; b < 9; b++) ata[a * 9 + b] += row[a] * row[b];
  }
  for (let a = 0; a < 9; a++) for (let b = 0; b < a; b++) ata[a * 9 + b] = ata[b * 9 + a];
  const { vecs } = symEig(ata, 9);
  const e = Array.from({ length: 9 }, (_, i) => vecs[i * 9 + 8]);
  if (!e.every(Number.isFinite)) return undefined;
  // nearest essential matrix: singular values (1, 1, 0)
  const { u, v } = svd3(e);
  return mul3(mul3(u, [1, 0, 0, 0, 1, 0, 0, 0, 0]), transpose3(v));
}

function sampson(e: M3, p1: Float64Array, p2: Float64Array, i: number): number {
  const [x1, y1, x2, y2] = [p1[2 * i], p1[2 * i + 1], p2[2 * i], p2[2 * i + 1]];
  const ex1 = [e[0] * x1 + e[1] * y1 + e[2], e[3] * x1 + e[4] * y1 + e[5], e[6] * x1 + e[7] * y1 + e[8]];
  const etx2 = [e[0] * x2 + e[3] * y2 + e[6], e[1] * x2 + e[4] * y2 + e[7]];
  const num = x2 * ex1[0] + y2 * ex1[1] + ex1[2];
  const den = ex1[0] ** 2 + ex1[1] ** 2 + etx2[0] ** 2 + etx2[1] ** 2;
  return den > 0 ? (num * num) / den : Infinity;
}

/** Depths (d1, d2) with d2·x2 ≈ d1·R·x1 + t, least squares. */
function triangulateDepths(r: M3, t: number[], x1: number[], x2: number[]): [number, number] {
  const a = [
    r[0] * x1[0] + r[1] * x1[1] + r[2],
    r[3] * x1[0] + r[4] * x1[1] + r[5],
    r[6] * x1[0] + r[7] * x1[1] + r[8],
  ];
  const b = [-x2[0], -x2[1], -1];
  const aa = a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
  const ab = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const bb = b[0] * b[0] + b[1] * b[1] + b[2] * b[2];
  const at = -(a[0] * t[0] + a[1] * t[1] + a[2] * t[2]);
  const bt = -(b[0] * t[0] + b[1] * t[1] + b[2] * t[2]);
  const det = aa * bb - ab * ab;
  if (Math.abs(det) < 1e-15) return [-1, -1];
  return [(at * bb - ab * bt) / det, (aa * bt - ab * at) / det];
}

function decompose(e: M3, p1: Float64Array, p2: Float64Array, inliers: number[]): { r: M3; t: number[] } {
  const { u, v } = svd3(e);
  const w: M3 = [0, -1, 0, 1, 0, 0, 0, 0, 1];
  const vt = transpose3(v);
  const r1 = mul3(mul3(u, w), vt);
  const r2 = mul3(mul3(u, transpose3(w)), vt);
  const u3 = [u[2], u[5], u[8]];
  let best = { r: r1, t: u3, front: -1 };
  for (const r of [r1, r2]) {
    for (const sgn of [1, -1]) {
      const t = u3.map((x) => x * sgn);
      let front = 0;
      for (const i of inliers) {
        const [d1, d2] = triangulateDepths(r, t, [p1[2 * i], p1[2 * i + 1]], [p2[2 * i], p2[2 * i + 1]]);
        if (d1 > 0 && d2 > 0) front++;
      }
      if (front > best.front) best = { r, t, front };
    }
  }
  return best;
}

/** RANSAC essential matrix over n normalised correspondences (p1, p2: n × 2). */
export function estimateEssential(
  p1: Float64Array,
  p2: Float64Array,
  opts: { threshold: number; iterations: number; seed?: number },
): EssentialResult | undefined {
  const n = p1.length / 2;
  if (n < 8) return undefined;
  const rand = mulberry32(opts.seed ?? 1);
  const th2 = opts.threshold * opts.threshold;
  let bestInliers: number[] = [];
  // a few of the best hypotheses each get refined: the single best is often a degenerate one
  const top: { e: M3; count: number }[] = [];
  let iterations = opts.iterations;
  const sample = new Array<number>(8);
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < 8; k++) {
      let j: number;
      do j = Math.floor(rand() * n);
      while (sample.slice(0, k).includes(j));
      sample[k] = j;
    }
    const e = eightPoint(p1, p2, sample);
    if (!e) continue;
    const inl: number[] = [];
    for (let i = 0; i < n; i++) if (sampson(e, p1, p2, i) < th2) inl.push(i);
    if (top.length < 4 || inl.length > top[top.length - 1].count) {
      top.push({ e, count: inl.length });
      top.sort((x, y) => y.count - x.count);
      top.length = Math.min(top.length, 4);
    }
    if (inl.length > bestInliers.length) {
      bestInliers = inl;
      const w = inl.length / n;
      const need = ransacIterationsFor(w ** 8);
      iterations = Math.min(opts.iterations, Math.max(it + 1, need));
    }
  }
  if (bestInliers.length < 8) return undefined;
  // decompose each kept hypothesis, then alternate a manifold refit (LM over R, t) with re-scoring:
  // a linear refit on the inliers drifts towards the degenerate solutions short baselines allow
  let best: EssentialResult | undefined;
  for (const h of top) {
    let inliers: number[] = [];
    for (let i = 0; i < n; i++) if (sampson(h.e, p1, p2, i) < th2) inliers.push(i);
    if (inliers.length < 8) continue;
    let { r, t } = decompose(h.e, p1, p2, inliers);
    for (let round = 0; round < 3; round++) {
      ({ r, t } = refine(r, t, p1, p2, inliers));
      const e = essentialOf(r, t);
      const inl: number[] = [];
      for (let i = 0; i < n; i++) if (sampson(e, p1, p2, i) < th2) inl.push(i);
      if (inl.length < 8) break;
      inliers = inl;
    }
    // the sign of t (and R's twin) by points in front of both cameras
    ({ r, t } = decompose(essentialOf(r, t), p1, p2, inliers));
    const ef = essentialOf(r, t);
    let ss = 0;
    for (const i of inliers) ss += sampson(ef, p1, p2, i);
    const rms = Math.sqrt(ss / inliers.length);
    if (!best || inliers.length > best.inliers.length) best = { r, t: [t[0], t[1], t[2]], inliers, rms };
  }
  return best;
}

/** E = [t]× R */
function essentialOf(r: M3, t: number[]): M3 {
  return mul3([0, -t[2], t[1], t[2], 0, -t[0], -t[1], t[0], 0], r);
}

function rotVec(w: number[]): M3 {
  const th = Math.hypot(w[0], w[1], w[2]);
  if (th < 1e-15) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const [x, y, z] = w.map((v) => v / th);
  const c = Math.cos(th);
  const s = Math.sin(th);
  const C = 1 - c;
  return [
    c + x * x * C,
    x * y * C - z * s,
    x * z * C + y * s,
    y * x * C + z * s,
    c + y * y * C,
    y * z * C - x * s,
    z * x * C - y * s,
    z * y * C + x * s,
    c + z * z * C,
  ];
}

/**
 * Levenberg-Marquardt on the inliers' Sampson errors over (R, t) — 3 rotation + 2 direction
 * parameters. The linear 8-point estimate is biased when the baseline is short; this removes most of it.
 */
function refine(r0: M3, t0: number[], p1: Float64Array, p2: Float64Array, inl: number[]): { r: M3; t: number[] } {
  let r = r0;
  let t = t0.slice();
  // two unit vectors spanning the plane ⟂ t
  const basis = (tt: number[]) => {
    const a = Math.abs(tt[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    let b1 = [tt[1] * a[2] - tt[2] * a[1], tt[2] * a[0] - tt[0] * a[2], tt[0] * a[1] - tt[1] * a[0]];
    const n1 = Math.hypot(...b1);
    b1 = b1.map((x) => x / n1);
    const b2 = [tt[1] * b1[2] - tt[2] * b1[1], tt[2] * b1[0] - tt[0] * b1[2], tt[0] * b1[1] - tt[1] * b1[0]];
    return [b1, b2];
  };
  const update = (rr: M3, tt: number[], d: number[]) => {
    const [b1, b2] = basis(tt);
    const nt = tt.map((x, i) => x + d[3] * b1[i] + d[4] * b2[i]);
    const n = Math.hypot(...nt);
    return { r: mul3(rotVec(d.slice(0, 3)), rr), t: nt.map((x) => x / n) };
  };
  const residuals = (rr: M3, tt: number[]) => {
    const e = essentialOf(rr, tt);
    // robust: Cauchy-like cap keeps one bad inlier from dominating
    return inl.map((i) => Math.sqrt(sampson(e, p1, p2, i)));
  };
  let res = residuals(r, t);
  let cost = res.reduce((a, b) => a + b * b, 0);
  let lambda = 1e-3;
  const h = 1e-7;
  for (let it = 0; it < 20; it++) {
    const jac: number[][] = [];
    for (let k = 0; k < 5; k++) {
      const d = [0, 0, 0, 0, 0];
      d[k] = h;
      const u = update(r, t, d);
      const rk = residuals(u.r, u.t);
      jac.push(rk.map((v, i) => (v - res[i]) / h));
    }
    const jtj = new Array<number>(25).fill(0);
    const jtr = new Array<number>(5).fill(0);
    for (let i = 0; i < res.length; i++) {
      for (let a = 0; a < 5; a++) {
        jtr[a] -= jac[a][i] * res[i];
        for (let b = 0; b < 5; b++) jtj[a * 5 + b] += jac[a][i] * jac[b][i];
      }
    }
    let improved = false;
    for (let tries = 0; tries < 6 && !improved; tries++) {
      const m = jtj.slice();
      for (let a = 0; a < 5; a++) m[a * 5 + a] *= 1 + lambda;
      const d = solveSym(m, jtr, 5);
      if (!d) break;
      const u = update(r, t, d);
      const nr = residuals(u.r, u.t);
      const nc = nr.reduce((a, b) => a + b * b, 0);
      if (nc < cost) {
        r = u.r;
        t = u.t;
        res = nr;
        improved = cost - nc > 1e-12 * cost;
        cost = nc;
        lambda /= 10;
        if (!improved) return { r, t };
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return { r, t };
}

function solveSym(a: number[], b: number[], n: number): number[] | undefined {
  const m = a.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    const piv = m[c * n + c];
    if (!(Math.abs(piv) > 1e-300)) return undefined;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / piv;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c];
    for (let k = c + 1; k < n; k++) s -= m[c * n + k] * x[k];
    x[c] = s / m[c * n + c];
  }
  return x;
}
