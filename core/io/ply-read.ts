/**
 * Reading PLY scenes (writing: ply-write.ts).
 *
 * Reads the standard 3D Gaussian Splatting layout — per vertex x y z [nx ny nz] f_dc_0..2
 * [f_rest_*] opacity scale_0..2 rot_0..3, in any property order, as float / double / (u)char /
 * (u)short / (u)int, binary little- or big-endian or ASCII — and converts to Vantage's Scene:
 *   colour   = clamp(0.5 + SH_C0 · f_dc, 0, 1)   (DC term of the spherical harmonics)
 *   opacity  = sigmoid(opacity)                    (stored as a logit)
 *   scale    = exp(scale_i)                        (stored as log standard deviations)
 *   rotation = normalise(rot_0..3) as (w, x, y, z)
 * Higher SH bands (f_rest_*) are read past and ignored: view-dependent colour is dropped (noted).
 * A plain point cloud (x y z red green blue) also loads: opaque isotropic splats sized from the
 * point density.
 *
 * A PLY has no camera, so the reference camera is made up (defaultReferenceFor): it looks along +z
 * at the median of the positions from far enough to frame their 5–95 percentile box, 60° hfov, with
 * up = −y — 3DGS/COLMAP captures are OpenCV-like (y down). Units are 'relative' (SfM scale).
 */
import { DEFAULT_HFOV_DEG, DEFAULT_UP, deg2rad, intrinsicsFromHfov, lookAt, makeCamera } from '../camera.js';
import { INPUT_LIMITS, IO_DEFAULTS } from '../config.js';
import { VantageError, type ErrorCode } from '../errors.js';
import { readFileCapped } from './files.js';
import { sceneBounds } from '../bounds.js';
import type { Camera, Scene, Vec3 } from '../types.js';

/** Zeroth-order real spherical-harmonic constant, 1 / (2 √π). */
export const SH_C0 = 0.28209479177387814;

export type PlyFormat = 'ascii' | 'binary_little_endian' | 'binary_big_endian';
export type PlyScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface PlyProperty {
  name: string;
  type: PlyScalarType;
  /** set for list properties: the type of the leading element count */
  countType?: PlyScalarType;
}

export interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

export interface PlyHeader {
  format: PlyFormat;
  elements: PlyElement[];
  comments: string[];
  /** byte offset of the body (just after "end_header" and its newline) */
  bodyOffset: number;
}

export interface ReadPlyOptions {
  /** how the file is named in errors and notes (default: the path) */
  name?: string;
  /** image size of the made-up reference camera (default IO_DEFAULTS.plyReferenceSize) */
  width?: number;
  height?: number;
  /** refuse more splats than this (default INPUT_LIMITS.maxSplats) */
  maxSplats?: number;
}

const TYPE_ALIASES: Record<string, PlyScalarType> = {
  char: 'int8',
  int8: 'int8',
  uchar: 'uint8',
  uint8: 'uint8',
  short: 'int16',
  int16: 'int16',
  ushort: 'uint16',
  uint16: 'uint16',
  int: 'int32',
  int32: 'int32',
  uint: 'uint32',
  uint32: 'uint32',
  float: 'float32',
  float32: 'float32',
  double: 'float64',
  float64: 'float64',
};
const TYPE_SIZE: Record<PlyScalarType, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const TYPE_MAX: Partial<Record<PlyScalarType, number>> = { uint8: 255, uint16: 65535 };

/** The properties a 3DGS PLY must have (any order; normals and f_rest_* may come between). */
export const GAUSSIAN_PROPS = [
  'x',
  'y',
  'z',
  'f_dc_0',
  'f_dc_1',
  'f_dc_2',
  'opacity',
  'scale_0',
  'scale_1',
  'scale_2',
  'rot_0',
  'rot_1',
  'rot_2',
  'rot_3',
] as const;

/** A Scene from a 3DGS (or coloured point-cloud) PLY file. */
export async function readPly(path: string, opts: ReadPlyOptions = {}): Promise<Scene> {
  const name = opts.name ?? path;
  const buf = await readFileCapped(path, { name, what: 'PLY scene' });
  return sceneFromPly(buf, { ...opts, name });
}

