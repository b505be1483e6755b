/**
 * `builtin:perceiver` — the deterministic pixel perceiver, for running the loop with no MLLM
 * endpoint. It sees only the pixels (and, when given, the rendered depth and camera) of the views it
 * is handed: it segments the procedural scenes' flat palette colours, fuses what it saw across views
 * into world positions, answers the templated spatial questions from that, says "cannot tell" when
 * an object it needs was never seen, and picks the next pose by a small deterministic search.
 * It never reads a scene description. It is not an LLM, and every output says so.
 */
import type { Pose } from '../../core/pose.js';
import { letterIndex, letters } from '../../core/options.js';
import type { Answer, ControllerDecision, OptionDist } from '../types.js';
import type { Observation, PerceiverView } from './types.js';
import type { Question } from '../../core/types.js';
import { OBJECT_PALETTE } from '../../core/palette.js';
import { analyseView, fuseObservations, type ObjectEstimate, type ViewAnalysis } from './world.js';
import {
  OPTION_WORDS,
  parseOptionText,
  parseQuestionText,
  type ParsedQuestion,
} from '../../core/question-templates.js';
import { answerCount, answerFrontBehind, answerHiddenBehind, answerLeftRight, type Reasoned } from './answer.js';
import { chooseNextPose } from './pose.js';
import { answerMeasure } from './measure.js';
import { answerVideoChoice } from './video.js';

export const PERCEIVER_LABEL = 'builtin:perceiver (deterministic pixel perceiver — not an LLM)';

/** The palette-coloured objects the perceiver sees in one view. */
export function perceiveView(view: PerceiverView, viewIndex: number): Observation[] {
  return analyseView(view, viewIndex).observations;
}

/**
 * Options to reason over for a question asked without any (free-form): the answers the template
 * allows. The chosen one is then given as text.
 */
function freeFormOptions(parsed: ParsedQuestion): string[] {
  switch (parsed.kind) {
    case 'left-right':
      return [OPTION_WORDS.left, OPTION_WORDS.right];
    case 'front-behind':
      return [OPTION_WORDS.inFront, OPTION_WORDS.behind];
    case 'count':
      return [...Array(OBJECT_PALETTE.length + 1).keys()].map(String);
    case 'hidden-behind':
      return [...OBJECT_PALETTE.map((c) => `${c.name} object`), OPTION_WORDS.nothing];
    default:
      return [];
  }
}

/** A letter answer over `options` turned into a free-form one (choice and dist keyed by the text). */
function asFreeForm(a: Reasoned, options: string[]): Reasoned {
  const text = (letter: string) => options[letterIndex(letter)] ?? letter;
  const dist: OptionDist = {};
  for (const [k, p] of Object.entries(a.dist)) if (p > 0.02) dist[text(k)] = p;
  return { ...a, choice: text(a.choice), dist };
}

/** Everything the perceiver worked out about a question from a set of views. */
function reason(
  question: Question,
  views: PerceiverView[],
): { reasoned: Reasoned; analyses: ViewAnalysis[]; objects: Map<string, ObjectEstimate> } {
  const analyses = views.map((v, i) => analyseView(v, i));
  const parsed = parseQuestionText(question.text);
  if (question.numeric) {
    const objects = fuseObservations(analyses);
    return { reasoned: answerMeasure(parsed, question.numeric, { analyses, objects }), analyses, objects };
  }
  const freeForm = question.options.length === 0 ? freeFormOptions(parsed) : undefined;
  const options = (freeForm ?? question.options).map(parseOptionText);
  const objects = fuseObservations(analyses);
  const ctx = { analyses, objects, options };
  let reasoned: Reasoned;
  switch (parsed.kind) {
    case 'hidden-behind':
      reasoned = answerHiddenBehind(parsed, ctx);
      break;
    case 'left-right':
      reasoned = answerLeftRight(parsed, ctx);
      break;
    case 'front-behind':
      reasoned = answerFrontBehind(parsed, ctx);
      break;
    case 'count':
      reasoned = answerCount(ctx);
      break;
    case 'closest':
    case 'direction':
    case 'route':
    case 'appearance':
      reasoned =
        answerVideoChoice(parsed, { analyses, objects, options: question.options }) ??
        ({
          ...uniformAnswer(question.options.length, 'not a question the perceiver reads'),
          missing: [],
          done: true,
        } as Reasoned);
      break;
    default:
      reasoned = {
        ...uniformAnswer(question.options.length, 'the perceiver only understands the procedural question templates'),
        missing: [],
        done: true,
      };
  }
  if (freeForm) reasoned = asFreeForm(reasoned, freeForm);
  return { reasoned, analyses, objects };
}

/**
 * Answer a templated question from views (views[0] is the original image). When an object the
 * question needs was never seen: cannotTell, a best guess, confidence ≤ 0.35, near-uniform dist.
 */
export function answerWithPerceiver(question: Question, views: PerceiverView[]): Answer {
  if (!views.length) return uniformAnswer(question.options.length, 'no image to look at');
  const { reasoned } = reason(question, views);
  const { missing: _m, done: _d, ...answer } = reasoned;
  return answer;
}

/**
 * The next view to look from, or stop when every object the question needs has been seen.
 * Candidates (orbit ±45°, ±90°, ±135°, 180°, raised 60°, or their ego / preset equivalents) are
 * ranked by how many places where an unseen object could hide (just behind each visible object)
 * they would see without a known object in the way; poses already in `history` are skipped.
 */
export function choosePoseWithPerceiver(
  question: Question,
  views: PerceiverView[],
  history: Pose[],
  format: 'orbit' | 'ego' | 'preset',
): ControllerDecision {
  if (!views.length) return { action: 'stop', reason: 'no image to look at' };
  const { reasoned, analyses, objects } = reason(question, views);
  if (reasoned.done)
    return { action: 'stop', reason: reasoned.stopReason ?? 'the question can be answered from what was seen' };
  const parsed = parseQuestionText(question.text);
  return chooseNextPose({ parsed, analyses, objects, missing: reasoned.missing, history, format });
}

/** A uniform answer (nothing to go on). */
function uniformAnswer(n: number, rationale: string): Answer {
  const dist: OptionDist = {};
  for (const k of letters(n)) dist[k] = 1 / n;
  return {
    choice: n ? 'A' : '',
    confidence: n ? Math.min(0.35, 1 / n) : 0,
    rationale,
    dist,
    distSource: 'uniform-fallback',
    cannotTell: true,
  };
}
