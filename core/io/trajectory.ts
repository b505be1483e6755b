/**
 * Camera trajectories: one camera-to-world pose per frame, returned column-major (gl-matrix layout).
 *
 * Accepted files:
 * - Redwood / Open3D `.log`: per frame a metadata line "i j n", then the 4×4 as four text rows
 *   (row-major as written; converted here).
 * - JSON, any of:
 *     [ M, M, … ]                        a list of matrices
 *     { "frames": [ { "c2w": M }, … ] }  (also "poses": [ M, … ])
 *   where each M is either nested [[r0], [r1], [r2], [r3]] — four ROWS, row-major, as people write
 *   matrices — or a flat list of 16 numbers in COLUMN-major order (gl-matrix, Vantage's own layout,
 *   translation in entries 12, 13, 14).
 * Every pose must be rigid (orthonormal rotation, last row 0 0 0 1).
 */
import { invertPose, isRigidPose, multiply } from '../camera.js';
import { VantageError } from '../errors.js';
import { extensionOf, parseJsonText, readFileCapped } from './files.js';

const MAX_TRAJECTORY_BYTES = 256 * 1024 ** 2;

/** c2w per frame (column-major) from a Redwood .log or a JSON trajectory. */
export async function readTrajectory(path: string): Promise<Float64Array[]> {
  const bytes = await readFileCapped(path, { what: 'trajectory', maxBytes: MAX_TRAJECTORY_BYTES });
  if (bytes.subarray(0, 4096).includes(0)) {
    throw new VantageError(
      'bad-trajectory',
      `trajectory "${path}" is a binary file, not text`,
      'expected a Redwood .log (text) or a JSON list of 4×4 camera-to-world matrices',
    );
  }
  const text = bytes.toString('utf8');
  const ext = extensionOf(path);
  const looksJson = ext === '.json' || /^\s*[[{]/.test(text);
  const poses = looksJson ? posesFromJson(text, path) : posesFromRedwoodLog(text, path);
  if (poses.length === 0) {
    throw new VantageError(
      'bad-trajectory',
      `trajectory "${path}" holds no pose`,
      'expected at least one 4×4 camera-to-world matrix',
    );
  }
  poses.forEach((m, i) => checkRigid(m, i, path));
  return poses;
}

/** Poses re-expressed in the frame of pose 0 (world = reference camera 0's frame): P0⁻¹ · Pi. */
export function relativeToFirst(poses: readonly Float64Array[]): Float64Array[] {
  if (poses.length === 0) return [];
  const inv0 = invertPose(poses[0]);
  return poses.map((p, i) => {
    const m = multiply(inv0, p);
    if (i === 0) {
      // exactly the identity, not 1e-17 noise: frame 0 *is* the world
      m.fill(0);
      m[0] = m[5] = m[10] = m[15] = 1;
    }
    return m;
  });
}

/** Column-major 4×4 from 16 row-major numbers. */
export function columnMajorFromRowMajor(r: ArrayLike<number>): Float64Array {
  const m = new Float64Array(16);
  for (let row = 0; row < 4; row++) for (let col = 0; col < 4; col++) m[col * 4 + row] = r[row * 4 + col];
  return m;
}

function posesFromRedwoodLog(text: string, path: string): Float64Array[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  if (lines.length % 5 !== 0) {
    throw new VantageError(
      'bad-trajectory',
      `trajectory "${path}" has ${lines.length} non-empty lines; a Redwood .log has 5 per frame (a line "i j n", then 4 matrix rows)`,
      'check that the file is complete, or use a JSON list of 4×4 matrices',
    );
  }
  const poses: Float64Array[] = [];
  for (let f = 0; f < lines.length / 5; f++) {
    const header = lines[f * 5].split(/\s+/);
    if (header.length !== 3 || header.some((t) => !/^-?\d+$/.test(t))) {
      throw new VantageError(
        'bad-trajectory',
        `trajectory "${path}", frame ${f}: expected a header line of three integers "i j n", got "${lines[f * 5]}"`,
        'a Redwood .log has per frame a line "i j n" then the 4×4 as four rows',
      );
    }
    const rows: number[] = [];
    for (let r = 1; r <= 4; r++) {
      const vals = lines[f * 5 + r].split(/\s+/).map(Number);
      if (vals.length !== 4 || vals.some((v) => !Number.isFinite(v))) {
        throw new VantageError(
          'bad-trajectory',
          `trajectory "${path}", frame ${f}: matrix row ${r} must be four numbers, got "${lines[f * 5 + r]}"`,
        );
      }
      rows.push(...vals);
    }
    poses.push(columnMajorFromRowMajor(rows));
  }
  return poses;
}

function posesFromJson(text: string, path: string): Float64Array[] {
  const json = parseJsonText(text, { what: 'trajectory', name: path, code: 'bad-trajectory' });
  let list: unknown[];
  if (Array.isArray(json)) list = json;
  else if (json && typeof json === 'object' && Array.isArray((json as { frames?: unknown }).frames))
    list = (json as { frames: unknown[] }).frames;
  else if (json && typeof json === 'object' && Array.isArray((json as { poses?: unknown }).poses))
    list = (json as { poses: unknown[] }).poses;
  else {
    throw new VantageError(
      'bad-trajectory',
      `trajectory "${path}" must be a JSON list of 4×4 matrices or {"frames":[{"c2w":…}]}`,
      'each matrix: nested [[row0],[row1],[row2],[row3]] (row-major) or 16 numbers column-major',
    );
  }
  return list.map((item, i) => {
    const m = item && typeof item === 'object' && !Array.isArray(item) ? (item as { c2w?: unknown }).c2w : item;
    if (m === undefined)
      throw new VantageError('bad-trajectory', `trajectory "${path}", frame ${i}: object has no "c2w" matrix`);
    return matrixFromJson(m, i, path);
  });
}

function matrixFromJson(m: unknown, i: number, path: string): Float64Array {
  const isNums = (a: unknown, n: number): a is number[] =>
    Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (Array.isArray(m) && m.length === 4 && m.every((row) => isNums(row, 4))) {
    return columnMajorFromRowMajor((m as number[][]).flat()); // nested rows: row-major
  }
  if (isNums(m, 16)) return Float64Array.from(m); // flat: column-major (gl-matrix)
  throw new VantageError(
    'bad-trajectory',
    `trajectory "${path}", frame ${i}: expected a 4×4 matrix as four rows of four numbers, or 16 numbers (column-major)`,
    'e.g. [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]',
  );
}

function checkRigid(m: Float64Array, i: number, path: string): void {
  if (isRigidPose(m)) return;
  const transposedLooksRigid = isRigidPose(columnMajorFromRowMajor(m));
  throw new VantageError(
    'bad-trajectory',
    `trajectory "${path}", frame ${i}: not a rigid camera-to-world pose (rotation must be orthonormal with det +1, last row 0 0 0 1)`,
    transposedLooksRigid
      ? 'it looks transposed: flat lists of 16 are column-major (translation in entries 12, 13, 14); write nested rows for row-major'
      : 'check the matrix; scale or shear is not allowed',
  );
}

/**
 * A trajectory as `readTrajectory` reads it back: a JSON list of 4×4 camera-to-world matrices, each as
 * four rows (row-major, as people write matrices); `null` stands for a pose that is unknown.
 */
export function trajectoryJson(poses: readonly (ArrayLike<number> | undefined)[]): string {
  const rows = (m: ArrayLike<number>) =>
    [0, 1, 2, 3].map((r) => `[${[0, 1, 2, 3].map((c) => Number(m[c * 4 + r].toFixed(8))).join(', ')}]`);
  return `[\n${poses.map((m) => (m ? `  [${rows(m).join(', ')}]` : '  null')).join(',\n')}\n]\n`;
}