const plyError = (code: ErrorCode, name: string, why: string, hint?: string) =>
  new VantageError(
    code,
    `PLY "${name}" ${why}`,
    hint ?? 'expected a 3D Gaussian Splatting PLY (x y z f_dc_0..2 opacity scale_0..2 rot_0..3)',
  );

/** Header of a PLY file: format, elements with their properties, and where the body starts. */
export function parsePlyHeader(buf: Buffer, name: string): PlyHeader {
  if (buf.length < 4 || buf.toString('latin1', 0, 3) !== 'ply' || (buf[3] !== 0x0a && buf[3] !== 0x0d)) {
    throw new VantageError(
      'ply-invalid',
      `"${name}" is not a PLY file (it does not start with "ply")`,
      'pass a .ply scene, e.g. a 3D Gaussian Splatting export',
    );
  }
  const end = buf.indexOf('end_header', 0, 'latin1');
  if (end < 0 || end > 1 << 20)
    throw plyError('ply-invalid', name, 'has no "end_header" line: the header is incomplete');
  let bodyOffset = end + 'end_header'.length;
  if (buf[bodyOffset] === 0x0d) bodyOffset++;
  if (buf[bodyOffset] !== 0x0a) {
    if (bodyOffset >= buf.length) bodyOffset = buf.length;
    else throw plyError('ply-invalid', name, 'has a malformed "end_header" line');
  } else bodyOffset++;

  const lines = buf
    .toString('latin1', 0, end)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  let format: PlyFormat | undefined;
  const elements: PlyElement[] = [];
  const comments: string[] = [];
  for (const line of lines.slice(1)) {
    const t = line.split(/\s+/);
    if (t[0] === 'comment' || t[0] === 'obj_info') comments.push(line.slice(t[0].length).trim());
    else if (t[0] === 'format') {
      if (t[1] !== 'ascii' && t[1] !== 'binary_little_endian' && t[1] !== 'binary_big_endian') {
        throw plyError(
          'ply-invalid',
          name,
          `has unknown format "${t[1]}"`,
          'PLY formats are ascii, binary_little_endian and binary_big_endian',
        );
      }
      format = t[1];
    } else if (t[0] === 'element') {
      const count = Number(t[2]);
      if (t.length !== 3 || !Number.isInteger(count) || count < 0)
        throw plyError('ply-invalid', name, `has a malformed line "${line}"`);
      elements.push({ name: t[1], count, properties: [] });
    } else if (t[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw plyError('ply-invalid', name, `has a property before any element: "${line}"`);
      if (t[1] === 'list') {
        const countType = TYPE_ALIASES[t[2]];
        const type = TYPE_ALIASES[t[3]];
        if (!countType || !type || t.length !== 5)
          throw plyError('ply-invalid', name, `has an unknown property type in "${line}"`);
        el.properties.push({ name: t[4], type, countType });
      } else {
        const type = TYPE_ALIASES[t[1]];
        if (!type || t.length !== 3)
          throw plyError(
            'ply-invalid',
            name,
            `has an unknown property type in "${line}"`,
            'supported types: char, uchar, short, ushort, int, uint, float, double',
          );
        el.properties.push({ name: t[2], type });
      }
    } else {
      throw plyError('ply-invalid', name, `has an unknown header line "${line}"`);
    }
  }
  if (!format) throw plyError('ply-invalid', name, 'has no "format" line in its header');
  return { format, elements, comments, bodyOffset };
}

/**
 * Calls `onVertex(row, i)` for each vertex with the values of the vertex element's scalar properties
 * (list properties are skipped, their slots left NaN). Throws on truncation or a format mismatch.
 */
function forEachVertex(
  buf: Buffer,
  header: PlyHeader,
  name: string,
  onVertex: (row: Float64Array, i: number) => void,
): void {
  const vIndex = header.elements.findIndex((e) => e.name === 'vertex');
  const vertex = header.elements[vIndex];
  const row = new Float64Array(vertex.properties.length);
  const body = buf.subarray(header.bodyOffset);
  if (header.format === 'ascii') {
    if (looksBinary(body)) {
      throw plyError(
        'ply-format-mismatch',
        name,
        'says "format ascii" in its header but its body is binary',
        "fix the header's format line (binary_little_endian?) or re-export the file",
      );
    }
    const tokens = body
      .toString('latin1')
      .split(/\s+/)
      .filter((s) => s.length > 0);
    let k = 0;
    const next = (el: string, i: number, count: number): number => {
      if (k >= tokens.length) {
        throw plyError(
          'ply-truncated',
          name,
          el === 'vertex'
            ? `is truncated: the file ends after ${i} of ${count} vertices`
            : `is truncated inside element "${el}" (${i} of ${count})`,
          'the file was cut short; export or download it again',
        );
      }
      const v = Number(tokens[k++]);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(tokens[k - 1])) {
        throw plyError(
          'ply-invalid',
          name,
          `has a non-number "${tokens[k - 1].slice(0, 20)}" in its ASCII body (element "${el}", item ${i})`,
        );
      }
      return v;
    };
    for (let e = 0; e <= vIndex; e++) {
      const el = header.elements[e];
      for (let i = 0; i < el.count; i++) {
        el.properties.forEach((p, j) => {
          if (p.countType) {
            const n = next(el.name, i, el.count);
            for (let c = 0; c < n; c++) next(el.name, i, el.count);
            if (e === vIndex) row[j] = NaN;
          } else {
            const v = next(el.name, i, el.count);
            if (e === vIndex) row[j] = v;
          }
        });
        if (e === vIndex) onVertex(row, i);
      }
    }
    return;
  }

  const little = header.format === 'binary_little_endian';
  const dv = new DataView(body.buffer, body.byteOffset, body.length);
  const read = (type: PlyScalarType, off: number): number => {
    switch (type) {
      case 'float32':
        return dv.getFloat32(off, little);
      case 'float64':
        return dv.getFloat64(off, little);
      case 'uint8':
        return dv.getUint8(off);
      case 'int8':
        return dv.getInt8(off);
      case 'uint16':
        return dv.getUint16(off, little);
      case 'int16':
        return dv.getInt16(off, little);
      case 'uint32':
        return dv.getUint32(off, little);
      case 'int32':
        return dv.getInt32(off, little);
    }
  };
  const fixedStride = (el: PlyElement): number | undefined =>
    el.properties.some((p) => p.countType) ? undefined : el.properties.reduce((s, p) => s + TYPE_SIZE[p.type], 0);

  let off = 0;
  // skip the elements stored before the vertices (rare: faces usually come after)
  for (let e = 0; e < vIndex; e++) {
    const el = header.elements[e];
    const stride = fixedStride(el);
    if (stride !== undefined) {
      off += stride * el.count;
      continue;
    }
    for (let i = 0; i < el.count; i++) {
      for (const p of el.properties) {
        if (off + TYPE_SIZE[p.countType ?? p.type] > body.length) throw truncated(name, el.name, 0, vertex.count);
        if (p.countType) {
          const n = read(p.countType, off);
          off += TYPE_SIZE[p.countType] + n * TYPE_SIZE[p.type];
        } else off += TYPE_SIZE[p.type];
      }
    }
  }
  if (off > body.length) throw truncated(name, header.elements[vIndex - 1]?.name ?? 'vertex', 0, vertex.count);

  const stride = fixedStride(vertex);
  const need = off + (stride ?? 0) * vertex.count;
  // binary numbers are almost never all digits and spaces: such a body is text whatever the header says
  if (looksAsciiNumbers(body) && (body.length >= 64 || need > body.length)) {
    throw plyError(
      'ply-format-mismatch',
      name,
      `says "format ${header.format}" in its header but its body is ASCII text`,
      "fix the header's format line (ascii?) or re-export the file",
    );
  }
  if (stride !== undefined) {
    if (need > body.length) {
      throw truncated(name, 'vertex', Math.max(0, Math.floor((body.length - off) / stride)), vertex.count);
    }
    const offsets: number[] = [];
    let o = 0;
    for (const p of vertex.properties) {
      offsets.push(o);
      o += TYPE_SIZE[p.type];
    }
    const props = vertex.properties;
    if (little && HOST_LITTLE_ENDIAN && props.every((p) => p.type === 'float32')) {
      // the common 3DGS case: an aligned copy read as float32 is several times faster than DataView calls
      const start = body.byteOffset + off;
      const f = new Float32Array(body.buffer.slice(start, start + stride * vertex.count));
      const m = props.length;
      for (let i = 0; i < vertex.count; i++) {
        for (let j = 0; j < m; j++) row[j] = f[i * m + j];
        onVertex(row, i);
      }
      return;
    }
    for (let i = 0; i < vertex.count; i++) {
      const base = off + i * stride;
      for (let j = 0; j < props.length; j++) row[j] = read(props[j].type, base + offsets[j]);
      onVertex(row, i);
    }
    return;
  }
  // vertices with list properties: walk them one by one
  for (let i = 0; i < vertex.count; i++) {
    vertex.properties.forEach((p, j) => {
      if (off + TYPE_SIZE[p.countType ?? p.type] > body.length) throw truncated(name, 'vertex', i, vertex.count);
      if (p.countType) {
        const n = read(p.countType, off);
        off += TYPE_SIZE[p.countType] + n * TYPE_SIZE[p.type];
        row[j] = NaN;
      } else {
        row[j] = read(p.type, off);
        off += TYPE_SIZE[p.type];
      }
    });
    if (off > body.length) throw truncated(name, 'vertex', i, vertex.count);
    onVertex(row, i);
  }
}

