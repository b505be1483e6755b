/**
 * Depth-map cache: the model's prediction for an image (resized to the image, before any alignment)
 * is kept under <cache>/depth/, keyed by the image's bytes, the model's fingerprint and everything
 * that changes the prediction (family, input size). Alignment options are applied after reading, so
 * changing --depth-range or --known-depth never reruns the model. Entries are written atomically
 * (core/io/files.ts); a damaged entry reads as a miss.
 */
import { createHash } from 'node:crypto';
import { open, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/io/files.js';
import type { PredictionType } from './families.js';

export interface CachedPrediction {
  width: number;
  height: number;
  /** width × height, the model output resized to the image; NaN = no depth */
  prediction: Float32Array;
  meta: PredictionMeta;
}

export interface PredictionMeta {
  kind: string;
  prediction: PredictionType;
  modelInput: { width: number; height: number };
  focalPx?: number;
  maxDepth?: number;
  notes: string[];
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const EDGE = 1 << 20;

/**
 * A cheap fingerprint of a model file: its size and the hash of its first and last MiB (weights
 * differ there between models and versions; hashing a whole 1 GB file on every run would not be cheap).
 */
export async function modelFingerprint(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const h = createHash('sha256').update(`size:${size};`);
    const head = Buffer.alloc(Math.min(EDGE, size));
    await fh.read(head, 0, head.length, 0);
    h.update(head);
    if (size > EDGE) {
      const tail = Buffer.alloc(Math.min(EDGE, size - EDGE));
      await fh.read(tail, 0, tail.length, size - tail.length);
      h.update(tail);
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

/** The cache key of an image's prediction by a model under given preprocessing. */
export function predictionCacheKey(parts: {
  imageHash: string;
  modelHash: string;
  kind: string;
  inputSize: number;
}): string {
  return sha256Hex(`v1|${parts.imageHash}|${parts.modelHash}|${parts.kind}|${parts.inputSize}`).slice(0, 40);
}

function depthCacheDir(cacheDir: string): string {
  return join(cacheDir, 'depth');
}

/** A cached prediction, or undefined when absent or damaged. */
export async function readCachedPrediction(cacheDir: string, key: string): Promise<CachedPrediction | undefined> {
  const base = join(depthCacheDir(cacheDir), key);
  try {
    const header = JSON.parse(await readFile(`${base}.json`, 'utf8')) as {
      width: number;
      height: number;
      meta: PredictionMeta;
    };
    const bytes = await readFile(`${base}.f32`);
    if (!(header.width > 0 && header.height > 0) || bytes.length !== header.width * header.height * 4) return undefined;
    const prediction = new Float32Array(header.width * header.height);
    new Uint8Array(prediction.buffer).set(bytes);
    return { width: header.width, height: header.height, prediction, meta: header.meta };
  } catch {
    return undefined;
  }
}

/** Store a prediction (data first, header last: the header's presence marks a complete entry). */
export async function writeCachedPrediction(cacheDir: string, key: string, entry: CachedPrediction): Promise<void> {
  const dir = depthCacheDir(cacheDir);
  await mkdir(dir, { recursive: true });
  const base = join(dir, key);
  const data = Buffer.from(entry.prediction.buffer, entry.prediction.byteOffset, entry.prediction.byteLength);
  const header = JSON.stringify({ width: entry.width, height: entry.height, meta: entry.meta });
  await writeFileAtomic(`${base}.f32`, data);
  await writeFileAtomic(`${base}.json`, header);
}
