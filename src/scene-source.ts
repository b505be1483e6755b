/**
 * Where a scene comes from — RGB image(s) with depth maps or a depth model, a 3DGS PLY, or a
 * procedural fixture — defined once: one table of fields yields the library type (`SceneSource`),
 * the CLI flags (`addSceneOptions`) and the MCP tool input (`mcpSceneSourceShape`), and `loadScene`
 * turns any of them into a LoadedScene (synth/scene-source.ts for files, fixtures/scene-source.ts
 * for fixtures).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { VantageError } from '../core/errors.js';
import { DEPTH_FORMATS, type DepthFormat } from '../core/io/depth.js';
import { loadImageScene, loadPlyScene, type LoadedScene } from '../synth/scene-source.js';
import { sampleVideoToFiles, VIDEO_LIMITS } from '../core/io/video.js';
import type { FixtureScene } from '../fixtures/types.js';
import { loadFixtureScene } from '../fixtures/scene-source.js';

interface Field {
  schema: z.ZodType;
  /** commander flag, when the CLI has one; its camel-cased long name is the key commander parses into */
  cli?: { flag: string; key: string; parse?: (v: string) => unknown; default?: unknown; only?: 'ply' };
  /** the MCP tool argument name (snake_case), when agents may pass it */
  mcp?: string;
  /** what it is, for --help and the tool schema */
  help: string;
}

const path = z.string().min(1);

