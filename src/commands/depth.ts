/** `vantage depth`: estimate a depth map from one photo with a monocular ONNX model. */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { DEPTH_MODEL_DEFAULTS } from '../../synth/config.js';
import { VantageError } from '../../core/errors.js';
import { formatBytes, readJsonFile, writeFileChecked } from '../../core/io/files.js';
import { depthPreviewPng, writeDepth } from '../../core/io/depth.js';
import type { DepthAnchor } from '../../synth/depth/align.js';
import { DEPTH_KINDS } from '../../synth/depth/families.js';
import { KNOWN_DEPTH_MODELS, modelCachePath, vantageCacheDir } from '../../synth/depth/models.js';
import { depthForImage, EXECUTION_PROVIDERS, type DepthEstimate } from '../../synth/depth/estimate.js';

/** "a,b,c" → n finite numbers, or a VantageError naming the option and an example. */
export function parseNumbers(spec: string, n: number, option: string, example: string): number[] {
  const parts = spec.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== n || parts.some((p) => p === '') || nums.some((x) => !Number.isFinite(x))) {
    throw new VantageError(
      'bad-option',
      `${option} "${spec}" is not ${n} comma-separated numbers`,
      `example: ${option} ${example}`,
    );
  }
  return nums;
}

/** Anchors from "u,v,m;u,v,m" or a JSON file: [{"u":…, "v":…, "depth":…}] or [[u, v, m], …]. */
export async function parseAnchors(spec: string): Promise<DepthAnchor[]> {
  const fromTriples = (list: unknown[]): DepthAnchor[] =>
    list.map((a, i) => {
      const t = Array.isArray(a) ? a : [(a as DepthAnchor)?.u, (a as DepthAnchor)?.v, (a as DepthAnchor)?.depth];
      if (t.length !== 3 || t.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
        throw new VantageError(
          'bad-anchors',
          `anchor ${i} (${JSON.stringify(a)}) is not {"u":px,"v":px,"depth":metres} or [u, v, metres]`,
        );
      }
      return { u: t[0] as number, v: t[1] as number, depth: t[2] as number };
    });
  if (/\.json$/i.test(spec) || existsSync(spec)) {
    const data = await readJsonFile(spec, {
      what: 'anchors file',
      code: 'bad-anchors',
      hint: 'write a JSON list like [{"u":320,"v":240,"depth":2.5}]',
    });
    if (!Array.isArray(data)) throw new VantageError('bad-anchors', `anchors file "${spec}" must hold a JSON list`);
    return fromTriples(data);
  }
  return spec
    .split(';')
    .filter((s) => s.trim())
    .map((s) => {
      const [u, v, depth] = parseNumbers(s, 3, '--anchors', '"320,240,2.5;100,400,1.2"');
      return { u, v, depth };
    });
}

export interface DepthCommandOptions {
  depthModel: string;
  depthKind?: string;
  provider?: string;
  inputSize?: number;
  depthRange?: string;
  knownDepth?: string;
  anchors?: string;
  out?: string;
  preview?: string;
  cacheDir?: string;
  cache?: boolean;
  offline?: boolean;
  json?: boolean;
}

