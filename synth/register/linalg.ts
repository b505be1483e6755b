/**
 * The small dense algebra registration needs (OpenCV's JS build lacks findEssentialMat/recoverPose and
 * estimateAffine3D): symmetric eigen-decomposition (Jacobi), 3×3 SVD, the rigid / similarity fit of two
 * point sets (Horn's quaternion method, which never returns a reflection), and 4×4 pose helpers.
 * Matrices here are row-major number arrays; poses handed out are column-major Float64Array (core/camera.ts).
 */

/** Eigen-decomposition of a symmetric n×n (row-major): values descending, vectors as columns of `vecs`. */
export function symEig(a: ArrayLike<number>, n: number): { values: number[]; vecs: number[] } {
  const m = Array.from(a);
  const v = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = order.map((i) => m[i * n + i]);
  const vecs = new Array<number>(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vecs[k * n + dst] = v[k * n + src];
  });
  return { values, vecs };
}

export type M3 = number[]; // 9, row-major

export const det3 = (a: M3): number =>
  a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);

export function mul3(a: M3, b: M3): M3 {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return r;
}

export const transpose3 = (a: M3): M3 => [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];

const cross = (a: number[], b: number[]): number[] => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/** A = U · diag(s) · Vᵀ for a 3×3, with det U = det V = +1 (the sign goes into s[2]). */
export function svd3(a: M3): { u: M3; s: number[]; v: M3 } {
  const { values, vecs: v } = symEig(mul3(transpose3(a), a), 3);
  const col = (m: M3, j: number) => [m[j], m[3 + j], m[6 + j]];
  const s = values.map((x) => Math.sqrt(Math.max(0, x)));
  const us: number[][] = [];
  for (let j = 0; j < 2; j++) {
    const vj = col(v, j);
    const av = [0, 1, 2].map((i) => a[i * 3] * vj[0] + a[i * 3 + 1] * vj[1] + a[i * 3 + 2] * vj[2]);
    const n = Math.hypot(...av);
    us.push(n > 1e-300 ? av.map((x) => x / n) : j === 0 ? [1, 0, 0] : [0, 1, 0]);
  }
  // keep u1 ⟂ u0 when s[1] is tiny
  const d = us[0][0] * us[1][0] + us[0][1] * us[1][1] + us[0][2] * us[1][2];
  us[1] = us[1].map((x, i) => x - d * us[0][i]);
  const n1 = Math.hypot(...us[1]);
  us[1] = n1 > 1e-12 ? us[1].map((x) => x / n1) : cross(us[0], Math.abs(us[0][0]) < 0.9 ? [1, 0, 0] : [0, 1, 0]);
  us.push(cross(us[0], us[1]));
  let vv = v.slice();
  if (det3(vv) < 0) vv = vv.map((x, i) => (i % 3 === 2 ? -x : x));
  const v2 = col(vv, 2);
  const av2 = [0, 1, 2].map((i) => a[i * 3] * v2[0] + a[i * 3 + 1] * v2[1] + a[i * 3 + 2] * v2[2]);
  s[2] = av2[0] * us[2][0] + av2[1] * us[2][1] + av2[2] * us[2][2];
  const u = [us[0][0], us[1][0], us[2][0], us[0][1], us[1][1], us[2][1], us[0][2], us[1][2], us[2][2]];
  return { u, s, v: vv };
}

/** A rigid (or similarity) transform: y ≈ s · R x + t. */
export interface Similarity {
  r: M3;
  t: [number, number, number];
  s: number;
}

/**
 * Least-squares fit of y ≈ s·R·x + t over point pairs (flat xyz arrays, optional weights); Horn's
 * closed form via the 4×4 quaternion matrix (a proper rotation always). `withScale` false fixes s = 1.
 */