/** Every scene-source field, once. */
const FIELDS = {
  images: {
    schema: z.array(path).min(1),
    cli: { flag: '--image <path...>', key: 'image' },
    mcp: 'images',
    help: 'RGB image(s): PNG, JPEG, WebP (several fuse into one scene: posed by --trajectory, else registered)',
  },
  depths: {
    schema: z.array(path).min(1),
    cli: { flag: '--depth <path...>', key: 'depth' },
    mcp: 'depths',
    help: 'depth map(s), one per image: 16-bit PNG, .npy, .pfm, or TUM/NYU/SUN3D (see the depth format)',
  },
  depthFormat: {
    schema: z.enum(DEPTH_FORMATS as unknown as [DepthFormat, ...DepthFormat[]]),
    cli: { flag: '--depth-format <fmt>', key: 'depthFormat', default: 'auto' },
    mcp: 'depth_format',
    help: 'how to read the depth maps: auto (by extension/magic), png16, tum (÷5000), nyu, sun3d, npy, pfm',
  },
  depthScale: {
    schema: z.number().positive(),
    cli: { flag: '--depth-scale <s>', key: 'depthScale', parse: Number },
    mcp: 'depth_scale',
    help: 'raw depth units per metre, overriding the format default (png16 1000 = mm, tum 5000, float .npy/.pfm metres; not for nyu)',
  },
  depthModel: {
    schema: path,
    cli: { flag: '--depth-model <name|path>', key: 'depthModel' },
    mcp: 'depth_model',
    help: 'estimate depth with an ONNX model when there is no depth map (a name from `vantage depth --list`, or a .onnx file)',
  },
  depthKind: {
    schema: path,
    help: 'what the depth model predicts, when its name does not say (see `vantage depth --help`)',
  },
  depthProvider: { schema: path, help: 'onnxruntime execution provider for the depth model: cpu, webgpu, cuda' },
  depthRange: {
    schema: z.tuple([z.number().positive(), z.number().positive()]),
    help: 'relative depth model: the near and far depth (metres) its 2nd/98th percentiles map to',
  },
  knownDepth: {
    schema: z.tuple([z.number(), z.number(), z.number().positive()]),
    help: 'relative depth model: one known depth [u, v, metres] that fixes the scale',
  },
  intrinsics: {
    schema: path,
    cli: { flag: '--intrinsics <spec>', key: 'intrinsics' },
    mcp: 'intrinsics',
    help: '"fx,fy,cx,cy" in pixels, "fov:DEG" (horizontal), or an Open3D camera JSON file; default 60° hfov (recorded)',
  },
  trajectory: {
    schema: path,
    cli: { flag: '--trajectory <path>', key: 'trajectory' },
    mcp: 'trajectory',
    help: 'camera-to-world poses of several images: a Redwood .log or a JSON list of 4×4 matrices (without it, several images are registered from the photos)',
  },
  registerMethod: {
    schema: path,
    cli: { flag: '--register-method <method>', key: 'registerMethod' },
    mcp: 'register_method',
    help: 'how several images without a trajectory are registered into one scene: auto (default) or features (ORB + RANSAC, offline)',
  },
  video: {
    schema: path,
    cli: { flag: '--video <path>', key: 'video' },
    mcp: 'video',
    help: 'a video clip (mp4, mov, mkv, webm…): frames are sampled, given depth (--depth-model) and lifted into one scene',
  },
  frames: {
    schema: z.number().int().min(1).max(VIDEO_LIMITS.maxFrames),
    cli: { flag: '--frames <n>', key: 'frames', parse: (v: string) => Number.parseInt(v, 10) },
    mcp: 'frames',
    help: 'frames sampled from --video (default 16)',
  },
  fps: {
    schema: z.number().positive(),
    cli: { flag: '--fps <f>', key: 'fps', parse: Number },
    mcp: 'fps',
    help: 'sample --video at this many frames per second of clip time instead of --frames',
  },
  sampling: {
    schema: z.enum(['uniform', 'motion']),
    cli: { flag: '--sampling <how>', key: 'sampling' },
    mcp: 'sampling',
    help: 'uniform in time (default) or motion: more frames where the picture changes more',
  },
  frameFusion: {
    schema: z.enum(['merge', 'stack']),
    cli: { flag: '--frame-fusion <policy>', key: 'frameFusion' },
    mcp: 'frame_fusion',
    help: "several images with poses: merge (default: one surfel per surface, colours blended by view quality) or stack (every frame's surfels)",
  },
  exposure: {
    schema: z.boolean(),
    cli: { flag: '--exposure', key: 'exposure' },
    mcp: 'exposure',
    help: "several images: align each frame's exposure / colour gain to the first one's before blending",
  },
  refine: {
    schema: z.number().int().min(0).max(50),
    cli: { flag: '--refine <n>', key: 'refine', parse: Number },
    mcp: 'refine',
    help: 'photometric refinement: n steps fitting the lifted colours to the input photos (off by default; measured +0.4 dB at a held-out real view for ~2 s a step on CPU)',
  },
  ply: {
    schema: path,
    cli: { flag: '--ply <path>', key: 'ply', only: 'ply' },
    mcp: 'ply',
    help: 'a ready-made 3D Gaussian splat scene (standard 3DGS binary PLY)',
  },
  fixture: {
    schema: path,
    cli: { flag: '--fixture <name|seed>', key: 'fixture' },
    mcp: 'fixture',
    help: 'a procedural ground-truth scene instead of a photo: tabletop, room, occluded, or an integer seed',
  },
} satisfies Record<string, Field>;

type Fields = typeof FIELDS;
type FieldKey = keyof Fields;

/** The scene source as the library takes it (plain paths; src/api.ts adds encoded bytes). */
export const SceneSourceSchema = z
  .object(
    Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.schema.optional().describe(f.help)])) as {
      [K in FieldKey]: z.ZodOptional<Fields[K]['schema']>;
    },
  )
  .strict();

export type SceneSource = z.infer<typeof SceneSourceSchema> & {
  /** progress lines (stderr in the CLI) */
  log?: (line: string) => void;
};

const entries = Object.entries(FIELDS) as [FieldKey, Field][];

/** Adds the scene-source flags to a command (--ply only where the command renders a PLY; `fields`: only those). */
export function addSceneOptions(cmd: Command, opts: { ply?: boolean; fields?: FieldKey[] } = {}): Command {
  for (const [k, f] of entries) {
    if (!f.cli || (f.cli.only === 'ply' && !opts.ply) || (opts.fields && !opts.fields.includes(k))) continue;
    if (f.cli.parse) cmd.option(f.cli.flag, f.help, f.cli.parse, f.cli.default);
    else if (f.cli.default !== undefined) cmd.option(f.cli.flag, f.help, f.cli.default as string);
    else cmd.option(f.cli.flag, f.help);
  }
  return cmd;
}

