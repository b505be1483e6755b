/** The scene-source options shared by the commands that lift a scene (render, ask). */
import type { Command } from 'commander';
import type { SceneInputOptions } from '../scene-input.js';
import type { DepthFormat } from '../../core/io/depth.js';

/** Adds --image, --depth, --depth-format, --depth-scale, --depth-model, --intrinsics, --trajectory, --fixture (and --ply when asked). */
export function addSceneOptions(cmd: Command, opts: { ply?: boolean } = {}): Command {
  cmd
    .option('--image <path...>', 'RGB image(s): PNG, JPEG, WebP (several fuse with --trajectory)')
    .option(
      '--depth <path...>',
      'depth map(s), one per image: 16-bit PNG, .npy, .pfm, or TUM/NYU/SUN3D (see --depth-format)',
    )
    .option('--depth-format <fmt>', 'png16 | tum | nyu | sun3d | npy | pfm | auto', 'auto')
    .option('--depth-scale <s>', '16-bit PNG depth units per metre (1000 = millimetres)', Number, 1000)
    .option(
      '--depth-model <name|path>',
      'estimate depth with an ONNX model when there is no depth map (a name from `vantage depth --list`, or a .onnx file)',
    )
    .option(
      '--intrinsics <spec>',
      '"fx,fy,cx,cy" in pixels, "fov:DEG" (horizontal), or an Open3D JSON file; default 60° hfov (recorded)',
    )
    .option('--trajectory <path>', 'camera-to-world poses for several images: Redwood .log or JSON list of 4×4');
  if (opts.ply) cmd.option('--ply <path>', 'a 3DGS binary PLY as the scene');
  return cmd.option(
    '--fixture <name|seed>',
    'a procedural ground-truth scene instead of a photo (tabletop, room, occluded, or a number)',
  );
}

/** The SceneInputOptions those flags parsed into. */
export function sceneOptionsFrom(opts: Record<string, unknown>): SceneInputOptions {
  return {
    images: opts.image as string[] | undefined,
    depths: opts.depth as string[] | undefined,
    depthFormat: opts.depthFormat as DepthFormat | undefined,
    depthScale: opts.depthScale as number | undefined,
    depthModel: opts.depthModel as string | undefined,
    intrinsics: opts.intrinsics as string | undefined,
    trajectory: opts.trajectory as string | undefined,
    ply: opts.ply as string | undefined,
    fixture: opts.fixture as string | undefined,
  };
}
