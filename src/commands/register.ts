/**
 * `vantage register`: several photos without poses → a JSON list of 4×4 camera-to-world matrices in
 * photo 0's frame (what --trajectory reads), and one line per photo (inliers, residual).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sampleVideoToFiles } from '../../core/io/video.js';
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { trajectoryJson } from '../../core/io/trajectory.js';
import { readPhotoFrames, registerFrames } from '../../synth/scene-source.js';
import {
  REGISTER_METHODS,
  registrationLines,
  registrationRecord,
  type Registration,
} from '../../synth/register/index.js';
import { addSceneOptions, sceneSourceFromCli, type SceneSource } from '../scene-source.js';

export interface RegisterCommandOptions extends SceneSource {
  method?: string;
  out: string;
  json?: boolean;
}

export async function runRegisterCommand(
  o: RegisterCommandOptions,
  print: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): Promise<Registration> {
  const log = (s: string) => process.stderr.write(s + '\n');
  let frameDir: string | undefined;
  if (o.video) {
    // a clip's sampled frames are registered like photos: its estimated camera path
    if (o.images?.length) throw new VantageError('bad-input', 'give --video or --image, not both', 'drop one of them');
    frameDir = await mkdtemp(join(tmpdir(), 'vantage-register-video-'));
    const files = await sampleVideoToFiles(o.video, {
      dir: frameDir,
      ...(o.frames !== undefined ? { frames: o.frames } : {}),
      ...(o.fps !== undefined ? { fps: o.fps } : {}),
      ...(o.sampling ? { sampling: o.sampling } : {}),
      log,
    });
    print(`frames of ${o.video} at ${files.times.map((t) => `${t.toFixed(2)} s`).join(', ')}`);
    o = { ...o, images: files.images, video: undefined };
  }
  if ((o.images?.length ?? 0) < 2) {
    throw new VantageError(
      'bad-input',
      `registration needs two or more photos, got ${o.images?.length ?? 0}`,
      'vantage register --image a.jpg b.jpg [--depth a.png b.png] --out poses.json',
    );
  }
  const read = await readPhotoFrames({ ...o, log }, false).finally(() =>
    // the frames are in memory now: a clip's temporary frame folder goes
    frameDir ? rm(frameDir, { recursive: true, force: true }) : undefined,
  );
  const { frames } = read;
  const reg = await registerFrames(frames, o.method, () => {});
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, trajectoryJson(reg.photos.map((p) => p.c2w)));
  if (o.json) print(JSON.stringify({ out: o.out, ...registrationRecord(reg) }, null, 2));
  else {
    for (const line of registrationLines(reg)) print(line);
    for (const n of reg.notes) print(`note: ${n}`);
    const missing = reg.photos.filter((p) => !p.registered).length;
    print(
      `wrote ${reg.photos.length} poses to ${o.out} (${reg.method}, ${reg.seconds.toFixed(2)} s)` +
        (missing ? `; ${missing} photo(s) did not register and are null there` : ''),
    );
  }
  return reg;
}

export function registerRegisterCommand(program: Command): void {
  const cmd = program
    .command('register')
    .description(
      'estimate the camera poses of several photos of one scene (no poses given) and write them as a trajectory',
    );
  addSceneOptions(cmd, {
    fields: [
      'images',
      'video',
      'frames',
      'fps',
      'sampling',
      'depths',
      'depthFormat',
      'depthScale',
      'depthModel',
      'intrinsics',
    ],
  })
    .option('--method <method>', `${REGISTER_METHODS.join(' | ')}`, 'auto')
    .option('--out <path>', 'where to write the poses (JSON list of 4×4 camera-to-world matrices, rows)', 'poses.json')
    .option('--json', 'print a JSON summary instead of lines')
    .addHelpText(
      'after',
      `
Poses are camera-to-world, in photo 0's camera frame (+x right, +y down, +z forward). With metric depth
(--depth) translations are in metres (3-D/3-D fit, then ICP); with relative depth (--depth-model) in
photo 0's depth units; with no depth the rotation is estimated and the translation is a direction only.
A photo that shares too little with the others does not register: its entry is null and its line says why.
Every other command registers by itself when given several --image and no --trajectory.
Examples:
  vantage register --image a.jpg b.jpg c.jpg --depth a.png b.png c.png --intrinsics 525,525,319.5,239.5 --out poses.json
  vantage register --video walk.mp4 --frames 8 --intrinsics fov:60 --out path.json   (the clip's camera path)
  vantage render --image a.jpg b.jpg --depth a.png b.png --trajectory poses.json --pose behind --out v.png`,
    )
    .action(async (opts) => {
      await runRegisterCommand({ ...sceneSourceFromCli(opts), method: opts.method, out: opts.out, json: opts.json });
    });
}
