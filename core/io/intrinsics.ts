/**
 * Camera intrinsics from what a user can type or has on disk:
 *   "fx,fy,cx,cy"              pixels, Vantage convention (pixel centres at u + ½), as given
 *   "fov:60" / "hfov:60"       horizontal field of view in degrees; "vfov:45" vertical
 *   "auto" / ""                the 60° default (recorded as assumed)
 *   path/to/camera.json        Open3D PinholeCameraIntrinsic ({width, height, intrinsic_matrix:
 *                              column-major 3×3}) or {fx, fy, cx, cy [, width, height]}
 * A JSON made for another image size is rescaled to this image (and the note says so).
 *
 * Open3D's matrix follows OpenCV, where pixel centres sit at integer coordinates; Vantage puts them
 * at u + ½ (core/camera.ts), so cx and cy from an Open3D file gain ½ pixel (319.5 → 320 for 640 px).
 */
import { existsSync } from 'node:fs';
import { DEFAULT_HFOV_DEG, deg2rad, intrinsicsFromHfov, scaleIntrinsics } from '../camera.js';
import { VantageError } from '../errors.js';
import { IO_DEFAULTS } from '../config.js';
import type { Intrinsics } from '../types.js';
import { readJsonFile } from './files.js';

export interface ParsedIntrinsics {
  intrinsics: Intrinsics;
  /** true when nothing was known and the 60° default was used */
  assumed: boolean;
  /** one line for the trace: where the numbers came from */
  note: string;
}

/** Shift from OpenCV/Open3D principal points (pixel centres at integers) to Vantage's (centres at +½). */
const OPENCV_TO_VANTAGE_PIXEL_SHIFT = 0.5;

const MAX_JSON_BYTES = 1 << 20;

/** The 60° horizontal field of view default, marked as assumed. */
export function defaultIntrinsics(width: number, height: number): ParsedIntrinsics {
  checkImageDims(width, height);
  return {
    intrinsics: intrinsicsFromHfov(width, height, DEFAULT_HFOV_DEG),
    assumed: true,
    note: `intrinsics assumed: ${DEFAULT_HFOV_DEG}° horizontal field of view`,
  };
}

/** Intrinsics for a width × height image from a spec string (see the module comment for forms). */
export async function parseIntrinsics(spec: string, width: number, height: number): Promise<ParsedIntrinsics> {
  checkImageDims(width, height);
  const s = spec.trim();
  if (s === '' || /^(auto|default)$/i.test(s)) return defaultIntrinsics(width, height);

  const fov = /^(h?fov|vfov)\s*[:=]\s*(.+)$/i.exec(s);
  if (fov) {
    const deg = Number(fov[2].replace(/(deg|°)$/i, '').trim());
    if (!(Number.isFinite(deg) && deg > 0 && deg < 180)) {
      throw new VantageError(
        'bad-intrinsics',
        `intrinsics "${spec}": field of view must be a number of degrees between 0 and 180`,
        'e.g. fov:60',
      );
    }
    if (fov[1].toLowerCase() === 'vfov') {
      const f = height / 2 / Math.tan(deg2rad(deg) / 2);
      return {
        intrinsics: { fx: f, fy: f, cx: width / 2, cy: height / 2, width, height },
        assumed: false,
        note: `intrinsics from a ${deg}° vertical field of view (fx = fy = ${f.toFixed(2)} px)`,
      };
    }
    const k = intrinsicsFromHfov(width, height, deg);
    return {
      intrinsics: k,
      assumed: false,
      note: `intrinsics from a ${deg}° horizontal field of view (fx = fy = ${k.fx.toFixed(2)} px)`,
    };
  }

  if (/^[\s\d.eE+\-,]+$/.test(s) && !existsSync(s)) {
    const nums = s
      .split(/[\s,]+/)
      .filter((t) => t.length > 0)
      .map(Number);
    if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n))) {
      throw new VantageError(
        'bad-intrinsics',
        `intrinsics "${spec}" must be four numbers fx,fy,cx,cy (pixels); got ${nums.length}`,
        'e.g. 525,525,320,240, or fov:60, or a camera JSON file',
      );
    }
    const [fx, fy, cx, cy] = nums;
    const k = validated({ fx, fy, cx, cy, width, height }, `intrinsics "${spec}"`);
    return { intrinsics: k, assumed: false, note: `intrinsics given: ${describeIntrinsics(k)}` };
  }

  return intrinsicsFromJsonFile(s, width, height);
}

