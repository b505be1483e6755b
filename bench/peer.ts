/**
 * Side by side with @playcanvas/splat-transform (a devDependency, the peer that renders 3DGS PLYs to
 * images with WebGPU too): whole-process wall time of rendering biker.ply at 512² with the same
 * camera, `vantage render` → PNG against `splat-transform` → WebP. Both run once first so that
 * Mesa's shader cache is warm (the peer's first, cold run takes many times longer), then A/B
 * alternated, so that the machine's load falls on both alike.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchFigure } from './run.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 6;

function run(cmd: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? res({ ms: performance.now() - t0, stdout: out })
        : rej(new Error(`${args[0]} exited ${code}: ${err.slice(-300)}`)),
    );
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchPeer(): Promise<BenchFigure[]> {
  const data = process.env.VANTAGE_SHARED_DATA ?? resolve(root, '..', 'shared', 'data');
  const ply = join(data, 'splats', 'biker.ply');
  if (!existsSync(ply)) throw new Error(`${ply} not found: skipped`);
  // its package exports hide package.json and bin/ from require.resolve: find the folder instead
  const peerCli = join(root, 'node_modules', '@playcanvas', 'splat-transform', 'bin', 'cli.mjs');
  if (!existsSync(peerCli))
    throw new Error('@playcanvas/splat-transform is not installed (npm ci installs the devDependencies): skipped');
  const dir = await mkdtemp(join(tmpdir(), 'vantage-bench-peer-'));
  try {
    const vantage = [join(root, 'dist', 'src', 'cli.js'), 'render', '--ply', ply, '--pose', 'orbit_right_30'];
    const ours = () => run(process.execPath, [...vantage, '--size', '512x512', '--out', join(dir, 'v.png'), '--json']);
    // The same camera for the peer: position, target and up from our c2w, its vertical field of view from fy.
    const first = JSON.parse((await ours()).stdout) as {
      views: { c2w: number[]; intrinsics: { fy: number; height: number } }[];
    };
    const { c2w, intrinsics } = first.views[0];
    const pos = [c2w[12], c2w[13], c2w[14]];
    const target = [0, 1, 2].map((i) => pos[i] + c2w[8 + i]);
    const up = [0, 1, 2].map((i) => -c2w[4 + i]); // OpenCV: +y is down
    const fov = (2 * Math.atan(intrinsics.height / 2 / intrinsics.fy) * 180) / Math.PI;
    const peerArgs = [
      peerCli,
      '-w',
      ply,
      join(dir, 'p.webp'),
      '--resolution',
      '512x512',
      '--camera-pos',
      pos.map((x) => x.toFixed(5)).join(','),
      '--camera-target',
      target.map((x) => x.toFixed(5)).join(','),
      '--camera-up',
      up.map((x) => x.toFixed(5)).join(','),
      '--camera-fov',
      fov.toFixed(3),
      '--camera-near',
      '0.01',
    ];
    const peer = () => run(process.execPath, peerArgs);
    await peer(); // warm Mesa's shader cache for the peer too
    const a: number[] = [];
    const b: number[] = [];
    const load0 = loadavg()[0];
    for (let i = 0; i < RUNS; i++) {
      a.push((await ours()).ms);
      b.push((await peer()).ms);
    }
    const load = `load average ${load0.toFixed(1)}→${loadavg()[0].toFixed(1)}`;
    return [
      {
        name: 'whole process: vantage render biker.ply 512² → PNG',
        value: median(a),
        unit: 'ms',
        note: `median of ${RUNS}, warm shader cache, A/B alternated with the next row; ${load}`,
      },
      {
        name: 'whole process: splat-transform 3.7 biker.ply 512² → WebP, same camera',
        value: median(b),
        unit: 'ms',
        note: `median of ${RUNS}, after one warm-up run`,
      },
      {
        name: 'speed-up over splat-transform (its wall time / ours)',
        value: median(b) / median(a),
        unit: '×',
        note: 'target ≥ 2×',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
