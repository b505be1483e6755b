/**
 * Projective point-to-plane ICP between two depth maps: refines the pose of photo b in photo a's frame
 * (x_a = T·x_b). Points of b on a pixel grid are moved by T, projected into a, paired with a's point at
 * that pixel and its normal (from the neighbouring depths); pairs farther than a shrinking gate are
 * dropped. A few Gauss-Newton steps on the linearised rotation. Features give the start; this removes
 * the keypoints' depth noise from the result.
 */
import { REGISTER_DEFAULTS as D } from './config.js';
import type { RegisterPhoto } from './types.js';

function solve6(a: number[], b: number[]): number[] | undefined {
  const n = 6;
  const m = a.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (Math.abs(m[p * n + c]) < 1e-12) return undefined;
    if (p !== c) {
      for (let k = 0; k < n; k++) [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
      [x[c], x[p]] = [x[p], x[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
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

/** Rotation (column-major 4×4 upper-left) of the small rotation vector w, times m: exp(ŵ)·m plus v. */
function applyTwist(m: Float64Array, w: number[], v: number[]): Float64Array {
  const th = Math.hypot(w[0], w[1], w[2]);
  const k = th > 1e-12 ? w.map((x) => x / th) : [1, 0, 0];
  const c = Math.cos(th);
  const s = Math.sin(th);
  const C = 1 - c;
  // row-major rotation (Rodrigues)
  const r = [
    c + k[0] * k[0] * C,
    k[0] * k[1] * C - k[2] * s,
    k[0] * k[2] * C + k[1] * s,
    k[1] * k[0] * C + k[2] * s,
    c + k[1] * k[1] * C,
    k[1] * k[2] * C - k[0] * s,
    k[2] * k[0] * C - k[1] * s,
    k[2] * k[1] * C + k[0] * s,
    c + k[2] * k[2] * C,
  ];
  const out = new Float64Array(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 3; row++) {
      out[col * 4 + row] =
        r[row * 3] * m[col * 4] +
        r[row * 3 + 1] * m[col * 4 + 1] +
        r[row * 3 + 2] * m[col * 4 + 2] +
        (col === 3 ? v[row] : 0);
    }
    out[col * 4 + 3] = m[col * 4 + 3];
  }
  return out;
}

export function refineIcp(a: RegisterPhoto, b: RegisterPhoto, start: Float64Array, iterations: number): Float64Array {
  if (!a.depth || !b.depth) return start;
  const ka = a.intrinsics;
  const kb = b.intrinsics;
  const da = a.depth;
  const za = (u: number, v: number) => {
    if (u < 0 || v < 0 || u >= a.width || v >= a.height) return 0;
    const z = da[v * a.width + u];
    return z > 0 && Number.isFinite(z) ? z : 0;
  };
  const pa = (u: number, v: number, z: number) => [((u + 0.5 - ka.cx) / ka.fx) * z, ((v + 0.5 - ka.cy) / ka.fy) * z, z];
  // b's sample points, camera space
  const src: number[] = [];
  const st = D.icpStride;
  for (let v = 0; v < b.height; v += st) {
    for (let u = 0; u < b.width; u += st) {
      const z = b.depth[v * b.width + u];
      if (z > 0 && Number.isFinite(z)) src.push(((u + 0.5 - kb.cx) / kb.fx) * z, ((v + 0.5 - kb.cy) / kb.fy) * z, z);
    }
  }
  let m = start;
  for (let it = 0; it < iterations; it++) {
    const gate = it < 2 ? 0.1 : it < 4 ? 0.05 : 0.02;
    const ata = new Array<number>(36).fill(0);
    const atb = new Array<number>(6).fill(0);
    let used = 0;
    for (let i = 0; i < src.length; i += 3) {
      const [x, y, z] = [src[i], src[i + 1], src[i + 2]];
      const px = m[0] * x + m[4] * y + m[8] * z + m[12];
      const py = m[1] * x + m[5] * y + m[9] * z + m[13];
      const pz = m[2] * x + m[6] * y + m[10] * z + m[14];
      if (!(pz > 0)) continue;
      const u = Math.floor((ka.fx * px) / pz + ka.cx);
      const v = Math.floor((ka.fy * py) / pz + ka.cy);
      const z0 = za(u, v);
      if (!z0) continue;
      const [zl, zr, zu, zd] = [za(u - 1, v), za(u + 1, v), za(u, v - 1), za(u, v + 1)];
      if (!zl || !zr || !zu || !zd) continue;
      const q = pa(u, v, z0);
      const l = pa(u - 1, v, zl);
      const r = pa(u + 1, v, zr);
      const up = pa(u, v - 1, zu);
      const dn = pa(u, v + 1, zd);
      const dx = [r[0] - l[0], r[1] - l[1], r[2] - l[2]];
      const dy = [dn[0] - up[0], dn[1] - up[1], dn[2] - up[2]];
      let nx = dx[1] * dy[2] - dx[2] * dy[1];
      let ny = dx[2] * dy[0] - dx[0] * dy[2];
      let nz = dx[0] * dy[1] - dx[1] * dy[0];
      const nn = Math.hypot(nx, ny, nz);
      if (!(nn > 0)) continue;
      nx /= nn;
      ny /= nn;
      nz /= nn;
      const ex = px - q[0];
      const ey = py - q[1];
      const ez = pz - q[2];
      if (Math.hypot(ex, ey, ez) > gate) continue;
      const res = nx * ex + ny * ey + nz * ez;
      // J = [p × n, n]
      const j = [py * nz - pz * ny, pz * nx - px * nz, px * ny - py * nx, nx, ny, nz];
      for (let r0 = 0; r0 < 6; r0++) {
        atb[r0] -= j[r0] * res;
        for (let c0 = r0; c0 < 6; c0++) ata[r0 * 6 + c0] += j[r0] * j[c0];
      }
      used++;
    }
    if (used < 100) break;
    for (let r0 = 0; r0 < 6; r0++) for (let c0 = 0; c0 < r0; c0++) ata[r0 * 6 + c0] = ata[c0 * 6 + r0];
    const d = solve6(ata, atb);
    if (!d || !d.every(Number.isFinite)) break;
    m = applyTwist(m, d.slice(0, 3), d.slice(3));
    if (Math.hypot(d[0], d[1], d[2]) < 1e-6 && Math.hypot(d[3], d[4], d[5]) < 1e-5) break;
  }
  return m;
}