function summary(image: string, est: DepthEstimate & { cached: boolean }): object {
  let lo = Infinity;
  let hi = -Infinity;
  let valid = 0;
  for (const d of est.depth) {
    if (d > 0) {
      valid++;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
  }
  return {
    image,
    width: est.width,
    height: est.height,
    kind: est.kind,
    units: est.units,
    alignment: { method: est.alignment.method, s: est.alignment.s, t: est.alignment.t, note: est.alignment.note },
    focalPx: est.focalPx,
    depthMin: valid ? lo : null,
    depthMax: valid ? hi : null,
    coverage: valid / est.depth.length,
    modelInput: est.modelInput,
    cached: est.cached,
    timings: est.timings,
    notes: est.notes,
  };
}

export async function runDepthCommand(
  image: string,
  o: DepthCommandOptions,
  print: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): Promise<DepthEstimate & { cached: boolean }> {
  const log = (s: string) => process.stderr.write(s + '\n');
  for (const [opt, path] of [
    ['--out', o.out],
    ['--preview', o.preview],
  ] as const) {
    if (!path) continue;
    const ext = extname(path).toLowerCase();
    const ok = opt === '--out' ? ['.png', '.npy', '.pfm'].includes(ext) : ext === '.png';
    if (!ok)
      throw new VantageError(
        'bad-option',
        `${opt} ${path}: unsupported extension "${ext}"`,
        opt === '--out' ? 'use .png (uint16 millimetres), .npy or .pfm (float32)' : 'use a .png file',
      );
  }
  const inputSize = o.inputSize ?? DEPTH_MODEL_DEFAULTS.shortSide;
  if (!Number.isInteger(inputSize) || inputSize < 14 || inputSize > 4096) {
    throw new VantageError(
      'bad-option',
      `--input-size ${o.inputSize} is not an integer between 14 and 4096`,
      `the default is ${DEPTH_MODEL_DEFAULTS.shortSide}`,
    );
  }
  const depthRange = o.depthRange
    ? (parseNumbers(o.depthRange, 2, '--depth-range', '0.5,8') as [number, number])
    : undefined;
  const knownDepth = o.knownDepth
    ? (parseNumbers(o.knownDepth, 3, '--known-depth', '320,240,2.5') as [number, number, number])
    : undefined;
  const anchors = o.anchors ? await parseAnchors(o.anchors) : undefined;

  const est = await depthForImage(image, {
    depthModel: o.depthModel,
    depthKind: o.depthKind,
    provider: o.provider,
    inputSize,
    depthRange,
    knownDepth,
    anchors,
    cacheDir: o.cacheDir,
    useCache: o.cache !== false,
    offline: o.offline,
    log,
  });
  if (o.out) {
    await writeDepth(o.out, est.depth, est.width, est.height);
    if (est.units === 'relative' && extname(o.out).toLowerCase() === '.png') {
      log(
        `note: ${o.out} holds relative depth units written as if metres (×1000); give --depth-range or --known-depth for metres`,
      );
    }
  }
  if (o.preview)
    await writeFileChecked(o.preview, await depthPreviewPng(est.depth, est.width, est.height), 'depth preview');
  const s = summary(image, est) as ReturnType<typeof summary> & Record<string, unknown>;
  if (o.json) {
    print(JSON.stringify({ ...s, out: o.out ?? null, preview: o.preview ?? null }, null, 2));
  } else {
    const u = est.units === 'metres' ? 'm' : 'depth units';
    const range =
      s.depthMin !== null
        ? `${(s.depthMin as number).toFixed(2)}–${(s.depthMax as number).toFixed(2)} ${u}`
        : 'no valid depth';
    print(
      `${image}: ${est.width}×${est.height} depth, ${est.units} (${est.kind}), ${range}, coverage ${((s.coverage as number) * 100).toFixed(1)}%` +
        `${est.cached ? ', from cache' : `, ${est.timings.inferMs.toFixed(0)} ms inference`}`,
    );
    print(`  ${est.alignment.note}`);
    if (est.focalPx) print(`  focal length from the model: ${est.focalPx.toFixed(1)} px`);
    if (o.out) print(`  wrote ${o.out}`);
    if (o.preview) print(`  wrote ${o.preview}`);
  }
  return est;
}

/** The known models, with where each is cached and whether it is there. */
export function knownModelsText(cacheDir: string = vantageCacheDir()): string {
  const lines = KNOWN_DEPTH_MODELS.map((m) => {
    const path = modelCachePath(m, cacheDir);
    return `${m.name.padEnd(40)} ${m.kind.padEnd(13)} ~${formatBytes(m.approxBytes).padEnd(8)} ${existsSync(path) ? 'cached' : 'not cached'}\n    ${m.description}; ${m.licence}\n    ${m.url}`;
  });
  return `Known depth models (cache: ${cacheDir}):\n${lines.join('\n')}`;
}

export function registerDepthCommand(program: Command): void {
  program
    .command('depth')
    .description('estimate a depth map from one photo with a monocular depth model (ONNX, onnxruntime-node)')
    .argument('[image]', 'the photo: PNG, JPEG, WebP, …')
    .option('--depth-model <name|path>', `a known model (see --list) or a .onnx file`, 'depth-anything-v2-small')
    .option('--depth-kind <kind>', `model family: auto | ${DEPTH_KINDS.join(' | ')}`, 'auto')
    .option('--provider <ep>', `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`, DEPTH_MODEL_DEFAULTS.provider)
    .option(
      '--input-size <px>',
      'short side of the model input for Depth Anything (multiples of 14)',
      (v) => Number(v),
      DEPTH_MODEL_DEFAULTS.shortSide,
    )
    .option(
      '--depth-range <near,far>',
      "metres of the scene's near and far ends (2nd/98th percentile): relative depth becomes metric",
    )
    .option('--known-depth <u,v,metres>', 'the depth of one pixel (column u, row v): scales relative depth to metres')
    .option(
      '--anchors <spec|file.json>',
      'several known depths, "u,v,m;u,v,m" or a JSON list: least-squares scale and shift',
    )
    .option('--out <path>', 'write the depth map: .png (uint16 mm), .npy or .pfm (float32)')
    .option('--preview <path>', 'write a colour preview PNG (near = warm, far = cool, no depth = black)')
    .option('--cache-dir <dir>', 'models and cached depth maps (default $VANTAGE_CACHE or the user cache directory)')
    .option('--no-cache', 'neither read nor write the depth-map cache')
    .option('--offline', 'never download; fail with where to put the model file')
    .option('--list', 'list the known models and whether they are cached')
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      `
Relative models (Depth Anything V2, MiDaS) give inverse depth up to scale and shift; depth = 1/(s·d + t)
with s, t from --anchors (least squares), --depth-range, --known-depth, or else a default that maps the
2nd/98th percentiles to ${DEPTH_MODEL_DEFAULTS.defaultRange[1]}/${DEPTH_MODEL_DEFAULTS.defaultRange[0]} depth units (not metres). The summary says which.
Models by name are downloaded once into the cache (VANTAGE_MODEL_BASE_URL points at a mirror).
Examples:
  vantage depth photo.jpg --out depth.png --preview depth-colour.png
  vantage depth room.jpg --depth-model depth-anything-v2-metric-indoor-small --out room.npy
  vantage depth photo.jpg --depth-model ./model.onnx --known-depth 320,240,2.5 --out d.pfm
  vantage depth --list`,
    )
    .action(async (image: string | undefined, opts: DepthCommandOptions & { list?: boolean }) => {
      if (opts.list) {
        process.stdout.write(knownModelsText(opts.cacheDir ?? vantageCacheDir()) + '\n');
        return;
      }
      if (!image)
        throw new VantageError(
          'bad-input',
          'no image given',
          'usage: vantage depth IMAGE [--depth-model NAME|PATH] [--out depth.png]',
        );
      await runDepthCommand(image, opts);
    });
}
