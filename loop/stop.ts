/**
 * Stop policies (docs/design.md, "Data flow" → stop): after each round, decide whether to look again.
 *
 * Rounds are counted as the loop records them: round 0 answers from the original image(s) alone,
 * rounds 1…maxRounds each add one rendered view. `stopDecision` is asked after round `round` has
 * been fused; `maxRounds` is the number of view rounds allowed, so the loop never goes past round
 * `maxRounds`.
 *
 * - adaptive: stop when the fused answer has been the same for the last `stableRounds` rounds (it
 *   appeared at round − k and did not change since) and the posterior margin p1 − p2 ≥ `marginTau`
 *   now; stableRounds = 0 lets the loop stop at round 0 when the prior is already sure. Also stop
 *   when the controller itself says it has seen enough. For numeric questions "the same" means the
 *   fused estimate moved by at most `relativeTolerance` (default 5 %) in each of those rounds (there is
 *   no margin).
 * - fixed: always run to maxRounds (the model's stop and stability are ignored), for ablations.
 * - both: hard budgets on rounds, tokens and seconds end the loop whatever the policy.
 *
 * When several reasons hold at once, the one reported is the first of: stable, model-stop,
 * max-rounds / fixed-rounds, token-budget, time-budget — what the answer did before what ran out.
 */
import { relativeChange } from '../core/numeric.js';
import type { LoopConfig, StopReason } from './types.js';

/** Used when a config predates `relativeTolerance`. */
const DEFAULT_RELATIVE_TOLERANCE = 0.05;
/** Unusable answers in a row after which the loop stops (each costs a paid call and adds nothing). */
export const STOP_AFTER_UNUSABLE = 2;

export interface StopState {
  /** the round just completed (0 = the prior, from the original image alone) */
  round: number;
  /** view rounds allowed after round 0 */
  maxRounds: number;
  /** fused choice after each round so far, index = round */
  fusedChoices: string[];
  /** posterior margin p1 − p2 after each round so far, index = round */
  margins: number[];
  /** numeric questions: fused estimate after each round so far (undefined: none yet) */
  fusedValues?: (number | undefined)[];
  /** the controller answered "stop" instead of asking for another view */
  modelSaidStop: boolean;
  /** rounds in a row, up to this one, whose answer named no option (default 0) */
  unusableStreak?: number;
  /** prompt + completion tokens spent so far */
  tokensUsed: number;
  /** wall time spent so far, milliseconds */
  msUsed: number;
}

/** The fused answer has held for the last k rounds (k + 1 equal entries, non-empty). */
function stableFor(choices: string[], round: number, k: number): boolean {
  if (round - k < 0 || round >= choices.length) return false;
  const now = choices[round];
  if (!now) return false;
  for (let r = round - k; r < round; r++) if (choices[r] !== now) return false;
  return true;
}

/** The fused estimate has moved by at most `tol` (relative) in each of the last k rounds. */
function numericStableFor(values: (number | undefined)[], round: number, k: number, tol: number): boolean {
  if (round - k < 0 || round >= values.length) return false;
  const now = values[round];
  if (now === undefined) return false;
  for (let r = round - k; r < round; r++) {
    const v = values[r];
    if (v === undefined || relativeChange(v, values[r + 1] ?? v) > tol) return false;
  }
  return true;
}

/** Why the loop should stop after this round, or undefined to look again. */
export function stopDecision(cfg: LoopConfig['stop'], s: StopState): StopReason | undefined {
  const fixed = cfg.policy === 'fixed';
  // two unusable answers in a row: more rounds would keep paying for replies that cannot count
  if ((s.unusableStreak ?? 0) >= STOP_AFTER_UNUSABLE) return 'unusable-replies';
  if (!fixed) {
    const k = Math.max(0, Math.floor(Number.isFinite(cfg.stableRounds) ? cfg.stableRounds : 0));
    const tau = Number.isFinite(cfg.marginTau) ? cfg.marginTau : 0;
    const margin = s.margins[s.round];
    if (s.fusedValues) {
      const tol = Number.isFinite(cfg.relativeTolerance) ? cfg.relativeTolerance! : DEFAULT_RELATIVE_TOLERANCE;
      if (numericStableFor(s.fusedValues, s.round, k, tol)) return 'stable';
    } else if (stableFor(s.fusedChoices, s.round, k) && typeof margin === 'number' && margin >= tau) return 'stable';
    if (s.modelSaidStop) return 'model-stop';
  }
  if (s.round >= s.maxRounds) return fixed ? 'fixed-rounds' : 'max-rounds';
  if (cfg.tokenBudget !== undefined && s.tokensUsed >= cfg.tokenBudget) return 'token-budget';
  if (cfg.secondsBudget !== undefined && s.msUsed >= cfg.secondsBudget * 1000) return 'time-budget';
  return undefined;
}

/** A sentence for a stop reason, as the report and the CLI show it. */
export function describeStopReason(reason: StopReason, cfg?: LoopConfig['stop']): string {
  switch (reason) {
    case 'stable':
      if (!cfg) return 'the fused answer held steady with a clear margin';
      return cfg.stableRounds > 0
        ? `the fused answer held for ${cfg.stableRounds} round(s) with posterior margin ≥ ${cfg.marginTau}`
        : `the posterior margin reached ${cfg.marginTau}`;
    case 'model-stop':
      return 'the model said it had seen enough';
    case 'max-rounds':
      return 'the round limit was reached';
    case 'fixed-rounds':
      return 'the fixed number of rounds was run';
    case 'token-budget':
      return cfg?.tokenBudget !== undefined
        ? `the token budget (${cfg.tokenBudget}) was spent`
        : 'the token budget was spent';
    case 'time-budget':
      return cfg?.secondsBudget !== undefined
        ? `the time budget (${cfg.secondsBudget} s) was spent`
        : 'the time budget was spent';
    case 'error':
      return 'an error ended the loop';
    case 'unusable-replies':
      return `${STOP_AFTER_UNUSABLE} replies in a row named none of the options`;
  }
}
