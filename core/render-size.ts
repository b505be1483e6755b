/**
 * Render-size bounds, one definition: a rendered view is 8 to INPUT_LIMITS.maxRenderSide pixels a
 * side (a server may lower the top, as the MCP server does). The zod schema serves configs and tool
 * inputs; checkRenderSide and parseRenderSize give the same bounds as one-line errors.
 */
import { z } from 'zod';
import { INPUT_LIMITS } from './config.js';
import { VantageError } from './errors.js';

/** Below this a view shows a model nothing it could read. */
export const MIN_RENDER_SIDE = 8;

export interface RenderSize {
  width: number;
  height: number;
}

/** One side of a view in pixels, MIN_RENDER_SIDE..max. */
export const renderSide = (max: number = INPUT_LIMITS.maxRenderSide) => z.number().int().min(MIN_RENDER_SIDE).max(max);

/** The side, or a 'bad-size' VantageError naming it and the bounds. */
export function checkRenderSide(v: number, name: string, max: number = INPUT_LIMITS.maxRenderSide): number {
  if (!(Number.isInteger(v) && v >= MIN_RENDER_SIDE && v <= max)) {
    throw new VantageError(
      'bad-size',
      `${name} ${v} must be a whole number of pixels between ${MIN_RENDER_SIDE} and ${max}`,
      'pick another output size',
    );
  }
  return v;
}

/** "640x480" (or "640×480", "640,480") as a size within the bounds. */
export function parseRenderSize(spec: string, max: number = INPUT_LIMITS.maxRenderSide): RenderSize {
  const m = /^\s*(\d+)\s*[x×,]\s*(\d+)\s*$/i.exec(spec);
  if (!m) throw new VantageError('bad-size', `size "${spec}" is not WIDTHxHEIGHT`, 'example: --size 512x384');
  return { width: checkRenderSide(Number(m[1]), 'width', max), height: checkRenderSide(Number(m[2]), 'height', max) };
}
