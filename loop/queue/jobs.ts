/**
 * What a job carries: one (grid cell, item) pair of a run, with everything a worker needs to run it
 * through the same pair runner as a local eval — the cell (its full loop configuration), the item
 * with its file paths relative to the run's image root, and the run's model settings. Job ids are
 * derived from the run and the pair, so enqueueing a pair twice is a no-op (BullMQ keeps one job per
 * id) and a restarted coordinator finds the jobs of its earlier self.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { loopConfigFrom } from '../config.js';
import type { MllmConfig } from '../../core/mllm/index.js';
import type { EvalItem, GridCell } from '../eval/types.js';

/** The run's settings a worker needs (never an API key: workers read theirs from their environment). */
export interface JobSpec {
  model: string;
  baseUrl?: string;
  timeout?: number;
  logprobs?: boolean;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  mllm?: Partial<Omit<MllmConfig, 'apiKey'>>;
  depthModel?: string;
  roundZeroOnly: boolean;
  /** MLLM requests in flight toward the endpoint, over all workers together */
  concurrency: number;
  /** the coordinator's image root (absolute); a worker's --image-root replaces it */
  imageRoot: string;
}

export interface JobData {
  v: 1;
  /** the run: derived from its results folder */
  run: string;
  cell: GridCell;
  /** file paths relative to spec.imageRoot */
  item: EvalItem;
  spec: JobSpec;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A run's id: the same results folder is the same run (a restarted coordinator continues it). */
export const runIdOf = (out: string): string => `r${sha(resolve(out)).slice(0, 16)}`;

/** A pair's job id (BullMQ ids may not contain ':'). */
export const jobIdOf = (run: string, cellKey: string, itemId: string): string =>
  `${run}-${sha(`${cellKey}\u0000${itemId}`).slice(0, 24)}`;

const rel = (root: string, p: string) => relative(root, p).split(sep).join('/');

/** An intrinsics value that names a file ("fx,fy,cx,cy" and "fov:DEG" do not). */
const isIntrinsicsFile = (k: string) => !/^fov:/i.test(k) && !/^[\d.eE+-]+(,[\d.eE+-]+){3}$/.test(k.trim());

/** The item with every file path passed through `f` (intrinsics only when they name a file `keep` accepts). */
function mapItemPaths(item: EvalItem, f: (p: string) => string, keep: (k: string) => boolean): EvalItem {
  return {
    ...item,
    images: item.images.map(f),
    ...(item.depths ? { depths: item.depths.map(f) } : {}),
    ...(item.intrinsics && isIntrinsicsFile(item.intrinsics) && keep(item.intrinsics)
      ? { intrinsics: f(item.intrinsics) }
      : {}),
    ...(item.scan
      ? {
          scan: {
            images: item.scan.images.map(f),
            depths: item.scan.depths.map(f),
            trajectory: f(item.scan.trajectory),
          },
        }
      : {}),
    ...(item.video
      ? {
          video: {
            path: f(item.video.path),
            ...(item.video.depths ? { depths: item.video.depths.map(f) } : {}),
            ...(item.video.trajectory ? { trajectory: f(item.video.trajectory) } : {}),
          },
        }
      : {}),
  };
}

/** The item with its paths relative to `root`, for a worker that may see the files under another root. */
export function portableItem(item: EvalItem, root: string): EvalItem {
  return mapItemPaths(item, (p) => rel(root, p), existsSync);
}

/** The files an item reads (paths as the item has them). */
export function itemFiles(item: EvalItem): string[] {
  return [
    ...item.images,
    ...(item.depths ?? []),
    ...(item.intrinsics && isIntrinsicsFile(item.intrinsics) ? [item.intrinsics] : []),
    ...(item.scan ? [...item.scan.images, ...item.scan.depths, item.scan.trajectory] : []),
    ...(item.video
      ? [item.video.path, ...(item.video.depths ?? []), ...(item.video.trajectory ? [item.video.trajectory] : [])]
      : []),
  ];
}

/** A shipped path on this machine: relative paths are under the image root. */
export const onRoot = (root: string, p: string): string => (isAbsolute(p) ? p : resolve(root, p));

/** The shipped item with its paths resolved against this machine's image root. */
export function localItem(item: EvalItem, root: string): EvalItem {
  return mapItemPaths(
    item,
    (p) => onRoot(root, p),
    () => true,
  );
}

const Paths = z.array(z.string().min(1));
const JobDataSchema = z.object({
  v: z.literal(1),
  run: z.string().regex(/^r[0-9a-f]{16}$/),
  cell: z.object({
    key: z.string().min(1),
    label: z.string(),
    settings: z.record(z.string(), z.unknown()),
    config: z.record(z.string(), z.unknown()),
  }),
  item: z
    .object({
      id: z.string().min(1),
      images: Paths,
      depths: Paths.optional(),
      intrinsics: z.string().optional(),
      scan: z.object({ images: Paths, depths: Paths, trajectory: z.string().min(1) }).optional(),
      video: z
        .object({ path: z.string().min(1), depths: Paths.optional(), trajectory: z.string().min(1).optional() })
        .optional(),
      question: z
        .object({
          text: z.string().min(1),
          options: z.array(z.string()),
          answer: z.string(),
          category: z.string(),
        })
        .passthrough(),
    })
    // what else an item carries (its place in the file, option order, source) travels as it is
    .passthrough(),
  spec: z.object({
    model: z.string().min(1),
    baseUrl: z.string().optional(),
    timeout: z.number().positive().optional(),
    logprobs: z.boolean().optional(),
    temperature: z.number().optional(),
    topP: z.number().optional(),
    maxTokens: z.number().int().positive().optional(),
    seed: z.number().int().optional(),
    mllm: z.record(z.string(), z.unknown()).optional(),
    depthModel: z.string().optional(),
    roundZeroOnly: z.boolean(),
    concurrency: z.number().int().min(1),
    imageRoot: z.string().min(1),
  }),
});

/** The job's data, checked; a string saying what is wrong when it is not a pair of a run. */
export function parseJobData(data: unknown): JobData | string {
  const r = JobDataSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    return `${i.path.join('.') || '(payload)'}: ${i.message}`;
  }
  try {
    // the cell's loop configuration is checked like a user's
    const config = loopConfigFrom(r.data.cell.config);
    return { ...(r.data as unknown as JobData), cell: { ...(r.data.cell as unknown as GridCell), config } };
  } catch (e) {
    return (e as Error).message;
  }
}
