/**
 * The built-in perceiver's eyes: it labels pixels by the nearest palette colour (fitting a
 * brightness scale first, so Lambert shading and soft lighting do not change the label), groups
 * them into connected components, and turns each colour's blob into an observation — with a world
 * position when the view has rendered depth and a camera. It reads pixels and the palette (what
 * "red" looks like), never a scene description.
 */
import type { Camera, Intrinsics, Vec3 } from '../../core/types.js';
import { cameraCenter, normalize, scaleIntrinsics, sub, transformPoint, unprojectPixel } from '../../core/camera.js';
import { FLOOR_RGB, OBJECT_PALETTE, SKY_RGB, WALL_RGB } from '../../core/palette.js';
import { HOLE_MARK_COLOR } from '../../core/config.js';
import type { PerceiverView, Observation } from './types.js';

/** Tunables of the pixel classifier (why: see each line). */
export const SEGMENT_TUNING = {
  /** shading range accepted for a flat colour: ambient ≥ 0.6 in the fixtures; a little slack each side */
  minShade: 0.45,
  maxShade: 1.15,
  /** a pixel farther than this (RGB units, after the shade fit) from every class is unlabelled */
  maxColorDistance: 48,
  /** components smaller than this share of the image (or this many pixels) are noise */
  minComponentShare: 0.0003,
  minComponentPixels: 8,
  /**
   * share of a component's pixels that must be interior (all 4 neighbours the same colour): thin
   * lines of one colour are where two other colours blend at an edge, not an object
   */
  minInteriorShare: 0.15,
} as const;

/** Label values: 0..P-1 are object palette colours; these mark the rest. */
const LABEL_NONE = -1;
export const LABEL_FLOOR = -2;
export const LABEL_WALL = -3;
const LABEL_HOLE = -4;
const LABEL_VOID = -5;
const LABEL_SKY = -6;

interface ColorClass {
  label: number;
  rgb: readonly [number, number, number];
  /** false for colours that are never shaded (hole mark, empty background) */
  shaded: boolean;
}

const CLASSES: ColorClass[] = [
  ...OBJECT_PALETTE.map((c, i) => ({ label: i, rgb: c.rgb, shaded: true })),
  { label: LABEL_FLOOR, rgb: FLOOR_RGB, shaded: true },
  { label: LABEL_WALL, rgb: WALL_RGB, shaded: true },
  { label: LABEL_HOLE, rgb: HOLE_MARK_COLOR, shaded: false },
  { label: LABEL_VOID, rgb: [0, 0, 0], shaded: false },
  // What the fixtures' ray caster shows where nothing was hit (a colour, like the palette's).
  { label: LABEL_SKY, rgb: SKY_RGB, shaded: false },
];

/** The label of one RGB colour: the nearest class after fitting a shade factor, or LABEL_NONE. */
export function classifyColor(r: number, g: number, b: number): number {
  let best = LABEL_NONE;
  let bestD = Infinity;
  for (const c of CLASSES) {
    const [cr, cg, cb] = c.rgb;
    let s = 1;
    if (c.shaded) {
      const cc = cr * cr + cg * cg + cb * cb;
      s = cc > 0 ? (r * cr + g * cg + b * cb) / cc : 1;
      s = Math.min(SEGMENT_TUNING.maxShade, Math.max(SEGMENT_TUNING.minShade, s));
    }
    const dr = r - s * cr,
      dg = g - s * cg,
      db = b - s * cb;
    const d = dr * dr + dg * dg + db * db;
    if (d < bestD) {
      bestD = d;
      best = c.label;
    }
  }
  return Math.sqrt(bestD) <= SEGMENT_TUNING.maxColorDistance ? best : LABEL_NONE;
}

/** Per-pixel labels of a view; pixels that are holes (coverage 0) or have no surface are LABEL_HOLE / LABEL_VOID. */
export function labelPixels(view: PerceiverView): Int8Array {
  const { width, height, rgba, depth, coverage } = view;
  const n = width * height;
  if (rgba.length < n * 4) throw new RangeError(`view rgba has ${rgba.length} bytes, expected ${n * 4}`);
  const labels = new Int8Array(n);
  const cache = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (coverage && coverage[i] === 0) {
      labels[i] = LABEL_HOLE;
      continue;
    }
    if (depth && !(depth[i] > 0 && Number.isFinite(depth[i]))) {
      labels[i] = LABEL_VOID;
      continue;
    }
    const r = rgba[4 * i],
      g = rgba[4 * i + 1],
      b = rgba[4 * i + 2];
    const key = (r << 16) | (g << 8) | b;
    let l = cache.get(key);
    if (l === undefined) {
      l = classifyColor(r, g, b);
      cache.set(key, l);
    }
    labels[i] = l;
  }
  return labels;
}

/** One colour's blob in one view: its pixel indices (all components above the size floor). */
export interface Blob {
  colorIndex: number;
  pixels: Int32Array;
  /** number of connected components that made it (an occluder can split one object) */
  components: number;
}

