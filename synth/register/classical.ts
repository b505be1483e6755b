/**
 * Classical registration: ORB features and mutual ratio-test matches for every pair of photos, then per
 * pair the relative pose —
 *   - both photos with metric depth: 3-D/3-D rigid fit in RANSAC (Horn), refined by projective
 *     point-to-plane ICP on the depth maps;
 *   - relative depth (a monocular model): the essential matrix for rotation and direction, the scale
 *     from the depth at the inliers (so each photo's depth gets a factor into photo 0's units);
 *   - no depth: the essential matrix alone (translation unit-length, scale unknown).
 * A pair with too few inliers is rejected (never used). Photos chain to photo 0 through the
 * best-connected pairs: a maximum spanning tree by inlier count. A photo outside that tree is reported
 * unregistered.
 */
import { VantageError } from '../../core/errors.js';
import { mulberry32 } from '../../core/random.js';
import { multiply } from '../../core/camera.js';
import { REGISTER_DEFAULTS as D } from './config.js';
import { estimateEssential } from './essential.js';
import { detectFeatures, matchFeatures, type Features } from './features.js';
import { apply3, fitSimilarity, poseFrom, ransacIterationsFor, type M3 } from './linalg.js';
import { refineIcp } from './icp.js';
import type { PhotoPose, RegisterOptions, RegisterPhoto, Registration } from './types.js';

/** Pose of photo b's camera in photo a's camera frame, from one pair. */
interface PairPose {
  a: number;
  b: number;
  /** x_a = s·R·x_b + t (x_b in b's raw depth units, x_a in a's) */
  r: M3;
  t: [number, number, number];
  s: number;
  inliers: number;
  matches: number;
  residual: number;
  unit: 'm' | 'px' | '';
  kind: 'rigid' | 'essential+depth-scale' | 'essential';
}

const hasDepth = (p: RegisterPhoto) => !!p.depth;
const metric = (p: RegisterPhoto) => hasDepth(p) && (p.depthUnits ?? 'metres') === 'metres';

/** Depth at a continuous pixel position (nearest pixel), 0 when none. */
function depthAt(p: RegisterPhoto, x: number, y: number): number {
  const u = Math.floor(x);
  const v = Math.floor(y);
  if (u < 0 || v < 0 || u >= p.width || v >= p.height) return 0;
  const z = p.depth![v * p.width + u];
  return z > 0 && Number.isFinite(z) ? z : 0;
}

/** Camera-space point of a continuous pixel position (centre convention already applied). */
function unproject(p: RegisterPhoto, x: number, y: number, z: number): [number, number, number] {
  const k = p.intrinsics;
  return [((x - k.cx) / k.fx) * z, ((y - k.cy) / k.fy) * z, z];
}

