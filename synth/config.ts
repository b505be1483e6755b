/**
 * Tunables of view synthesis (lifting, floor detection, depth models, the renderer), each with its reason.
 * Change them here, not at the call site.
 */
import { availableParallelism } from 'node:os';

/**
 * Renders in flight at once by default (`createRenderer({ parallel })`, eval's --renders): half the
 * cores, at least 1, at most 4. A CPU Vulkan (lavapipe) spreads one render over every core already;
 * more in flight overlaps the host-side work (upload, read-back, hole filling, PNG encoding).
 */
export const RENDER_PARALLEL = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));

/** Render defaults. */
export const RENDER_DEFAULTS = {
  width: 512,
  height: 384,
  mode: 'gaussians',
  holes: 'mark',
} as const;

/**
 * The renderer (synth/*renderer.ts, shaders/): one set of numbers for the WebGPU shaders (passed as
 * WGSL override constants) and the TypeScript reference, so the two compute the same image.
 */
export const RENDER_TUNING = {
  /** 3DGS low-pass: added to the 2D covariance diagonal (px²) so sub-pixel splats still cover a pixel */
  lowPassPx2: 0.3,
  /** a Gaussian's screen footprint radius, in standard deviations of its major axis */
  sigmaCutoff: 3,
  /** per-splat alpha cap, as 3DGS: a single splat never makes a pixel fully opaque */
  maxAlpha: 0.99,
  /** contributions below this alpha are skipped (invisible in 8-bit output) */
  minAlpha: 1 / 255,
  /** a pixel stops compositing once its transmittance would fall below this */
  minTransmittance: 1e-4,
  /** a pixel is real surface (coverage 1) when its accumulated alpha reaches this */
  coverageAlpha: 0.5,
  /** near plane = this share of the scene's bounds diagonal: nearer splats would blow up the Jacobian */
  nearFraction: 0.01,
  /** … and never less than this (scene units) */
  minNear: 1e-6,
  /** the tx/tz clamp of the Jacobian reaches this share of the image beyond each side (3DGS: 1.3 × tan) */
  jacobianClampMargin: 0.15,
  /** bits of the depth sort key: depth quantised over the visible range (ties keep splat order) */
  depthKeyBits: 16,
  /**
   * Side of the square tiles splats are binned into (px). Every pixel of a touched tile evaluates
   * the splat, so smaller tiles mean fewer evaluations per pixel but more (tile, splat) entries;
   * 8 is the measured optimum on lavapipe for ~1 px splats.
   */
  tileSize: 8,
  /**
   * points mode: footprint half-size r = clamp(max(scale)·fx/z·k, 0.5, maxRadius) px. Lifted surfels
   * have σ = ½ pixel spacing (LIFT_DEFAULTS.footprintScale), so k = 1 gives 1-px squares that tile
   * without gaps at the input pose and grow with magnification.
   */
  pointFootprintK: 1,
  pointMaxRadiusPx: 16,
  /** scenes whose GPU buffers a renderer keeps uploaded (rendering many views of one scene uploads once) */
  sceneCacheSize: 2,
} as const;

/**
 * Sizes the WebGPU renderer's host code (synth/gpu-renderer.ts) shares with shaders/*.wgsl; the
 * shaders spell them as WG·ITEMS constants and test/gpu-stages.test.ts checks that both agree.
 */
export const GPU_KERNELS = {
  /** items per workgroup of scan_blocks.wgsl / scan_add.wgsl (WG 256 × ITEMS 16) */
  scanBlock: 4096,
  /** keys per workgroup of radix_histogram.wgsl / radix_scatter.wgsl (WG 128 × ITEMS 32) */
  sortBlock: 4096,
  /** bits per radix pass (RADIX = 2^bits digits in the sort shaders) */
  radixBits: 4,
  /** most (tile, block) counters of the binning: 16 MiB, so the counters stay small */
  binCounters: 1 << 20,
  /** minUniformBufferOffsetAlignment: every uniform block of a frame gets its own slot */
  uniformSlot: 256,
  /** uniform slots per frame (a 1M-splat frame uses ~40) */
  uniformSlots: 256,
  /** bytes of struct Frame in shaders/common.wgsl */
  frameBytes: 128,
} as const;

/**
 * Waiting for the GPU (synth/gpu-wait.ts). Dawn's Node binding polls a pending operation by
 * re-arming setImmediate, which burns a core on a CPU Vulkan (lavapipe) that needs that core to
 * render. A wait polls at once for `spinMs` (a real GPU is usually done by then), then on a timer.
 */
export const GPU_WAIT = {
  /** poll without delay for this long after a wait starts (keeps short waits on real GPUs fast) */
  spinMs: 1,
  /** then poll every this many ms */
  pollMs: 1,
} as const;

