/**
 * The stage table of the WebGPU renderer: every compute stage of shaders/, with its WGSL file, entry
 * point, override constants and its bindings by name in @binding order. The renderer binds
 * resources by these names (never by position), and test/gpu-stages.test.ts reads every `@binding`
 * in shaders/ and checks it against this table, so a shader and its host code cannot drift apart.
 */
import { RENDER_TUNING } from './config.js';

export interface StageSpec {
  /** shaders/<file>.wgsl */
  readonly file: string;
  /** a second file with the same bindings, used instead when the device has subgroups */
  readonly subgroupFile?: string;
  readonly entry: string;
  /** binding names, index = @binding(n) of @group(0) */
  readonly bindings: readonly string[];
  /** prepend shaders/common.wgsl (struct Frame at binding 0, TILE, helpers) */
  readonly common: boolean;
  /** WGSL override constants */
  readonly constants: Readonly<Record<string, number>>;
}

const t = RENDER_TUNING;
const POINTS = { K: t.pointFootprintK, MAX_R: t.pointMaxRadiusPx, MIN_ALPHA: t.minAlpha };

export const STAGES = {
  preprocess: {
    file: 'preprocess',
    entry: 'main',
    common: true,
    bindings: ['frame', 'posOpacity', 'scales', 'rotations', 'colors', 'projected', 'rects', 'stats'],
    constants: { LOW_PASS: t.lowPassPx2, SIGMA_CUTOFF: t.sigmaCutoff, MIN_ALPHA: t.minAlpha },
  },
  depthKeys: {
    file: 'depth_keys',
    entry: 'main',
    common: true,
    bindings: ['frame', 'projected', 'rects', 'stats', 'keys', 'values'],
    constants: {},
  },
  scanBlocks: {
    file: 'scan_blocks',
    entry: 'main',
    common: false,
    bindings: ['params', 'data', 'sums'],
    constants: {},
  },
  scanAdd: { file: 'scan_add', entry: 'main', common: false, bindings: ['params', 'data', 'sums'], constants: {} },
  radixHistogram: {
    file: 'radix_histogram',
    entry: 'main',
    common: false,
    bindings: ['params', 'keys', 'hist'],
    constants: {},
  },
  radixScatter: {
    file: 'radix_scatter',
    entry: 'main',
    common: false,
    bindings: ['params', 'keysIn', 'valuesIn', 'hist', 'keysOut', 'valuesOut'],
    constants: {},
  },
  binCount: {
    file: 'bin_count',
    entry: 'main',
    common: true,
    bindings: ['frame', 'order', 'rects', 'counts'],
    constants: {},
  },
  binScatter: {
    file: 'bin_scatter',
    entry: 'main',
    common: true,
    bindings: ['frame', 'order', 'rects', 'counts', 'entries'],
    constants: {},
  },
  rasterize: {
    file: 'rasterize',
    subgroupFile: 'rasterize_subgroups',
    entry: 'main',
    common: true,
    bindings: ['frame', 'projected', 'entries', 'binEnds', 'outColor', 'outDepth'],
    constants: { MAX_ALPHA: t.maxAlpha, MIN_ALPHA: t.minAlpha, MIN_T: t.minTransmittance, COVERAGE: t.coverageAlpha },
  },
  pointsDepth: {
    file: 'points',
    entry: 'depthPass',
    common: true,
    bindings: ['frame', 'posOpacity', 'scales', 'zbuf'],
    constants: POINTS,
  },
  pointsIndex: {
    file: 'points',
    entry: 'indexPass',
    common: true,
    bindings: ['frame', 'posOpacity', 'scales', 'zbuf', 'ibuf'],
    constants: POINTS,
  },
  resolvePoints: {
    file: 'resolve_points',
    entry: 'main',
    common: true,
    bindings: ['frame', 'colors', 'zbuf', 'ibuf', 'outColor', 'outDepth'],
    constants: {},
  },
} as const satisfies Record<string, StageSpec>;

export type StageName = keyof typeof STAGES;

/** The resources of one dispatch of stage N, one per binding name. */
export type StageResources<N extends StageName, R> = { [K in (typeof STAGES)[N]['bindings'][number]]: R };

/** Bind group entries of stage `name`: each named resource at its binding number. */
export function bindingEntries<N extends StageName, R>(name: N, resources: StageResources<N, R>): [number, R][] {
  const names: readonly string[] = STAGES[name].bindings;
  return names.map((b, i) => [i, (resources as Record<string, R>)[b]]);
}
