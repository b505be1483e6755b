/** `vantage render`: lift an RGB-D frame (or load a PLY / fixture) and render novel views to PNG. */
import { dirname, extname } from 'node:path';
import type { Command } from 'commander';
import { parsePose, poseCaption, poseRangeErrors, PRESET_NAMES, c2wFromPose, type Pose } from '../../core/pose.js';
import { VantageError } from '../../core/errors.js';
import { parseRenderSize } from '../../core/render-size.js';
import { addSceneOptions, loadScene, sceneSourceFromCli, type SceneSource } from '../scene-source.js';
import { fitIntrinsics } from '../../core/camera.js';
import type { HoleMode, RenderMode } from '../../core/types.js';
import { RENDER_DEFAULTS } from '../../synth/config.js';
import { encodePng } from '../../core/io/image.js';
import { makeDir, writeFileChecked } from '../../core/io/files.js';
import {
  RENDERER_CHOICE_HELP,
  createRenderer,
  parseRendererChoice,
  type RendererChoice,
} from '../../synth/renderer.js';
import { poseContextOf } from '../../synth/scene.js';
import { writePly } from '../../core/io/ply-write.js';

/** A pose given on the command line: JSON, or a preset name as shorthand. */
export function poseFromArg(arg: string): Pose {
  const t = arg.trim();
  if ((PRESET_NAMES as readonly string[]).includes(t))
    return { mode: 'preset', name: t as (typeof PRESET_NAMES)[number] };
  return parsePose(t);
}

/** Output path for view i of n: view.png → view-0.png … when there are several. */
export function outputPathFor(out: string, i: number, n: number): string {
  if (n === 1) return out;
  const ext = extname(out) || '.png';
  return `${out.slice(0, out.length - extname(out).length)}-${i}${ext}`;
}

export interface RenderCommandOptions extends SceneSource {
  pose: string[];
  mode: RenderMode;
  size?: string;
  holes: HoleMode;
  out: string;
  renderer: RendererChoice;
  savePly?: string;
  json?: boolean;
}

