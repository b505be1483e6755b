/**
 * The loop input of an evaluation item: the scene (lifted from the first image with its depth map
 * or the --depth-model), the original image(s) shown to the model, and what the trace records
 * about the input.
 *
 * Multi-image items (MindCube, SAT, MMSI) come without camera poses, so only the first image is
 * lifted; every image is still shown to the model as an original. Native items with `scan` frames
 * (RGB-D with poses) are lifted from the first image plus those frames, which are not shown. Items without depth, in a run
 * whose cells all have 0 rounds (no view is rendered), get a placeholder scene instead of a depth
 * estimate: round 0 only needs the pictures.
 *
 * Benchmarks ask several questions about one picture, and every grid cell asks each question
 * again: `createInputCache` lifts and encodes each distinct (images, depth, intrinsics) once and
 * shares the result (a scene and its originals are read-only to the loop and the renderer).
 */
import { basename } from 'node:path';
import { VantageError } from '../../core/errors.js';
import { identity } from '../../core/camera.js';
import { encodePng, readImage, rgbaFromRgb } from '../../core/io/image.js';
import { defaultIntrinsics } from '../../core/io/intrinsics.js';
import { loadSceneInput } from '../../src/scene-input.js';
import { liftToScene } from '../../synth/lift.js';
import { readDepth } from '../../core/io/depth.js';
import type { LoopInput, OriginalView } from '../run.js';
import type { EvalItem } from './types.js';

export interface ItemSceneOptions {
  depthModel?: string;
  /** no view will be rendered: items without depth get a placeholder scene */
  roundZeroOnly?: boolean;
  log?: (line: string) => void;
}

async function originalOf(rgb: Uint8Array, width: number, height: number, depth?: Float32Array): Promise<OriginalView> {
  const rgba = rgbaFromRgb(rgb);
  return { png: await encodePng(rgba, width, height, 4), width, height, rgba, ...(depth ? { depth } : {}) };
}

/** Items that cannot be lifted as given: images without depth when no depth model is named. */
export function itemsNeedingDepth(items: EvalItem[]): EvalItem[] {
  return items.filter((it) => !(it.depths && it.depths.length));
}

/** What an item's scene and originals are built from: items with equal keys get equal inputs. */
export function inputKeyOf(item: EvalItem, opts: ItemSceneOptions = {}): string {
  return JSON.stringify([
    item.images,
    item.depths?.[0] ?? null,
    item.intrinsics ?? null,
    item.scan ?? null,
    opts.depthModel ?? null,
    !!opts.roundZeroOnly,
  ]);
}

/** Bytes held by a loop input's scene and originals (for the cache's budget). */
function inputBytesOf(input: LoopInput): number {
  const s = input.scene;
  let n =
    s.positions.byteLength +
    s.colors.byteLength +
    s.scales.byteLength +
    s.rotations.byteLength +
    s.opacities.byteLength;
  for (const o of input.originals) n += o.png.byteLength + o.rgba.byteLength + (o.depth?.byteLength ?? 0);
  return n;
}

export interface InputCacheOptions extends ItemSceneOptions {
  /** entries always kept (however large): the items in flight */
  minEntries: number;
  /** beyond minEntries, least recently used entries go once the total passes this */
  maxBytes?: number;
}

/** Default byte budget of the input cache: a few full-size scenes, many small ones. */
export const INPUT_CACHE_BYTES = 512 * 2 ** 20;

/**
 * Loop inputs by content key (an LRU bounded by count and bytes): the scene of a picture is lifted
 * once however many questions and grid cells ask about it. A failed build is not kept.
 */
export function createInputCache(o: InputCacheOptions): (item: EvalItem) => Promise<LoopInput> {
  const maxBytes = o.maxBytes ?? INPUT_CACHE_BYTES;
  const map = new Map<string, { p: Promise<LoopInput>; bytes: number }>();
  let total = 0;
  const evict = () => {
    for (const [k, e] of map) {
      if (map.size <= o.minEntries || total <= maxBytes) break;
      map.delete(k);
      total -= e.bytes;
    }
  };
  return async (item) => {
    const key = inputKeyOf(item, o);
    let e = map.get(key);
    if (e) {
      map.delete(key);
      map.set(key, e);
    } else {
      const entry = { p: loopInputOfItem(item, o), bytes: 0 };
      e = entry;
      map.set(key, entry);
      entry.p.then(
        (input) => {
          if (map.get(key) !== entry) return;
          entry.bytes = inputBytesOf(input);
          total += entry.bytes;
          evict();
        },
        () => {
          if (map.get(key) === entry) map.delete(key);
        },
      );
    }
    const shared = await e.p;
    return shared.question === item.question ? shared : { ...shared, question: item.question };
  };
}

/** The loop input of one item. Throws VantageError for unreadable images or depth. */
export async function loopInputOfItem(item: EvalItem, opts: ItemSceneOptions = {}): Promise<LoopInput> {
  const question = item.question;
  if (!item.images.length) throw new VantageError('bad-record', `item ${item.id} has no image`);
  const hasDepth = !!item.depths?.length;
  if (!hasDepth && !opts.depthModel && opts.roundZeroOnly) return placeholderInput(item);
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
  // scan frames are lifted with the reference at their poses; only the reference is shown below
  const input = await loadSceneInput({
    images: [item.images[0], ...(scan?.images ?? [])],
    ...(hasDepth ? { depths: [item.depths![0], ...(scan?.depths ?? [])] } : { depthModel: opts.depthModel }),
    ...(scan ? { trajectory: scan.trajectory } : {}),
    ...(item.intrinsics ? { intrinsics: item.intrinsics } : {}),
    log: opts.log,
  });
  const first = input.originals[0];
  // the original's own depth map is input, not ground truth: models that read depth (the perceiver) may use it
  const depth = hasDepth ? (await readDepth(item.depths![0])).depth : undefined;
  const originals: OriginalView[] = [
    await originalOf(
      first.rgb,
      first.width,
      first.height,
      depth?.length === first.width * first.height ? depth : undefined,
    ),
  ];
  for (const path of item.images.slice(1)) {
    const img = await readImage(path);
    originals.push(await originalOf(img.rgb, img.width, img.height));
  }
  const notes = [...input.info.notes];
  if (scan) {
    const note = `scene lifted from the reference photo and ${scan.images.length} RGB-D scan frame(s) (poses from ${basename(scan.trajectory)}); the model is shown the reference photo only`;
    input.scene.notes.push(note);
    notes.push(note);
  }
  if (item.images.length > 1)
    notes.push(
      `${item.images.length} images without camera poses: the scene is lifted from the first; all are shown as originals`,
    );
  return {
    question,
    scene: input.scene,
    originals,
    inputInfo: {
      ...input.info,
      images: item.images.map((p) => basename(p)),
      notes,
      ...(scan ? { depth: `${basename(item.depths![0])}, + ${scan.images.length} scan frame(s)` } : {}),
    },
  };
}

/** Round-0-only input: the pictures, and a tiny flat scene that is never rendered. */
async function placeholderInput(item: EvalItem): Promise<LoopInput> {
  const originals: OriginalView[] = [];
  for (const path of item.images) {
    const img = await readImage(path);
    originals.push(await originalOf(img.rgb, img.width, img.height));
  }
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
    question: item.question,
    scene,
    originals,
    inputInfo: {
      images: item.images.map((p) => basename(p)),
      intrinsics: 'assumed (not used: no view rendered)',
      units: 'relative',
      notes: [note],
    },
  };
}