function rigidPair(
  pa: RegisterPhoto,
  pb: RegisterPhoto,
  fa: Features,
  fb: Features,
  m: Int32Array,
  a: number,
  b: number,
): PairPose | undefined {
  const xa: number[] = [];
  const xb: number[] = [];
  for (let k = 0; k < m.length; k += 2) {
    const [i, j] = [m[k], m[k + 1]];
    const za = depthAt(pa, fa.points[2 * i], fa.points[2 * i + 1]);
    const zb = depthAt(pb, fb.points[2 * j], fb.points[2 * j + 1]);
    if (!za || !zb) continue;
    xa.push(...unproject(pa, fa.points[2 * i], fa.points[2 * i + 1], za));
    xb.push(...unproject(pb, fb.points[2 * j], fb.points[2 * j + 1], zb));
  }
  const n = xa.length / 3;
  if (n < 3) return undefined;
  const rand = mulberry32(7);
  const inliersOf = (r: M3, t: number[], s: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = apply3(r, xb, 3 * i);
      const d = Math.hypot(
        s * q[0] + t[0] - xa[3 * i],
        s * q[1] + t[1] - xa[3 * i + 1],
        s * q[2] + t[2] - xa[3 * i + 2],
      );
      if (d < D.inlier3dRel * Math.max(0.5, xa[3 * i + 2])) out.push(i);
    }
    return out;
  };
  let best: number[] = [];
  let iterations: number = D.ransacIterations;
  for (let it = 0; it < iterations; it++) {
    const sample = [0, 0, 0].map(() => Math.floor(rand() * n));
    if (sample[0] === sample[1] || sample[1] === sample[2] || sample[0] === sample[2]) continue;
    const fit = fitSimilarity(xb, xa, sample, false);
    if (!fit) continue;
    const inl = inliersOf(fit.r, fit.t, 1);
    if (inl.length > best.length) {
      best = inl;
      const need = ransacIterationsFor((inl.length / n) ** 3);
      iterations = Math.min(D.ransacIterations, Math.max(it + 1, need));
    }
  }
  if (best.length < 3) return undefined;
  let fit = fitSimilarity(xb, xa, best, false)!;
  for (let round = 0; round < 2; round++) {
    const inl = inliersOf(fit.r, fit.t, 1);
    if (inl.length < 3) break;
    best = inl;
    fit = fitSimilarity(xb, xa, best, false) ?? fit;
  }
  let ss = 0;
  for (const i of best) {
    const q = apply3(fit.r, xb, 3 * i);
    ss +=
      (q[0] + fit.t[0] - xa[3 * i]) ** 2 +
      (q[1] + fit.t[1] - xa[3 * i + 1]) ** 2 +
      (q[2] + fit.t[2] - xa[3 * i + 2]) ** 2;
  }
  return {
    a,
    b,
    r: fit.r,
    t: fit.t,
    s: 1,
    inliers: best.length,
    matches: m.length / 2,
    residual: Math.sqrt(ss / best.length),
    unit: 'm',
    kind: 'rigid',
  };
}

function essentialPair(
  pa: RegisterPhoto,
  pb: RegisterPhoto,
  fa: Features,
  fb: Features,
  m: Int32Array,
  a: number,
  b: number,
): PairPose | undefined {
  const n = m.length / 2;
  const ka = pa.intrinsics;
  const kb = pb.intrinsics;
  // x_a = R x_b + t  ⇔  essential from b (view 1) to a (view 2)
  const p1 = new Float64Array(n * 2);
  const p2 = new Float64Array(n * 2);
  for (let k = 0; k < n; k++) {
    const [i, j] = [m[2 * k], m[2 * k + 1]];
    p2[2 * k] = (fa.points[2 * i] - ka.cx) / ka.fx;
    p2[2 * k + 1] = (fa.points[2 * i + 1] - ka.cy) / ka.fy;
    p1[2 * k] = (fb.points[2 * j] - kb.cx) / kb.fx;
    p1[2 * k + 1] = (fb.points[2 * j + 1] - kb.cy) / kb.fy;
  }
  const f = (ka.fx + ka.fy + kb.fx + kb.fy) / 4;
  const e = estimateEssential(p1, p2, { threshold: D.inlierPx / f, iterations: D.ransacIterations });
  if (!e) return undefined;
  const base: PairPose = {
    a,
    b,
    r: e.r,
    t: e.t,
    s: 1,
    inliers: e.inliers.length,
    matches: n,
    residual: e.rms * f,
    unit: 'px',
    kind: 'essential',
  };
  if (!hasDepth(pa) || !hasDepth(pb)) return base;
  // scale: triangulated depths (|t| = 1) against each photo's depth at the inliers
  const ra: number[] = [];
  const rb: number[] = [];
  for (const k of e.inliers) {
    const x1 = [p1[2 * k], p1[2 * k + 1], 1];
    const x2 = [p2[2 * k], p2[2 * k + 1], 1];
    const rx1 = apply3(e.r, x1);
    // d2·x2 = d1·R·x1 + t, least squares in (d1, d2)
    const aa = rx1[0] ** 2 + rx1[1] ** 2 + rx1[2] ** 2;
    const ab = -(rx1[0] * x2[0] + rx1[1] * x2[1] + rx1[2]);
    const bb = x2[0] ** 2 + x2[1] ** 2 + 1;
    const at = -(rx1[0] * e.t[0] + rx1[1] * e.t[1] + rx1[2] * e.t[2]);
    const bt = x2[0] * e.t[0] + x2[1] * e.t[1] + e.t[2];
    const det = aa * bb - ab * ab;
    if (Math.abs(det) < 1e-12) continue;
    const d1 = (at * bb - ab * bt) / det;
    const d2 = (aa * bt - ab * at) / det;
    if (!(d1 > 0 && d2 > 0)) continue;
    const [i, j] = [m[2 * k], m[2 * k + 1]];
    const za = depthAt(pa, fa.points[2 * i], fa.points[2 * i + 1]);
    const zb = depthAt(pb, fb.points[2 * j], fb.points[2 * j + 1]);
    if (za && zb) {
      ra.push(za / d2);
      rb.push(zb / d1);
    }
  }
  if (ra.length < D.minInliers / 2) return base;
  const median = (v: number[]) => v.sort((x, y) => x - y)[v.length >> 1];
  const la = median(ra); // a's depth units per triangulation unit
  const lb = median(rb);
  // x_a (a units) = la·(R·x_b/lb + t)  →  s = la / lb, t' = la·t
  return { ...base, s: la / lb, t: [e.t[0] * la, e.t[1] * la, e.t[2] * la], kind: 'essential+depth-scale' };
}

