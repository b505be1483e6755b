import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraAxes, projectCameraPoint, worldToCamera } from '../core/camera.js';
import type { Scene, Vec3 } from '../core/types.js';
import { SH_C0, defaultReferenceFor, parsePlyHeader, readPly, sceneFromPly } from '../core/io/ply-read.js';
import { encodePly, writePly } from '../core/io/ply-write.js';
import { describeShared, sharedPath } from './support/shared-data.js';
import { expectVantage } from './support/expect-vantage.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-io-ply-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string) => join(dir, name);

type T = 'float' | 'double' | 'uchar' | 'int' | 'short';
const SIZE: Record<T, number> = { float: 4, double: 8, uchar: 1, int: 4, short: 2 };

/** A PLY file with one vertex element of the given properties and rows. */
function makePly(props: [string, T][], rows: number[][], format = 'binary_little_endian', extraHeader = ''): Buffer {
  const header =
    `ply\nformat ${format} 1.0\ncomment test\n${extraHeader}element vertex ${rows.length}\n` +
    props.map(([n, t]) => `property ${t} ${n}\n`).join('') +
    'end_header\n';
  if (format === 'ascii') return Buffer.from(header + rows.map((r) => r.join(' ')).join('\n') + '\n');
  const le = format === 'binary_little_endian';
  const stride = props.reduce((s, [, t]) => s + SIZE[t], 0);
  const body = Buffer.alloc(stride * rows.length);
  rows.forEach((row, i) => {
    let o = i * stride;
    props.forEach(([, t], j) => {
      const v = row[j];
      if (t === 'float') void (le ? body.writeFloatLE(v, o) : body.writeFloatBE(v, o));
      else if (t === 'double') void (le ? body.writeDoubleLE(v, o) : body.writeDoubleBE(v, o));
      else if (t === 'uchar') body.writeUInt8(v, o);
      else if (t === 'short') void (le ? body.writeInt16LE(v, o) : body.writeInt16BE(v, o));
      else void (le ? body.writeInt32LE(v, o) : body.writeInt32BE(v, o));
      o += SIZE[t];
    });
  });
  return Buffer.concat([Buffer.from(header, 'latin1'), body]);
}

const STD: [string, T][] = [
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
].map((n) => [n, 'float']);
/** One splat in the standard order: position, colour 0..1, opacity 0..1, std-devs, quaternion (w,x,y,z, unnormalised ok). */
const splat = (p: Vec3, c: Vec3, o: number, s: Vec3, q: [number, number, number, number]) => [
  ...p,
  ...c.map((v) => (v - 0.5) / SH_C0),
  Math.log(o / (1 - o)),
  ...s.map(Math.log),
  ...q,
];

