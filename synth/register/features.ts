/**
 * Keypoints and matches through OpenCV's JavaScript build (@techstark/opencv-js): ORB on the grey image
 * (downscaled to at most `maxSide`), brute-force Hamming matching with Lowe's ratio test and a mutual
 * check. Coordinates come back in the photo's own pixels, Vantage convention (pixel centre at u + ½).
 *
 * The module object is a "thenable" once its WebAssembly has started: resolving a promise with it makes
 * the promise adopt it and never settle. It is therefore polled and handed out wrapped ({ cv }).
 */
import { createRequire } from 'node:module';
import { VantageError } from '../../core/errors.js';
import { REGISTER_DEFAULTS } from './config.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cv = any;

let loading: Promise<{ cv: Cv }> | undefined;

/** OpenCV, started once per process (≈ 0.5–3 s the first time). */
export function openCv(): Promise<{ cv: Cv }> {
  loading ??= new Promise((resolve, reject) => {
    const require = createRequire(import.meta.url);
    const mod = require('@techstark/opencv-js') as Cv;
    const started = Date.now();
    const poll = setInterval(() => {
      if (mod.Mat && mod.ORB) {
        clearInterval(poll);
        resolve({ cv: mod });
      } else if (Date.now() - started > REGISTER_DEFAULTS.openCvStartMs) {
        clearInterval(poll);
        reject(
          new VantageError(
            'opencv-start',
            `OpenCV (@techstark/opencv-js) did not start within ${REGISTER_DEFAULTS.openCvStartMs / 1000} s`,
            'reinstall the dependency (npm ci) or register with --method MODEL',
          ),
        );
      }
    }, 10);
  });
  return loading;
}

/** Keypoints (n × 2, photo pixels, centre at u + ½) and their ORB descriptors (n × 32 bytes). */
export interface Features {
  count: number;
  points: Float64Array;
  descriptors: Uint8Array;
}

/** Grey image from RGB bytes. */
function grey(rgb: Uint8Array, n: number): Uint8Array {
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) g[i] = (rgb[3 * i] * 77 + rgb[3 * i + 1] * 150 + rgb[3 * i + 2] * 29) >> 8;
  return g;
}

export async function detectFeatures(
  img: { width: number; height: number; rgb: Uint8Array },
  maxFeatures: number = REGISTER_DEFAULTS.maxFeatures,
): Promise<Features> {
  const { cv } = await openCv();
  const scale = Math.min(1, REGISTER_DEFAULTS.maxSide / Math.max(img.width, img.height));
  const src = cv.matFromArray(img.height, img.width, cv.CV_8UC1, grey(img.rgb, img.width * img.height));
  const mats: Cv[] = [src];
  try {
    let work = src;
    if (scale < 1) {
      work = new cv.Mat();
      mats.push(work);
      cv.resize(
        src,
        work,
        new cv.Size(Math.round(img.width * scale), Math.round(img.height * scale)),
        0,
        0,
        cv.INTER_AREA,
      );
    }
    // a low FAST threshold: low-contrast texture (indoor walls, renders) still yields corners
    // local contrast first (CLAHE): ORB's FAST threshold is fixed in this build, and low-contrast
    // texture (indoor walls, renders) would otherwise yield few corners
    const eq = new cv.Mat();
    const clahe = new cv.CLAHE(REGISTER_DEFAULTS.claheClip, new cv.Size(8, 8));
    mats.push(eq, clahe);
    clahe.apply(work, eq);
    work = eq;
    const orb = new cv.ORB(maxFeatures);
    const kps = new cv.KeyPointVector();
    const desc = new cv.Mat();
    const mask = new cv.Mat();
    mats.push(orb, kps, desc, mask);
    orb.detectAndCompute(work, mask, kps, desc);
    const count = kps.size();
    const points = new Float64Array(count * 2);
    for (let i = 0; i < count; i++) {
      const kp = kps.get(i);
      // OpenCV puts pixel centres on integers; Vantage at u + ½
      points[2 * i] = (kp.pt.x + 0.5) / scale;
      points[2 * i + 1] = (kp.pt.y + 0.5) / scale;
    }
    const descriptors = count ? new Uint8Array(desc.data) : new Uint8Array(0);
    return { count, points, descriptors };
  } finally {
    for (const m of mats) m.delete();
  }
}

/** Pairs (i in a, j in b) passing the ratio test both ways. */
export async function matchFeatures(
  a: Features,
  b: Features,
  ratio: number = REGISTER_DEFAULTS.ratio,
): Promise<Int32Array> {
  if (a.count < 2 || b.count < 2) return new Int32Array(0);
  const { cv } = await openCv();
  const da = cv.matFromArray(a.count, 32, cv.CV_8UC1, a.descriptors);
  const db = cv.matFromArray(b.count, 32, cv.CV_8UC1, b.descriptors);
  const matcher = new cv.BFMatcher(cv.NORM_HAMMING, false);
  const ab = new cv.DMatchVectorVector();
  const ba = new cv.DMatchVectorVector();
  try {
    matcher.knnMatch(da, db, ab, 2);
    matcher.knnMatch(db, da, ba, 2);
    const best = (vv: Cv, n: number): Int32Array => {
      const out = new Int32Array(n).fill(-1);
      for (let i = 0; i < vv.size(); i++) {
        const m = vv.get(i);
        if (m.size() < 1) continue;
        const m0 = m.get(0);
        if (m.size() < 2 || m0.distance < ratio * m.get(1).distance) out[m0.queryIdx] = m0.trainIdx;
      }
      return out;
    };
    const fwd = best(ab, a.count);
    const back = best(ba, b.count);
    const pairs: number[] = [];
    for (let i = 0; i < a.count; i++) if (fwd[i] >= 0 && back[fwd[i]] === i) pairs.push(i, fwd[i]);
    return Int32Array.from(pairs);
  } finally {
    for (const m of [da, db, matcher, ab, ba]) m.delete();
  }
}
