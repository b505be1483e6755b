/**
 * The perceiver with images only (no depth, no camera): what the local OpenAI-compatible test
 * server answers with. It finds the templated question and lettered options in the prompt text,
 * segments the images, and answers from 2-D cues (which colours appear in which image; a crude
 * ground-plane guess of depth from how low an object sits in the first image). Good enough to
 * exercise the plumbing; the 3-D perceiver (answerWithPerceiver) is the one that measures anything.
 */
import { analyseView } from '../../loop/perceiver/world.js';
import { optionLetter } from '../../core/options.js';
import { parseOptionText, parseQuestionText } from '../../core/question-templates.js';
import type { Observation } from '../../loop/perceiver/types.js';

export interface Reply2d {
  choice: string;
  confidence: number;
  rationale: string;
}

/** Lettered options found in prompt text: lines like "A. red box", "(B) left", "C) 5", "D: nothing". */
export function optionsFromPromptText(text: string): string[] {
  const found = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*[-*]?\s*\(?([A-H])\s*[).:]\s*(.+?)\s*$/);
    if (m && !found.has(m[1])) found.set(m[1], m[2]);
  }
  const out: string[] = [];
  for (let i = 0; found.has(optionLetter(i)); i++) out.push(found.get(optionLetter(i))!);
  return out;
}

/** Rough ground position (x right, z forward, arbitrary scale) of a blob from its lowest row. */
function groundGuess(o: Observation, width: number, height: number): { x: number; z: number } {
  const f = width / (2 * Math.tan(Math.PI / 6));
  const horizon = 0.25 * height;
  const z = f / Math.max(1, o.bboxPx[3] - horizon);
  return { x: ((o.centroidPx[0] - width / 2) * z) / f, z };
}

const NAME = '[builtin:perceiver, 2-D only — not an LLM]';

export function answerFromImages2d(
  texts: string[],
  images: { width: number; height: number; rgba: Uint8Array }[],
): Reply2d {
  const text = texts.join('\n');
  const q = parseQuestionText(text);
  const optionTexts = optionsFromPromptText(text);
  const options = optionTexts.map(parseOptionText);
  const idx = (pred: (o: ReturnType<typeof parseOptionText>) => boolean) => options.findIndex(pred);
  const reply = (i: number, confidence: number, why: string): Reply2d => ({
    choice: optionLetter(Math.max(0, i)),
    confidence,
    rationale: `${NAME} ${why}`,
  });
  if (!images.length) return reply(0, 0.2, 'cannot tell: no image given');
  const obs = images.map((im, k) => analyseView({ width: im.width, height: im.height, rgba: im.rgba }, k).observations);
  const inImage = (k: number, color: string) => obs[k].find((o) => o.color === color);
  const anywhere = (color: string) => obs.some((_, k) => inImage(k, color));
  switch (q.kind) {
    case 'count': {
      const colors = new Set(obs.flat().map((o) => o.color));
      const i = idx((o) => o.kind === 'number' && o.value === colors.size);
      return reply(
        i,
        images.length > 1 ? 0.7 : 0.4,
        `${colors.size} distinct colours seen in ${images.length} image(s)`,
      );
    }
    case 'hidden-behind': {
      const objs = options.map((o, k) => ({ o, k })).filter(({ o }) => o.kind === 'object' && o.color !== q.occluder);
      const revealed = objs.filter(({ o }) => o.kind === 'object' && !inImage(0, o.color) && anywhere(o.color));
      const unseen = objs.filter(({ o }) => o.kind === 'object' && !anywhere(o.color));
      if (revealed.length === 1)
        return reply(
          revealed[0].k,
          0.7,
          `"${optionTexts[revealed[0].k]}" is hidden in the first image and appears in another`,
        );
      if (!unseen.length && !revealed.length)
        return reply(
          idx((o) => o.kind === 'nothing'),
          0.5,
          'every named object is visible in the first image',
        );
      const guess = (unseen[0] ?? revealed[0]).k;
      return reply(guess, 0.25, 'cannot tell: the hidden object was not seen');
    }
    case 'left-right':
    case 'front-behind': {
      const names = q.kind === 'left-right' ? [q.a, q.b, q.c] : [q.a, q.b];
      const missing = names.filter((c) => !inImage(0, c));
      const first = idx((o) => o.kind === (q.kind === 'left-right' ? 'left' : 'in-front'));
      if (missing.length)
        return reply(first, 0.25, `cannot tell: the ${missing.join(', ')} object is not visible in the first image`);
      const [w, h] = [images[0].width, images[0].height];
      const g = names.map((c) => groundGuess(inImage(0, c)!, w, h));
      if (q.kind === 'front-behind') {
        const front = g[0].z > g[1].z;
        return reply(
          idx((o) => o.kind === (front ? 'in-front' : 'behind')),
          0.5,
          `the ${q.a} object sits ${front ? 'higher' : 'lower'} in the first image than the ${q.b} object (a ground-plane guess)`,
        );
      }
      const f = { x: g[1].x - g[0].x, z: g[1].z - g[0].z };
      const d = { x: g[2].x - g[0].x, z: g[2].z - g[0].z };
      // Right of the facing direction (x right, z forward, seen from above): cross product's sign.
      const right = f.z * d.x - f.x * d.z > 0;
      return reply(
        idx((o) => o.kind === (right ? 'right' : 'left')),
        0.5,
        `ground-plane guess from the first image: ${right ? 'right' : 'left'}`,
      );
    }
    default:
      return reply(0, 0.2, 'cannot tell: the question is not one of the procedural templates');
  }
}
