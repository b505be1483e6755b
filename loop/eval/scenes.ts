/**
 * The loop input of an evaluation item: the scene (lifted from the first image with its depth map
 * or the --depth-model), the original image(s) shown to the model, and what the trace records
 * about the input — built by synth/scene-source.ts and loop/session.ts like every other interface's.
 *
 * Multi-image items (MindCube, SAT, MMSI, BLINK, native multi-view sets) come without camera poses:
 * their images are registered (synth/register) with the first as the reference and lifted together;
 * a photo that does not register is still shown as an original, and when none does the first is
 * lifted alone (the note says why). `firstImageOnly` lifts the first image only (the comparison the
 * multi-view benchmark measures). Every image is shown to the model as an original. Native items with `scan` frames
 * (RGB-D with poses) are lifted from the first image plus those frames, which are not shown. Items
 * without depth, in a run whose cells all have 0 rounds (no view is rendered), get a placeholder
 * scene instead of a depth estimate: round 0 only needs the pictures.
 *
 * Benchmarks ask several questions about one picture, and every grid cell asks each question
 * again: `createInputCache` lifts and encodes each distinct (images, depth, intrinsics) once and
 * shares the result (a scene and its originals are read-only to the loop and the renderer).
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { VantageError } from '../../core/errors.js';
import { identity } from '../../core/camera.js';
import { readImage } from '../../core/io/image.js';
import { sampleVideoToFiles } from '../../core/io/video.js';
import { defaultIntrinsics } from '../../core/io/intrinsics.js';
import { liftToScene } from '../../synth/lift.js';
import { loadImageScene, type LoadedScene, type SourceImage } from '../../synth/scene-source.js';
import type { LoopInput } from '../run.js';
import { loopInputOf } from '../session.js';
import type { EvalItem } from './types.js';

export interface ItemSceneOptions {
  depthModel?: string;
  /** frames sampled from a video item (default 16) */
  videoFrames?: number;
  /** where sampled video frames are written (default: a folder under the OS temp dir) */
  frameDir?: string;
  /** no view will be rendered: items without depth get a placeholder scene */
  roundZeroOnly?: boolean;
  /** lift only the first image of a multi-image item (default: register and lift them all) */
  firstImageOnly?: boolean;
  /** registration method for multi-image items (default auto) */
  registerMethod?: string;
  log?: (line: string) => void;
}

/** Items that cannot be lifted as given: images without depth when no depth model is named. */
export function itemsNeedingDepth(items: EvalItem[]): EvalItem[] {
  return items.filter((it) => !(it.depths?.length || it.video?.depths?.length));
}

/** What an item's scene and originals are built from: items with equal keys get equal inputs. */
export function inputKeyOf(item: EvalItem, opts: ItemSceneOptions = {}): string {
  return JSON.stringify([
    item.images,
    item.depths ?? null,
    item.intrinsics ?? null,
    item.scan ?? null,
    item.video ?? null,
    item.video ? (opts.videoFrames ?? DEFAULT_VIDEO_FRAMES) : null,
    opts.depthModel ?? null,
    !!opts.roundZeroOnly,
    !!opts.firstImageOnly,
    opts.registerMethod ?? null,
  ]);
}

/** Bytes held by a loop input's scene and originals (the cache's measure). */
function inputBytesOf(input: LoopInput): number {
  const s = input.scene;
  let n =
    s.positions.byteLength +
    s.colors.byteLength +
    s.scales.byteLength +
    s.rotations.byteLength +
    s.opacities.byteLength;
  for (const o of input.originals)
    n += o.png.byteLength + o.geometry.rgba.byteLength + (o.geometry.depth?.byteLength ?? 0);
  return n;
}

/** Default byte budget of the input cache: a few full-size scenes, many small ones. */
const INPUT_CACHE_BYTES = 512 * 2 ** 20;

/**
 * Loop inputs by content key (least recently used out past `maxBytes`): the scene of a picture is
 * lifted once however many questions and grid cells ask about it. A build in progress counts as one
 * byte until it is done; a failed build is not kept.
 */