export async function runRenderCommand(
  o: RenderCommandOptions,
  print: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): Promise<{ files: string[]; coverage: number[] }> {
  const log = (s: string) => process.stderr.write(s + '\n');
  if (!['points', 'gaussians'].includes(o.mode))
    throw new VantageError('bad-option', `--mode ${o.mode} is not points or gaussians`);
  if (!['mark', 'fill', 'none'].includes(o.holes))
    throw new VantageError('bad-option', `--holes ${o.holes} is not mark, fill or none`);
  if (extname(o.out).toLowerCase() !== '.png') throw new VantageError('bad-option', `--out ${o.out} must end in .png`);
  const poses = o.pose.map(poseFromArg);
  for (const p of poses) {
    const errs = poseRangeErrors(p);
    if (errs.length)
      throw new VantageError(
        'bad-pose',
        `pose out of range: ${errs.join('; ')}`,
        'see `vantage render --help` for the ranges',
      );
  }
  const asked = o.size ? parseRenderSize(o.size) : undefined;
  await makeDir(dirname(o.out), 'rendered view'); // an unusable --out fails before any work
  // Open the device and compile the shaders while the scene loads; the fallback warning (if any) waits
  // until the scene has loaded, so that bad input still reads as one line.
  const held: string[] = [];
  let warn: (line: string) => void = (line) => held.push(line);
  const rendering = createRenderer({ prefer: parseRendererChoice(o.renderer), warn: (line) => warn(line) });
  let input: Awaited<ReturnType<typeof loadScene>>;
  try {
    input = await loadScene({ ...o, log });
  } catch (e) {
    // let the shader compile finish first: exiting while Dawn compiles crashes the process
    await rendering.then(
      (r) => r.dispose(),
      () => {},
    );
    throw e;
  }
  warn = log;
  held.forEach(log);
  const { scene } = input;
  if (o.savePly) {
    await writePly(o.savePly, scene);
    log(`wrote ${scene.count} Gaussians to ${o.savePly}`);
  }
  const ref = scene.reference.intrinsics;
  const size = asked ?? { width: ref.width, height: ref.height };
  // square pixels at any --size (a per-axis rescale would stretch the view)
  const intrinsics = fitIntrinsics(ref, size.width, size.height);
  const renderer = await rendering;
  const ctx = poseContextOf(scene);
  const files: string[] = [];
  const coverage: number[] = [];
  const results: object[] = [];
  try {
    for (let i = 0; i < poses.length; i++) {
      const c2w = c2wFromPose(poses[i], ctx);
      const t0 = performance.now();
      const view = await renderer.render(
        scene,
        { intrinsics, c2w },
        { mode: o.mode, width: size.width, height: size.height, holes: o.holes },
      );
      const ms = performance.now() - t0;
      const file = outputPathFor(o.out, i, poses.length);
      await writeFileChecked(file, await encodePng(view.rgba, view.width, view.height, 4), 'rendered view');
      files.push(file);
      coverage.push(view.coverageRatio);
      results.push({
        file,
        pose: poses[i],
        caption: poseCaption(poses[i]),
        c2w: Array.from(c2w),
        intrinsics: view.camera.intrinsics,
        coverage: view.coverageRatio,
        renderer: view.renderer,
        ms,
      });
      if (!o.json)
        print(
          `${file}  ${poseCaption(poses[i])}  coverage ${(view.coverageRatio * 100).toFixed(1)}%  (${view.renderer}, ${ms.toFixed(0)} ms)`,
        );
    }
  } finally {
    renderer.dispose();
  }
  if (o.json)
    print(
      JSON.stringify(
        { scene: { count: scene.count, units: scene.units, notes: scene.notes }, views: results },
        null,
        2,
      ),
    );
  return { files, coverage };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerRenderCommand(program: Command): void {
  const cmd = program
    .command('render')
    .description('render novel views of a lifted RGB-D frame, a depth-model photo, a 3DGS PLY or a procedural scene');
  addSceneOptions(cmd, { ply: true })
    .option(
      '--pose <json>',
      `camera pose (repeatable): JSON such as '{"mode":"orbit","azimuth_deg":30,"elevation_deg":10,"distance_scale":1}', or a preset name (${PRESET_NAMES.slice(0, 6).join(', ')}, …)`,
      collect,
      [],
    )
    .option('--mode <mode>', 'points | gaussians', RENDER_DEFAULTS.mode)
    .option('--size <WxH>', 'output size (default: the input image size)')
    .option('--holes <how>', 'mark (magenta) | fill (push-pull; still recorded as holes) | none', RENDER_DEFAULTS.holes)
    .option('--renderer <which>', RENDERER_CHOICE_HELP, 'auto')
    .option('--save-ply <path>', 'also write the lifted scene as a 3DGS PLY')
    .option('--out <path>', 'output PNG (several poses: view-0.png, view-1.png, …)', 'view.png')
    .option('--json', 'print a JSON summary instead of lines')
    .addHelpText(
      'after',
      `
Poses (docs/conventions.md; world = the reference camera's frame, +x right, +y down, +z forward):
  orbit   {"mode":"orbit","azimuth_deg":-180..180,"elevation_deg":-85..85,"distance_scale":0.25..4}
          positive azimuth swings the camera to its right, positive elevation raises it to look down
  ego     {"mode":"ego","yaw_deg":0,"pitch_deg":0,"forward_m":0,"right_m":0,"up_m":0}
  preset  {"mode":"preset","name":"behind"}   (${PRESET_NAMES.join(', ')})
  c2w     {"mode":"c2w","matrix":[16 numbers, column-major camera-to-world]}
  lookat  {"mode":"lookat","eye":[x,y,z],"target":[x,y,z]}
Examples:
  vantage render --fixture tabletop --pose '{"mode":"orbit","azimuth_deg":60}' --out view.png
  vantage render --image color.jpg --depth depth.png --intrinsics 525,525,320,240 --pose behind --out v.png
  vantage render --ply biker.ply --pose orbit_right_30 --size 512x512 --out biker.png`,
    )
    .action(async (opts) => {
      if (!opts.pose.length) opts.pose = ['{"mode":"orbit","azimuth_deg":30,"elevation_deg":10,"distance_scale":1}'];
      await runRenderCommand({
        ...sceneSourceFromCli(opts),
        pose: opts.pose,
        mode: opts.mode,
        size: opts.size,
        holes: opts.holes,
        out: opts.out,
        renderer: opts.renderer,
        savePly: opts.savePly,
        json: opts.json,
      });
    });
}