const truncated = (name: string, el: string, done: number, count: number) =>
  plyError(
    'ply-truncated',
    name,
    el === 'vertex'
      ? `is truncated: the file ends after ${done} of ${count} vertices`
      : `is truncated inside element "${el}", before the ${count} vertices`,
    'the file was cut short; export or download it again',
  );

function looksBinary(body: Buffer): boolean {
  const n = Math.min(body.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = body[i];
    if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) return true;
  }
  return false;
}

function looksAsciiNumbers(body: Buffer): boolean {
  const n = Math.min(body.length, 256);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if (!/[0-9eE+\-.\s naif]/.test(String.fromCharCode(body[i]))) return false;
  return true;
}

/** A Scene from PLY bytes (see the module comment for the conversion). */
export function sceneFromPly(buf: Buffer, opts: ReadPlyOptions & { name: string }): Scene {
  const name = opts.name;
  const header = parsePlyHeader(buf, name);
  const vertex = header.elements.find((e) => e.name === 'vertex');
  if (!vertex) throw plyError('ply-missing-properties', name, 'has no "vertex" element');
  const maxSplats = opts.maxSplats ?? INPUT_LIMITS.maxSplats;
  if (vertex.count > maxSplats) {
    throw plyError(
      'ply-too-large',
      name,
      `has ${vertex.count.toLocaleString('en')} splats, over the limit of ${maxSplats.toLocaleString('en')}`,
      'decimate the scene first (the limit guards memory; see INPUT_LIMITS.maxSplats)',
    );
  }
  if (vertex.count === 0) throw plyError('ply-invalid', name, 'has no vertices');
  const index = new Map(vertex.properties.map((p, j) => [p.name, j]));
  const has = (p: string) => index.has(p);
  const notes: string[] = [];

  const isGaussian = GAUSSIAN_PROPS.slice(3).some(has);
  const colourNames = has('diffuse_red')
    ? ['diffuse_red', 'diffuse_green', 'diffuse_blue']
    : has('r') && !has('red')
      ? ['r', 'g', 'b']
      : ['red', 'green', 'blue'];
  const required = isGaussian ? [...GAUSSIAN_PROPS] : ['x', 'y', 'z', ...colourNames];
  const missing = required.filter((p) => !has(p));
  if (missing.length > 0) {
    throw plyError(
      'ply-missing-properties',
      name,
      `is missing vertex properties: ${missing.join(', ')} (found: ${vertex.properties.map((p) => p.name).join(' ')})`,
      isGaussian
        ? undefined
        : 'a point cloud needs x y z red green blue; a Gaussian splat scene needs x y z f_dc_0..2 opacity scale_0..2 rot_0..3',
    );
  }
  const listProp = required.find((p) => vertex.properties[index.get(p)!].countType);
  if (listProp) throw plyError('ply-invalid', name, `has "${listProp}" as a list property; expected a scalar`);

  const n = vertex.count;
  const positions = new Float32Array(n * 3);
  const colors = new Float32Array(n * 3);
  const scales = new Float32Array(n * 3);
  const rotations = new Float32Array(n * 4);
  const opacities = new Float32Array(n);
  let kept = 0;
  let badPosition = 0;
  let badOther = 0;
  let zeroRotation = 0;

  const ix = [index.get('x')!, index.get('y')!, index.get('z')!];
  if (isGaussian) {
    const [dc0, dc1, dc2, op, s0, s1, s2, r0, r1, r2, r3] = GAUSSIAN_PROPS.slice(3).map((p) => index.get(p)!);
    const fRest = vertex.properties.filter((p) => p.name.startsWith('f_rest_')).length;
    if (fRest > 0)
      notes.push(
        `${fRest} higher-order SH coefficients per splat (f_rest_*) read and ignored: view-dependent colour dropped, DC colour kept`,
      );
    forEachVertex(buf, header, name, (row) => {
      const x = row[ix[0]],
        y = row[ix[1]],
        z = row[ix[2]];
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
        badPosition++;
        return;
      }
      const sx = Math.exp(row[s0]),
        sy = Math.exp(row[s1]),
        sz = Math.exp(row[s2]);
      const o = row[op];
      let qw = row[r0],
        qx = row[r1],
        qy = row[r2],
        qz = row[r3];
      const c0 = row[dc0],
        c1 = row[dc1],
        c2 = row[dc2];
      if (!(
        Number.isFinite(sx) &&
        Number.isFinite(sy) &&
        Number.isFinite(sz) &&
        !Number.isNaN(o) &&
        Number.isFinite(qw + qx + qy + qz) &&
        Number.isFinite(c0 + c1 + c2)
      )) {
        badOther++;
        return;
      }
      const qn = Math.sqrt(qw * qw + qx * qx + qy * qy + qz * qz); // (Math.hypot is several times slower)
      if (qn < 1e-12) {
        zeroRotation++;
        qw = 1;
        qx = qy = qz = 0;
      } else {
        qw /= qn;
        qx /= qn;
        qy /= qn;
        qz /= qn;
      }
      positions[kept * 3] = x;
      positions[kept * 3 + 1] = y;
      positions[kept * 3 + 2] = z;
      colors[kept * 3] = clamp01(0.5 + SH_C0 * c0);
      colors[kept * 3 + 1] = clamp01(0.5 + SH_C0 * c1);
      colors[kept * 3 + 2] = clamp01(0.5 + SH_C0 * c2);
      scales[kept * 3] = sx;
      scales[kept * 3 + 1] = sy;
      scales[kept * 3 + 2] = sz;
      rotations[kept * 4] = qw;
      rotations[kept * 4 + 1] = qx;
      rotations[kept * 4 + 2] = qy;
      rotations[kept * 4 + 3] = qz;
      opacities[kept] = sigmoid(o);
      kept++;
    });
  } else {
    const ic = colourNames.map((p) => index.get(p)!);
    const colourMax = TYPE_MAX[vertex.properties[ic[0]].type] ?? 1;
    forEachVertex(buf, header, name, (row) => {
      const x = row[ix[0]],
        y = row[ix[1]],
        z = row[ix[2]];
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
        badPosition++;
        return;
      }
      positions[kept * 3] = x;
      positions[kept * 3 + 1] = y;
      positions[kept * 3 + 2] = z;
      for (let c = 0; c < 3; c++) {
        const v = row[ic[c]] / colourMax;
        colors[kept * 3 + c] = Number.isFinite(v) ? clamp01(v) : 0;
      }
      rotations[kept * 4] = 1;
      opacities[kept] = 1;
      kept++;
    });
  }
  if (badPosition > 0) notes.push(`dropped ${badPosition} splats with NaN or infinite positions`);
  if (badOther > 0) notes.push(`dropped ${badOther} splats with NaN or infinite scale, rotation, opacity or colour`);
  if (zeroRotation > 0) notes.push(`${zeroRotation} splats had a zero-length rotation quaternion: set to identity`);
  if (kept === 0) throw plyError('ply-invalid', name, `has no usable splat (all ${n} have NaN or infinite values)`);

  const count = kept;
  const scene = {
    count,
    positions: kept < n ? positions.slice(0, count * 3) : positions,
    colors: kept < n ? colors.slice(0, count * 3) : colors,
    scales: kept < n ? scales.slice(0, count * 3) : scales,
    rotations: kept < n ? rotations.slice(0, count * 4) : rotations,
    opacities: kept < n ? opacities.slice(0, count) : opacities,
  };
  if (!isGaussian) {
    const s = pointCloudSplatSize(scene.positions);
    scene.scales.fill(s);
    notes.push(
      `point-cloud PLY "${name}": ${count} opaque round splats of size ${s.toPrecision(3)} (from the point density)`,
    );
  }

  const width = opts.width ?? IO_DEFAULTS.plyReferenceSize.width;
  const height = opts.height ?? IO_DEFAULTS.plyReferenceSize.height;
  const { reference, pivot, note } = defaultReferenceFor(scene.positions, width, height);
  notes.push(
    note,
    `PLY "${name}": ${count} ${isGaussian ? 'Gaussians' : 'points'}, units relative (scale of the capture)`,
  );
  return {
    ...scene,
    units: 'relative',
    reference,
    up: [...DEFAULT_UP] as Vec3,
    pivot,
    bounds: sceneBounds(scene.positions),
    notes,
  };
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Per-axis percentiles (0..100) of N × 3 positions, from an even sample of at most IO_DEFAULTS.plyStatsSample points. */
function positionPercentiles(positions: Float32Array, percents: readonly number[]): Vec3[] {
  const n = positions.length / 3;
  const step = Math.max(1, Math.ceil(n / IO_DEFAULTS.plyStatsSample));
  const m = Math.ceil(n / step);
  const axes = [new Float32Array(m), new Float32Array(m), new Float32Array(m)];
  for (let i = 0, k = 0; i < n; i += step, k++) for (let a = 0; a < 3; a++) axes[a][k] = positions[i * 3 + a];
  axes.forEach((ax) => ax.sort());
  return percents.map((p) => {
    const at = Math.min(m - 1, Math.max(0, Math.round(((m - 1) * p) / 100)));
    return [axes[0][at], axes[1][at], axes[2][at]] as Vec3;
  });
}

