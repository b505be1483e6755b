/**
 * Known depth models by name (public ONNX exports on Hugging Face and GitHub releases), the local
 * cache they are fetched into, and how a --depth-model argument resolves to a file.
 *
 * Cache: $VANTAGE_CACHE, else the user's cache directory (~/.cache/vantage, $XDG_CACHE_HOME/vantage,
 * ~/Library/Caches/vantage on macOS, %LOCALAPPDATA%\vantage\cache on Windows). A known model lives at
 * <cache>/models/<name>/<file>. A mirror can stand in for the original hosts: VANTAGE_MODEL_BASE_URL
 * (or the baseUrl option) makes the URL <base>/<name>/<file>.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VantageError } from '../../core/errors.js';
import type { DepthKind } from './families.js';

export interface KnownDepthModel {
  name: string;
  kind: DepthKind;
  /** where the file comes from */
  url: string;
  /** the file name in the cache */
  file: string;
  /** approximate size, for messages */
  approxBytes: number;
  licence: string;
  description: string;
  /** metric heads: the ceiling in metres */
  maxDepth?: number;
}

const HF = 'https://huggingface.co';
const FABIO = 'https://github.com/fabio-sim/Depth-Anything-ONNX/releases/download/v2.0.0';
const MB = 1024 * 1024;

export const KNOWN_DEPTH_MODELS: readonly KnownDepthModel[] = [
  {
    name: 'depth-anything-v2-small',
    kind: 'da2-relative',
    file: 'model.onnx',
    approxBytes: 99 * MB,
    licence: 'Apache-2.0',
    url: `${HF}/onnx-community/depth-anything-v2-small/resolve/main/onnx/model.onnx`,
    description: 'Depth Anything V2 small (ViT-S), relative inverse depth — the default',
  },
  {
    name: 'depth-anything-v2-base',
    kind: 'da2-relative',
    file: 'model.onnx',
    approxBytes: 390 * MB,
    licence: 'CC-BY-NC-4.0',
    url: `${HF}/onnx-community/depth-anything-v2-base/resolve/main/onnx/model.onnx`,
    description: 'Depth Anything V2 base (ViT-B), relative inverse depth (non-commercial licence)',
  },
  {
    name: 'depth-anything-v2-large',
    kind: 'da2-relative',
    file: 'depth_anything_v2_vitl_dynamic.onnx',
    approxBytes: 1275 * MB,
    licence: 'CC-BY-NC-4.0',
    url: `${FABIO}/depth_anything_v2_vitl_dynamic.onnx`,
    description:
      'Depth Anything V2 large (ViT-L), relative inverse depth, image → depth export (non-commercial licence)',
  },
  {
    name: 'depth-anything-v2-metric-indoor-small',
    kind: 'da2-metric',
    file: 'depth_anything_v2_vits_indoor_dynamic.onnx',
    approxBytes: 95 * MB,
    licence: 'Apache-2.0',
    maxDepth: 20,
    url: `${FABIO}/depth_anything_v2_vits_indoor_dynamic.onnx`,
    description: 'Depth Anything V2 metric, indoor (Hypersim), metres up to 20 m',
  },
  {
    name: 'depth-anything-v2-metric-outdoor-small',
    kind: 'da2-metric',
    file: 'depth_anything_v2_vits_outdoor_dynamic.onnx',
    approxBytes: 95 * MB,
    licence: 'Apache-2.0',
    maxDepth: 80,
    url: `${FABIO}/depth_anything_v2_vits_outdoor_dynamic.onnx`,
    description: 'Depth Anything V2 metric, outdoor (Virtual KITTI 2), metres up to 80 m',
  },
  {
    name: 'midas-v2.1-small',
    kind: 'midas-small',
    file: 'model-small.onnx',
    approxBytes: 64 * MB,
    licence: 'MIT',
    url: 'https://github.com/isl-org/MiDaS/releases/download/v2_1/model-small.onnx',
    description: 'MiDaS v2.1 small, 256×256, relative inverse depth (fast, coarse)',
  },
  {
    name: 'depth-pro',
    kind: 'depth-pro',
    file: 'model_q4.onnx',
    approxBytes: 746 * MB,
    licence: 'Apple ML Research (apple-ascl)',
    url: `${HF}/onnx-community/DepthPro-ONNX/resolve/main/onnx/model_q4.onnx`,
    description: 'Apple Depth Pro (4-bit weights), 1536², metric depth and focal length (slow on CPU)',
  },
];

export function knownDepthModel(name: string): KnownDepthModel | undefined {
  return KNOWN_DEPTH_MODELS.find((m) => m.name === name.trim().toLowerCase());
}

/** The Vantage cache directory: $VANTAGE_CACHE, else the platform's user cache directory. */
export function vantageCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.VANTAGE_CACHE) return resolve(env.VANTAGE_CACHE);
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'vantage', 'cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'vantage');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'vantage');
}

/** Where a known model's file lives in the cache. */
export function modelCachePath(model: KnownDepthModel, cacheDir: string = vantageCacheDir()): string {
  return join(cacheDir, 'models', model.name, model.file);
}

/** The URL a known model is fetched from: its origin, or <base>/<name>/<file> on a mirror. */
export function modelUrl(
  model: KnownDepthModel,
  baseUrl: string | undefined = process.env.VANTAGE_MODEL_BASE_URL,
): string {
  if (!baseUrl) return model.url;
  return `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(model.name)}/${encodeURIComponent(model.file)}`;
}

/** Does a --depth-model argument name a file rather than a known model? */
export function looksLikePath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.(onnx|ort)$/i.test(spec) || spec.startsWith('.');
}

export type ModelSpec =
  { type: 'file'; path: string } | { type: 'known'; model: KnownDepthModel; path: string; present: boolean };

/** What a --depth-model argument means: a local file (which must exist), or a known model and its cache path. */
export function resolveModelSpec(spec: string, cacheDir: string = vantageCacheDir()): ModelSpec {
  const s = spec.trim();
  if (!s)
    throw new VantageError(
      'bad-depth-model',
      'no depth model given',
      `pass --depth-model NAME (${KNOWN_DEPTH_MODELS[0].name}, …) or a path to a .onnx file`,
    );
  const known = knownDepthModel(s);
  if (known && !(looksLikePath(s) && existsSync(s))) {
    const path = modelCachePath(known, cacheDir);
    return { type: 'known', model: known, path, present: existsSync(path) && statSync(path).size > 0 };
  }
  if (looksLikePath(s) || existsSync(s)) {
    const path = resolve(s);
    if (!existsSync(path))
      throw new VantageError(
        'file-not-found',
        `depth model file "${s}" not found`,
        `check the path (looked for ${path})`,
      );
    if (statSync(path).isDirectory())
      throw new VantageError('not-a-file', `depth model "${s}" is a directory`, 'pass the .onnx file itself');
    return { type: 'file', path };
  }
  throw new VantageError(
    'unknown-depth-model',
    `unknown depth model "${s}"`,
    `known models: ${KNOWN_DEPTH_MODELS.map((m) => m.name).join(', ')}; or pass a path to a .onnx file (e.g. ./model.onnx)`,
  );
}
