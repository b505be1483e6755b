/** Plain data of the built-in perceiver: what it looks at, and what it sees in one view. */
import type { Camera, Vec3 } from '../../core/types.js';
import type { Pose } from '../../core/pose.js';

/** One image the perceiver looks at; depth (camera z) and camera make world positions possible. */
export interface PerceiverView {
  width: number;
  height: number;
  /** width × height × 4, sRGB */
  rgba: Uint8Array;
  /** camera-space z per pixel; 0 / non-finite = no surface */
  depth?: Float32Array;
  /** 1 = real surface, 0 = hole */
  coverage?: Uint8Array;
  camera?: Camera;
  pose?: Pose;
}

/** One palette colour seen in one view. */
export interface Observation {
  /** palette colour name ("red") */
  color: string;
  pixels: number;
  /** pixel-centre coordinates (u + ½, v + ½) of the blob's centroid */
  centroidPx: [number, number];
  /** [x0, y0, x1, y1), pixel indices, end-exclusive */
  bboxPx: [number, number, number, number];
  /** median world position of the blob's visible surface (needs depth + camera) */
  world?: Vec3;
  /** guess at the object's centre: the surface point pushed back along the ray by half the apparent width */
  centerWorld?: Vec3;
  /** apparent width in world units at the blob's median depth */
  widthM?: number;
  viewIndex: number;
}
