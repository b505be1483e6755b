/**
 * `vantage render` end to end: in-process for outputs, and as a real process for how errors look
 * (one clear line, exit code 2, no stack trace).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { outputPathFor, poseFromArg, runRenderCommand } from '../src/commands/render.js';
import { parseRenderSize } from '../core/render-size.js';
import { ensureBuilt, builtPathOf } from './support/built-dist.js';

const quiet = () => {};

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtPathOf('src/cli.ts'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('vantage render (in-process)', () => {
  it('renders a fixture at two poses to PNGs of the asked size, with coverage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vantage-render-'));
    const out = join(dir, 'view.png');
    const r = await runRenderCommand(
      {
        fixture: 'tabletop',
        pose: ['reference', '{"mode":"orbit","azimuth_deg":40,"elevation_deg":10}'],
        mode: 'points',
        size: '160x120',
        holes: 'mark',
        out,
        renderer: 'reference',
      },
      quiet,
    );
    expect(r.files).toEqual([join(dir, 'view-0.png'), join(dir, 'view-1.png')]);
    for (const f of r.files) {
      const meta = await sharp(f).metadata();
      expect([meta.width, meta.height]).toEqual([160, 120]);
    }
    // the reference pose sees everything the lift kept; a 40° orbit opens disocclusions
    expect(r.coverage[0]).toBeGreaterThan(r.coverage[1]);
    expect(r.coverage[1]).toBeGreaterThan(0.3);
  });

  it('pose shorthands and output names', () => {
    expect(poseFromArg('behind')).toEqual({ mode: 'preset', name: 'behind' });
    expect(poseFromArg('{"mode":"ego","yaw_deg":10}')).toMatchObject({ mode: 'ego', yaw_deg: 10, forward_m: 0 });
    expect(outputPathFor('a/v.png', 2, 3)).toBe('a/v-2.png');
    expect(outputPathFor('a/v.png', 0, 1)).toBe('a/v.png');
    expect(parseRenderSize('512x384')).toEqual({ width: 512, height: 384 });
    expect(() => parseRenderSize('huge')).toThrow(/WIDTHxHEIGHT/);
    expect(() => parseRenderSize('99999x2')).toThrow(/width 99999 must be a whole number of pixels between 8 and 4096/);
    expect(() => parseRenderSize('640x4')).toThrow(/height 4 must be/);
  });

  it('refuses absurd poses and bad options before any work, naming what was wrong', async () => {
    const base = {
      fixture: 'tabletop',
      mode: 'points' as const,
      holes: 'mark' as const,
      out: join(tmpdir(), 'x.png'),
      renderer: 'reference' as const,
    };
    await expect(
      runRenderCommand({ ...base, pose: ['{"mode":"orbit","azimuth_deg":10,"elevation_deg":400}'] }, quiet),
    ).rejects.toThrow(/elevation_deg=400 is outside -85..85/);
    await expect(
      runRenderCommand({ ...base, pose: ['{"mode":"c2w","matrix":[1,0,0,0,0,1,0,0,0,0,1,0,1e9,0,0,1]}'] }, quiet),
    ).rejects.toThrow(/beyond/);
    await expect(runRenderCommand({ ...base, pose: ['spin'] }, quiet)).rejects.toThrow(/not valid JSON/);
    await expect(runRenderCommand({ ...base, pose: ['reference'], out: 'view.jpg' }, quiet)).rejects.toThrow(
      /must end in .png/,
    );
    await expect(runRenderCommand({ ...base, pose: ['reference'], fixture: undefined }, quiet)).rejects.toThrow(
      /no scene given/,
    );
  });
});

describe('vantage render (process): bad input is one clear line, never a stack trace', () => {
  let dir = '';
  beforeAll(async () => {
    await ensureBuilt(['src/cli.ts', 'src/commands/render.ts', 'src/scene-source.ts']);
    dir = await mkdtemp(join(tmpdir(), 'vantage-cli-bad-'));
    await writeFile(join(dir, 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
    await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .png()
      .toFile(join(dir, 'rgb.png'));
    await sharp(Buffer.alloc(16 * 12 * 2, 7), { raw: { width: 16, height: 12, channels: 1 } })
      .png()
      .toFile(join(dir, 'small-8bit.png'));
    const d16 = new Uint16Array(16 * 12).fill(1500);
    await sharp(Buffer.from(d16.buffer), { raw: { width: 16, height: 12, channels: 1, premultiplied: false } })
      .toColourspace('grey16')
      .png()
      .toFile(join(dir, 'depth16.png'));
  }, 180_000);

  const expectClean = (r: { code: number; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack frames
  };

  it('a corrupt image', async () => {
    expectClean(
      await runCli([
        'render',
        '--image',
        join(dir, 'corrupt.png'),
        '--depth',
        join(dir, 'rgb.png'),
        '--out',
        join(dir, 'o.png'),
      ]),
      /corrupt\.png/,
    );
  });

  it('a missing file', async () => {
    expectClean(
      await runCli([
        'render',
        '--image',
        join(dir, 'nope.jpg'),
        '--depth',
        join(dir, 'rgb.png'),
        '--out',
        join(dir, 'o.png'),
      ]),
      /nope\.jpg/,
    );
  });

  it('an image without depth', async () => {
    expectClean(await runCli(['render', '--image', join(dir, 'rgb.png'), '--out', join(dir, 'o.png')]), /needs depth/);
  });

  it('image and depth of different sizes', async () => {
    expectClean(
      await runCli([
        'render',
        '--image',
        join(dir, 'rgb.png'),
        '--depth',
        join(dir, 'depth16.png'),
        '--out',
        join(dir, 'o.png'),
      ]),
      /32×24.*16×12|must match/,
    );
  });

  it('an absurd pose', async () => {
    expectClean(
      await runCli([
        'render',
        '--fixture',
        'tabletop',
        '--pose',
        '{"mode":"orbit","azimuth_deg":0,"distance_scale":-3}',
        '--out',
        join(dir, 'o.png'),
      ]),
      /distance_scale/,
    );
  });
});