/** Why a photo yields nothing to match, or undefined. */
function textureProblem(f: Features): string | undefined {
  if (f.count < D.minInliers) return `only ${f.count} keypoints (too little texture: a flat or blurred photo?)`;
  return undefined;
}

export async function registerClassical(photos: RegisterPhoto[], opts: RegisterOptions = {}): Promise<Registration> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const notes: string[] = [];
  const feats: Features[] = [];
  for (const p of photos) feats.push(await detectFeatures(p));
  log(`registration: ${feats.map((f, i) => `${photos[i].name} ${f.count}`).join(', ')} keypoints`);
  const allMetric = photos.every(metric);
  const pairs: PairPose[] = [];
  const rejected = new Map<string, string>();
  for (let a = 0; a < photos.length; a++) {
    for (let b = a + 1; b < photos.length; b++) {
      if (textureProblem(feats[a]) || textureProblem(feats[b])) continue;
      const m = await matchFeatures(feats[a], feats[b]);
      const key = `${a}-${b}`;
      if (m.length / 2 < (allMetric ? D.minInliers3d : D.minInliers)) {
        rejected.set(key, `${m.length / 2} matches`);
        continue;
      }
      const pair = allMetric
        ? rigidPair(photos[a], photos[b], feats[a], feats[b], m, a, b)
        : essentialPair(photos[a], photos[b], feats[a], feats[b], m, a, b);
      const need = pair?.kind === 'rigid' ? D.minInliers3d : D.minInliers;
      if (!pair || pair.inliers < need || pair.inliers < D.minInlierRatio * pair.matches) {
        rejected.set(key, `${pair?.inliers ?? 0} of ${m.length / 2} matches agree`);
        continue;
      }
      pairs.push(pair);
    }
  }
  // maximum spanning tree from photo 0 (Prim), by inliers
  const n = photos.length;
  const c2w: (Float64Array | undefined)[] = new Array(n).fill(undefined);
  const scale = new Array<number>(n).fill(1);
  const via: (PairPose | undefined)[] = new Array(n).fill(undefined);
  const hops = new Array<number>(n).fill(0);
  c2w[0] = poseFrom([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0]);
  for (;;) {
    let pick: { pair: PairPose; from: number; to: number; score: number } | undefined;
    for (const pr of pairs) {
      for (const [from, to] of [
        [pr.a, pr.b],
        [pr.b, pr.a],
      ]) {
        // without depth every hop adds the short-baseline rotation bias: prefer hops near photo 0
        const score = pr.kind === 'rigid' ? pr.inliers : pr.inliers * 0.85 ** hops[from];
        if (c2w[from] && !c2w[to] && (!pick || score > pick.score)) pick = { pair: pr, from, to, score };
      }
    }
    if (!pick) break;
    const { pair, from, to } = pick;
    // the relative pose of `to` in `from`'s frame, raw depth units: x_from = s·R·x_to + t
    let r = pair.r;
    let t = pair.t;
    let s = pair.s;
    if (from !== pair.a) {
      // invert x_a = sR x_b + t  →  x_b = (1/s) Rᵀ (x_a − t)
      const rt: M3 = [r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]];
      const q = apply3(rt, t);
      r = rt;
      t = [-q[0] / s, -q[1] / s, -q[2] / s];
      s = 1 / s;
    }
    let rel = poseFrom(
      r,
      t.map((x) => x * scale[from]),
    );
    if (pair.kind === 'rigid' && !opts.noRefine) {
      rel = refineIcp(photos[from], photos[to], rel, D.icpIterations);
    }
    c2w[to] = multiply(c2w[from]!, rel);
    hops[to] = hops[from] + 1;
    scale[to] = scale[from] * s;
    via[to] = { ...pair, a: from, b: to };
  }
  const out: PhotoPose[] = photos.map((p, i) => {
    const texture = textureProblem(feats[i]);
    if (i === 0) {
      return {
        name: p.name,
        registered: true,
        c2w: c2w[0],
        depthScale: 1,
        inliers: 0,
        residual: 0,
        residualUnit: '',
        note: 'reference (world frame)' + (texture ? `; ${texture}` : ''),
      };
    }
    const v = via[i];
    if (!v || !c2w[i]) {
      const why =
        texture ??
        [...rejected.entries()]
          .filter(([k]) => k.split('-').map(Number).includes(i))
          .map(([k, w]) => `with ${photos[Number(k.split('-').find((x) => Number(x) !== i))].name}: ${w}`)
          .join('; ');
      return {
        name: p.name,
        registered: false,
        depthScale: 1,
        inliers: 0,
        residual: 0,
        residualUnit: '',
        note: `not registered (too little overlap${why ? `: ${why}` : ''}); shown as an original, not lifted`,
      };
    }
    return {
      name: p.name,
      registered: true,
      c2w: c2w[i],
      depthScale: scale[i],
      parent: v.a,
      inliers: v.inliers,
      residual: v.residual,
      residualUnit: v.unit,
      note: `${v.kind} against ${photos[v.a].name}: ${v.inliers}/${v.matches} inliers`,
    };
  });
  const scaled = allMetric || photos.every(hasDepth);
  if (!scaled) notes.push('no depth for some photos: translations are directions only (scale unknown)');
  if (!allMetric && photos.every(hasDepth))
    notes.push('relative depth: each photo’s depth rescaled into photo 0’s units');
  return { method: 'features', photos: out, scaled, notes, seconds: (performance.now() - t0) / 1000 };
}

/** Throws when nothing but the reference registered (and there was more than one photo). */
export function requireSomeRegistered(reg: Registration): void {
  if (reg.photos.length > 1 && reg.photos.slice(1).every((p) => !p.registered)) {
    throw new VantageError(
      'no-registration',
      `none of the ${reg.photos.length - 1} other photo(s) registered to ${reg.photos[0].name}: ${reg.photos
        .slice(1)
        .map((p) => `${p.name} ${p.note}`)
        .join('; ')}`,
      'photos need overlapping, textured views of the same scene; or pass --trajectory with known poses',
    );
  }
}
