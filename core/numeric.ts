/**
 * Numeric answers (counts, distances, sizes, areas): reading a number with its unit out of a reply,
 * converting it to the question's unit, the benchmark metric (VSI-Bench's Mean Relative Accuracy) and
 * the fusion of several estimates (a weighted median in log space, so 1 m and 4 m meet at 2 m, and
 * one wild estimate cannot drag the result far).
 */

import { VantageError } from './errors.js';
import type { NumericSpec } from './types.js';

/** What a numeric question asks for; values are kept in the base unit of the kind. */
export type NumericKind = NumericSpec['kind'];

/** Unit words → (kind, factor to the base unit). Longest names first so "cm" wins over "m". */
const UNITS: [RegExp, NumericKind, number][] = [
  [/^(?:square\s+met(?:re|er)s?|sq\.?\s*m|m\^?2|m²)$/i, 'area', 1],
  [/^(?:square\s+(?:feet|foot)|sq\.?\s*ft|ft\^?2|ft²)$/i, 'area', 0.09290304],
  [/^(?:cubic\s+met(?:re|er)s?|m\^?3|m³)$/i, 'volume', 1],
  [/^(?:millimet(?:re|er)s?|mm)$/i, 'length', 0.001],
  [/^(?:centimet(?:re|er)s?|cm)$/i, 'length', 0.01],
  [/^(?:kilomet(?:re|er)s?|km)$/i, 'length', 1000],
  [/^(?:met(?:re|er)s?|m)$/i, 'length', 1],
  [/^(?:inch(?:es)?|in|")$/i, 'length', 0.0254],
  [/^(?:feet|foot|ft|')$/i, 'length', 0.3048],
  [/^(?:yards?|yd)$/i, 'length', 0.9144],
];

/** A unit word's kind and factor to the base unit, or undefined when it is not a known unit. */
export function unitOf(word: string): { kind: NumericKind; factor: number } | undefined {
  const w = word.trim();
  for (const [re, kind, factor] of UNITS) if (re.test(w)) return { kind, factor };
  return undefined;
}

const WORDS: Record<string, number> = {
  zero: 0,
  none: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

export interface ParsedNumber {
  /** in the base unit of `kind` when a unit was given, else as written */
  value: number;
  /** the number as written, before unit conversion */
  raw: number;
  /** the unit as written ("cm"), or "" */
  unit: string;
  kind?: NumericKind;
}

const NUMBER = String.raw`[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[-+]?\d+)?`;
const UNIT_WORD = String.raw`square\s+met(?:re|er)s?|square\s+(?:feet|foot)|cubic\s+met(?:re|er)s?|sq\.?\s*m|sq\.?\s*ft|m\^?2|m²|ft\^?2|ft²|m\^?3|m³|[a-z]+|"|'`;

/**
 * The first number in a reply, with the unit that follows it, converted to the base unit. The
 * question's expected kind breaks ties: a bare number is taken in the question's unit. Number words
 * up to twelve count ("three chairs"). Returns undefined when the reply holds no number.
 *
 *   parseNumericAnswer("about 2.5 m")        → { value: 2.5, unit: "m", kind: "length" }
 *   parseNumericAnswer("250 cm")             → { value: 2.5, unit: "cm", kind: "length" }
 *   parseNumericAnswer("There are three.")   → { value: 3, unit: "" }
 */
export function parseNumericAnswer(reply: string): ParsedNumber | undefined {
  const re = new RegExp(String.raw`(${NUMBER})\s*(${UNIT_WORD})?`, 'gi');
  for (const m of reply.matchAll(re)) {
    if (!/\d/.test(m[1])) continue;
    const value = Number(m[1].replace(/,/g, ''));
    if (!Number.isFinite(value)) continue;
    const unitWord = (m[2] ?? '').trim();
    const u = unitWord ? unitOf(unitWord) : undefined;
    if (u) return { value: value * u.factor, raw: value, unit: unitWord, kind: u.kind };
    return { value, raw: value, unit: '' };
  }
  const word = reply.toLowerCase().match(new RegExp(String.raw`\b(${Object.keys(WORDS).join('|')})\b`));
  if (word) return { value: WORDS[word[1]], raw: WORDS[word[1]], unit: '' };
  return undefined;
}

/** VSI-Bench's thresholds: 0.50, 0.55, … 0.95 (10 of them, as lmms-eval's linspace yields). */
export const MRA_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);

/**
 * Mean Relative Accuracy of one estimate (VSI-Bench, lmms-eval `tasks/vsibench/utils.py`): the share
 * of thresholds θ for which |ŷ − y| / y ≤ 1 − θ. A missing or non-finite estimate scores 0 (the
 * benchmark's worst case). Example: y = 2, ŷ = 2.3 → relative error 0.15 ≤ 1 − θ for θ ≤ 0.85:
 * 8 of 10 thresholds → 0.8.
 */
export function meanRelativeAccuracy(estimate: number | undefined, truth: number): number {
  if (estimate === undefined || !Number.isFinite(estimate) || !(truth !== 0 && Number.isFinite(truth))) return 0;
  const rel = Math.abs(estimate - truth) / truth;
  // the 1e-9 guards against 1 − 0.85 being 0.15000000000000002 in binary (the reference uses float64 too)
  return MRA_THRESHOLDS.filter((t) => rel <= 1 - t + 1e-9).length / MRA_THRESHOLDS.length;
}

/** One estimate with the weight it carries (a view's coverage, the answerer's confidence…). */
export interface WeightedEstimate {
  value: number;
  weight: number;
}

/**
 * Weighted median in log space of positive estimates. Each sorted estimate sits at the middle of its
 * share of the total weight (c_i = (w_1 + … + w_{i−1} + w_i / 2) / W); the median is read at 0.5,
 * interpolated in log space between the two estimates around it (clamped to the ends). So it moves
 * smoothly as a view adds evidence, yet one wild estimate only nudges it. Non-positive or non-finite
 * estimates and non-positive weights are ignored; with none left, undefined. Hand checks:
 * {1, 4} equal weights → 2; {1, 2, 100} → 2; {2 (w 1), 2.5 (w 0.7)} → 2 · 1.25^0.412 ≈ 2.19.
 */
export function fuseEstimates(estimates: WeightedEstimate[]): number | undefined {
  const xs = estimates
    .filter((e) => e.value > 0 && Number.isFinite(e.value) && e.weight > 0 && Number.isFinite(e.weight))
    .map((e) => ({ v: e.value, l: Math.log(e.value), w: e.weight }))
    .sort((a, b) => a.l - b.l);
  if (!xs.length) return undefined;
  const total = xs.reduce((s, e) => s + e.w, 0);
  let acc = 0;
  const c = xs.map((e) => {
    const mid = (acc + e.w / 2) / total;
    acc += e.w;
    return mid;
  });
  if (0.5 <= c[0]) return xs[0].v;
  if (0.5 >= c[c.length - 1]) return xs[xs.length - 1].v;
  const k = c.findIndex((ci) => ci >= 0.5);
  if (Math.abs(c[k] - 0.5) < 1e-12) return xs[k].v;
  const t = (0.5 - c[k - 1]) / (c[k] - c[k - 1]);
  return Math.exp(xs[k - 1].l + t * (xs[k].l - xs[k - 1].l));
}

/** |b − a| / |a|: the relative change the adaptive stop compares with its tolerance. */
export function relativeChange(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(b - a) / Math.max(Math.abs(a), Number.MIN_VALUE);
}

/** Factor from a unit the question asks for to the base unit of its kind ("cm" → 0.01); "" → 1. */
export function unitFactor(spec: NumericSpec): number {
  if (!spec.unit) return 1;
  const u = unitOf(spec.unit);
  if (!u || u.kind !== spec.kind)
    throw new VantageError(
      'bad-question',
      `unit "${spec.unit}" does not measure a ${spec.kind}`,
      'use m, cm, mm, ft, in, m² or m³',
    );
  return u.factor;
}

/**
 * A reply's number in the unit the question asks for: "80 cm" → 0.8 for a question in metres, 80 for
 * one in centimetres; a bare number is taken in the question's unit. Undefined when there is none.
 */
export function numericAnswer(reply: string, spec: NumericSpec): number | undefined {
  const p = parseNumericAnswer(reply);
  if (!p) return undefined;
  if (p.kind === undefined || p.kind !== spec.kind) return p.raw;
  return p.value / unitFactor(spec);
}

/** "--unit" values: a unit word ("m", "cm", "m²", "ft"…) or "count". */
export function parseNumericSpec(unit: string): NumericSpec {
  const u = unit.trim();
  if (/^(count|number|n)$/i.test(u)) return { kind: 'count', unit: '' };
  const known = unitOf(u);
  if (!known)
    throw new VantageError(
      'bad-option',
      `unknown unit "${unit}"`,
      'use count, m, cm, mm, ft, in, m² (or m2) or m³ (or m3)',
    );
  const canonical = u.replace(/\^?2$/, '²').replace(/\^?3$/, '³');
  return { kind: known.kind, unit: canonical };
}

/**
 * The numeric spec a question without options asks for, read off its text: "how many" → a count;
 * square metres → an area; centimetres → a length in cm; metres, or "how far / how long / how tall /
 * distance" → a length in m. Undefined for other free-form questions (answered with a phrase).
 */
export function inferNumericSpec(text: string): NumericSpec | undefined {
  const t = text.toLowerCase();
  if (/square\s+met(?:er|re)s?|\bm²|\bm\^?2\b|\bsq\.?\s*m\b/.test(t)) return { kind: 'area', unit: 'm²' };
  if (/\bcentimet(?:er|re)s?\b|\(\s*cm\s*\)|\bin cm\b/.test(t)) return { kind: 'length', unit: 'cm' };
  if (/\bmet(?:er|re)s?\b|\(\s*m\s*\)|\bhow (?:far|long|tall|wide|high|deep)\b|\bdistance\b/.test(t))
    return { kind: 'length', unit: 'm' };
  if (/^\s*how many\b/.test(t)) return { kind: 'count', unit: '' };
  return undefined;
}

/** A question's numeric spec: given explicitly (a unit word), else inferred when it has no options. */
export function numericSpecFor(text: string, options: string[], unit?: string): NumericSpec | undefined {
  if (unit !== undefined && unit !== '') {
    if (options.length)
      throw new VantageError('bad-option', 'a numeric question (--unit) takes no options', 'drop --options or --unit');
    return parseNumericSpec(unit);
  }
  return options.length ? undefined : inferNumericSpec(text);
}
