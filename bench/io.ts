/**
 * Input/output figures: how long it takes to load the real inputs in ../shared/data (a 640×480
 * JPEG, each depth format, a 152k-splat 3DGS PLY) and to write a PLY back. Median of several runs
 * after one warm-up, in-process (no process start-up in the figure).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDepth, type DepthFormat } from '../core/io/depth.js';
import { readImage } from '../core/io/image.js';
import { readPly } from '../core/io/ply-read.js';
import { writePly } from '../core/io/ply-write.js';
import type { BenchFigure } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

/** ../shared/data beside the checkout, from bench/ (source) or dist/bench/ (built). */
function sharedData(): string | undefined {
  const candidates = [
    process.env.VANTAGE_SHARED_DATA,
    resolve(here, '..', '..', 'shared', 'data'),
    resolve(here, '..', '..', '..', 'shared', 'data'),
  ];
  return candidates.find((p): p is string => !!p && existsSync(join(p, 'README.md')));
}

async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: module loading, JIT, sharp's first call
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

const ms = (v: number) => Math.round(v * 10) / 10;

export async function benchIo(): Promise<BenchFigure[]> {
  const data = sharedData();
  if (!data) throw new Error('../shared/data not found: skipped');
  const rgbd = join(data, 'rgbd', 'open3d');
  const figures: BenchFigure[] = [];

  figures.push({
    name: 'readImage 640×480 JPEG (Open3D color/00000.jpg)',
    value: ms(await medianMs(9, () => readImage(join(rgbd, 'color', '00000.jpg')))),
    unit: 'ms',
  });
  figures.push({
    name: 'readImage 640×480 PPM (NYU_color.ppm, hand-parsed)',
    value: ms(await medianMs(9, () => readImage(join(rgbd, 'other_formats', 'NYU_color.ppm')))),
    unit: 'ms',
  });
  const depths: [string, string, DepthFormat][] = [
    ['png16', join(rgbd, 'depth', '00000.png'), 'png16'],
    ['tum', join(rgbd, 'other_formats', 'TUM_depth.png'), 'tum'],
    ['nyu', join(rgbd, 'other_formats', 'NYU_depth.pgm'), 'nyu'],
    ['sun3d', join(rgbd, 'other_formats', 'SUN_depth.png'), 'sun3d'],
  ];
  for (const [label, path, format] of depths) {
    figures.push({
      name: `readDepth 640×480 ${label}`,
      value: ms(await medianMs(9, () => readDepth(path, { format }))),
      unit: 'ms',
    });
  }

  const biker = join(data, 'splats', 'biker.ply');
  const scene = await readPly(biker);
  const readMs = await medianMs(5, () => readPly(biker));
  figures.push({
    name: 'readPly biker.ply (152,746 splats, 8.6 MB)',
    value: ms(readMs),
    unit: 'ms',
    note: `${Math.round((scene.count / (readMs / 1000) / 1e6) * 10) / 10} M splats/s, incl. reference-camera framing`,
  });
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-io-'));
  try {
    figures.push({
      name: 'writePly biker (152,746 splats)',
      value: ms(await medianMs(5, () => writePly(join(dir, 'biker.ply'), scene))),
      unit: 'ms',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}
