/**
 * An answer from a model's reply: the choice read as an option letter (core/options.ts, the same rule
 * the scorer uses), the confidence normalised, and the option distribution from logprobs when the
 * server gave them, else from the self-reported confidence.
 */
import type { Question } from '../../core/types.js';
import { letterOfReply, letters } from '../../core/options.js';
import { numericAnswer } from '../../core/numeric.js';
import type { Answer, OptionDist } from '../types.js';
import { normalizeDist } from '../fusion.js';
import type { AnswerReply } from '../prompts.js';

/** Confidence as 0..1: percentages (1 < c ≤ 100) are rescaled, anything unusable becomes 0.5. */
export function normalizeConfidence(c: unknown): number {
  const n = typeof c === 'number' ? c : Number(c);
  if (!Number.isFinite(n)) return 0.5;
  const v = n > 1 && n <= 100 ? n / 100 : n;
  return Math.min(1, Math.max(0, v));
}

/**
 * The Answer of a reply: the option distribution from logprobs when given, else from the
 * self-reported confidence (the choice gets it, the others share the rest).
 */
export function answerFromReply(reply: AnswerReply, question: Question, optionProbs?: Record<string, number>): Answer {
  const keys = letters(question.options.length);
  const confidence = normalizeConfidence(reply.confidence);
  const rationale = String(reply.rationale ?? '');
  if (question.numeric) {
    const value = numericAnswer(String(reply.choice ?? ''), question.numeric);
    return value === undefined
      ? {
          choice: '',
          confidence: 0,
          dist: {},
          distSource: 'uniform-fallback',
          cannotTell: true,
          rationale: `the reply "${String(reply.choice).slice(0, 40)}" holds no number. ${rationale}`,
        }
      : { choice: String(value), value, confidence, rationale, dist: {}, distSource: 'self-report' };
  }
  if (!keys.length) {
    const choice = String(reply.choice ?? '').trim();
    const key = choice.toLowerCase();
    return key
      ? { choice, confidence, rationale, dist: { [key]: 1 }, distSource: 'self-report' }
      : { choice: '', confidence: 0, rationale, dist: {}, distSource: 'uniform-fallback', cannotTell: true };
  }
  const letter = letterOfReply(String(reply.choice ?? ''), question.options);
  if (optionProbs && Object.keys(optionProbs).length) {
    const dist = normalizeDist(optionProbs, keys);
    const best = keys.reduce((a, b) => (dist[b] > dist[a] ? b : a), keys[0]);
    return { choice: letter ?? best, confidence, rationale, dist, distSource: 'logprobs' };
  }
  if (!letter) {
    const dist: OptionDist = Object.fromEntries(keys.map((k) => [k, 1 / keys.length]));
    return {
      choice: '',
      confidence: 0,
      dist,
      distSource: 'uniform-fallback',
      cannotTell: true,
      unparsed: true,
      rationale: `the reply's choice "${String(reply.choice).slice(0, 40)}" is not one of ${keys.join(', ')}. ${rationale}`,
    };
  }
  return {
    choice: letter,
    confidence,
    rationale,
    dist: selfReportDist(letter, confidence, keys),
    distSource: 'self-report',
  };
}

/** The chosen option gets the confidence; the others share what is left equally. */
function selfReportDist(choice: string, confidence: number, keys: string[]): OptionDist {
  if (keys.length === 1) return { [keys[0]]: 1 };
  const c = Math.min(1, Math.max(1 / keys.length, confidence));
  const rest = (1 - c) / (keys.length - 1);
  return normalizeDist(Object.fromEntries(keys.map((k) => [k, k === choice ? c : rest])), keys);
}