export function fitSimilarity(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  idx: ArrayLike<number>,
  withScale: boolean,
): Similarity | undefined {
  const n = idx.length;
  if (n < 3) return undefined;
  const mx = [0, 0, 0];
  const my = [0, 0, 0];
  for (let k = 0; k < n; k++) {
    const i = idx[k] * 3;
    for (let c = 0; c < 3; c++) {
      mx[c] += x[i + c] / n;
      my[c] += y[i + c] / n;
    }
  }
  const S = new Array<number>(9).fill(0);
  let vx = 0;
  let vy = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k] * 3;
    const a = [x[i] - mx[0], x[i + 1] - mx[1], x[i + 2] - mx[2]];
    const b = [y[i] - my[0], y[i + 1] - my[1], y[i + 2] - my[2]];
    vx += a[0] ** 2 + a[1] ** 2 + a[2] ** 2;
    vy += b[0] ** 2 + b[1] ** 2 + b[2] ** 2;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[r * 3 + c] += a[r] * b[c];
  }
  if (!(vx > 1e-18) || !(vy > 1e-18)) return undefined;
  const [sxx, sxy, sxz, syx, syy, syz, szx, szy, szz] = S;
  const N = [
    sxx + syy + szz,
    syz - szy,
    szx - sxz,
    sxy - syx,
    syz - szy,
    sxx - syy - szz,
    sxy + syx,
    szx + sxz,
    szx - sxz,
    sxy + syx,
    -sxx + syy - szz,
    syz + szy,
    sxy - syx,
    szx + sxz,
    syz + szy,
    -sxx - syy + szz,
  ];
  const { vecs } = symEig(N, 4);
  const [q0, qx, qy, qz] = [vecs[0], vecs[4], vecs[8], vecs[12]];
  const r: M3 = [
    q0 * q0 + qx * qx - qy * qy - qz * qz,
    2 * (qx * qy - q0 * qz),
    2 * (qx * qz + q0 * qy),
    2 * (qy * qx + q0 * qz),
    q0 * q0 - qx * qx + qy * qy - qz * qz,
    2 * (qy * qz - q0 * qx),
    2 * (qz * qx - q0 * qy),
    2 * (qz * qy + q0 * qx),
    q0 * q0 - qx * qx - qy * qy + qz * qz,
  ];
  let s = 1;
  if (withScale) {
    // s = Σ bᵀ R a / Σ |a|²
    let num = 0;
    for (let rr = 0; rr < 3; rr++) for (let c = 0; c < 3; c++) num += r[rr * 3 + c] * S[c * 3 + rr];
    s = num / vx;
    if (!(s > 0)) return undefined;
  }
  const rmx = apply3(r, mx);
  const t: [number, number, number] = [my[0] - s * rmx[0], my[1] - s * rmx[1], my[2] - s * rmx[2]];
  return { r, t, s };
}

export function apply3(r: M3, p: ArrayLike<number>, o = 0): number[] {
  return [
    r[0] * p[o] + r[1] * p[o + 1] + r[2] * p[o + 2],
    r[3] * p[o] + r[4] * p[o + 1] + r[5] * p[o + 2],
    r[6] * p[o] + r[7] * p[o + 1] + r[8] * p[o + 2],
  ];
}

/** Column-major 4×4 from R (row-major 3×3) and t. */
export function poseFrom(r: M3, t: ArrayLike<number>): Float64Array {
  const m = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    for (let c = 0; c < 3; c++) m[c * 4 + row] = r[row * 3 + c];
    m[12 + row] = t[row];
  }
  m[15] = 1;
  return m;
}

/** R (row-major) and t of a column-major 4×4. */
export function poseParts(m: ArrayLike<number>): { r: M3; t: [number, number, number] } {
  const r: M3 = [];
  for (let row = 0; row < 3; row++) for (let c = 0; c < 3; c++) r.push(m[c * 4 + row]);
  return { r, t: [m[12], m[13], m[14]] };
}

/** Angle of a rotation matrix, degrees. */
export function rotationAngleDeg(r: M3): number {
  const c = Math.min(1, Math.max(-1, (r[0] + r[4] + r[8] - 1) / 2));
  return (Math.acos(c) * 180) / Math.PI;
}

/** RANSAC samples for 99.9 % confidence when `p` is the chance that one sample is all inliers. */
export function ransacIterationsFor(p: number): number {
  const l = Math.log1p(-Math.min(p, 1 - 1e-12));
  return l < 0 ? Math.ceil(Math.log(0.001) / l) : Infinity;
}