/** Connected components (4-neighbour) per object colour, small or thin ones dropped, merged per colour. */
export function blobsOfLabels(labels: Int8Array, width: number, height: number): Blob[] {
  const n = width * height;
  const minPx = Math.max(SEGMENT_TUNING.minComponentPixels, Math.ceil(n * SEGMENT_TUNING.minComponentShare));
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const perColor = new Map<number, { parts: Int32Array[]; count: number }>();
  for (let start = 0; start < n; start++) {
    const l = labels[start];
    if (l < 0 || seen[start]) continue;
    let top = 0;
    let count = 0;
    let interior = 0;
    const members: number[] = [];
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      members.push(i);
      count++;
      const x = i % width;
      const y = (i - x) / width;
      if (
        x > 0 &&
        x < width - 1 &&
        y > 0 &&
        y < height - 1 &&
        labels[i - 1] === l &&
        labels[i + 1] === l &&
        labels[i - width] === l &&
        labels[i + width] === l
      )
        interior++;
      if (x > 0 && !seen[i - 1] && labels[i - 1] === l) {
        seen[i - 1] = 1;
        stack[top++] = i - 1;
      }
      if (x < width - 1 && !seen[i + 1] && labels[i + 1] === l) {
        seen[i + 1] = 1;
        stack[top++] = i + 1;
      }
      if (y > 0 && !seen[i - width] && labels[i - width] === l) {
        seen[i - width] = 1;
        stack[top++] = i - width;
      }
      if (y < height - 1 && !seen[i + width] && labels[i + width] === l) {
        seen[i + width] = 1;
        stack[top++] = i + width;
      }
    }
    if (count < minPx || interior < SEGMENT_TUNING.minInteriorShare * count) continue;
    const entry = perColor.get(l) ?? { parts: [], count: 0 };
    entry.parts.push(Int32Array.from(members));
    entry.count += count;
    perColor.set(l, entry);
  }
  const blobs: Blob[] = [];
  for (const [colorIndex, { parts, count }] of [...perColor.entries()].sort((a, b) => a[0] - b[0])) {
    const pixels = new Int32Array(count);
    let o = 0;
    for (const p of parts) {
      pixels.set(p, o);
      o += p.length;
    }
    blobs.push({ colorIndex, pixels, components: parts.length });
  }
  return blobs;
}

/** The camera's intrinsics at the view's size (a camera may be described at another resolution). */
export function intrinsicsForView(camera: Camera, width: number, height: number): Intrinsics {
  const k = camera.intrinsics;
  return k.width === width && k.height === height ? k : scaleIntrinsics(k, width, height);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * World positions of a blob from depth + camera: the per-axis median of its back-projected interior
 * pixels (edge pixels are skipped when enough remain: at depth edges they can belong to the
 * surface behind), and a guess at the object's centre (the surface point pushed back along the
 * viewing ray by half the blob's apparent width, capped).
 */
function blobWorld(
  blob: Blob,
  labels: Int8Array,
  view: PerceiverView,
): { surface: Vec3; center: Vec3; widthM: number } | undefined {
  const { width, height, depth, camera } = view;
  if (!depth || !camera) return undefined;
  const k = intrinsicsForView(camera, width, height);
  const l = blob.colorIndex;
  const interior: number[] = [];
  const all: number[] = [];
  for (const i of blob.pixels) {
    const z = depth[i];
    if (!(z > 0 && Number.isFinite(z))) continue;
    all.push(i);
    const x = i % width;
    const y = (i - x) / width;
    if (
      x > 0 &&
      x < width - 1 &&
      y > 0 &&
      y < height - 1 &&
      labels[i - 1] === l &&
      labels[i + 1] === l &&
      labels[i - width] === l &&
      labels[i + width] === l
    )
      interior.push(i);
  }
  const use = interior.length >= Math.max(6, all.length * 0.25) ? interior : all;
  if (use.length === 0) return undefined;
  const xs: number[] = [],
    ys: number[] = [],
    zs: number[] = [],
    us: number[] = [];
  for (const i of use) {
    const u = i % width;
    const v = (i - u) / width;
    const p = transformPoint(camera.c2w, unprojectPixel(k, u, v, depth[i]));
    xs.push(p[0]);
    ys.push(p[1]);
    zs.push(p[2]);
    us.push(u);
  }
  const surface: Vec3 = [median(xs), median(ys), median(zs)];
  // Apparent width: the 5..95 % spread of the blob's columns at its median depth.
  const su = [...us].sort((a, b) => a - b);
  const spreadPx = su[Math.floor(su.length * 0.95)] - su[Math.floor(su.length * 0.05)] + 1;
  const zMed = median(use.map((i) => depth[i]));
  const widthM = (spreadPx * zMed) / k.fx;
  const eye = cameraCenter(camera.c2w);
  const ray = normalize(sub(surface, eye));
  const push = Math.min(0.5 * widthM, 0.35);
  const center: Vec3 = [surface[0] + ray[0] * push, surface[1] + ray[1] * push, surface[2] + ray[2] * push];
  return { surface, center, widthM };
}

/** One observation per object colour seen in the view. */
export function observationsOfBlobs(
  blobs: Blob[],
  labels: Int8Array,
  view: PerceiverView,
  viewIndex: number,
): Observation[] {
  const { width } = view;
  return blobs.map((blob) => {
    let sx = 0,
      sy = 0;
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    for (const i of blob.pixels) {
      const x = i % width;
      const y = (i - x) / width;
      sx += x;
      sy += y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const n = blob.pixels.length;
    const w = blobWorld(blob, labels, view);
    const obs: Observation = {
      color: OBJECT_PALETTE[blob.colorIndex].name,
      pixels: n,
      centroidPx: [sx / n + 0.5, sy / n + 0.5],
      bboxPx: [x0, y0, x1 + 1, y1 + 1],
      viewIndex,
    };
    if (w) {
      obs.world = w.surface;
      obs.centerWorld = w.center;
      obs.widthM = w.widthM;
    }
    return obs;
  });
}
