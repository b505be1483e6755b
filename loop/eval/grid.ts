/**
 * The ablation grid of `vantage eval --grid "rounds=0,1,2,3 pose=orbit,ego"`: every combination of
 * the listed values is one cell, run over every item. A cell's key names all its settings, so that
 * results.jsonl lines stay unambiguous when the grid changes between runs.
 */
import { VantageError } from '../../core/errors.js';
import { loopConfigFrom } from '../config.js';
import type { LoopConfig } from '../types.js';
import type { CellSettings, GridCell } from './types.js';

/** Grid keys, with the aliases accepted for them. */
const KEY_ALIASES: Record<string, keyof CellSettings> = {
  rounds: 'rounds',
  'max-rounds': 'rounds',
  pose: 'pose',
  'pose-format': 'pose',
  poseformat: 'pose',
  render: 'render',
  fusion: 'fusion',
  stop: 'stop',
  holes: 'holes',
  images: 'images',
  'image-budget': 'images',
  imagebudget: 'images',
};
const ORDER: (keyof CellSettings)[] = ['rounds', 'pose', 'render', 'fusion', 'stop', 'holes', 'images'];

export type GridSpec = Partial<{ [K in keyof CellSettings]: CellSettings[K][] }>;

/** Parse "rounds=0,1,2 pose=orbit,ego" (space or ';' between keys). Values are checked by cellsOf. */
export function parseGrid(spec: string | undefined): GridSpec {
  const out: Record<string, unknown[]> = {};
  if (!spec?.trim()) return {};
  for (const part of spec.split(/[\s;]+/).filter(Boolean)) {
    const m = /^([A-Za-z-]+)=(.+)$/.exec(part);
    if (!m) {
      throw new VantageError(
        'bad-grid',
        `grid entry "${part}" is not KEY=V1,V2`,
        'example: --grid "rounds=0,1,2,3 pose=orbit,ego"',
      );
    }
    const key = KEY_ALIASES[m[1].toLowerCase()];
    if (!key) {
      throw new VantageError('bad-grid', `unknown grid key "${m[1]}"`, `grid keys: ${ORDER.join(', ')}`);
    }
    if (out[key]) throw new VantageError('bad-grid', `grid key "${key}" given twice`);
    const values = m[2]
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (!values.length) throw new VantageError('bad-grid', `grid key "${key}" has no values`);
    const parsed: unknown[] =
      key === 'rounds' || key === 'images'
        ? values.map((v) => {
            const n = Number(v);
            if (!Number.isInteger(n)) throw new VantageError('bad-grid', `grid ${key}=${v}: not a whole number`);
            return n;
          })
        : values;
    out[key] = [...new Set(parsed)];
  }
  return out as GridSpec;
}

/** A cell's settings as a LoopConfig on top of `base` (validated by loop/config.ts). */
function configOf(base: LoopConfig, s: CellSettings): LoopConfig {
  return loopConfigFrom({
    model: base.model,
    maxRounds: s.rounds,
    poseFormat: s.pose,
    render: s.render,
    holes: s.holes,
    width: base.width,
    height: base.height,
    fusion: s.fusion,
    imageBudget: s.images,
    stop: { ...base.stop, policy: s.stop },
  });
}

function settingsOf(config: LoopConfig): CellSettings {
  return {
    rounds: config.maxRounds,
    pose: config.poseFormat,
    render: config.render,
    fusion: config.fusion,
    stop: config.stop.policy,
    holes: config.holes,
    images: config.imageBudget,
  };
}

function cellKey(s: CellSettings): string {
  return ORDER.map((k) => `${k}=${s[k]}`).join(' ');
}

/** Every cell of the grid over `base` (one cell, `base` itself, without a grid), in a stable order. */
export function cellsOf(base: LoopConfig, grid: GridSpec): GridCell[] {
  const baseSettings = settingsOf(base);
  const varied = ORDER.filter((k) => (grid[k]?.length ?? 0) > 1);
  let combos: CellSettings[] = [baseSettings];
  for (const k of ORDER) {
    const values = grid[k];
    if (!values?.length) continue;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  const cells = combos.map((settings) => {
    let config: LoopConfig;
    try {
      config = configOf(base, settings);
    } catch (e) {
      if (e instanceof VantageError)
        throw new VantageError('bad-grid', `grid cell ${cellKey(settings)}: ${e.message}`, e.hint);
      throw e;
    }
    const labelKeys = varied.length ? varied : (['rounds', 'pose', 'stop'] as (keyof CellSettings)[]);
    return { key: cellKey(settings), label: labelKeys.map((k) => `${k}=${settings[k]}`).join(' '), settings, config };
  });
  return cells;
}
