/**
 * Plain data passed between the stages of Vantage. No classes, no methods: a Scene, a camera, a
 * rendered View and a Trace can be logged, serialised and compared. Conventions (frames, units,
 * pixel centres) are those of core/camera.ts and docs/conventions.md.
 */

export type Vec3 = [number, number, number];

/**
 * 4×4 matrix, column-major (gl-matrix layout): element (row r, col c) is m[c * 4 + r].
 * Translation is m[12], m[13], m[14].
 */
export type Mat4 = Float64Array | Float32Array | number[];

/** Pinhole intrinsics in pixels; pixel (u, v) has its centre at (u + ½, v + ½). */
export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

/** A camera: intrinsics plus camera-to-world pose (OpenCV axes: +x right, +y down, +z forward). */
export interface Camera {
  intrinsics: Intrinsics;
  c2w: Mat4;
}

/** What a depth value means: metric metres, or relative ("depth units") when only relative. */
export type DepthUnits = 'metres' | 'relative';

/** An RGB-D frame ready to lift: 8-bit RGB, depth in `units` (0 / NaN / ±∞ = no depth). */
export interface RgbdFrame {
  width: number;
  height: number;
  /** width × height × 3, row-major, sRGB 0..255 */
  rgb: Uint8Array;
  /** width × height, row-major */
  depth: Float32Array;
  intrinsics: Intrinsics;
  /** camera-to-world; world = reference camera 0's frame */
  c2w: Mat4;
  units: DepthUnits;
  /** where it came from, for errors and traces */
  source?: string;
}

/**
 * A 3D scene as N Gaussians (the lifted surfels, or a loaded 3DGS PLY). Points mode reads
 * `positions`, `colors` and the largest of `scales` as the footprint.
 */
export interface Scene {
  count: number;
  /** N × 3 world positions */
  positions: Float32Array;
  /** N × 3 linear-free sRGB colour in 0..1 (what the camera saw) */
  colors: Float32Array;
  /** N × 3 per-axis standard deviations in world units (not log) */
  scales: Float32Array;
  /** N × 4 unit quaternions (w, x, y, z), rotating the Gaussian's local axes into the world */
  rotations: Float32Array;
  /** N opacities in 0..1 (not logit) */
  opacities: Float32Array;
  units: DepthUnits;
  /** the reference camera (frame 0): orbits and ego moves are relative to it */
  reference: Camera;
  /** world-space up direction (unit); reference camera's −y unless a floor plane levelled it */
  up: Vec3;
  /** default orbit pivot: the lifted point under the image centre, or the median depth on the axis */
  pivot: Vec3;
  /** axis-aligned bounds of the positions */
  bounds: { min: Vec3; max: Vec3 };
  /** assumptions and facts worth recording in a trace ("intrinsics assumed: 60° hfov", …) */
  notes: string[];
}

export type RenderMode = 'points' | 'gaussians';
export type HoleMode = 'mark' | 'fill' | 'none';

export interface RenderOptions {
  mode: RenderMode;
  width: number;
  height: number;
  holes: HoleMode;
  /** colour for holes when holes = 'mark' (0..255) */
  holeColor?: [number, number, number];
  /** background behind covered pixels for alpha < 1 (0..255); default black */
  background?: [number, number, number];
}

/** A rendered view: pixels, depth, and which pixels are real surface. */
export interface RenderedView {
  width: number;
  height: number;
  /** width × height × 4, sRGB 0..255, alpha 255 everywhere (holes already marked/filled) */
  rgba: Uint8Array;
  /** width × height camera-space z of the rendered surface; 0 where nothing was rendered */
  depth: Float32Array;
  /** width × height, 1 where the pixel is real surface, 0 where it is a hole */
  coverage: Uint8Array;
  /** share of pixels that are real surface, 0..1 */
  coverageRatio: number;
  camera: Camera;
  mode: RenderMode;
  holes: HoleMode;
  /** which renderer produced it: 'webgpu' or 'reference' */
  renderer: 'webgpu' | 'reference';
}

/** Anything that can render a scene; the WebGPU renderer and the TypeScript reference both are. */
export interface Renderer {
  readonly kind: 'webgpu' | 'reference';
  render(scene: Scene, camera: Camera, options: RenderOptions): Promise<RenderedView>;
  /**
   * Optional: get ready to render `scene` (upload it to the GPU) so that the first view costs less;
   * called while a model reply is awaited. Resolves (never rejects) when done or when it cannot help.
   */
  prepare?(scene: Scene): Promise<void>;
  dispose(): void;
}

/** A question with its options. `options` are the texts; letters are A, B, C… in order. */
export interface Question {
  id?: string;
  text: string;
  /** option texts without their letters; empty for free-form questions */
  options: string[];
  /** ground truth: a letter, or for a numeric question the number in `numeric.unit` (evaluation only: never shown to a model) */
  answer?: string;
  category?: string;
  /** a question answered by a number (no options): what it counts or measures, and the unit asked for */
  numeric?: NumericSpec;
}

/** What a numeric question measures (core/numeric.ts converts between units). */
export interface NumericSpec {
  kind: 'count' | 'length' | 'area' | 'volume' | 'number';
  /** the unit the question asks for and the answer is written in: "", "m", "cm", "m²", … */
  unit: string;
}