export function createInputCache(o: ItemSceneOptions & { maxBytes?: number }): (item: EvalItem) => Promise<LoopInput> {
  const cache = new LRUCache<string, Promise<LoopInput>>({ maxSize: o.maxBytes ?? INPUT_CACHE_BYTES });
  return async (item) => {
    const key = inputKeyOf(item, o);
    let p = cache.get(key);
    if (!p) {
      const built = loopInputOfItem(item, o);
      p = built;
      cache.set(key, built, { size: 1 });
      built.then(
        (input) => {
          if (cache.peek(key) === built) cache.set(key, built, { size: Math.max(1, inputBytesOf(input)) });
        },
        () => {
          if (cache.peek(key) === built) cache.delete(key);
        },
      );
    }
    const shared = await p;
    return shared.question === item.question ? shared : { ...shared, question: item.question };
  };
}

/** The loop input of one item. Throws VantageError for unreadable images or depth. */
export async function loopInputOfItem(item: EvalItem, opts: ItemSceneOptions = {}): Promise<LoopInput> {
  return loopInputOf(item.question, await loadItemScene(item, opts));
}

/** Frames sampled from a video item unless --frames says otherwise (VSI-Bench's evaluations use 8–32). */
export const DEFAULT_VIDEO_FRAMES = 16;

/**
 * A video item as images: its sampled frames written as PNGs (with the matching depth maps and
 * camera path when the set ships them), all shown as originals and lifted together.
 */