describe('sceneFromPly: synthetic files', () => {
  it('converts the standard 3DGS layout: SH DC → colour, logit → opacity, log → scale, normalised rotation', () => {
    const buf = makePly(STD, [
      splat([1, 2, 3], [0.2, 0.5, 0.9], 0.75, [0.01, 0.02, 0.5], [2, 0, 0, 0]),
      splat([-1, 0, 5], [0, 1, 0.25], 0.1, [1, 1, 1], [1, 1, 1, 1]),
    ]);
    const s = sceneFromPly(buf, { name: 'two.ply' });
    expect(s.count).toBe(2);
    expect(Array.from(s.positions)).toEqual([1, 2, 3, -1, 0, 5]);
    [0.2, 0.5, 0.9, 0, 1, 0.25].forEach((c, i) => expect(s.colors[i]).toBeCloseTo(c, 5));
    expect(s.opacities[0]).toBeCloseTo(0.75, 6);
    expect(s.opacities[1]).toBeCloseTo(0.1, 6);
    [0.01, 0.02, 0.5, 1, 1, 1].forEach((v, i) => expect(s.scales[i]).toBeCloseTo(v, 6));
    [1, 0, 0, 0, 0.5, 0.5, 0.5, 0.5].forEach((v, i) => expect(s.rotations[i]).toBeCloseTo(v, 6));
    expect(s.units).toBe('relative');
    expect(s.up).toEqual([0, -1, 0]);
    expect(s.bounds).toEqual({ min: [-1, 0, 3], max: [1, 2, 5] });
  });

  it('clamps colours outside 0..1 (large DC terms)', () => {
    const row = splat([0, 0, 0], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0]);
    row[3] = 10;
    row[4] = -10;
    const s = sceneFromPly(makePly(STD, [row]), { name: 'c.ply' });
    expect(Array.from(s.colors)).toEqual([1, 0, 0.5]);
  });

  it('any property order, doubles, normals, f_rest bands (ignored, noted), big-endian', () => {
    const props: [string, T][] = [
      ['rot_3', 'float'],
      ['nx', 'float'],
      ['ny', 'float'],
      ['nz', 'float'],
      ['scale_0', 'double'],
      ['x', 'double'],
      ['y', 'double'],
      ['z', 'double'],
      ['f_dc_2', 'float'],
      ['f_dc_0', 'float'],
      ['f_dc_1', 'float'],
      ...[0, 1, 2, 3, 4, 5].map((i) => [`f_rest_${i}`, 'float'] as [string, T]),
      ['opacity', 'float'],
      ['scale_1', 'float'],
      ['scale_2', 'float'],
      ['rot_0', 'float'],
      ['rot_1', 'float'],
      ['rot_2', 'float'],
    ];
    const row = [
      0,
      0,
      0,
      1,
      Math.log(0.3),
      7,
      8,
      9,
      0,
      (0.8 - 0.5) / SH_C0,
      0,
      9,
      9,
      9,
      9,
      9,
      9,
      0,
      Math.log(0.1),
      Math.log(0.2),
      1,
      0,
      0,
    ];
    for (const format of ['binary_little_endian', 'binary_big_endian', 'ascii']) {
      const f = sceneFromPly(makePly(props, [row], format), { name: `${format}.ply` });
      expect(Array.from(f.positions)).toEqual([7, 8, 9]);
      expect(f.colors[0]).toBeCloseTo(0.8, 5);
      expect(f.colors[1]).toBeCloseTo(0.5, 6);
      expect(f.opacities[0]).toBeCloseTo(0.5, 6);
      expect(Array.from(f.scales).map((v) => Number(v.toFixed(6)))).toEqual([0.3, 0.1, 0.2]);
      expect(f.notes.join('\n')).toMatch(/6 higher-order SH coefficients per splat \(f_rest_\*\) read and ignored/);
    }
  });

  it('skips a face element stored before the vertices (binary, list property)', () => {
    const face = Buffer.from([3, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]); // uchar count 3, three int indices
    const ply = makePly(STD, [splat([4, 5, 6], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0])]);
    const headerEnd = ply.indexOf('end_header\n') + 'end_header\n'.length;
    const header = ply
      .toString('latin1', 0, headerEnd)
      .replace('element vertex', 'element face 1\nproperty list uchar int vertex_indices\nelement vertex');
    const s = sceneFromPly(Buffer.concat([Buffer.from(header, 'latin1'), face, ply.subarray(headerEnd)]), {
      name: 'faces.ply',
    });
    expect(Array.from(s.positions)).toEqual([4, 5, 6]);
  });

  it('drops splats with NaN positions and counts them; zero quaternions become identity', () => {
    const good = splat([0, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0]);
    const nanPos = splat([NaN, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0]);
    const zeroQ = splat([1, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [0, 0, 0, 0]);
    const s = sceneFromPly(makePly(STD, [good, nanPos, nanPos, zeroQ]), { name: 'nan.ply' });
    expect(s.count).toBe(2);
    expect(s.positions.length).toBe(6);
    expect(Array.from(s.rotations.subarray(4, 8))).toEqual([1, 0, 0, 0]);
    expect(s.notes.join('\n')).toMatch(/dropped 2 splats with NaN or infinite positions/);
    expect(s.notes.join('\n')).toMatch(/1 splats had a zero-length rotation/);
  });

  it('reads an ASCII point cloud (x y z red green blue) as opaque round splats', () => {
    const rows = [
      [0, 0, 1, 255, 0, 0],
      [1, 0, 1, 0, 255, 0],
      [0, 1, 1, 0, 0, 255],
      [1, 1, 1, 255, 255, 255],
    ];
    const s = sceneFromPly(
      makePly(
        [
          ['x', 'float'],
          ['y', 'float'],
          ['z', 'float'],
          ['red', 'uchar'],
          ['green', 'uchar'],
          ['blue', 'uchar'],
        ],
        rows,
        'ascii',
      ),
      { name: 'cloud.ply' },
    );
    expect(s.count).toBe(4);
    expect(Array.from(s.colors.subarray(0, 6))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(Array.from(s.opacities)).toEqual([1, 1, 1, 1]);
    expect(s.scales[0]).toBeGreaterThan(0);
    expect(s.scales[0]).toBe(s.scales[1]);
    expect(s.notes.join('\n')).toMatch(/point-cloud PLY/);
  });

  it('defaultReferenceFor: looks along +z at the median, frames the 5–95% box, ignores far floaters', () => {
    const n = 2000;
    const pos = new Float32Array(n * 3);
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < n; i++) {
      pos[i * 3] = 10 + (rnd() - 0.5) * 2;
      pos[i * 3 + 1] = -3 + (rnd() - 0.5) * 2;
      pos[i * 3 + 2] = 5 + (rnd() - 0.5) * 2;
    }
    for (let i = 0; i < 20; i++) pos[i * 3] = 1000; // 1% floaters far away
    const { reference, pivot, note } = defaultReferenceFor(pos, 400, 300);
    expect(pivot[0]).toBeCloseTo(10, 0);
    expect(pivot[1]).toBeCloseTo(-3, 0);
    expect(cameraAxes(reference.c2w).forward.map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([0, 0, 1]);
    expect(cameraAxes(reference.c2w).down.map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([0, 1, 0]);
    expect(reference.intrinsics.width).toBe(400);
    // the pivot projects to the image centre; the box corners stay inside the image
    const c = projectCameraPoint(reference.intrinsics, worldToCamera(reference.c2w, pivot));
    expect(c.x).toBeCloseTo(200, 6);
    expect(c.y).toBeCloseTo(150, 6);
    for (const x of [9, 11])
      for (const y of [-4, -2])
        for (const z of [4, 6]) {
          const q = projectCameraPoint(reference.intrinsics, worldToCamera(reference.c2w, [x, y, z]));
          expect(q.x).toBeGreaterThan(0);
          expect(q.x).toBeLessThan(400);
          expect(q.y).toBeGreaterThan(0);
          expect(q.y).toBeLessThan(300);
        }
    // not pushed kilometres away by the floaters
    expect(reference.c2w[14]).toBeGreaterThan(-10);
    expect(note).toMatch(/reference camera assumed/);
  });
});

describe('sceneFromPly / readPly: bad input', () => {
  const one = () => makePly(STD, [splat([0, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0])]);

  it('not a PLY file', async () => {
    writeFileSync(tmp('photo.ply'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]));
    await expectVantage(readPly(tmp('photo.ply')), 'ply-invalid', 'photo.ply', /not a PLY file/);
  });

  it('a truncated body says how many vertices are there', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => splat([i, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0]));
    const full = makePly(STD, rows);
    writeFileSync(tmp('cut.ply'), full.subarray(0, full.length - 56 * 3 - 20));
    await expectVantage(readPly(tmp('cut.ply')), 'ply-truncated', 'cut.ply', /file ends after 6 of 10 vertices/);
    const ascii = makePly(STD, rows, 'ascii');
    writeFileSync(tmp('cut-ascii.ply'), ascii.subarray(0, ascii.length - 200));
    await expectVantage(
      readPly(tmp('cut-ascii.ply')),
      'ply-truncated',
      'cut-ascii.ply',
      /file ends after \d of 10 vertices/,
    );
  });

  it('missing properties are listed', async () => {
    const props = STD.filter(([n]) => n !== 'opacity' && n !== 'rot_3');
    writeFileSync(tmp('missing.ply'), makePly(props, [new Array(props.length).fill(0)]));
    await expectVantage(
      readPly(tmp('missing.ply')),
      'ply-missing-properties',
      'missing.ply',
      /missing vertex properties: opacity, rot_3/,
    );
    writeFileSync(
      tmp('nocolour.ply'),
      makePly(
        [
          ['x', 'float'],
          ['y', 'float'],
          ['z', 'float'],
        ],
        [[0, 0, 0]],
      ),
    );
    await expectVantage(readPly(tmp('nocolour.ply')), 'ply-missing-properties', 'nocolour.ply', /red, green, blue/);
  });

  it('ascii header with a binary body, and binary header with an ascii body', async () => {
    const bin = one();
    writeFileSync(
      tmp('says-ascii.ply'),
      Buffer.from(bin.toString('latin1').replace('binary_little_endian', 'ascii'), 'latin1'),
    );
    await expectVantage(
      readPly(tmp('says-ascii.ply')),
      'ply-format-mismatch',
      'says-ascii.ply',
      /format ascii.*body is binary/,
    );
    const ascii = makePly(STD, [splat([0, 0, 1], [0.5, 0.5, 0.5], 0.5, [1, 1, 1], [1, 0, 0, 0])], 'ascii');
    writeFileSync(
      tmp('says-binary.ply'),
      Buffer.from(ascii.toString('latin1').replace('format ascii', 'format binary_little_endian'), 'latin1'),
    );
    await expectVantage(
      readPly(tmp('says-binary.ply')),
      'ply-format-mismatch',
      'says-binary.ply',
      /binary_little_endian.*body is ASCII/,
    );
  });

  it('a header without end_header, an unknown format, an unknown type', async () => {
    writeFileSync(tmp('noend.ply'), 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n');
    await expectVantage(readPly(tmp('noend.ply')), 'ply-invalid', 'noend.ply', /end_header/);
    writeFileSync(tmp('fmt.ply'), 'ply\nformat binary_middle_endian 1.0\nend_header\n');
    await expectVantage(readPly(tmp('fmt.ply')), 'ply-invalid', 'fmt.ply', /binary_middle_endian/);
    writeFileSync(tmp('type.ply'), 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n1\n');
    await expectVantage(readPly(tmp('type.ply')), 'ply-invalid', 'type.ply', /unknown property type/);
  });

  it('more splats than the cap', async () => {
    writeFileSync(tmp('many.ply'), one());
    await expectVantage(readPly(tmp('many.ply'), { maxSplats: 0 }), 'ply-too-large', 'many.ply', /over the limit/);
  });

  it('a missing file', async () => {
    await expectVantage(readPly(tmp('absent.ply')), 'file-not-found', 'absent.ply', /PLY scene/);
  });
});

