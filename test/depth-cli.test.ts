/**
 * `vantage depth` and depthForImage (what `vantage render --image … --depth-model …` calls): files
 * written, alignment options, the depth-map cache per image + model, and errors users see.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyDepthModel, gradientImage } from '../fixtures/tiny-onnx.js';
import {
  knownModelsText,
  parseAnchors,
  parseNumbers,
  registerDepthCommand,
  runDepthCommand,
} from '../src/commands/depth.js';
import { depthForImage } from '../synth/depth/estimate.js';
import { readDepth } from '../core/io/depth.js';
import { VantageError } from '../core/errors.js';

let dir: string;
let photo: string;
let modelPath: string;
let cacheDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vantage-depth-cli-'));
  cacheDir = join(dir, 'cache');
  modelPath = join(dir, 'tiny.onnx');
  writeFileSync(modelPath, buildTinyDepthModel());
  const img = gradientImage(320, 240);
  photo = join(dir, 'photo.png');
  await sharp(img.rgb, { raw: { width: 320, height: 240, channels: 3 } })
    .png()
    .toFile(photo);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vantage depth', () => {
  it('writes .npy / .png / .pfm depth and a colour preview, and prints what it assumed', async () => {
    const lines: string[] = [];
    const npy = join(dir, 'out', 'depth.npy');
    const preview = join(dir, 'out', 'depth-colour.png');
    const est = await runDepthCommand(
      photo,
      { depthModel: modelPath, out: npy, preview, cacheDir, depthRange: '0.5,5' },
      (s) => lines.push(s),
    );
    expect(est.units).toBe('metres');
    const back = await readDepth(npy);
    expect([back.width, back.height]).toEqual([320, 240]);
    expect(back.depth[120 * 320 + 160]).toBeCloseTo(est.depth[120 * 320 + 160], 5);
    const meta = await sharp(preview).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([320, 240, 3]);
    expect(lines.join('\n')).toMatch(/metres \(da2-relative\)/);
    expect(lines.join('\n')).toMatch(/mapped to the given range/);

    for (const ext of ['png', 'pfm']) {
      const p = join(dir, 'out', `depth.${ext}`);
      await runDepthCommand(photo, { depthModel: modelPath, out: p, cacheDir, depthRange: '0.5,5' }, () => {});
      const d = await readDepth(p);
      expect(Math.abs(d.depth[120 * 320 + 160] - est.depth[120 * 320 + 160])).toBeLessThan(
        ext === 'png' ? 0.001 : 1e-5,
      );
    }
  });

  it('runs through commander with --json, known depth and anchors', async () => {
    const program = new Command().exitOverride();
    registerDepthCommand(program);
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync([
        'node',
        'vantage',
        'depth',
        photo,
        '--depth-model',
        modelPath,
        '--known-depth',
        '160,120,2.5',
        '--json',
        '--cache-dir',
        cacheDir,
      ]);
    } finally {
      process.stdout.write = write;
    }
    const s = JSON.parse(out.join(''));
    expect(s).toMatchObject({
      width: 320,
      height: 240,
      units: 'metres',
      kind: 'da2-relative',
      alignment: { method: 'known-depth' },
    });
    expect(s.notes.join('\n')).toMatch(/686×518|518×/);

    const anchors = join(dir, 'anchors.json');
    writeFileSync(anchors, JSON.stringify([{ u: 40, v: 40, depth: 3 }, [280, 200, 1.2]]));
    expect(await parseAnchors(anchors)).toEqual([
      { u: 40, v: 40, depth: 3 },
      { u: 280, v: 200, depth: 1.2 },
    ]);
    expect(await parseAnchors('40,40,3;280,200,1.2')).toHaveLength(2);
    const est = await runDepthCommand(photo, { depthModel: modelPath, anchors, cacheDir }, () => {});
    expect(est.alignment.method).toBe('anchors');
    expect(est.depth[40 * 320 + 40]).toBeCloseTo(3, 1);
    expect(est.depth[200 * 320 + 280]).toBeCloseTo(1.2, 1);
  });

  it('bad options are clear errors', async () => {
    expect(() => parseNumbers('1,2', 3, '--known-depth', '320,240,2.5')).toThrow(/3 comma-separated numbers/);
    const bad = (await runDepthCommand(
      photo,
      { depthModel: modelPath, out: join(dir, 'd.jpg'), cacheDir },
      () => {},
    ).catch((e: unknown) => e)) as VantageError;
    expect(bad.message).toMatch(/unsupported extension "\.jpg"/);
    expect(bad.hint).toMatch(/\.png \(uint16 millimetres\), \.npy or \.pfm/);
    await expect(runDepthCommand(join(dir, 'nope.jpg'), { depthModel: modelPath, cacheDir }, () => {})).rejects.toThrow(
      /not found/,
    );
    await expect(runDepthCommand(photo, { depthModel: 'no-such-model', cacheDir }, () => {})).rejects.toThrow(
      /unknown depth model/,
    );
    await expect(
      runDepthCommand(photo, { depthModel: modelPath, depthRange: '5,1', cacheDir }, () => {}),
    ).rejects.toThrow(/far must be greater/);
  });

  it('--list shows every known model with its cache state', () => {
    const text = knownModelsText(cacheDir);
    expect(text).toMatch(/depth-anything-v2-small\s+da2-relative/);
    expect(text).toMatch(/midas-v2.1-small/);
    expect(text).toMatch(/not cached/);
  });
});

describe('depthForImage (render integration)', () => {
  it('caches the prediction per image + model; alignment changes without rerunning the model', async () => {
    const cache = join(dir, 'cache-render');
    const first = await depthForImage(photo, { depthModel: modelPath, cacheDir: cache });
    expect(first.cached).toBe(false);
    expect(first.units).toBe('relative');
    expect(readdirSync(join(cache, 'depth')).filter((f) => f.endsWith('.json'))).toHaveLength(1);

    const second = await depthForImage(photo, { depthModel: modelPath, cacheDir: cache, depthRange: [1, 4] });
    expect(second.cached).toBe(true);
    expect(second.units).toBe('metres');
    expect(second.prediction).toEqual(first.prediction);
    expect(second.notes.join(' ')).toMatch(/from the depth cache/);

    // another image → another entry; a changed model file → another entry
    const other = join(dir, 'other.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 20, b: 200 } } })
      .png()
      .toFile(other);
    expect((await depthForImage(other, { depthModel: modelPath, cacheDir: cache })).cached).toBe(false);
    const model2 = join(dir, 'tiny-image-depth.onnx');
    writeFileSync(model2, buildTinyDepthModel({ inputName: 'image', outputName: 'depth' }));
    expect((await depthForImage(photo, { depthModel: model2, cacheDir: cache })).cached).toBe(false);
    expect(readdirSync(join(cache, 'depth')).filter((f) => f.endsWith('.json'))).toHaveLength(3);

    // useCache: false neither reads nor writes
    expect((await depthForImage(photo, { depthModel: modelPath, cacheDir: cache, useCache: false })).cached).toBe(
      false,
    );
  });

  it('a damaged cache entry reads as a miss and is rewritten', async () => {
    const cache = join(dir, 'cache-damaged');
    await depthForImage(photo, { depthModel: modelPath, cacheDir: cache });
    const f32 = readdirSync(join(cache, 'depth')).find((f) => f.endsWith('.f32'))!;
    writeFileSync(join(cache, 'depth', f32), Buffer.alloc(10));
    const again = await depthForImage(photo, { depthModel: modelPath, cacheDir: cache });
    expect(again.cached).toBe(false);
    expect((await readFile(join(cache, 'depth', f32))).length).toBe(320 * 240 * 4);
    expect(existsSync(join(cache, 'depth'))).toBe(true);
  });

  it('takes the options the render command passes (kind, provider, range, known depth)', async () => {
    const est = await depthForImage(photo, {
      depthModel: modelPath,
      depthKind: 'da2-relative',
      provider: 'cpu',
      knownDepth: [160, 120, 2],
      cacheDir: join(dir, 'c3'),
    });
    expect(est.depth[120 * 320 + 160]).toBeCloseTo(2, 3);
    expect(est.focalPx).toBeUndefined();
    await expect(
      depthForImage(photo, { depthModel: modelPath, depthKind: 'nonsense', cacheDir: join(dir, 'c3') }),
    ).rejects.toThrow(VantageError);
  });
});
