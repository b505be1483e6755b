/**
 * The perceiver's reasoning, one function per question template. Each works only from what the
 * views showed (fused object estimates, the original view's labels and depth) and says which
 * named objects it still needs (`missing`) and whether looking further would help (`done`).
 */
import type { Vec3 } from '../../core/types.js';
import {
  cameraAxes,
  cross,
  dot,
  normalize,
  projectCameraPoint,
  rad2deg,
  scale,
  sub,
  worldToCamera,
} from '../../core/camera.js';
import type { Answer, OptionDist } from '../types.js';
import { estimateUp, paletteIndex, seenColors, type ObjectEstimate, type ViewAnalysis } from './world.js';
import { intrinsicsForView } from './segment.js';
import { optionLetter } from '../../core/options.js';
import { type ParsedOption, type ParsedQuestion } from '../../core/question-templates.js';

/** An answer plus what the controller needs: objects still unseen, and whether to stop looking. */
export type Reasoned = Answer & { missing: string[]; done: boolean; stopReason?: string };

export interface ReasonContext {
  analyses: ViewAnalysis[];
  objects: Map<string, ObjectEstimate>;
  options: ParsedOption[];
}

/** Tunables of the perceiver's answers (why: see each line). */
const ANSWER_TUNING = {
  /** confidence when it cannot tell (the brief: ≤ 0.35) */
  cannotTellConfidence: 0.3,
  /** an option needs this share of X-coloured pixels over its projected footprint to be "hidden behind X" */
  behindFraction: 0.4,
  /** left/right and front/behind answers grow confident as the margin grows to these */
  sideAngleFullDeg: 30,
  depthGapFullM: 0.2,
} as const;

const fmt = (v: Vec3) => `(${v.map((x) => x.toFixed(2)).join(', ')})`;

/** Answer with `conf` on option i and the rest spread evenly. */
export function confidentAnswer(
  n: number,
  i: number,
  conf: number,
  rationale: string,
  extra: Partial<Reasoned> = {},
): Reasoned {
  const dist: OptionDist = {};
  for (let k = 0; k < n; k++) dist[optionLetter(k)] = k === i ? conf : n > 1 ? (1 - conf) / (n - 1) : 0;
  return {
    choice: optionLetter(i),
    confidence: conf,
    rationale,
    dist,
    distSource: 'self-report',
    cannotTell: false,
    missing: [],
    done: true,
    ...extra,
  };
}

/**
 * "Cannot tell": a near-uniform distribution, nudged towards the options still possible
 * (`possible`), the first of them as the best guess, confidence ≤ 0.35.
 */
export function cannotTellAnswer(n: number, possible: number[], rationale: string, missing: string[]): Reasoned {
  const cands = possible.length ? possible : [...Array(n).keys()];
  const raw = [...Array(n).keys()].map((k) => (cands.includes(k) ? 1.25 : 0.85));
  const z = raw.reduce((a, b) => a + b, 0);
  const dist: OptionDist = {};
  raw.forEach((r, k) => {
    dist[optionLetter(k)] = r / z;
  });
  const choice = cands[0] ?? 0;
  return {
    choice: optionLetter(choice),
    confidence: Math.min(ANSWER_TUNING.cannotTellConfidence, dist[optionLetter(choice)]),
    rationale: `cannot tell: ${rationale}`,
    dist,
    distSource: 'self-report',
    cannotTell: true,
    missing,
    done: false,
  };
}

const optionIndex = (options: ParsedOption[], kind: ParsedOption['kind']) => options.findIndex((o) => o.kind === kind);

/** Colours among `needed` never seen, or seen but never located in 3-D. */
function unlocated(needed: string[], objects: Map<string, ObjectEstimate>): { unseen: string[]; noDepth: string[] } {
  const unseen = needed.filter((c) => !objects.has(c));
  const noDepth = needed.filter((c) => objects.has(c) && !objects.get(c)!.center);
  return { unseen, noDepth };
}

/** Horizontal part of a vector (gravity-levelled with `up`). */
const horizontal = (v: Vec3, up: Vec3): Vec3 => sub(v, scale(up, dot(v, up)));

