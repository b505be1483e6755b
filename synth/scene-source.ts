/**
 * Scenes from files: RGB image(s) with depth maps or a monocular depth model, intrinsics and a
 * trajectory (several frames fuse into one scene), or a 3DGS PLY. The result is a LoadedScene: the
 * lifted Scene, the original images with the depth and camera they were lifted with (read once, kept),
 * and what the trace records about the input. Procedural fixtures are loaded by fixtures/scene-source.ts
 * into the same shape; src/scene-source.ts picks between them for the entry points.
 */
import { basename } from 'node:path';
import type { Camera, DepthUnits, Intrinsics, RgbdFrame, Scene } from '../core/types.js';
import { VantageError } from '../core/errors.js';
import { identity, scaleIntrinsics } from '../core/camera.js';
import { readImage } from '../core/io/image.js';
import { checkSameSize, readDepth, type DepthFormat } from '../core/io/depth.js';
import { defaultIntrinsics, parseIntrinsics } from '../core/io/intrinsics.js';
import { readTrajectory, relativeToFirst } from '../core/io/trajectory.js';
import { readPly } from '../core/io/ply-read.js';
import { liftToScene } from './lift.js';

/** What a trace records about a scene's input: file names, where depth came from, what was assumed. */
export interface InputInfo {
  images: string[];
  depth?: string;
  intrinsics: string;
  units: DepthUnits;
  notes: string[];
}

/** An original image, with the depth and camera it was lifted with when it was lifted. */
export interface SourceImage {
  name: string;
  width: number;
  height: number;
  /** width × height × 3, sRGB */
  rgb: Uint8Array;
  /** camera-space z per pixel as lifted (a depth map as read, a model's estimate, or a ray cast) */
  depth?: Float32Array;
  camera?: Camera;
}

/** A lifted scene with the original image(s) it came from. */
export interface LoadedScene {
  scene: Scene;
  originals: SourceImage[];
  info: InputInfo;
}

export interface FileSceneOptions {
  /** RGB images (several frames fuse when a trajectory is given) */
  images?: string[];
  /** one depth map per image */
  depths?: string[];
  depthFormat?: DepthFormat;
  /** divisor for 16-bit PNG depth (1000 = millimetres) */
  depthScale?: number;
  /** a monocular depth model name or .onnx path, when there is no depth map */
  depthModel?: string;
  depthKind?: string;
  depthProvider?: string;
  depthRange?: [number, number];
  knownDepth?: [number, number, number];
  /** "fx,fy,cx,cy", "fov:60", or a JSON file */
  intrinsics?: string;
  /** Redwood .log or JSON list of 4×4 camera-to-world matrices, one per image */
  trajectory?: string;
  /** a ready-made 3DGS scene */
  ply?: string;
  /** progress lines (stderr in the CLI) */
  log?: (line: string) => void;
}

/** Load a 3DGS PLY as a scene (no original image: nothing to show a model). */
export async function loadPlyScene(path: string): Promise<LoadedScene> {
  const scene = await readPly(path);
  return {
    scene,
    originals: [],
    info: { images: [], intrinsics: 'assumed (PLY has no camera)', units: scene.units, notes: scene.notes },
  };
}

/** Lift RGB image(s) with their depth maps (or a depth model) into one scene. */
export async function loadImageScene(o: FileSceneOptions): Promise<LoadedScene> {
  const log = o.log ?? (() => {});
  const images = o.images ?? [];
  const depths = o.depths ?? [];
  if (depths.length && depths.length !== images.length) {
    throw new VantageError(
      'bad-input',
      `${images.length} image(s) but ${depths.length} depth map(s); give one depth per image`,
    );
  }
  if (!depths.length && !o.depthModel) {
    throw new VantageError(
      'bad-input',
      'an image needs depth to be lifted',
      'pass --depth DEPTH.png (16-bit, --depth-scale 1000 = mm) or --depth-model depth-anything-v2-small',
    );
  }
  let poses: Float64Array[] = [identity()];
  if (images.length > 1) {
    if (!o.trajectory) {
      throw new VantageError(
        'bad-input',
        `${images.length} images need camera poses to fuse`,
        'pass --trajectory poses.log (Redwood) or a JSON list of 4×4 camera-to-world matrices',
      );
    }
    const all = relativeToFirst(await readTrajectory(o.trajectory));
    if (all.length < images.length) {
      throw new VantageError(
        'bad-input',
        `trajectory ${basename(o.trajectory)} has ${all.length} poses for ${images.length} images`,
      );
    }
    poses = all.slice(0, images.length);
  }

  const frames: RgbdFrame[] = [];
  const originals: SourceImage[] = [];
  const notes: string[] = [];
  let intrinsicsNote = '';
  let units: 'metres' | 'relative' = 'metres';
  for (let i = 0; i < images.length; i++) {
    const img = await readImage(images[i]);
    let depth: Float32Array;
    let focalPx: number | undefined;
    if (depths.length) {
      const d = await readDepth(depths[i], { format: o.depthFormat, scale: o.depthScale });
      checkSameSize(
        { width: img.width, height: img.height, name: images[i] },
        { width: d.width, height: d.height, name: depths[i] },
      );
      depth = d.depth;
      notes.push(...d.notes.map((n) => `${basename(depths[i])}: ${n}`));
    } else {
      log(`estimating depth for ${basename(images[i])} with ${o.depthModel}…`);
      const { depthForImage } = await import('./depth/estimate.js');
      const est = await depthForImage(images[i], {
        depthModel: o.depthModel!,
        depthKind: o.depthKind,
        provider: o.depthProvider,
        depthRange: o.depthRange,
        knownDepth: o.knownDepth,
      } as Parameters<typeof depthForImage>[1]);
      depth = est.depth;
      units = est.units;
      focalPx = est.focalPx;
      notes.push(...est.notes);
    }
    let intrinsics: Intrinsics;
    if (o.intrinsics) {
      const k = await parseIntrinsics(o.intrinsics, img.width, img.height);
      intrinsics = k.intrinsics;
      intrinsicsNote = k.note;
    } else if (focalPx) {
      intrinsics = {
        fx: focalPx,
        fy: focalPx,
        cx: img.width / 2,
        cy: img.height / 2,
        width: img.width,
        height: img.height,
      };
      intrinsicsNote = `focal length ${focalPx.toFixed(1)} px from the depth model`;
    } else {
      const k = defaultIntrinsics(img.width, img.height);
      intrinsics = k.intrinsics;
      intrinsicsNote = k.note;
    }
    if (intrinsics.width !== img.width || intrinsics.height !== img.height)
      intrinsics = scaleIntrinsics(intrinsics, img.width, img.height);
    // the depth it is lifted with is kept with the original (models that read geometry use it)
    originals.push({
      name: basename(images[i]),
      width: img.width,
      height: img.height,
      rgb: img.rgb,
      depth,
      camera: { intrinsics, c2w: poses[i] },
    });
    frames.push({
      width: img.width,
      height: img.height,
      rgb: img.rgb,
      depth,
      intrinsics,
      c2w: poses[i],
      units,
      source: images[i],
    });
  }
  log(`lifting ${frames.length} frame(s)…`);
  const scene = liftToScene(frames);
  scene.notes.push(intrinsicsNote, ...notes);
  return {
    scene,
    originals,
    info: {
      images: images.map((p) => basename(p)),
      depth: depths.length ? depths.map((p) => basename(p)).join(', ') : `model ${o.depthModel}`,
      intrinsics: intrinsicsNote,
      units,
      notes: scene.notes,
    },
  };
}
