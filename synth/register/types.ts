/** What registration takes and gives, shared by its backends (classical features, learned models). */
import type { DepthUnits, Intrinsics } from '../../core/types.js';

/** One photo to register. */
export interface RegisterPhoto {
  name: string;
  width: number;
  height: number;
  /** width × height × 3, sRGB */
  rgb: Uint8Array;
  /** camera-space z per pixel (0 / NaN = none), when known */
  depth?: Float32Array;
  /** metres (a sensor, a metric model) or relative (a monocular model's guess at scale) */
  depthUnits?: DepthUnits;
  intrinsics: Intrinsics;
}

/** The outcome for one photo. */
export interface PhotoPose {
  name: string;
  registered: boolean;
  /** camera-to-world, column-major, in photo 0's camera frame; absent when not registered */
  c2w?: Float64Array;
  /** multiply this photo's depth by this to lift it into photo 0's units (1 with metric depth) */
  depthScale: number;
  /** the photo it was registered against (undefined for photo 0 and unregistered photos) */
  parent?: number;
  /** matches that agreed with the pose */
  inliers: number;
  /** RMS residual of those inliers, in `residualUnit` */
  residual: number;
  residualUnit: 'm' | 'px' | '';
  /** one line for the trace: how it registered, or why not */
  note: string;
}

/** Poses for every photo, in photo 0's frame. */
export interface Registration {
  /** backend that produced them: "features" or a model name */
  method: string;
  photos: PhotoPose[];
  /** whether translations are metric / in photo 0's depth units (false: unit-length, RGB only) */
  scaled: boolean;
  notes: string[];
  /** seconds spent */
  seconds: number;
}

export interface RegisterOptions {
  /** progress lines */
  log?: (line: string) => void;
  /** skip the ICP refinement on depth */
  noRefine?: boolean;
}

/** What a trace records of a registration (JSON-safe: c2w as 16 numbers, column-major). */
export interface RegistrationRecord {
  method: string;
  seconds: number;
  scaled: boolean;
  photos: (Omit<PhotoPose, 'c2w'> & { c2w?: number[] })[];
  notes: string[];
}

export function registrationRecord(r: Registration): RegistrationRecord {
  return {
    method: r.method,
    seconds: Math.round(r.seconds * 1000) / 1000,
    scaled: r.scaled,
    photos: r.photos.map((p) => ({
      ...p,
      c2w: p.c2w ? Array.from(p.c2w, (x) => Math.round(x * 1e6) / 1e6) : undefined,
    })),
    notes: r.notes,
  };
}

/** One line per photo, as `vantage register` prints them. */
export function registrationLines(r: Registration): string[] {
  return r.photos.map((p) => {
    if (!p.registered) return `${p.name}: ${p.note}`;
    const fig = p.residualUnit
      ? `${p.inliers} inliers, residual ${p.residualUnit === 'm' ? `${(p.residual * 100).toFixed(2)} cm` : `${p.residual.toFixed(2)} px`}`
      : '';
    return `${p.name}: ${fig ? `${fig} — ` : ''}${p.note}`;
  });
}