export function answerLeftRight(q: Extract<ParsedQuestion, { kind: 'left-right' }>, ctx: ReasonContext): Reasoned {
  const n = ctx.options.length;
  const needed = [q.a, q.b, q.c];
  const { unseen, noDepth } = unlocated(needed, ctx.objects);
  const iLeft = optionIndex(ctx.options, 'left');
  const iRight = optionIndex(ctx.options, 'right');
  if (unseen.length || noDepth.length) {
    const why = unseen.length
      ? `the ${unseen.join(', ')} object${unseen.length > 1 ? 's were' : ' was'} not seen in any view`
      : `no depth to place the ${noDepth.join(', ')} object in 3-D`;
    return cannotTellAnswer(
      n,
      [iLeft, iRight].filter((i) => i >= 0),
      why,
      unseen,
    );
  }
  const up = estimateUp(ctx.analyses);
  const [A, B, C] = needed.map((c) => ctx.objects.get(c)!.center!);
  const f = horizontal(sub(B, A), up);
  const d = horizontal(sub(C, A), up);
  if (Math.hypot(...f) < 1e-6 || Math.hypot(...d) < 1e-6) {
    return cannotTellAnswer(
      n,
      [iLeft, iRight].filter((i) => i >= 0),
      `the ${q.a} and ${q.b} objects appear at the same place`,
      [],
    );
  }
  const fn = normalize(f);
  const right = cross(fn, up);
  const angle = rad2deg(Math.atan2(dot(d, right), dot(d, fn)));
  const side = angle > 0 ? 'right' : 'left';
  const i = side === 'right' ? iRight : iLeft;
  const margin = Math.min(Math.abs(angle), 180 - Math.abs(angle));
  const conf = 0.55 + 0.4 * Math.min(1, Math.max(0, (margin - 3) / ANSWER_TUNING.sideAngleFullDeg));
  const rationale = `standing at the ${q.a} ${fmt(A)} facing the ${q.b} ${fmt(B)}, the ${q.c} ${fmt(C)} is ${Math.abs(angle).toFixed(0)}° to the ${side}`;
  if (i < 0) return cannotTellAnswer(n, [], `${rationale}, but no option says "${side}"`, []);
  return confidentAnswer(n, i, conf, rationale, {
    stopReason: `all three named objects (${needed.join(', ')}) were located`,
  });
}

export function answerFrontBehind(q: Extract<ParsedQuestion, { kind: 'front-behind' }>, ctx: ReasonContext): Reasoned {
  const n = ctx.options.length;
  const needed = [q.a, q.b];
  const { unseen, noDepth } = unlocated(needed, ctx.objects);
  const iFront = optionIndex(ctx.options, 'in-front');
  const iBehind = optionIndex(ctx.options, 'behind');
  const cam = ctx.analyses[0].view.camera;
  if (unseen.length || noDepth.length || !cam) {
    const why = unseen.length
      ? `the ${unseen.join(', ')} object${unseen.length > 1 ? 's were' : ' was'} not seen in any view`
      : 'no depth or camera to place the objects in 3-D';
    return cannotTellAnswer(
      n,
      [iFront, iBehind].filter((i) => i >= 0),
      why,
      unseen,
    );
  }
  const up = estimateUp(ctx.analyses);
  const [A, B] = needed.map((c) => ctx.objects.get(c)!.center!);
  // The opposite viewpoint looks along −(original forward), levelled: nearer to it = farther from the original camera.
  const fwd = normalize(horizontal(cameraAxes(cam.c2w).forward, up));
  const gap = dot(sub(A, B), fwd);
  const front = gap > 0;
  const i = front ? iFront : iBehind;
  const conf = 0.55 + 0.4 * Math.min(1, Math.abs(gap) / ANSWER_TUNING.depthGapFullM);
  const rationale = `the ${q.a} ${fmt(A)} is ${Math.abs(gap).toFixed(2)} ${front ? 'farther from' : 'nearer to'} the original camera than the ${q.b} ${fmt(B)}, so from the opposite side it is ${front ? 'in front' : 'behind'}`;
  if (i < 0) return cannotTellAnswer(n, [], `${rationale}, but no option says so`, []);
  return confidentAnswer(n, i, conf, rationale, {
    stopReason: `both named objects (${needed.join(', ')}) were located`,
  });
}