describeShared('readPly: real 3DGS captures in ../shared/data', () => {
  let biker: Scene;
  beforeAll(async () => {
    biker = await readPly(sharedPath('splats/biker.ply'));
  });

  it('biker.ply: 152,746 valid Gaussians', () => {
    expect(biker.count).toBe(152_746);
    const ok = (a: Float32Array, lo: number, hi: number) => a.every((v) => v >= lo && v <= hi);
    expect(ok(biker.colors, 0, 1)).toBe(true);
    expect(ok(biker.opacities, 0, 1)).toBe(true);
    expect(biker.scales.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    for (let i = 0; i < biker.count; i += 997) {
      const q = biker.rotations.subarray(i * 4, i * 4 + 4);
      expect(Math.hypot(...q)).toBeCloseTo(1, 5);
    }
    // colours are not all the same: a real capture
    let mean = 0;
    for (let i = 0; i < biker.colors.length; i++) mean += biker.colors[i];
    expect(mean / biker.colors.length).toBeGreaterThan(0.05);
    expect(mean / biker.colors.length).toBeLessThan(0.95);
  });

  it('biker.ply: bounds contain the pivot; the reference camera sees it at the image centre, upright', () => {
    for (let a = 0; a < 3; a++) {
      expect(biker.pivot[a]).toBeGreaterThanOrEqual(biker.bounds.min[a]);
      expect(biker.pivot[a]).toBeLessThanOrEqual(biker.bounds.max[a]);
    }
    const k = biker.reference.intrinsics;
    const c = projectCameraPoint(k, worldToCamera(biker.reference.c2w, biker.pivot));
    expect(c.x).toBeCloseTo(k.width / 2, 4);
    expect(c.y).toBeCloseTo(k.height / 2, 4);
    // most splat centres are in front of the camera and inside the frame
    let inside = 0;
    for (let i = 0; i < biker.count; i += 10) {
      const p = worldToCamera(biker.reference.c2w, [
        biker.positions[i * 3],
        biker.positions[i * 3 + 1],
        biker.positions[i * 3 + 2],
      ]);
      const q = projectCameraPoint(k, p);
      if (p[2] > 0 && q.x >= 0 && q.x < k.width && q.y >= 0 && q.y < k.height) inside++;
    }
    expect(inside / Math.ceil(biker.count / 10)).toBeGreaterThan(0.9);
    expect(biker.notes.join('\n')).toMatch(/reference camera assumed/);
    expect(biker.up).toEqual([0, -1, 0]);
  });

  it('biker.ply round-trips through writePly', async () => {
    const path = tmp('biker-copy.ply');
    await writePly(path, biker);
    expect(parsePlyHeader(readFileSync(path), path).elements[0].count).toBe(biker.count);
    const back = await readPly(path);
    expect(back.count).toBe(biker.count);
    expect(Array.from(back.positions.subarray(0, 3000))).toEqual(Array.from(biker.positions.subarray(0, 3000)));
    const maxDiff = (a: Float32Array, b: Float32Array, rel = false) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (rel ? Math.abs(b[i]) : 1));
      return m;
    };
    expect(maxDiff(back.colors, biker.colors)).toBeLessThan(1e-6);
    expect(maxDiff(back.opacities, biker.opacities)).toBeLessThan(1e-6);
    expect(maxDiff(back.scales, biker.scales, true)).toBeLessThan(1e-5);
    expect(maxDiff(back.rotations, biker.rotations)).toBeLessThan(1e-6);
    expect(back.pivot).toEqual(biker.pivot);
  });

  it('guitar.ply: 90,854 Gaussians', async () => {
    const guitar = await readPly(sharedPath('splats/guitar.ply'), { width: 320, height: 240 });
    expect(guitar.count).toBe(90_854);
    expect(guitar.reference.intrinsics.width).toBe(320);
    expect(guitar.opacities.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('a truncated real file: "file ends after N of M vertices"', async () => {
    const full = readFileSync(sharedPath('splats/biker.ply'));
    const { bodyOffset } = parsePlyHeader(full, 'biker.ply');
    writeFileSync(tmp('biker-cut.ply'), full.subarray(0, bodyOffset + 56 * 1000 + 20));
    await expectVantage(
      readPly(tmp('biker-cut.ply')),
      'ply-truncated',
      'biker-cut.ply',
      /file ends after 1000 of 152746 vertices/,
    );
  });

  it('encodePly writes the standard property layout', () => {
    const head = encodePly({ ...biker, count: 1 })
      .toString('latin1')
      .split('end_header')[0];
    expect(head).toMatch(/format binary_little_endian 1\.0/);
    for (const p of [
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
    ]) {
      expect(head).toContain(`property float ${p}\n`);
    }
  });
});
