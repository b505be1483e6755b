import { describe, expect, it } from 'vitest';
import { describeStopReason, stopDecision, type StopState } from '../loop/stop.js';
import type { LoopConfig } from '../loop/types.js';

const adaptive: LoopConfig['stop'] = { policy: 'adaptive', stableRounds: 2, marginTau: 0.3 };
const state = (over: Partial<StopState>): StopState => ({
  round: 0,
  maxRounds: 5,
  fusedChoices: [],
  margins: [],
  modelSaidStop: false,
  tokensUsed: 0,
  msUsed: 0,
  ...over,
});

describe('adaptive: stable answer with margin', () => {
  it('stops once the fused answer held for k rounds and the margin reaches τ', () => {
    const fusedChoices = ['B', 'A', 'A', 'A'];
    const margins = [0.1, 0.2, 0.35, 0.4];
    expect(stopDecision(adaptive, state({ round: 1, fusedChoices, margins }))).toBeUndefined();
    // round 2: A held for 1 round only
    expect(stopDecision(adaptive, state({ round: 2, fusedChoices, margins }))).toBeUndefined();
    expect(stopDecision(adaptive, state({ round: 3, fusedChoices, margins }))).toBe('stable');
  });
  it('does not stop when stable but the margin is below τ', () => {
    expect(
      stopDecision(adaptive, state({ round: 2, fusedChoices: ['A', 'A', 'A'], margins: [0.5, 0.5, 0.29] })),
    ).toBeUndefined();
    expect(stopDecision(adaptive, state({ round: 2, fusedChoices: ['A', 'A', 'A'], margins: [0.5, 0.5, 0.3] }))).toBe(
      'stable',
    );
  });
  it('a change of answer restarts the count', () => {
    expect(
      stopDecision(adaptive, state({ round: 3, fusedChoices: ['A', 'A', 'B', 'A'], margins: [0.9, 0.9, 0.9, 0.9] })),
    ).toBeUndefined();
  });
  it('k = 0 may stop at round 0 when the prior is already sure; an empty answer never counts', () => {
    const k0 = { ...adaptive, stableRounds: 0 };
    expect(stopDecision(k0, state({ round: 0, fusedChoices: ['C'], margins: [0.6] }))).toBe('stable');
    expect(stopDecision(k0, state({ round: 0, fusedChoices: ['C'], margins: [0.2] }))).toBeUndefined();
    expect(stopDecision(k0, state({ round: 0, fusedChoices: [''], margins: [1] }))).toBeUndefined();
  });
});

describe('adaptive: the model says stop', () => {
  it('stops with model-stop', () => {
    expect(
      stopDecision(adaptive, state({ round: 1, fusedChoices: ['A', 'B'], margins: [0, 0], modelSaidStop: true })),
    ).toBe('model-stop');
  });
});

describe('rounds and budgets', () => {
  it('stops at maxRounds (max-rounds, or fixed-rounds under the fixed policy)', () => {
    const s = state({ round: 5, fusedChoices: ['A', 'B', 'A', 'B', 'A', 'B'], margins: [0, 0, 0, 0, 0, 0] });
    expect(stopDecision(adaptive, { ...s, round: 4 })).toBeUndefined();
    expect(stopDecision(adaptive, s)).toBe('max-rounds');
    expect(stopDecision({ ...adaptive, policy: 'fixed' }, s)).toBe('fixed-rounds');
    expect(stopDecision(adaptive, state({ round: 0, maxRounds: 0, fusedChoices: ['A'], margins: [0] }))).toBe(
      'max-rounds',
    );
  });
  it('stops when the token budget is spent', () => {
    const cfg = { ...adaptive, tokenBudget: 1000 };
    const s = state({ round: 1, fusedChoices: ['A', 'B'], margins: [0, 0] });
    expect(stopDecision(cfg, { ...s, tokensUsed: 999 })).toBeUndefined();
    expect(stopDecision(cfg, { ...s, tokensUsed: 1000 })).toBe('token-budget');
  });
  it('stops when the time budget is spent', () => {
    const cfg = { ...adaptive, secondsBudget: 2 };
    const s = state({ round: 1, fusedChoices: ['A', 'B'], margins: [0, 0] });
    expect(stopDecision(cfg, { ...s, msUsed: 1999 })).toBeUndefined();
    expect(stopDecision(cfg, { ...s, msUsed: 2000 })).toBe('time-budget');
  });
  it('reports what the answer did before what ran out', () => {
    const cfg = { ...adaptive, tokenBudget: 10, stableRounds: 1 };
    expect(stopDecision(cfg, state({ round: 1, fusedChoices: ['A', 'A'], margins: [0.5, 0.5], tokensUsed: 50 }))).toBe(
      'stable',
    );
  });
});

describe('fixed policy', () => {
  const fixed: LoopConfig['stop'] = { policy: 'fixed', stableRounds: 1, marginTau: 0.1, secondsBudget: 10 };
  it('ignores stability and the model stop, but not the budgets', () => {
    const s = state({
      round: 2,
      maxRounds: 3,
      fusedChoices: ['A', 'A', 'A'],
      margins: [0.9, 0.9, 0.9],
      modelSaidStop: true,
    });
    expect(stopDecision(fixed, s)).toBeUndefined();
    expect(
      stopDecision(fixed, { ...s, round: 3, fusedChoices: [...s.fusedChoices, 'A'], margins: [...s.margins, 0.9] }),
    ).toBe('fixed-rounds');
    expect(stopDecision(fixed, { ...s, msUsed: 10_000 })).toBe('time-budget');
  });
});

describe('describeStopReason', () => {
  it('says why in words, with the thresholds when the config is given', () => {
    expect(describeStopReason('stable', adaptive)).toMatch(/2 round\(s\).*0\.3/);
    expect(describeStopReason('token-budget', { ...adaptive, tokenBudget: 500 })).toMatch(/500/);
    expect(describeStopReason('stable', { ...adaptive, stableRounds: 0 })).toBe('the posterior margin reached 0.3');
    expect(describeStopReason('model-stop')).toMatch(/model/);
  });
});