export function answerCount(ctx: ReasonContext): Reasoned {
  const counts = ctx.analyses.map((_, k) => seenColors(ctx.analyses.slice(0, k + 1)).size);
  const seen = counts[counts.length - 1];
  const values = ctx.options.map((o) => (o.kind === 'number' ? o.value : NaN));
  let i = values.indexOf(seen);
  if (i < 0) {
    const finite = values.map((v, k) => [Math.abs(v - seen), k] as const).filter(([d]) => Number.isFinite(d));
    i = finite.length ? finite.sort((a, b) => a[0] - b[0])[0][1] : 0;
  }
  const extra = ctx.analyses.length - 1;
  const lastAddedNothing = extra >= 1 && counts[counts.length - 1] === counts[counts.length - 2];
  // One view cannot rule out hidden objects; each further view that adds nothing makes the count surer.
  const conf = extra === 0 ? 0.4 : Math.min(0.9, 0.55 + 0.12 * extra + (lastAddedNothing ? 0.1 : 0));
  const dist: OptionDist = {};
  const above = values.map((v, k) => (v > values[i] ? k : -1)).filter((k) => k >= 0);
  const below = values.map((v, k) => (v < values[i] || !Number.isFinite(v) ? k : -1)).filter((k) => k >= 0);
  const lowMass = 0.02;
  const rest = Math.max(0, 1 - conf - lowMass * below.length);
  values.forEach((_, k) => {
    dist[optionLetter(k)] = k === i ? conf : below.includes(k) ? lowMass : above.length ? rest / above.length : 0;
  });
  if (!above.length) dist[optionLetter(i)] += rest;
  const colors = [...seenColors(ctx.analyses)].join(', ');
  const done = (extra >= 2 && lastAddedNothing) || extra >= 4;
  return {
    choice: optionLetter(i),
    confidence: conf,
    distSource: 'self-report',
    dist,
    cannotTell: false,
    rationale: `${seen} distinct objects seen over ${ctx.analyses.length} view${ctx.analyses.length > 1 ? 's' : ''} (${colors}); counts after each view: ${counts.join(', ')}`,
    missing: [],
    done,
    stopReason: done ? `the last view showed no object not seen before (${seen} in all)` : undefined,
  };
}

/** Median of the camera-space depths of a colour's pixels in a view. */
function blobMedianDepth(a: ViewAnalysis, colorIndex: number): number | undefined {
  const blob = a.blobs.find((b) => b.colorIndex === colorIndex);
  if (!blob || !a.view.depth) return undefined;
  const zs = Array.from(blob.pixels, (p) => a.view.depth![p])
    .filter((z) => z > 0 && Number.isFinite(z))
    .sort((x, y) => x - y);
  return zs.length ? zs[zs.length >> 1] : undefined;
}

/** True when some pixel of colour `ci` is within `r` pixels of a pixel of colour `cj` in a view. */
function blobsTouch(a: ViewAnalysis, ci: number, cj: number, r = 2): boolean {
  const blob = a.blobs.find((b) => b.colorIndex === ci);
  if (!blob) return false;
  const { width, height } = a.view;
  for (const p of blob.pixels) {
    const x = p % width;
    const y = (p - x) / width;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const xx = x + dx,
          yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < width && yy < height && a.labels[yy * width + xx] === cj) return true;
      }
    }
  }
  return false;
}

/**
 * Share of an object's projected footprint in the original view covered by the occluder's pixels,
 * when the object sits deeper than the occluder (0 otherwise).
 */
function occludedShare(est: ObjectEstimate, ref: ViewAnalysis, occluderIndex: number, occluderDepth: number): number {
  const cam = ref.view.camera;
  if (!cam || !est.center) return 0;
  const k = intrinsicsForView(cam, ref.view.width, ref.view.height);
  const pc = worldToCamera(cam.c2w, est.center);
  if (!(pc[2] > 0.01) || pc[2] < occluderDepth - 0.02) return 0;
  const { x, y } = projectCameraPoint(k, pc);
  const r = Math.max(2, (0.35 * (est.widthM ?? 0.2) * k.fx) / pc[2]);
  const { width, height } = ref.view;
  let hit = 0,
    total = 0;
  for (let v = Math.floor(y - r); v <= Math.ceil(y + r); v++) {
    for (let u = Math.floor(x - r); u <= Math.ceil(x + r); u++) {
      if ((u + 0.5 - x) ** 2 + (v + 0.5 - y) ** 2 > r * r) continue;
      total++;
      if (u >= 0 && v >= 0 && u < width && v < height && ref.labels[v * width + u] === occluderIndex) hit++;
    }
  }
  return total ? hit / total : 0;
}