async function intrinsicsFromJsonFile(path: string, width: number, height: number): Promise<ParsedIntrinsics> {
  if (!existsSync(path)) {
    throw new VantageError(
      'bad-intrinsics',
      `intrinsics "${path}" is neither fx,fy,cx,cy, fov:DEGREES, nor an existing camera JSON file`,
      'pass e.g. 525,525,320,240 or fov:60, or the path of an Open3D-style camera JSON',
    );
  }
  const json = await readJsonFile(path, { what: 'intrinsics file', maxBytes: MAX_JSON_BYTES, code: 'bad-intrinsics' });
  const obj = (json && typeof json === 'object' && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

  let k: { fx: number; fy: number; cx: number; cy: number };
  let source: string;
  if (Array.isArray(obj.intrinsic_matrix)) {
    const m = obj.intrinsic_matrix.map(num);
    if (m.length !== 9 || m.some((v) => !Number.isFinite(v))) {
      throw new VantageError(
        'bad-intrinsics',
        `intrinsics file "${path}": intrinsic_matrix must be 9 numbers (3×3, column-major)`,
      );
    }
    // column-major 3×3: fx = m[0], fy = m[4], cx = m[6], cy = m[7]
    k = { fx: m[0], fy: m[4], cx: m[6] + OPENCV_TO_VANTAGE_PIXEL_SHIFT, cy: m[7] + OPENCV_TO_VANTAGE_PIXEL_SHIFT };
    source = 'Open3D camera';
  } else if (['fx', 'fy', 'cx', 'cy'].every((key) => key in obj)) {
    k = { fx: num(obj.fx), fy: num(obj.fy), cx: num(obj.cx), cy: num(obj.cy) };
    source = 'camera JSON';
  } else {
    throw new VantageError(
      'bad-intrinsics',
      `intrinsics file "${path}" has neither "intrinsic_matrix" (Open3D) nor fx, fy, cx, cy`,
      'write {"width":640,"height":480,"fx":525,"fy":525,"cx":320,"cy":240} or an Open3D PinholeCameraIntrinsic JSON',
    );
  }

  const jw = obj.width === undefined ? undefined : num(obj.width);
  const jh = obj.height === undefined ? undefined : num(obj.height);
  if ((jw !== undefined && !(jw > 0)) || (jh !== undefined && !(jh > 0))) {
    throw new VantageError('bad-intrinsics', `intrinsics file "${path}": width and height must be positive numbers`);
  }
  let intrinsics = validated({ ...k, width: jw ?? width, height: jh ?? height }, `intrinsics file "${path}"`);
  let note = `intrinsics from ${source} "${path}": ${describeIntrinsics(intrinsics)}`;
  if (source === 'Open3D camera') note += ' (principal point +½ px: Open3D puts pixel centres at integers)';
  if (intrinsics.width !== width || intrinsics.height !== height) {
    const from = `${intrinsics.width}×${intrinsics.height}`;
    const aspectChanged = Math.abs(intrinsics.width / intrinsics.height - width / height) > 1e-3;
    intrinsics = scaleIntrinsics(intrinsics, width, height);
    note += `; rescaled from ${from} to the ${width}×${height} image${aspectChanged ? ' (aspect ratio differs: pixels are no longer square)' : ''}`;
  }
  return { intrinsics, assumed: false, note };
}

function validated(k: Intrinsics, what: string): Intrinsics {
  for (const key of ['fx', 'fy'] as const) {
    if (!(Number.isFinite(k[key]) && k[key] > 0)) {
      throw new VantageError(
        'bad-intrinsics',
        `${what}: ${key} must be a positive finite number of pixels, got ${k[key]}`,
        'focal lengths are in pixels, e.g. 525 for a 640-wide Kinect image',
      );
    }
  }
  for (const key of ['cx', 'cy'] as const) {
    if (!Number.isFinite(k[key]))
      throw new VantageError('bad-intrinsics', `${what}: ${key} must be a finite number of pixels, got ${k[key]}`);
  }
  // finite but impossible cameras would lift to nothing and render an empty view with exit 0
  const fov = (side: number, f: number) => (2 * Math.atan(side / 2 / f) * 180) / Math.PI;
  const [hfov, vfov] = [fov(k.width, k.fx), fov(k.height, k.fy)];
  const [lo, hi] = IO_DEFAULTS.plausibleFovDeg;
  if ([hfov, vfov].some((a) => a < lo || a > hi)) {
    throw new VantageError(
      'bad-intrinsics',
      `${what}: fx=${k.fx}, fy=${k.fy} give a ${hfov.toPrecision(3)}°×${vfov.toPrecision(3)}° field of view at ${k.width}×${k.height}; no camera sees that`,
      'focal lengths are in pixels of this image size (e.g. 525 at 640×480), or use fov:DEG',
    );
  }
  if (k.cx < -k.width || k.cx > 2 * k.width || k.cy < -k.height || k.cy > 2 * k.height) {
    throw new VantageError(
      'bad-intrinsics',
      `${what}: the principal point (${k.cx}, ${k.cy}) lies far outside the ${k.width}×${k.height} image`,
      'cx, cy are pixels, usually near the image centre (width / 2, height / 2)',
    );
  }
  return k;
}

function checkImageDims(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new VantageError('bad-intrinsics', `intrinsics need a positive image size, got ${width}×${height}`);
  }
}

/** "fx=525 fy=525 cx=320 cy=240 (640×480, 62.8° hfov)". */
function describeIntrinsics(k: Intrinsics): string {
  const r = (v: number) => Number(v.toFixed(2));
  const hfov = (2 * Math.atan(k.width / 2 / k.fx) * 180) / Math.PI;
  return `fx=${r(k.fx)} fy=${r(k.fy)} cx=${r(k.cx)} cy=${r(k.cy)} (${k.width}×${k.height}, ${hfov.toFixed(1)}° hfov)`;
}
