/**
 * The perceiver's memory across views: per-view segmentation, observations fused by colour into
 * world positions, and the scene's up direction and orbit pivot estimated from the pixels and
 * rendered depth of the original view (floor-coloured pixels give the floor plane).
 */
import type { Vec3 } from '../../core/types.js';
import { cameraAxes, cameraCenter, dot, normalize, scale, transformPoint, unprojectPixel } from '../../core/camera.js';
import { OBJECT_PALETTE } from '../../core/palette.js';
import {
  LABEL_FLOOR,
  blobsOfLabels,
  intrinsicsForView,
  labelPixels,
  observationsOfBlobs,
  type Blob,
} from './segment.js';
import type { Observation, PerceiverView } from './types.js';

export interface ViewAnalysis {
  view: PerceiverView;
  labels: Int8Array;
  blobs: Blob[];
  observations: Observation[];
}

export function analyseView(view: PerceiverView, viewIndex: number): ViewAnalysis {
  const labels = labelPixels(view);
  const blobs = blobsOfLabels(labels, view.width, view.height);
  return { view, labels, blobs, observations: observationsOfBlobs(blobs, labels, view, viewIndex) };
}

/** What the perceiver knows about one colour's object after all views. */
export interface ObjectEstimate {
  color: string;
  /** pixels per view index (0 where not seen) */
  pixelsByView: number[];
  /** fused centre guess (pixel-weighted over views with depth), when any view had depth */
  center?: Vec3;
  /** apparent width in metres, from the view that saw most of it */
  widthM?: number;
}

/** Observations of all views, fused by colour. */
export function fuseObservations(analyses: ViewAnalysis[]): Map<string, ObjectEstimate> {
  const out = new Map<string, ObjectEstimate>();
  for (const [vi, a] of analyses.entries()) {
    for (const o of a.observations) {
      const e = out.get(o.color) ?? { color: o.color, pixelsByView: analyses.map(() => 0) };
      e.pixelsByView[vi] = o.pixels;
      out.set(o.color, e);
    }
  }
  for (const e of out.values()) {
    let w = 0;
    const c: Vec3 = [0, 0, 0];
    let bestPx = 0;
    for (const a of analyses) {
      const o = a.observations.find((x) => x.color === e.color);
      if (!o?.centerWorld) continue;
      // Views that see more of the object locate it better.
      const wt = o.pixels;
      c[0] += wt * o.centerWorld[0];
      c[1] += wt * o.centerWorld[1];
      c[2] += wt * o.centerWorld[2];
      w += wt;
      if (o.pixels > bestPx && o.widthM !== undefined) {
        bestPx = o.pixels;
        e.widthM = o.widthM;
      }
    }
    if (w > 0) e.center = [c[0] / w, c[1] / w, c[2] / w];
  }
  return out;
}

/** Colours seen in any view. */
export function seenColors(analyses: ViewAnalysis[]): Set<string> {
  return new Set(analyses.flatMap((a) => a.observations.map((o) => o.color)));
}

/** Smallest-eigenvalue eigenvector of a symmetric 3×3 matrix (Jacobi rotations). */
function smallestEigenvector(m: number[][]): Vec3 {
  const a = m.map((r) => [...r]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[0][1] ** 2 + a[0][2] ** 2 + a[1][2] ** 2;
    if (off < 1e-20) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      if (Math.abs(a[p][q]) < 1e-30) continue;
      const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k][p],
          akq = a[k][q];
        a[k][p] = c * akp - s * akq;
        a[k][q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p][k],
          aqk = a[q][k];
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k][p],
          vkq = v[k][q];
        v[k][p] = c * vkp - s * vkq;
        v[k][q] = s * vkp + c * vkq;
      }
    }
  }
  let j = 0;
  for (let k = 1; k < 3; k++) if (a[k][k] < a[j][j]) j = k;
  return [v[0][j], v[1][j], v[2][j]];
}

/** The floor plane's normal from one view's floor-coloured pixels (toward the camera), if it looks like a floor. */
function floorNormal(a: ViewAnalysis): Vec3 | undefined {
  const { view, labels } = a;
  const cam = view.camera;
  if (!cam || !view.depth) return undefined;
  const camUp = scale(cameraAxes(cam.c2w).down, -1);
  const k = intrinsicsForView(cam, view.width, view.height);
  const n = view.width * view.height;
  const step = Math.max(1, Math.floor(n / 20000));
  const pts: Vec3[] = [];
  for (let i = 0; i < n; i += step) {
    if (labels[i] !== LABEL_FLOOR) continue;
    const z = view.depth[i];
    if (!(z > 0 && Number.isFinite(z))) continue;
    const u = i % view.width;
    pts.push(transformPoint(cam.c2w, unprojectPixel(k, u, (i - u) / view.width, z)));
  }
  if (pts.length < 50) return undefined;
  const mean = [0, 1, 2].map((d) => pts.reduce((s, p) => s + p[d], 0) / pts.length);
  const cov = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (const p of pts) {
    const d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) cov[r][c] += d[r] * d[c];
  }
  let up = normalize(smallestEigenvector(cov));
  if (dot(up, camUp) < 0) up = scale(up, -1);
  // A "floor" steeper than 45° from the camera's up is more likely a wall, or a view from high above.
  return dot(up, camUp) > Math.SQRT1_2 ? up : undefined;
}

/**
 * World up: the normal of a plane fitted to the floor-coloured pixels of the first view (original
 * first) where the floor shows clearly, or the original camera's −y when none does.
 */
export function estimateUp(analyses: ViewAnalysis[]): Vec3 {
  for (const a of analyses) {
    const n = floorNormal(a);
    if (n) return n;
  }
  const cam = analyses[0]?.view.camera;
  return cam ? scale(cameraAxes(cam.c2w).down, -1) : [0, -1, 0];
}

/** Orbit pivot as the loop would pick it: the surface point under the image centre, else the median depth on the axis. */
export function estimatePivot(view: PerceiverView): { pivot: Vec3; distance: number } | undefined {
  const cam = view.camera;
  if (!cam) return undefined;
  const k = intrinsicsForView(cam, view.width, view.height);
  const u = Math.floor(view.width / 2);
  const v = Math.floor(view.height / 2);
  let z = view.depth?.[v * view.width + u] ?? 0;
  if (!(z > 0 && Number.isFinite(z)) && view.depth) {
    const zs = Array.from(view.depth)
      .filter((d) => d > 0 && Number.isFinite(d))
      .sort((x, y) => x - y);
    z = zs.length ? zs[zs.length >> 1] : 0;
  }
  if (!(z > 0)) z = 2;
  const pivot = transformPoint(cam.c2w, unprojectPixel(k, u, v, z));
  const eye = cameraCenter(cam.c2w);
  return { pivot, distance: Math.hypot(pivot[0] - eye[0], pivot[1] - eye[1], pivot[2] - eye[2]) };
}

/** Palette index of a colour name (−1 when unknown). */
export const paletteIndex = (color: string): number => OBJECT_PALETTE.findIndex((c) => c.name === color);