/** The SceneSource the scene flags parsed into. */
export function sceneSourceFromCli(opts: Record<string, unknown>): SceneSource {
  const out: Record<string, unknown> = {};
  for (const [k, f] of entries) if (f.cli && opts[f.cli.key] !== undefined) out[k] = opts[f.cli.key];
  return out as SceneSource;
}

/**
 * The scene-source arguments of the MCP tools (snake_case), from the same table; `override` replaces
 * a field's schema where the server accepts more (e.g. images as base64).
 */
export function mcpSceneSourceShape(override: Partial<Record<FieldKey, z.ZodType>> = {}): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, f] of entries) if (f.mcp) shape[f.mcp] = (override[k] ?? f.schema.describe(f.help)).optional();
  return shape;
}

/** Which sources a SceneSource names (exactly one is allowed). */
export function sourcesOf(s: { images?: unknown[]; video?: string; ply?: string; fixture?: string }): string[] {
  return [
    s.images?.length ? 'images' : '',
    s.video ? 'video' : '',
    s.ply ? 'ply' : '',
    s.fixture ? 'fixture' : '',
  ].filter(Boolean);
}

/** Load the scene a command, an API call or a tool call asked for. Exactly one of images / ply / fixture. */
export async function loadScene(s: SceneSource): Promise<LoadedScene & { fixture?: FixtureScene }> {
  const sources = sourcesOf(s);
  if (sources.length !== 1) {
    throw new VantageError(
      'bad-input',
      sources.length ? `give one scene source, not ${sources.join(' and ')}` : 'no scene given',
      'use --image RGB (with --depth or --depth-model), --video CLIP, --ply scene.ply, or --fixture NAME|SEED',
    );
  }
  if (s.video) return loadVideoScene(s);
  if ((s.frames !== undefined || s.fps !== undefined || s.sampling) && !s.video)
    throw new VantageError('bad-input', '--frames, --fps and --sampling apply to --video only', 'add --video CLIP');
  if (s.ply) return loadPlyScene(s.ply);
  if (s.fixture) return loadFixtureScene(s.fixture);
  return loadImageScene(s);
}

/**
 * A clip as a scene: frames sampled (uniform or by motion), written as PNGs to a temporary folder, then
 * loaded like photos — depth from --depth-model (or one depth map per encoded frame), poses from a
 * camera path with one pose per encoded frame (--trajectory), else registered like several photos.
 */
async function loadVideoScene(s: SceneSource): Promise<LoadedScene> {
  if (s.images?.length) throw new VantageError('bad-input', 'give --video or --image, not both', 'drop one of them');
  // the frames are read into memory by the loader: their folder goes when the scene is loaded
  const dir = await mkdtemp(join(tmpdir(), 'vantage-video-'));
  try {
    const files = await sampleVideoToFiles(s.video!, {
      dir,
      ...(s.frames !== undefined ? { frames: s.frames } : {}),
      ...(s.fps !== undefined ? { fps: s.fps } : {}),
      ...(s.sampling ? { sampling: s.sampling } : {}),
      ...(s.depths?.length ? { depths: s.depths } : {}),
      ...(s.trajectory ? { trajectory: s.trajectory } : {}),
      ...(s.log ? { log: s.log } : {}),
    });
    const loaded = await loadImageScene({
      ...s,
      images: files.images,
      depths: files.depths,
      trajectory: files.trajectory,
    });
    const note = `${files.images.length} frames of ${basename(s.video!)} (${files.info.duration.toFixed(1)} s, ${files.info.width}×${files.info.height}) at ${files.times.map((t) => `${t.toFixed(2)} s`).join(', ')}`;
    loaded.scene.notes.push(note);
    return { ...loaded, info: { ...loaded.info, notes: [...loaded.info.notes, note] } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
