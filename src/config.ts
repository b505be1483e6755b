/**
 * Tunables, in one place. Each has a reason beside it; change them here, not at the call site.
 */

/** Pose ranges (DESIGN.md). Out-of-range values go back to the MLLM once, then are clamped. */
export const POSE_LIMITS = {
  azimuthDeg: [-180, 180],
  elevationDeg: [-85, 85],
  distanceScale: [0.25, 4],
  yawDeg: [-180, 180],
  pitchDeg: [-85, 85],
  /** ego translations and explicit camera positions, in scene units: beyond this a pose is absurd */
  egoMoveM: [-100, 100],
} as const;

/** Input size caps: anything larger is refused with a clear error rather than exhausting memory. */
export const INPUT_LIMITS = {
  maxImagePixels: 40_000_000,
  maxImageSide: 16_384,
  maxRenderSide: 4096,
  maxSplats: 20_000_000,
  maxFileBytes: 2 * 1024 ** 3,
} as const;

/** Colour used for holes when holes = 'mark' (magenta: never a colour of the procedural scenes). */
export const HOLE_MARK_COLOR: [number, number, number] = [255, 0, 255];

/** Render defaults. */
export const RENDER_DEFAULTS = {
  width: 512,
  height: 384,
  mode: 'gaussians',
  holes: 'mark',
} as const;