/** Lifting RGB-D to Gaussians (synth/lift.ts). */
export const LIFT_DEFAULTS = {
  /**
   * A neighbour whose depth differs by more than this share of the nearer depth is across a
   * discontinuity. Kinect noise is ~1 % at 3 m; real object edges jump by far more than 5 %.
   */
  depthJumpRel: 0.05,
  /**
   * Surfaces seen at more than this angle between normal and view ray are smears, not surface. 88° for
   * everything would keep real faces seen obliquely but lets a depth network's smear back as a curtain
   * between foreground and background (test/lift-fixture.test.ts).
   */
  grazingDeg: 80,
  /**
   * … for measured depth (sensor, ray cast, a given depth map), which has no such smear: real faces
   * seen obliquely are kept (room fixture at orbit 30°, gaussians: 30.3 → 34.5 dB).
   */
  grazingDegMeasured: 88,
  /**
   * … but a pixel beyond it, up to this angle, is kept when the depth around it is a plane (synth/lift.ts
   * onPlane): the oblique faces an orbit turns toward the camera. Room fixture at orbit 30°: +5 dB.
   */
  planarGrazingDeg: 88,
  /** onPlane: largest second difference of 1/z, as a share of 1/z (exact planes: ~1e-7; smears: ≥ 5 %) */
  planarTolRel: 0.005,
  /**
   * In-plane std-dev of a surfel in pixel spacings. ½ puts a neighbour at 2σ (weight e^-2 ≈ 0.14),
   * so the input view stays sharp, while 2σ discs of neighbours still touch under moderate magnification.
   */
  footprintScale: 0.5,
  /** widening along the tilt direction at oblique surfaces is capped at this factor */
  maxStretch: 4,
  /** normal-direction std-dev as a share of the in-plane one: surfels are flat */
  normalScaleRatio: 0.01,
  /**
   * Surfel opacity. 0.98 let whichever noisy-depth surfel sorted first own a pixel; at 0.7 neighbouring
   * surfels blend (≈ 3–4 composite per pixel), measured +0.6 dB (gaussians, Open3D frame 0 → 4) and
   * +1.1–2.4 dB at the procedural input poses. Points mode ignores opacity.
   */
  opacity: 0.7,
  stride: 1,
  maxDepth: Infinity,
} as const;

/** Fusing several lifted frames with known poses (synth/fuse.ts). */
export const FUSION_DEFAULTS = {
  /** two frames see the same surface when their depths there differ by at most this share (Kinect noise ~1 % at 3 m) */
  depthTolRel: 0.03,
  /** a pixel whose depth jumps by this share to a 4-neighbour has the lowest confidence */
  edgeRel: 0.05,
  /** … which is this, not 0: an edge pixel is still the only view of some surfaces */
  minConfidence: 0.1,
  /** exposure alignment: surfels sampled per frame pair, at least this many seen by both, gains clamped to this range */
  gainSamples: 20_000,
  minGainSamples: 200,
  gainRange: [0.5, 2] as [number, number],
} as const;

/** Photometric refinement of lifted colours against the input photos (synth/refine.ts, --refine N). */
export const REFINE_DEFAULTS = {
  /** share of the mean residual applied per step (1 overshoots where neighbours share the correction) */
  step: 0.6,
  /** stop after the step that crosses this wall time */
  timeBudgetMs: 30_000,
  maxIterations: 50,
  /** a surfel is visible in a view when the rendered depth at its pixel is within this share of its own */
  depthTolRel: 0.02,
} as const;

/** Floor-plane detection that levels "up" (synth/scene.ts detectUp). */
export const FLOOR_DETECTION = {
  /** points sampled for RANSAC */
  samplePoints: 20_000,
  /** hypotheses scored on a smaller subsample */
  scorePoints: 4_000,
  iterations: 300,
  /** inlier distance as a share of the median point depth */
  inlierRel: 0.01,
  /**
   * Largest angle between the plane normal and the reference camera's −y. The brief's ~30° would
   * reject table-top photos, which pitch down 15–35°; walls stay ≥ ~55° away unless the camera
   * pitches beyond that, so 45° is still safe.
   */
  maxTiltDeg: 45,
  /** share of the sampled points that must lie on the plane for it to count as a floor */
  minInlierShare: 0.1,
  seed: 1234567,
} as const;

/** Picking the lifted point under a reference pixel (synth/scene.ts pointUnderPixel). */
export const PICK_RADIUS_PX = 3;

/** Monocular depth models (synth/depth). */
export const DEPTH_MODEL_DEFAULTS = {
  /** Depth Anything V2: the short side the image is resized to (the models were trained at 518) */
  shortSide: 518,
  /** ViT patch size: Depth Anything input sides must be multiples of it */
  patchMultiple: 14,
  /** relative depth with nothing known: the 2nd/98th-percentile disparities become these depths (depth units, not metres) */
  defaultRange: [1, 10] as [number, number],
  /** --depth-range near,far applies to these disparity percentiles (robust to a few stray pixels) */
  rangePercentiles: [0.02, 0.98] as [number, number],
  /** a known depth at a pixel without a prediction reads the median of this (2r+1)² window around it */
  anchorWindowRadius: 1,
  /** relative → depth: anything farther than this × the 98th-percentile depth (sky) is put there */
  farClampFactor: 3,
  /** execution provider when none is asked for */
  provider: 'cpu',
} as const;
