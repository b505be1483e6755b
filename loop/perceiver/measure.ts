/**
 * The perceiver's numeric answers: counts, distances and sizes read off what it lifted (fused object
 * centres and apparent widths in metres), so the numeric path of the loop is measurable offline.
 * Distances are between the objects' closest points, approximated as centre distance minus half of
 * each object's width; a size is the object's apparent width (the longest side it could see).
 */
import type { NumericSpec } from '../../core/types.js';
import type { ParsedQuestion } from '../../core/question-templates.js';
import { unitFactor } from '../../core/numeric.js';
import { seenColors, type ObjectEstimate, type ViewAnalysis } from './world.js';
import type { Reasoned } from './answer.js';

interface MeasureContext {
  analyses: ViewAnalysis[];
  objects: Map<string, ObjectEstimate>;
}

const noNumber = (rationale: string, missing: string[]): Reasoned => ({
  choice: '',
  confidence: 0,
  rationale: `cannot tell: ${rationale}`,
  dist: {},
  distSource: 'uniform-fallback',
  cannotTell: true,
  missing,
  done: missing.length === 0,
});

/** A number in metres (or a count) as the answer in the question's unit. */
function numberAnswer(base: number, spec: NumericSpec, confidence: number, rationale: string, done: boolean): Reasoned {
  const value = Number((base / unitFactor(spec)).toPrecision(4));
  return {
    choice: String(value),
    value,
    confidence,
    rationale,
    dist: {},
    distSource: 'self-report',
    cannotTell: false,
    missing: [],
    done,
    ...(done ? { stopReason: 'every object the question names has been located' } : {}),
  };
}

/** Answer a numeric question the perceiver understands; others get "cannot tell" with no number. */
export function answerMeasure(parsed: ParsedQuestion, spec: NumericSpec, ctx: MeasureContext): Reasoned {
  const views = ctx.analyses.length;
  switch (parsed.kind) {
    case 'count': {
      const counts = ctx.analyses.map((_, k) => seenColors(ctx.analyses.slice(0, k + 1)).size);
      const n = counts[counts.length - 1];
      const steady = views >= 3 && counts[views - 1] === counts[views - 2];
      return numberAnswer(
        n,
        spec,
        Math.min(0.9, 0.4 + 0.12 * (views - 1)),
        `${n} distinct objects seen over ${views} view(s); counts after each view: ${counts.join(', ')}`,
        steady || views >= 5,
      );
    }
    case 'distance': {
      const [a, b] = [ctx.objects.get(parsed.a), ctx.objects.get(parsed.b)];
      const missing = [parsed.a, parsed.b].filter((c) => !ctx.objects.get(c)?.center);
      if (!a?.center || !b?.center) return noNumber(`not located yet: ${missing.join(', ')}`, missing);
      const d = Math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1], a.center[2] - b.center[2]);
      const gap = Math.max(0.01, d - 0.5 * ((a.widthM ?? 0) + (b.widthM ?? 0)));
      return numberAnswer(
        gap,
        spec,
        0.6,
        `centres ${d.toFixed(2)} m apart, minus half of each width (${(a.widthM ?? 0).toFixed(2)} m, ${(b.widthM ?? 0).toFixed(2)} m)`,
        true,
      );
    }
    case 'size': {
      const a = ctx.objects.get(parsed.a);
      if (a?.widthM === undefined) return noNumber(`${parsed.a} not measured yet`, [parsed.a]);
      return numberAnswer(
        a.widthM,
        spec,
        0.5,
        `apparent width of the ${parsed.a} object: ${a.widthM.toFixed(2)} m`,
        true,
      );
    }
    default:
      return noNumber('the perceiver measures only counts of all objects, distances and sizes', []);
  }
}
