/** Tunables of photo registration (synth/register/). */
export const REGISTER_DEFAULTS = {
  /** how long OpenCV's WebAssembly may take to start */
  openCvStartMs: 60_000,
  /** ORB keypoints per photo */
  maxFeatures: 3000,
  /** CLAHE clip limit applied before ORB */
  claheClip: 3,
  /** photos are matched at most this many pixels on the long side */
  maxSide: 1024,
  /** Lowe's ratio test */
  ratio: 0.85,
  /** RANSAC iterations (adaptive below this) */
  ransacIterations: 2000,
  /** 3-D inlier threshold: metres at 1 m (grows with depth), for metric depth */
  inlier3dRel: 0.02,
  /** 2-D inlier threshold in pixels (essential matrix) */
  inlierPx: 1.5,
  /** fewer inliers than this and a pair does not register (2-D: essential matrix) */
  minInliers: 25,
  /** …with metric depth on both photos (a 3-D rigid fit is far harder to satisfy by chance) */
  minInliers3d: 15,
  /** …nor when inliers are a smaller share of the matches than this */
  minInlierRatio: 0.15,
  /** projective ICP iterations refining each depth pair */
  icpIterations: 8,
  /** ICP: pixel stride of the points it samples */
  icpStride: 4,
} as const;
