import type { ErrorCode } from '../core/errors.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkSameSize,
  depthPreviewPng,
  detectDepthFormat,
  encodeNpy,
  encodePfm,
  readDepth,
  sanitizeDepth,
  turbo,
  writeDepth,
} from '../core/io/depth.js';
import { readImage } from '../core/io/image.js';
import { describeShared, sharedPath } from './support/shared-data.js';
import { expectVantage } from './support/expect-vantage.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-io-depth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string) => join(dir, name);

async function writeU16Png(path: string, values: number[], width: number, height: number): Promise<void> {
  const png = await sharp(Uint16Array.from(values), { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
  writeFileSync(path, png);
}

/** Hand-made .npy (v1.0) with any header text and payload. */
function npyBytes(header: string, payload: Buffer): Buffer {
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  const h = header + ' '.repeat(pad) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  return Buffer.concat([pre, Buffer.from(h, 'latin1'), payload]);
}

const f32le = (vals: number[]) => {
  const b = Buffer.alloc(vals.length * 4);
  vals.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
};

function median(depth: Float32Array): number {
  const v = depth.filter((d) => d > 0).sort(); // typed-array sort is numeric
  return v[v.length >> 1];
}

describeShared('readDepth: real RGB-D files in ../shared/data', () => {
  it('Open3D depth/00000.png is uint16 millimetres', async () => {
    const d = await readDepth(sharedPath('rgbd/open3d/depth/00000.png'));
    expect(d.format).toBe('png16');
    expect([d.width, d.height, d.units]).toEqual([640, 480, 'metres']);
    // raw uint16 values read independently with sharp
    const { data } = await sharp(sharedPath('rgbd/open3d/depth/00000.png'))
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    for (const [u, v] of [
      [320, 240],
      [100, 400],
      [600, 50],
      [10, 470],
    ]) {
      const raw = data.readUInt16LE((v * 640 + u) * 2);
      expect(d.depth[v * 640 + u]).toBeCloseTo(raw / 1000, 6);
    }
    expect(d.depth[240 * 640 + 320]).toBeCloseTo(2.195, 3);
    expect(d.stats.valid / (640 * 480)).toBeGreaterThan(0.8);
    expect(d.stats.min).toBeGreaterThan(0.5); // a living room: no depth under half a metre …
    expect(d.stats.max).toBeLessThan(6); // … nor beyond a few metres
    expect(d.stats.valid + d.stats.invalid).toBe(640 * 480);
  });

  it.each([
    ['TUM', 'rgbd/open3d/other_formats/TUM_depth.png', 'tum'],
    ['NYU', 'rgbd/open3d/other_formats/NYU_depth.pgm', 'nyu'],
    ['NYU (auto)', 'rgbd/open3d/other_formats/NYU_depth.pgm', 'auto'],
    ['SUN3D', 'rgbd/open3d/other_formats/SUN_depth.png', 'sun3d'],
  ] as const)('%s: mostly valid, indoor median depth', async (_label, rel, format) => {
    const d = await readDepth(sharedPath(rel), { format });
    expect([d.width, d.height]).toEqual([640, 480]);
    expect(d.stats.valid / (640 * 480)).toBeGreaterThan(0.7);
    const m = median(d.depth);
    expect(m).toBeGreaterThan(0.5);
    expect(m).toBeLessThan(6);
    expect(d.stats.min).toBeGreaterThan(0.3);
    expect(d.stats.max).toBeLessThan(12);
  });

  it('NYU: the little-endian sample order is detected and noted; auto picks nyu for .pgm', async () => {
    const d = await readDepth(sharedPath('rgbd/open3d/other_formats/NYU_depth.pgm'));
    expect(d.format).toBe('nyu');
    expect(d.notes.join('\n')).toMatch(/little-endian/);
  });

  it('SUN3D read without its bit rotation gives nonsense depth (the format matters)', async () => {
    const d = await readDepth(sharedPath('rgbd/open3d/other_formats/SUN_depth.png'), { format: 'png16' });
    expect(median(d.depth)).toBeGreaterThan(6);
  });

  it('image and depth of the same frame have the same size', async () => {
    const img = await readImage(sharedPath('rgbd/open3d/color/00000.jpg'));
    const d = await readDepth(sharedPath('rgbd/open3d/depth/00000.png'));
    expect(() => checkSameSize({ ...img, name: '00000.jpg' }, { ...d, name: '00000.png' })).not.toThrow();
  });
});

describe('readDepth: files written here', () => {
  it('16-bit PNG: exact values, default millimetres, tum ÷5000, explicit scale', async () => {
    const path = tmp('d16.png');
    await writeU16Png(path, [0, 1, 1000, 65535, 2500, 1234], 3, 2);
    const d = await readDepth(path);
    expect(Array.from(d.depth)).toEqual([0, 0.001, 1, 65.535, 2.5, 1.234].map(Math.fround));
    expect(d.stats).toMatchObject({ valid: 5, invalid: 1, min: Math.fround(0.001), max: Math.fround(65.535) });
    const tum = await readDepth(path, { format: 'tum' });
    expect(tum.depth[2]).toBeCloseTo(0.2, 7);
    const scaled = await readDepth(path, { scale: 100 });
    expect(scaled.depth[2]).toBeCloseTo(10, 6);
  });

  it('units belong to the format: no scale means png16 mm, TUM ÷5000, float metres; the units are noted', async () => {
    // a 2 m wall in every format: before, a CLI default scale of 1000 made float metres millimetres
    const png = tmp('wall.png');
    await writeU16Png(png, [2000, 2000, 2000, 2000], 2, 2);
    const mm = await readDepth(png);
    expect(mm.depth[0]).toBeCloseTo(2, 6);
    expect(mm.notes.join('\n')).toMatch(/depth units of ".*wall.png": uint16 ÷ 1000 \(millimetres\)/);
    const tumPath = tmp('wall-tum.png');
    await writeU16Png(tumPath, [10000, 10000, 10000, 10000], 2, 2);
    const tum = await readDepth(tumPath, { format: 'tum' });
    expect(tum.depth[0]).toBeCloseTo(2, 6);
    expect(tum.notes.join('\n')).toMatch(/÷ 5000/);
    const npy = tmp('wall.npy');
    writeFileSync(npy, encodeNpy(new Float32Array([2, 2, 2, 2]), 2, 2));
    const f = await readDepth(npy);
    expect(f.depth[0]).toBeCloseTo(2, 6);
    expect(f.notes.join('\n')).toMatch(/float metres/);
    expect(f.notes.join('\n')).not.toMatch(/warning/);
    // an explicit scale still overrides where it applies
    expect((await readDepth(npy, { scale: 1000 })).depth[0]).toBeCloseTo(0.002, 6);
  });

  it('an implausible median depth is a clear warning (wrong scale or format)', async () => {
    const tiny = tmp('tiny.npy');
    writeFileSync(tiny, encodeNpy(new Float32Array([1e-30, 1e-30, 1e-30, 1e-30]), 2, 2));
    expect((await readDepth(tiny)).notes.join('\n')).toMatch(/warning: median depth .* not a plausible scene/);
    const far = tmp('far.npy');
    writeFileSync(far, encodeNpy(new Float32Array([5000, 5000, 5000, 5000]), 2, 2));
    expect((await readDepth(far)).notes.join('\n')).toMatch(/warning: median depth of .* 5\.00e\+3 m/);
  });

  it('SUN3D bit rotation', async () => {
    const mm = [1234, 0, 5000, 800];
    const stored = mm.map((d) => ((d << 3) | (d >> 13)) & 0xffff);
    const path = tmp('sun.png');
    await writeU16Png(path, stored, 2, 2);
    const d = await readDepth(path, { format: 'sun3d' });
    expect(Array.from(d.depth)).toEqual([1.234, 0, 5, 0.8].map(Math.fround));
  });

  it('NYU disparity in a standard big-endian PGM', async () => {
    const disp = [500, 2047, 1000, 1092];
    const body = Buffer.alloc(8);
    disp.forEach((v, i) => body.writeUInt16BE(v, i * 2));
    const path = tmp('nyu.pgm');
    writeFileSync(path, Buffer.concat([Buffer.from('P5\n2 2\n65535\n'), body]));
    const d = await readDepth(path);
    expect(d.format).toBe('nyu');
    expect(d.depth[0]).toBeCloseTo(351.3 / (1092.5 - 500), 5);
    expect(d.depth[1]).toBe(0); // 2047: no reading
    expect(d.depth[2]).toBeCloseTo(351.3 / 92.5, 5);
    expect(d.depth[3]).toBeCloseTo(351.3 / 0.5, 3);
    expect(d.notes.join(' ')).not.toMatch(/little-endian/);
  });

  it('npy float32 (H, W), float64 (1, H, W), uint16 (H, W, 1) in millimetres, big-endian float32', async () => {
    const p1 = tmp('a.npy');
    writeFileSync(p1, encodeNpy(Float32Array.from([1, 2.5, 0, 4, 5, 6]), 3, 2));
    const a = await readDepth(p1);
    expect([a.format, a.width, a.height]).toEqual(['npy', 3, 2]);
    expect(Array.from(a.depth)).toEqual([1, 2.5, 0, 4, 5, 6]);

    const f64 = Buffer.alloc(4 * 8);
    [0.5, 1.5, 2.5, 3.5].forEach((v, i) => f64.writeDoubleLE(v, i * 8));
    const p2 = tmp('b.npy');
    writeFileSync(p2, npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", f64));
    expect(Array.from((await readDepth(p2)).depth)).toEqual([0.5, 1.5, 2.5, 3.5]);

    const u16 = Buffer.alloc(4);
    u16.writeUInt16LE(1500, 0);
    u16.writeUInt16LE(250, 2);
    const p3 = tmp('c.npy');
    writeFileSync(p3, npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2, 1), }", u16));
    const c = await readDepth(p3);
    expect([c.width, c.height]).toEqual([1, 2]);
    expect(Array.from(c.depth)).toEqual([1.5, 0.25]);
    expect(c.notes.join(' ')).toMatch(/millimetres/);

    const be = Buffer.alloc(8);
    be.writeFloatBE(3.25, 0);
    be.writeFloatBE(7, 4);
    const p4 = tmp('d.npy');
    writeFileSync(p4, npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", be));
    expect(Array.from((await readDepth(p4)).depth)).toEqual([3.25, 7]);
  });

  it('pfm: Pf round trip (rows bottom-to-top), PF takes the first channel, big-endian', async () => {
    const vals = Float32Array.from([1, 2, 3, 4, 5, 6]); // 3×2, top row 1 2 3
    const p1 = tmp('a.pfm');
    writeFileSync(p1, encodePfm(vals, 3, 2));
    // the first stored row is the bottom one
    expect(readFileSync(p1).readFloatLE(Buffer.from('Pf\n3 2\n-1.0\n').length)).toBe(4);
    const a = await readDepth(p1);
    expect(a.format).toBe('pfm');
    expect(Array.from(a.depth)).toEqual([1, 2, 3, 4, 5, 6]);

    // PF, 2×2, big-endian (positive scale); stored bottom row first: (7,8) then (9,10) on top
    const body = Buffer.alloc(2 * 2 * 3 * 4);
    [7, 0, 0, 8, 0, 0, 9, 0, 0, 10, 0, 0].forEach((v, i) => body.writeFloatBE(v, i * 4));
    const p2 = tmp('b.pfm');
    writeFileSync(p2, Buffer.concat([Buffer.from('PF\n2 2\n1.0\n'), body]));
    expect(Array.from((await readDepth(p2)).depth)).toEqual([9, 10, 7, 8]);
  });

  it('NaN, infinite and negative depths become 0 and are counted', async () => {
    const path = tmp('mixed.npy');
    writeFileSync(path, encodeNpy(Float32Array.from([1, NaN, -2, Infinity, -Infinity, 0, 3, -0.5]), 4, 2));
    const d = await readDepth(path);
    expect(Array.from(d.depth)).toEqual([1, 0, 0, 0, 0, 0, 3, 0]);
    expect(d.stats).toEqual({ valid: 2, invalid: 6, min: 1, max: 3, negative: 2, nonFinite: 3 });
    expect(d.notes.join('\n')).toMatch(/2 negative depth values/);
    expect(d.notes.join('\n')).toMatch(/3 NaN\/infinite/);
  });

  it('writeDepth: .png (uint16 mm), .npy, .pfm read back', async () => {
    const depth = Float32Array.from([0.5, 1.25, 0, 3.001, NaN, 70]);
    const png = await (async () => {
      await writeDepth(tmp('w.png'), depth, 3, 2);
      return readDepth(tmp('w.png'));
    })();
    expect(Array.from(png.depth)).toEqual([0.5, 1.25, 0, 3.001, 0, 0].map(Math.fround)); // 70 m does not fit in uint16 mm
    for (const ext of ['npy', 'pfm']) {
      await writeDepth(tmp(`w.${ext}`), depth, 3, 2);
      const back = await readDepth(tmp(`w.${ext}`));
      expect(Array.from(back.depth)).toEqual([0.5, 1.25, 0, 3.001, 0, 70].map(Math.fround));
    }
    await expectVantage(writeDepth(tmp('w.tiff'), depth, 3, 2), 'bad-option', 'w.tiff', /\.png/);
  });

  it('depthPreviewPng: near is warm, far is cool, no depth is black', async () => {
    const depth = Float32Array.from([1, 1.5, 2, 4, 0, 8]);
    const png = await depthPreviewPng(depth, 3, 2);
    const img = await readImage(png);
    expect([img.width, img.height]).toEqual([3, 2]);
    const px = (i: number) => Array.from(img.rgb.subarray(i * 3, i * 3 + 3));
    expect(px(0)[0]).toBeGreaterThan(px(0)[2]); // 1 m: red-ish
    expect(px(5)[2]).toBeGreaterThan(px(5)[0]); // 8 m: blue-ish
    expect(px(4)).toEqual([0, 0, 0]);
    expect(turbo(0.15)[2]).toBeGreaterThan(turbo(0.15)[0]);
    expect(turbo(1)[0]).toBeGreaterThan(turbo(1)[2]);
  });

  it('detectDepthFormat by extension, then by magic bytes', () => {
    expect(detectDepthFormat('a.NPY')).toBe('npy');
    expect(detectDepthFormat('a.pfm')).toBe('pfm');
    expect(detectDepthFormat('a.pgm')).toBe('nyu');
    expect(detectDepthFormat('a.png')).toBe('png16');
    expect(detectDepthFormat('depth.bin', encodeNpy(new Float32Array(1), 1, 1))).toBe('npy');
    expect(detectDepthFormat('depth.bin', encodePfm(new Float32Array(1), 1, 1))).toBe('pfm');
  });

  it('sanitizeDepth on an all-invalid map', () => {
    expect(sanitizeDepth(Float32Array.from([0, NaN, -1]))).toEqual({
      valid: 0,
      invalid: 3,
      min: 0,
      max: 0,
      negative: 1,
      nonFinite: 1,
    });
  });
});

describe('readDepth: bad input', () => {
  it('an 8-bit PNG given as depth', async () => {
    const path = tmp('eight.png');
    writeFileSync(
      path,
      await sharp(Uint8Array.from([10, 20, 30, 40]), { raw: { width: 2, height: 2, channels: 1 } })
        .png()
        .toBuffer(),
    );
    const e = await expectVantage(readDepth(path), 'depth-not-16bit', 'eight.png', /8-bit/, /must be a 16-bit/);
    expect(e.hint).toMatch(/uint16/);
  });

  it('an 8-bit PGM given as NYU depth', async () => {
    const path = tmp('eight.pgm');
    writeFileSync(path, Buffer.concat([Buffer.from('P5 2 1 255\n'), Buffer.from([1, 2])]));
    await expectVantage(readDepth(path), 'depth-not-16bit', 'eight.pgm', /8-bit PGM/, /16-bit/);
  });

  it('an RGB 16-bit PNG given as depth', async () => {
    const path = tmp('rgb16.png');
    writeFileSync(
      path,
      await sharp(new Uint16Array(12), { raw: { width: 2, height: 2, channels: 3 } })
        .toColourspace('rgb16')
        .png()
        .toBuffer(),
    );
    await expectVantage(readDepth(path), 'depth-not-16bit', 'rgb16.png', /single-channel/);
  });

  it('a corrupt PNG', async () => {
    const path = tmp('corrupt-depth.png');
    const png = Buffer.from(
      await sharp(
        Uint16Array.from({ length: 1024 }, (_, i) => i * 50),
        { raw: { width: 32, height: 32, channels: 1 } },
      )
        .toColourspace('grey16')
        .png()
        .toBuffer(),
    );
    for (let i = 60; i < png.length - 12; i++) png[i] ^= 0x33;
    writeFileSync(path, png);
    await expectVantage(readDepth(path), 'depth-corrupt', 'corrupt-depth.png', /cannot be decoded/, /16-bit PNG/);
  });

  it('an all-zero depth map', async () => {
    const path = tmp('zeros.png');
    await writeU16Png(path, [0, 0, 0, 0], 2, 2);
    await expectVantage(readDepth(path), 'depth-no-valid', 'zeros.png', /no valid pixel/);
  });

  it('an all-NaN / negative float depth map', async () => {
    const path = tmp('nan.npy');
    writeFileSync(path, encodeNpy(Float32Array.from([NaN, -1, -Infinity, 0]), 2, 2));
    await expectVantage(readDepth(path), 'depth-no-valid', 'nan.npy', /no valid pixel/);
  });

  it('npy: bad magic, bad header, fortran order, unknown dtype, wrong rank, truncated', async () => {
    const cases: [string, Buffer, ErrorCode, RegExp][] = [
      ['magic.npy', Buffer.from('NUMPY? not really, just text'), 'depth-corrupt', /not a NumPy/],
      ['header.npy', npyBytes('{this is not a dict}', f32le([1])), 'depth-corrupt', /malformed header/],
      [
        'fortran.npy',
        npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f32le([1, 2, 3, 4])),
        'depth-corrupt',
        /Fortran/,
      ],
      [
        'dtype.npy',
        npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", Buffer.alloc(8)),
        'depth-bad-dtype',
        /'<i8'.*float32/,
      ],
      [
        'rank.npy',
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", f32le([1, 2, 3, 4, 5, 6, 7, 8])),
        'depth-corrupt',
        /\(2, 2, 2\)/,
      ],
      [
        'short.npy',
        npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", f32le([1, 2, 3])),
        'depth-corrupt',
        /truncated/,
      ],
    ];
    for (const [name, bytes, code, re] of cases) {
      writeFileSync(tmp(name), bytes);
      await expectVantage(readDepth(tmp(name)), code, name, re);
    }
  });

  it('pfm: truncated, bad header', async () => {
    writeFileSync(tmp('short.pfm'), Buffer.concat([Buffer.from('Pf\n4 4\n-1.0\n'), f32le([1, 2])]));
    await expectVantage(readDepth(tmp('short.pfm')), 'depth-corrupt', 'short.pfm', /truncated/);
    writeFileSync(tmp('bad.pfm'), Buffer.from('P7\n4 4\n-1.0\nxxxxxxxxxxxxxxxx'));
    await expectVantage(readDepth(tmp('bad.pfm')), 'depth-corrupt', 'bad.pfm', /"Pf"/);
  });

  it('a missing depth file, an unknown format name, a bad scale, a scale on NYU', async () => {
    await expectVantage(readDepth(tmp('nowhere.png')), 'file-not-found', 'nowhere.png', /depth map/);
    await expectVantage(readDepth(tmp('zeros.png'), { format: 'exr' as never }), 'bad-option', /exr/);
    await expectVantage(readDepth(tmp('zeros.png'), { scale: -3 }), 'bad-option', /positive/);
    writeFileSync(tmp('n.pgm'), Buffer.concat([Buffer.from('P5 1 1 65535\n'), Buffer.from([1, 0])]));
    await expectVantage(readDepth(tmp('n.pgm'), { scale: 1000 }), 'bad-option', /NYU/);
  });

  it('image and depth of different sizes', async () => {
    const e = await expectVantage(
      () => checkSameSize({ width: 640, height: 480, name: 'photo.jpg' }, { width: 320, height: 240, name: 'd.png' }),
      'size-mismatch',
    );
    expect(e.message).toBe(
      'image photo.jpg is 640×480 but depth d.png is 320×240; they must match (resize the depth or pass matching files)',
    );
  });
});