export function answerHiddenBehind(
  q: Extract<ParsedQuestion, { kind: 'hidden-behind' }>,
  ctx: ReasonContext,
): Reasoned {
  const n = ctx.options.length;
  const ref = ctx.analyses[0];
  const xi = paletteIndex(q.occluder);
  const iNothing = optionIndex(ctx.options, 'nothing');
  const xObs = ref.observations.find((o) => o.color === q.occluder);
  const objectOptions = ctx.options
    .map((o, k) => ({ o, k }))
    .filter(({ o }) => o.kind === 'object' && o.color !== q.occluder);
  const optionColors = objectOptions.map(({ o }) => (o as { color: string }).color);
  if (!xObs) {
    return cannotTellAnswer(
      n,
      objectOptions.map(({ k }) => k),
      `the ${q.occluder} object is not visible in the original view`,
      [q.occluder],
    );
  }
  const xDepth = blobMedianDepth(ref, xi) ?? 0;
  const scores: { k: number; color: string; share: number; how: string }[] = [];
  const unseen: number[] = [];
  for (const { o, k } of objectOptions) {
    const color = (o as { color: string }).color;
    const est = ctx.objects.get(color);
    if (!est) {
      unseen.push(k);
      continue;
    }
    const inOtherViews = est.pixelsByView.some((p, v) => v > 0 && p > 0);
    let share = inOtherViews ? occludedShare(est, ref, xi, xDepth) : 0;
    let how = inOtherViews
      ? `located from other views; ${(share * 100).toFixed(0)}% of its footprint in the original view lies under the ${q.occluder} object`
      : '';
    // Seen only as a sliver beside the occluder in the original view, and deeper: partly behind it.
    const refPx = est.pixelsByView[0];
    if (!inOtherViews && refPx > 0) {
      const zi = blobMedianDepth(ref, paletteIndex(color));
      const deeper = zi === undefined || zi > xDepth;
      if (deeper && refPx < 0.5 * xObs.pixels && blobsTouch(ref, paletteIndex(color), xi)) {
        share = 0.45;
        how = `only a sliver of it shows beside the ${q.occluder} object, farther away`;
      } else how = 'plainly visible elsewhere in the original view';
    }
    scores.push({ k, color, share, how });
  }
  scores.sort((a, b) => b.share - a.share);
  const best = scores[0];
  const located = best && best.share >= ANSWER_TUNING.behindFraction;
  const confirmed = located && ctx.objects.get(best.color)!.pixelsByView.some((p, v) => v > 0 && p > 0);
  const missing = confirmed ? [] : optionColors.filter((c) => !ctx.objects.has(c));
  if (located) {
    const conf = confirmed ? Math.min(0.95, 0.55 + 0.45 * best.share) : 0.5;
    return confidentAnswer(n, best.k, conf, `the ${best.color} object: ${best.how}`, {
      missing,
      done: missing.length === 0,
      stopReason: `the ${best.color} object was located behind the ${q.occluder} object`,
    });
  }
  if (unseen.length) {
    return cannotTellAnswer(
      n,
      [...unseen, ...(iNothing >= 0 ? [iNothing] : [])],
      `nothing seen so far lies behind the ${q.occluder} object, and ${unseen.map((k) => `"${ctx.options[k].kind === 'object' ? (ctx.options[k] as { color: string }).color : ''}"`).join(', ')} ${unseen.length > 1 ? 'were' : 'was'} never seen`,
      missing,
    );
  }
  const rationale = `every named object was seen and none lies behind the ${q.occluder} object (${scores.map((s) => `${s.color}: ${s.how}`).join('; ')})`;
  if (iNothing >= 0)
    return confidentAnswer(n, iNothing, 0.6, rationale, { stopReason: 'every object named in the options was seen' });
  return confidentAnswer(n, best?.k ?? 0, 0.4, rationale, { stopReason: 'every object named in the options was seen' });
}