async function videoAsImages(item: EvalItem, opts: ItemSceneOptions): Promise<{ item: EvalItem; trajectory?: string }> {
  const v = item.video!;
  const dir = join(
    opts.frameDir ?? join(tmpdir(), 'vantage-video-frames'),
    createHash('sha256')
      .update(JSON.stringify([v, opts.videoFrames ?? DEFAULT_VIDEO_FRAMES]))
      .digest('hex')
      .slice(0, 16),
  );
  const files = await sampleVideoToFiles(v.path, {
    frames: opts.videoFrames ?? DEFAULT_VIDEO_FRAMES,
    dir,
    ...(v.depths ? { depths: v.depths } : {}),
    ...(v.trajectory ? { trajectory: v.trajectory } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    item: { ...item, images: files.images, ...(files.depths ? { depths: files.depths } : {}) },
    ...(files.trajectory ? { trajectory: files.trajectory } : {}),
  };
}

/** The scene of one item, with the images it shows as originals. */
export async function loadItemScene(item: EvalItem, opts: ItemSceneOptions = {}): Promise<LoadedScene> {
  if (item.video) {
    const frames = await videoAsImages(item, opts);
    return loadFramesScene(frames.item, frames.trajectory, opts);
  }
  if (!item.images.length) throw new VantageError('bad-record', `item ${item.id} has no image`);
  const hasDepth = !!item.depths?.length;
  if (!hasDepth && !opts.depthModel && opts.roundZeroOnly) return placeholderScene(item);
  if (!hasDepth && !opts.depthModel) {
    throw new VantageError(
      'bad-input',
      `item ${item.id} has no depth map`,
      'pass --depth-model (e.g. depth-anything-v2-small) to estimate depth for benchmarks that ship images only',
    );
  }
  const scan = item.scan;
  if (scan && !hasDepth) {
    throw new VantageError(
      'bad-record',
      `item ${item.id} has scan frames but no depth map for its reference image`,
      'give the record a `depth` for images[0]: scan frames are lifted in metres with it',
    );
  }
  if (item.images.length > 1 && !scan && !opts.firstImageOnly) {
    const all = await loadAllImages(item, opts);
    if (all) return all;
  }
  // scan frames are lifted with the reference at their poses; only the reference is shown below
  const loaded = await loadImageScene({
    images: [item.images[0], ...(scan?.images ?? [])],
    ...(hasDepth ? { depths: [item.depths![0], ...(scan?.depths ?? [])] } : { depthModel: opts.depthModel }),
    ...(scan ? { trajectory: scan.trajectory } : {}),
    ...(item.intrinsics ? { intrinsics: item.intrinsics } : {}),
    log: opts.log,
  });
  const originals: SourceImage[] = [loaded.originals[0], ...(await unliftedImages(item.images.slice(1)))];
  const notes = [...loaded.info.notes];
  if (scan) {
    const note = `scene lifted from the reference photo and ${scan.images.length} RGB-D scan frame(s) (poses from ${basename(scan.trajectory)}); the model is shown the reference photo only`;
    loaded.scene.notes.push(note);
    notes.push(note);
  }
  if (item.images.length > 1)
    notes.push(
      `${item.images.length} images without camera poses: the scene is lifted from the first (${opts.firstImageOnly ? 'first image only, as asked' : 'the others did not register or lack depth'}); all are shown as originals`,
    );
  return {
    scene: loaded.scene,
    originals,
    info: {
      ...loaded.info,
      images: item.images.map((p) => basename(p)),
      notes,
      ...(scan ? { depth: `${basename(item.depths![0])}, + ${scan.images.length} scan frame(s)` } : {}),
    },
  };
}

/**
 * A multi-image item registered and lifted together (depth maps for every image, or the depth model);
 * undefined when that is not possible (depth for the first image only) or none of the others registers.
 */
async function loadAllImages(item: EvalItem, opts: ItemSceneOptions): Promise<LoadedScene | undefined> {
  const allDepths = item.depths?.length === item.images.length;
  if (!allDepths && !opts.depthModel) return undefined;
  try {
    const loaded = await loadImageScene({
      images: item.images,
      ...(allDepths ? { depths: item.depths } : { depthModel: opts.depthModel }),
      ...(item.intrinsics ? { intrinsics: item.intrinsics } : {}),
      ...(opts.registerMethod ? { registerMethod: opts.registerMethod } : {}),
      log: opts.log,
    });
    return loaded;
  } catch (e) {
    if (e instanceof VantageError && e.code === 'no-registration') {
      opts.log?.(`${item.id}: ${e.message.split('\n')[0]}; lifting the first image alone`);
      return undefined;
    }
    throw e;
  }
}

/** Images shown to the model but not lifted (no depth, no pose). */
async function unliftedImages(paths: string[]): Promise<SourceImage[]> {
  const out: SourceImage[] = [];
  for (const path of paths) {
    const img = await readImage(path);
    out.push({ name: basename(path), width: img.width, height: img.height, rgb: img.rgb });
  }
  return out;
}

/** Round-0-only input: the pictures, and a tiny flat scene that is never rendered. */
async function placeholderScene(item: EvalItem): Promise<LoadedScene> {
  const originals = await unliftedImages(item.images);
  const w = 16;
  const h = Math.max(2, Math.round((w * originals[0].height) / originals[0].width));
  const scene = liftToScene(
    [
      {
        width: w,
        height: h,
        rgb: new Uint8Array(w * h * 3).fill(128),
        depth: new Float32Array(w * h).fill(1),
        intrinsics: defaultIntrinsics(w, h).intrinsics,
        c2w: identity(),
        units: 'relative',
        source: 'placeholder',
      },
    ],
    { detectUp: false },
  );
  const note = 'no depth and no view rendered (0 rounds): the scene is a flat placeholder';
  scene.notes.push(note);
  return {
    scene,
    originals,
    info: {
      images: item.images.map((p) => basename(p)),
      intrinsics: 'assumed (not used: no view rendered)',
      units: 'relative',
      notes: [note],
    },
  };
}

/** Sampled video frames: lifted together (per-frame depth or the depth model; poses from the clip's path). */
async function loadFramesScene(
  item: EvalItem,
  trajectory: string | undefined,
  opts: ItemSceneOptions,
): Promise<LoadedScene> {
  const hasDepth = !!item.depths?.length;
  if (!hasDepth && !opts.depthModel && opts.roundZeroOnly) return placeholderScene(item);
  if (!hasDepth && !opts.depthModel)
    throw new VantageError(
      'bad-input',
      `item ${item.id} is a video without depth`,
      'pass --depth-model (e.g. depth-anything-v2-small) to estimate depth for its frames',
    );
  const loaded = await loadImageScene({
    images: item.images,
    ...(hasDepth ? { depths: item.depths } : { depthModel: opts.depthModel }),
    ...(trajectory ? { trajectory } : {}),
    ...(item.intrinsics ? { intrinsics: item.intrinsics } : {}),
    log: opts.log,
  });
  const note = `${item.images.length} frames sampled from ${basename(item.video!.path)}, lifted together${trajectory ? ' at the poses of its camera path' : ''}; all are shown as originals`;
  loaded.scene.notes.push(note);
  return { ...loaded, info: { ...loaded.info, notes: [...loaded.info.notes, note] } };
}
