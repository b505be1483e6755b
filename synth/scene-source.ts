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
import type { FusionPolicy } from './fuse.js';
import { refineColours } from './refine.js';
import { createRenderer } from './renderer.js';
import {
  registerPhotos,
  registrationLines,
  registrationRecord,
  type Registration,
  type RegistrationRecord,
} from './register/index.js';

/** What a trace records about a scene's input: file names, where depth came from, what was assumed. */
export interface InputInfo {
  images: string[];
  depth?: string;
  intrinsics: string;
  units: DepthUnits;
  notes: string[];
  /** poses estimated from the photos (several images, no trajectory) */
  registration?: RegistrationRecord;
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
  /** Redwood .log or JSON list of 4×4 camera-to-world matrices, one per image; without it several images are registered */
  trajectory?: string;
  /** how to register several images without a trajectory: auto | features | a learned model */
  registerMethod?: string;
  /** a ready-made 3DGS scene */
  ply?: string;
  /** how several frames combine (synth/fuse.ts): merge (default) or stack */
  frameFusion?: FusionPolicy;
  /** align each frame's exposure to frame 0's when fusing */
  exposure?: boolean;
  /** photometric refinement steps against the input photos (synth/refine.ts); default 0 = off */
  refine?: number;
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

/** A photo as read: RGB, its intrinsics, and its depth when a map or a model gave one. */
export type PhotoFrame = Omit<RgbdFrame, 'depth'> & { depth?: Float32Array };

/**
 * Read the images with their depth maps (or a depth model's estimate, or none when `needDepth` is
 * false) and intrinsics; every frame's pose is the identity until a trajectory or registration sets it.
 */
export async function readPhotoFrames(
  o: FileSceneOptions,
  needDepth = true,
): Promise<{ frames: PhotoFrame[]; notes: string[]; intrinsicsNote: string; units: DepthUnits }> {
  const log = o.log ?? (() => {});
  const images = o.images ?? [];
  const depths = o.depths ?? [];
  if (depths.length && depths.length !== images.length) {
    throw new VantageError(
      'bad-input',
      `${images.length} image(s) but ${depths.length} depth map(s); give one depth per image`,
    );
  }
  if (needDepth && !depths.length && !o.depthModel) {
    throw new VantageError(
      'bad-input',
      'an image needs depth to be lifted',
      'pass --depth DEPTH.png (16-bit millimetres; see --depth-format, --depth-scale) or --depth-model depth-anything-v2-small',
    );
  }
  const frames: PhotoFrame[] = [];
  const notes: string[] = [];
  let intrinsicsNote = '';
  let units: 'metres' | 'relative' = 'metres';
  for (let i = 0; i < images.length; i++) {
    const img = await readImage(images[i]);
    let depth: Float32Array | undefined;
    let focalPx: number | undefined;
    if (depths.length) {
      const d = await readDepth(depths[i], { format: o.depthFormat, scale: o.depthScale });
      checkSameSize(
        { width: img.width, height: img.height, name: images[i] },
        { width: d.width, height: d.height, name: depths[i] },
      );
      depth = d.depth;
      notes.push(...d.notes.map((n) => `${basename(depths[i])}: ${n}`));
      // the units chosen and any implausible scale are shown, not only recorded
      for (const n of d.notes) if (n.startsWith('depth units') || n.startsWith('warning:')) log(n);
    } else if (o.depthModel) {
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
    if (img.transparent && depth) {
      // a cut-out's transparent pixels are no surface: lifted, they would be a black wall
      let n = 0;
      for (let p = 0; p < depth.length; p++) {
        if (img.transparent[p] && depth[p] > 0) {
          depth[p] = 0;
          n++;
        }
      }
      if (n) notes.push(`${basename(images[i])}: ${n} transparent pixels (alpha 0) taken as no depth`);
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
    frames.push({
      width: img.width,
      height: img.height,
      rgb: img.rgb,
      depth,
      intrinsics,
      c2w: identity(),
      units,
      source: images[i],
    });
  }
  return { frames, notes, intrinsicsNote, units };
}

/** Register frames read by readPhotoFrames (poses in frame 0's camera frame), logging a line per photo. */
export async function registerFrames(
  frames: PhotoFrame[],
  method: string | undefined,
  log: (line: string) => void,
): Promise<Registration> {
  log(`registering ${frames.length} photos (method ${method ?? 'auto'})…`);
  const reg = await registerPhotos(
    frames.map((f) => ({
      name: basename(f.source ?? 'photo'),
      width: f.width,
      height: f.height,
      rgb: f.rgb,
      depth: f.depth,
      depthUnits: f.units,
      intrinsics: f.intrinsics,
    })),
    { method, log },
  );
  for (const line of registrationLines(reg)) log(`  ${line}`);
  return reg;
}

/** Lift RGB image(s) with their depth maps (or a depth model) into one scene. */
export async function loadImageScene(o: FileSceneOptions): Promise<LoadedScene> {
  const log = o.log ?? (() => {});
  const images = o.images ?? [];
  const depths = o.depths ?? [];
  const read = await readPhotoFrames(o);
  const { notes, intrinsicsNote, units } = read;
  const frames = read.frames as RgbdFrame[];
  const originals: SourceImage[] = [];

  // poses: frame 0 is the world; the others from the trajectory, or registered from the photos
  let registration: RegistrationRecord | undefined;
  const lifted = new Array<boolean>(frames.length).fill(true);
  if (images.length > 1 && o.trajectory) {
    const all = relativeToFirst(await readTrajectory(o.trajectory));
    if (all.length < images.length) {
      throw new VantageError(
        'bad-input',
        `trajectory ${basename(o.trajectory)} has ${all.length} poses for ${images.length} images`,
      );
    }
    frames.forEach((f, i) => (f.c2w = all[i]));
  } else if (images.length > 1) {
    const reg = await registerFrames(frames, o.registerMethod, log);
    reg.photos.forEach((p, i) => {
      lifted[i] = p.registered;
      if (p.c2w) frames[i].c2w = p.c2w;
      if (p.depthScale !== 1) frames[i].depth = frames[i].depth.map((z) => z * p.depthScale);
    });
    registration = registrationRecord(reg);
    notes.push(
      `poses registered from the photos (${reg.method}, ${reg.seconds.toFixed(2)} s): ` +
        registrationLines(reg).join('; '),
      ...reg.notes,
    );
  }
  // the depth each was lifted with is kept with the original (models that read geometry use it);
  // a photo that did not register is still shown, without geometry
  frames.forEach((f, i) =>
    originals.push({
      name: basename(images[i]),
      width: f.width,
      height: f.height,
      rgb: f.rgb,
      ...(lifted[i] ? { depth: f.depth, camera: { intrinsics: f.intrinsics, c2w: f.c2w } } : {}),
    }),
  );
  frames.splice(0, frames.length, ...frames.filter((_, i) => lifted[i]));
  log(`lifting ${frames.length} frame(s)…`);
  // Depth maps given as files are measured (sensor or render); a model's estimate smears edges.
  let scene = liftToScene(frames, {
    depth: depths.length ? 'measured' : 'estimated',
    fusion: o.frameFusion,
    exposure: o.exposure,
  });
  if (o.refine) {
    const renderer = await createRenderer({ warn: log });
    try {
      scene = (await refineColours(scene, frames, renderer, { iterations: o.refine, log })).scene;
    } finally {
      renderer.dispose();
    }
  }
  scene.notes.push(intrinsicsNote, ...notes);
  return {
    scene,
    originals,
    info: {
      images: images.map((p) => basename(p)),
      depth: o.depths?.length ? o.depths.map((p) => basename(p)).join(', ') : `model ${o.depthModel}`,
      intrinsics: intrinsicsNote,
      units,
      notes: scene.notes,
      ...(registration ? { registration } : {}),
    },
  };
}
