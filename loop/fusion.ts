/**
 * Evidence fusion (docs/design.md, "Conventions" → fusion): every round contributes an option distribution with a
 * weight, and a policy pools them into the posterior over options.
 *
 * - loglinear (default): p ∝ Π p_r^{w_r / Σw} — a weighted geometric mean. Round 0 (the original
 *   image alone) is the prior with weight 1; a view weighs its coverage (share of real surface), and
 *   optionally × the answer's confidence. The weights are normalised, so a second view of the same
 *   scene by the same model moves the posterior towards what it saw rather than compounding
 *   certainty: the views are far from independent evidence.
 * - vote: each round's argmax gets `weight` votes (ties split), add-α smoothed.
 * - last: the latest round that carries weight, as it is.
 *
 * Policies are pure functions of (dist, weight) pairs so that research can compare them on the same
 * recorded rounds.
 */
import type { FusionPolicy, OptionDist, RoundRecord } from './types.js';
import { FUSION_DEFAULTS } from './config.js';
import { VantageError } from '../core/errors.js';
import { fuseEstimates } from '../core/numeric.js';

/** The options a distribution ranges over: the given letters, or (free-form answers) the keys seen. */
function supportOf(dists: OptionDist[], keys: string[]): string[] {
  if (keys.length) return keys;
  const seen = new Set<string>();
  for (const d of dists) for (const k of Object.keys(d ?? {})) seen.add(k);
  return [...seen];
}

/**
 * `d` restricted to `keys`, each probability floored at a small epsilon and renormalised. Missing,
 * negative or non-finite entries count as 0 (then the floor); an all-zero input becomes uniform.
 * The floor keeps one confident round from vetoing an option outright in log-linear pooling.
 */
