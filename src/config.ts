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

/** Evidence fusion (loop/fusion.ts). */
export const FUSION_DEFAULTS = {
  /** floor on every option probability before pooling: one confident round cannot veto an option */
  probabilityFloor: 1e-3,
  /** add-α smoothing of the vote policy, so an option nobody voted for keeps some mass */
  voteSmoothing: 0.5,
} as const;

/** Input/output formats (src/io/, synth/ply.ts). */
export const IO_DEFAULTS = {
  /** raw uint16 units per metre: 16-bit PNG depth is millimetres unless told otherwise */
  png16DepthScale: 1000,
  /** TUM RGB-D depth PNGs store metres × 5000 */
  tumDepthScale: 5000,
  /** SUN3D depth PNGs (after the bit rotation) store millimetres */
  sun3dDepthScale: 1000,
  /** NYU Depth v2 raw Kinect disparity: metres = numerator / (offset − d); d ≥ offset is invalid */
  nyuDisparity: { numerator: 351.3, offset: 1092.5 },
  /** uint16 .npy depth is taken as millimetres unless a scale is given */
  npyUint16DepthScale: 1000,
  /** writeDepth to .png stores millimetres (depths over 65.535 m become 0 = no depth) */
  depthPngWriteScale: 1000,
  /** depth preview colour range: these percentiles of valid inverse depth (robust to outliers) */
  depthPreviewPercentiles: [2, 98],
  /** PLY scenes have no camera: frame the 5–95 percentile box of positions (robust to floaters) */
  plyFramingPercentiles: [5, 95],
  /** … with this much margin around it */
  plyFramingMargin: 1.1,
  /** positions sampled (evenly) to compute percentiles and medians of large PLY scenes */
  plyStatsSample: 50_000,
  /** default reference-camera image size for a PLY scene when the caller gives none */
  plyReferenceSize: { width: 512, height: 384 },
} as const;

/** Lifting RGB-D to Gaussians (synth/lift.ts). */
export const LIFT_DEFAULTS = {
  /**
   * A neighbour whose depth differs by more than this share of the nearer depth is across a
   * discontinuity. Kinect noise is ~1 % at 3 m; real object edges jump by far more than 5 %.
   */
  depthJumpRel: 0.05,
  /** surfaces seen at more than this angle between normal and view ray are smears, not surface */
  grazingDeg: 80,
  /**
   * In-plane std-dev of a surfel in pixel spacings. ½ puts a neighbour at 2σ (weight e^-2 ≈ 0.14),
   * so the input view stays sharp, while 2σ discs of neighbours still touch under moderate magnification.
   */
  footprintScale: 0.5,
  /** widening along the tilt direction at oblique surfaces is capped at this factor */
  maxStretch: 4,
  /** normal-direction std-dev as a share of the in-plane one: surfels are flat */
  normalScaleRatio: 0.01,
  opacity: 0.98,
  stride: 1,
  maxDepth: Infinity,
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

/** The MLLM client (src/mllm/). */
export const MLLM_DEFAULTS = {
  /** per HTTP attempt; vision models on a busy server can take a minute for a long answer */
  timeoutMs: 120_000,
  /** retries after the first attempt, for 429, 5xx, timeouts and connection resets */
  maxRetries: 4,
  /** longest image side sent: ~768 px is where providers' own downscaling starts (detail: high tiles) */
  maxImageSide: 768,
  /** requests in flight at once, shared by all callers that share one limiter */
  concurrency: 4,
  /** 0: the most repeatable answers a server gives */
  temperature: 0,
  /** alternatives per token for the option distribution (OpenAI allows up to 20) */
  topLogprobs: 5,
  /** images per request: the original plus the latest views (1–2 extra views give most of the gain) */
  maxImages: 4,
  /** exponential back-off with jitter between retries: first delay, and the cap */
  retryMinDelayMs: 1_000,
  retryMaxDelayMs: 30_000,
  /** a server's Retry-After is honoured up to this much */
  maxRetryAfterMs: 60_000,
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

/**
 * The MCP server (src/mcp/): what one agent request may cost. Tighter than INPUT_LIMITS because a
 * server is shared and long-lived; `vantage mcp` flags override the store caps.
 */
export const MCP_LIMITS = {
  /** an image or depth map, as a file or decoded base64 */
  maxImageBytes: 32 * 1024 ** 2,
  /** decoded image size: 4096 × 4096 */
  maxImagePixels: 16_777_216,
  /** a 3DGS PLY file given to lift_scene */
  maxPlyBytes: 512 * 1024 ** 2,
  /** images per request (answer_spatial_question and lift_scene fuse several with a trajectory) */
  maxImages: 8,
  /** one scene's typed arrays (56 bytes per Gaussian: 8M Gaussians ≈ 450 MB) */
  maxSceneBytes: 512 * 1024 ** 2,
  /** all scenes kept together; least recently used ones are evicted beyond this */
  storeBytes: 1024 ** 3,
  /** scenes kept at once */
  storeScenes: 16,
  /** longest side of a rendered view */
  maxRenderSide: 2048,
  /** an HTTP request body (JSON with base64 images) */
  maxRequestBytes: 96 * 1024 ** 2,
  /** evicted scene ids remembered, so a late render_view says "evicted" rather than "unknown" */
  rememberEvicted: 256,
} as const;

/** `vantage eval` (loop/eval). */
export const EVAL_DEFAULTS = {
  /** errors in a row, with no success yet in this run, after which it stops: the setup is wrong, not an item */
  failFastAfter: 6,
  /** parquet rows read per batch (image columns make rows large) */
  parquetBatchRows: 32,
  /** plain progress lines (stderr not a terminal): at most one per this many ms, and the last */
  progressIntervalMs: 5000,
} as const;
