/**
 * Tunables of the shared kernel (poses, input limits, file formats, the MLLM client), each with its reason.
 * Change them here, not at the call site; synth/, loop/ and src/mcp/ keep theirs in their own config.ts.
 */

/** Pose ranges (docs/conventions.md). Out-of-range values go back to the MLLM once, then are clamped. */
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

/** Input/output formats (core/io/, core/io/ply-read.ts). */
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
  /** a metric depth map whose median lies outside this (metres) is warned about: a wrong scale or format */
  plausibleMedianDepthM: [0.05, 1000],
  /** fields of view (degrees) a real camera can have: focal lengths outside them are a unit mistake */
  plausibleFovDeg: [0.1, 179],
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

/** The MLLM client (core/mllm/). */
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
  /**
   * `ask`: the whole question (every call, retry and back-off) ends by this deadline, so a stalled
   * endpoint costs minutes, not the 10 that 120 s × 5 attempts allow
   */
  questionDeadlineMs: 180_000,
} as const;
