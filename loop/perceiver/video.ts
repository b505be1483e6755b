/**
 * The perceiver's answers to VSI-Bench's multiple-choice questions about a walk-through (the
 * wording of core/question-templates.ts videoTemplates): which object is closest, relative direction
 * and route turns from the fused object centres on the floor plane, and the order in which objects
 * first appear in the original frames (the clip's frames, in order).
 */
import type { Vec3 } from '../../core/types.js';
import { cross, dot, normalize, rad2deg, scale, sub } from '../../core/camera.js';
import { APPEAR_SHARE, colorOfPhrase, type ParsedQuestion } from '../../core/question-templates.js';
import { estimateUp, type ObjectEstimate, type ViewAnalysis } from './world.js';
import { cannotTellAnswer, confidentAnswer, type Reasoned } from './answer.js';

interface VideoContext {
  analyses: ViewAnalysis[];
  objects: Map<string, ObjectEstimate>;
  /** option texts as given */
  options: string[];
}

const flat = (v: Vec3, up: Vec3): Vec3 => sub(v, scale(up, dot(v, up)));
const optionNamed = (options: string[], text: string) =>
  options.findIndex((o) => o.trim().toLowerCase() === text.toLowerCase());

/** Signed angle (degrees, + = right) of C seen from A facing B, on the floor plane. */
function sideAngle(A: Vec3, B: Vec3, C: Vec3, up: Vec3): number | undefined {
  const f = flat(sub(B, A), up);
  const d = flat(sub(C, A), up);
  if (Math.hypot(...f) < 1e-6 || Math.hypot(...d) < 1e-6) return undefined;
  const fn = normalize(f);
  return rad2deg(Math.atan2(dot(d, cross(fn, up)), dot(d, fn)));
}

/** Answer a parsed video question over the options; undefined when the question is not one of these. */
export function answerVideoChoice(parsed: ParsedQuestion, ctx: VideoContext): Reasoned | undefined {
  const n = ctx.options.length;
  const centre = (c: string) => ctx.objects.get(c)?.center;
  const missing = (cs: string[]) => cs.filter((c) => !centre(c));
  switch (parsed.kind) {
    case 'closest': {
      const lost = missing([parsed.x, ...parsed.among]);
      if (lost.length) return cannotTellAnswer(n, [], `not located yet: ${lost.join(', ')}`, lost);
      const gap = (c: string) => {
        const [a, b] = [ctx.objects.get(parsed.x)!, ctx.objects.get(c)!];
        const d = Math.hypot(...sub(a.center!, b.center!));
        return d - 0.5 * ((a.widthM ?? 0) + (b.widthM ?? 0));
      };
      const best = parsed.among.reduce((p, q) => (gap(q) < gap(p) ? q : p));
      const i = ctx.options.findIndex((o) => colorOfPhrase(o) === best);
      if (i < 0) return cannotTellAnswer(n, [], `the ${best} object is closest, but no option names it`, []);
      return confidentAnswer(n, i, 0.7, `the ${best} object is closest to the ${parsed.x} (${gap(best).toFixed(2)} m)`);
    }
    case 'direction':
    case 'route': {
      const lost = missing([parsed.a, parsed.b, parsed.c]);
      if (lost.length) return cannotTellAnswer(n, [], `not located yet: ${lost.join(', ')}`, lost);
      const up = estimateUp(ctx.analyses);
      const ang = sideAngle(centre(parsed.a)!, centre(parsed.b)!, centre(parsed.c)!, up);
      if (ang === undefined) return cannotTellAnswer(n, [], 'the named objects appear at one place', []);
      const abs = Math.abs(ang);
      const side = ang > 0 ? 'right' : 'left';
      const has = (t: string) => optionNamed(ctx.options, t) >= 0;
      const truth =
        parsed.kind === 'route'
          ? abs > 135
            ? 'turn back'
            : `turn ${side}`
          : has('front-left')
            ? `${abs > 90 ? 'back' : 'front'}-${side}`
            : has('back')
              ? abs > 90
                ? 'back'
                : side
              : side;
      const i = optionNamed(ctx.options, truth);
      const why = `from the ${parsed.a} facing the ${parsed.b}, the ${parsed.c} is ${abs.toFixed(0)}° to the ${side}`;
      if (i < 0) return cannotTellAnswer(n, [], `${why}, but no option says "${truth}"`, []);
      return confidentAnswer(n, i, 0.75, why);
    }
    case 'appearance': {
      // the originals are the clip's frames in order (rendered views carry a pose)
      const frames = ctx.analyses.filter((a) => !a.view.pose);
      const first = (c: string) =>
        frames.findIndex((a) => {
          const o = a.observations.find((x) => x.color === c);
          return !!o && o.pixels >= APPEAR_SHARE * a.view.width * a.view.height;
        });
      const seen = parsed.names.map((c) => [c, first(c)] as const);
      const never = seen.filter(([, k]) => k < 0).map(([c]) => c);
      if (never.length) return cannotTellAnswer(n, [], `never seen in the frames: ${never.join(', ')}`, []);
      const order = [...seen].sort((p, q) => p[1] - q[1]).map(([c]) => c);
      const i = ctx.options.findIndex((o) => {
        const cs = o.split(',').map((p) => colorOfPhrase(p));
        return cs.length === order.length && cs.every((c, k) => c === order[k]);
      });
      const why = `first seen in frames ${seen.map(([c, k]) => `${c} ${k + 1}`).join(', ')}`;
      if (i < 0) return cannotTellAnswer(n, [], `${why}, but no option lists that order`, []);
      return confidentAnswer(n, i, 0.7, why);
    }
    default:
      return undefined;
  }
}