export function normalizeDist(d: OptionDist, keys: string[]): OptionDist {
  const support = supportOf([d], keys);
  const eps = FUSION_DEFAULTS.probabilityFloor;
  const raw = support.map((k) => {
    const v = d?.[k];
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  const floored = raw.map((v) => Math.max(total > 0 ? v / total : 0, eps));
  const z = floored.reduce((a, b) => a + b, 0);
  const out: OptionDist = {};
  support.forEach((k, i) => {
    out[k] = floored[i] / z;
  });
  return out;
}

function uniform(keys: string[]): OptionDist {
  const out: OptionDist = {};
  for (const k of keys) out[k] = 1 / keys.length;
  return out;
}

/** A usable weight: finite and positive, else 0 (the round is ignored). */
function cleanWeight(w: number): number {
  return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 0;
}

function logLinear(rounds: { dist: OptionDist; weight: number }[], keys: string[]): OptionDist {
  const used = rounds.filter((r) => cleanWeight(r.weight) > 0);
  const wsum = used.reduce((a, r) => a + cleanWeight(r.weight), 0);
  if (!used.length || !(wsum > 0)) return uniform(keys);
  const logs = keys.map(() => 0);
  for (const r of used) {
    const p = normalizeDist(r.dist, keys);
    const w = cleanWeight(r.weight) / wsum;
    keys.forEach((k, i) => {
      logs[i] += w * Math.log(p[k]);
    });
  }
  // log-sum-exp keeps the normalisation exact however small the products get
  const m = Math.max(...logs);
  const ex = logs.map((l) => Math.exp(l - m));
  const z = ex.reduce((a, b) => a + b, 0);
  const out: OptionDist = {};
  keys.forEach((k, i) => {
    out[k] = ex[i] / z;
  });
  return out;
}

function vote(rounds: { dist: OptionDist; weight: number }[], keys: string[]): OptionDist {
  const alpha = FUSION_DEFAULTS.voteSmoothing;
  const votes = keys.map(() => 0);
  for (const r of rounds) {
    const w = cleanWeight(r.weight);
    if (!w) continue;
    const p = normalizeDist(r.dist, keys);
    const best = Math.max(...keys.map((k) => p[k]));
    const winners = keys.map((k, i) => (p[k] >= best - 1e-12 ? i : -1)).filter((i) => i >= 0);
    for (const i of winners) votes[i] += w / winners.length;
  }
  const z = votes.reduce((a, b) => a + b, 0) + alpha * keys.length;
  const out: OptionDist = {};
  keys.forEach((k, i) => {
    out[k] = (votes[i] + alpha) / z;
  });
  return out;
}

function last(rounds: { dist: OptionDist; weight: number }[], keys: string[]): OptionDist {
  for (let i = rounds.length - 1; i >= 0; i--) {
    if (cleanWeight(rounds[i].weight) > 0) return normalizeDist(rounds[i].dist, keys);
  }
  return uniform(keys);
}

/**
 * The posterior over options after pooling `rounds` (in round order) with `policy`. A round with
 * weight 0 (a failed view, a failed answer) changes nothing. With no usable round the posterior is
 * uniform. `keys` are the option letters; for free-form questions pass [] and the answers seen are
 * the support.
 */
export function fusePosterior(
  policy: FusionPolicy,
  rounds: { dist: OptionDist; weight: number }[],
  keys: string[],
): OptionDist {
  const support = supportOf(
    rounds.map((r) => r.dist),
    keys,
  );
  if (!support.length) return {};
  switch (policy) {
    case 'loglinear':
      return logLinear(rounds, support);
    case 'vote':
      return vote(rounds, support);
    case 'last':
      return last(rounds, support);
    default:
      throw new VantageError(
        'bad-fusion',
        `unknown fusion policy "${String(policy)}"`,
        'use one of: loglinear, vote, last',
      );
  }
}

/**
 * The most probable option, its probability, and the margin p1 − p2 over the runner-up (p1 when
 * there is only one option). Ties go to the option listed first. An empty dist gives choice "".
 */
export function topChoice(d: OptionDist): { choice: string; probability: number; margin: number } {
  const entries = Object.entries(d ?? {}).filter(([, p]) => typeof p === 'number' && Number.isFinite(p));
  if (!entries.length) return { choice: '', probability: 0, margin: 0 };
  let best = 0;
  for (let i = 1; i < entries.length; i++) if (entries[i][1] > entries[best][1]) best = i;
  const second = entries.reduce((m, [, p], i) => (i === best ? m : Math.max(m, p)), 0);
  const [choice, probability] = entries[best];
  return { choice, probability, margin: probability - second };
}

export interface WeightOptions {
  /** multiply by the answer's self-reported confidence (0..1) too */
  byConfidence?: boolean;
}

/**
 * The fusion weight of a recorded round: 1 for round 0 (the prior), the view's coverage for a view
 * round; × confidence when asked. 0 when the round failed, its answer is a uniform fallback (the
 * model gave nothing to pool), or it has no view after round 0.
 */
export function roundWeight(
  r: Pick<RoundRecord, 'round' | 'view' | 'answer' | 'failed'>,
  opts: WeightOptions = {},
): number {
  if (r.failed || r.answer.distSource === 'uniform-fallback') return 0;
  let w: number;
  if (r.round === 0) w = 1;
  else if (!r.view) return 0;
  else w = Math.min(1, Math.max(0, Number.isFinite(r.view.coverage) ? r.view.coverage : 0));
  if (opts.byConfidence) w *= Math.min(1, Math.max(0, Number.isFinite(r.answer.confidence) ? r.answer.confidence : 0));
  return w;
}

/**
 * Numeric questions: the rounds' estimates pooled into one (core/numeric.ts fuseEstimates, a weighted
 * median in log space), each with its round weight. Fusion policies do not apply: a median already
 * resists the one wild view a product or a vote would not. Undefined until some round gave a number.
 */
export function fuseNumeric(rounds: { value?: number; weight: number }[]): number | undefined {
  return fuseEstimates(
    rounds.filter((r) => r.value !== undefined).map((r) => ({ value: r.value!, weight: cleanWeight(r.weight) })),
  );
}