/** Isotropic splat size for a point cloud: half the mean spacing of N points spread over the robust box's surface. */
function pointCloudSplatSize(positions: Float32Array): number {
  const [lo, hi] = positionPercentiles(positions, IO_DEFAULTS.plyFramingPercentiles);
  const diag = Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
  const n = positions.length / 3;
  return diag > 0 ? (0.5 * diag) / Math.sqrt(n) : 0.01;
}

/**
 * A reference camera for a scene that came without one: looking along +z at the median of the
 * positions, from just far enough for a 60° hfov to frame the 5–95 percentile box, up = −y.
 */
export function defaultReferenceFor(
  positions: Float32Array,
  width: number,
  height: number,
): { reference: Camera; pivot: Vec3; note: string } {
  if (positions.length < 3) throw new VantageError('bad-scene', 'cannot frame an empty scene: it has no positions');
  const [pLo, pHi] = IO_DEFAULTS.plyFramingPercentiles;
  const [lo, median, hi] = positionPercentiles(positions, [pLo, 50, pHi]);
  const pivot: Vec3 = [median[0], median[1], median[2]];
  // radius of the robust box as seen from its median point
  let radius = 0;
  for (const cx of [lo[0], hi[0]])
    for (const cy of [lo[1], hi[1]])
      for (const cz of [lo[2], hi[2]]) {
        radius = Math.max(radius, Math.hypot(cx - pivot[0], cy - pivot[1], cz - pivot[2]));
      }
  if (!(radius > 1e-9)) radius = 1;
  const intrinsics = intrinsicsFromHfov(width, height, DEFAULT_HFOV_DEG);
  const vfov = 2 * Math.atan(height / 2 / intrinsics.fy);
  const halfFov = Math.min(deg2rad(DEFAULT_HFOV_DEG), vfov) / 2;
  const distance = (IO_DEFAULTS.plyFramingMargin * radius) / Math.sin(halfFov);
  const eye: Vec3 = [pivot[0], pivot[1], pivot[2] - distance];
  const reference = makeCamera(intrinsics, lookAt(eye, pivot, DEFAULT_UP));
  const f = (v: number) => Number(v.toPrecision(4));
  const note =
    `reference camera assumed (a PLY has none): ${DEFAULT_HFOV_DEG}° hfov, looking along +z at the median of the positions ` +
    `(${pivot.map(f).join(', ')}) from ${f(distance)} units to frame their ${pLo}–${pHi} percentile box; up = −y (OpenCV-like capture)`;
  return { reference, pivot, note };
}
