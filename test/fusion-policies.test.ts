import { describe, expect, it } from 'vitest';
import { fusePosterior, normalizeDist, roundWeight, topChoice } from '../loop/fusion.js';
import { letters } from '../core/options.js';
import { FUSION_DEFAULTS } from '../loop/config.js';
import type { RoundRecord } from '../loop/types.js';

const AB = ['A', 'B'];
const close = (a: Record<string, number>, b: Record<string, number>, digits = 9) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(b)) expect(a[k]).toBeCloseTo(b[k], digits);
};

describe('letters', () => {
  it('names options A, B, C… and continues past Z', () => {
    expect(letters(0)).toEqual([]);
    expect(letters(4)).toEqual(['A', 'B', 'C', 'D']);
    const many = letters(28);
    expect(many[25]).toBe('Z');
    expect(many.slice(26)).toEqual(['AA', 'AB']);
  });
  it('refuses a negative or fractional count', () => {
    expect(() => letters(-1)).toThrow(/whole number/);
    expect(() => letters(1.5)).toThrow(/whole number/);
  });
});

describe('normalizeDist', () => {
  it('renormalises, fills missing letters and drops unknown keys', () => {
    const d = normalizeDist({ A: 2, B: 2, Z: 5 }, ['A', 'B', 'C']);
    const eps = FUSION_DEFAULTS.probabilityFloor;
    // A and B share the mass, C gets the floor, then all renormalised
    close(d, { A: 0.5 / (1 + eps), B: 0.5 / (1 + eps), C: eps / (1 + eps) });
    expect(Object.values(d).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  it('treats negative, NaN and non-numeric entries as zero and an all-zero dist as uniform', () => {
    close(normalizeDist({ A: -1, B: Number.NaN, C: 'x' as unknown as number }, ['A', 'B', 'C']), {
      A: 1 / 3,
      B: 1 / 3,
      C: 1 / 3,
    });
  });
  it('floors a zero probability so a single round cannot veto an option', () => {
    const d = normalizeDist({ A: 1, B: 0 }, AB);
    expect(d.B).toBeGreaterThan(0);
    expect(d.B).toBeCloseTo(FUSION_DEFAULTS.probabilityFloor / (1 + FUSION_DEFAULTS.probabilityFloor), 12);
  });
});

describe('loglinear pooling', () => {
  it('two equal-weight rounds give the normalised square root of the products', () => {
    // [0.5,0.5] and [0.9,0.1]: p ∝ (√0.45, √0.05) = (0.6708, 0.2236) → (0.75, 0.25)
    const p = fusePosterior(
      'loglinear',
      [
        { dist: { A: 0.5, B: 0.5 }, weight: 1 },
        { dist: { A: 0.9, B: 0.1 }, weight: 1 },
      ],
      AB,
    );
    close(p, { A: 0.75, B: 0.25 });
  });
  it('weights are exponents: weight 3 vs 1 gives p ∝ p1^¾ p2^¼', () => {
    const p = fusePosterior(
      'loglinear',
      [
        { dist: { A: 0.9, B: 0.1 }, weight: 3 },
        { dist: { A: 0.5, B: 0.5 }, weight: 1 },
      ],
      AB,
    );
    const a = 0.9 ** 0.75 * 0.5 ** 0.25;
    const b = 0.1 ** 0.75 * 0.5 ** 0.25;
    close(p, { A: a / (a + b), B: b / (a + b) });
  });
  it('only relative weights matter (coverage 0.4 and 0.4 = 1 and 1)', () => {
    const r = (w: number) => [
      { dist: { A: 0.7, B: 0.3 }, weight: w },
      { dist: { A: 0.2, B: 0.8 }, weight: w },
    ];
    close(fusePosterior('loglinear', r(0.4), AB), fusePosterior('loglinear', r(1), AB), 12);
  });
  it('a view with weight 0 (or a non-finite weight) changes nothing', () => {
    const prior = { dist: { A: 0.3, B: 0.6, C: 0.1 }, weight: 1 };
    const alone = fusePosterior('loglinear', [prior], ['A', 'B', 'C']);
    close(alone, normalizeDist(prior.dist, ['A', 'B', 'C']));
    for (const weight of [0, -2, Number.NaN]) {
      close(fusePosterior('loglinear', [prior, { dist: { A: 1, B: 0, C: 0 }, weight }], ['A', 'B', 'C']), alone, 12);
    }
  });
  it('a single round is returned as it is, and identical rounds do not compound', () => {
    const d = { A: 0.8, B: 0.2 };
    close(fusePosterior('loglinear', [{ dist: d, weight: 1 }], AB), d);
    close(
      fusePosterior(
        'loglinear',
        [
          { dist: d, weight: 1 },
          { dist: d, weight: 0.5 },
          { dist: d, weight: 0.9 },
        ],
        AB,
      ),
      d,
    );
  });
  it('stays finite when the rounds disagree completely', () => {
    const p = fusePosterior(
      'loglinear',
      [
        { dist: { A: 1, B: 0 }, weight: 1 },
        { dist: { A: 0, B: 1 }, weight: 1 },
      ],
      AB,
    );
    close(p, { A: 0.5, B: 0.5 });
  });
  it('no usable round gives a uniform posterior', () => {
    close(fusePosterior('loglinear', [], ['A', 'B', 'C', 'D']), { A: 0.25, B: 0.25, C: 0.25, D: 0.25 });
    close(fusePosterior('loglinear', [{ dist: { A: 1 }, weight: 0 }], AB), { A: 0.5, B: 0.5 });
  });
});

describe('vote', () => {
  it('counts argmax votes by weight, add-½ smoothed', () => {
    const rounds = [
      { dist: { A: 0.6, B: 0.4, C: 0 }, weight: 1 },
      { dist: { A: 0.1, B: 0.8, C: 0.1 }, weight: 1 },
      { dist: { A: 0.1, B: 0.7, C: 0.2 }, weight: 1 },
    ];
    // votes A 1, B 2, C 0; +0.5 each over 3 + 1.5
    close(fusePosterior('vote', rounds, ['A', 'B', 'C']), { A: 1.5 / 4.5, B: 2.5 / 4.5, C: 0.5 / 4.5 });
  });
  it('a weight counts as that many votes; ties split the vote; weight 0 votes nothing', () => {
    const rounds = [
      { dist: { A: 0.9, B: 0.1 }, weight: 2 },
      { dist: { A: 0.5, B: 0.5 }, weight: 1 },
      { dist: { A: 0.0, B: 1.0 }, weight: 0 },
    ];
    // A: 2 + 0.5, B: 0.5; + 0.5 each over 3 + 1
    close(fusePosterior('vote', rounds, AB), { A: 3 / 4, B: 1 / 4 });
  });
});

describe('last', () => {
  it('is the latest round that carries weight', () => {
    const rounds = [
      { dist: { A: 0.9, B: 0.1 }, weight: 1 },
      { dist: { A: 0.2, B: 0.8 }, weight: 0.3 },
      { dist: { A: 1, B: 0 }, weight: 0 },
    ];
    close(fusePosterior('last', rounds, AB), { A: 0.2, B: 0.8 });
  });
});

describe('free-form answers and errors', () => {
  it('with no letters the support is every answer seen', () => {
    const p = fusePosterior(
      'vote',
      [
        { dist: { red: 1 }, weight: 1 },
        { dist: { blue: 1 }, weight: 1 },
        { dist: { red: 1 }, weight: 1 },
      ],
      [],
    );
    expect(Object.keys(p).sort()).toEqual(['blue', 'red']);
    expect(topChoice(p).choice).toBe('red');
    expect(fusePosterior('loglinear', [], [])).toEqual({});
  });
  it('an unknown policy is a clear error', () => {
    expect(() => fusePosterior('median' as never, [], AB)).toThrow(/unknown fusion policy "median"/);
  });
});

describe('topChoice', () => {
  it('returns the best option, its probability and the margin over the runner-up', () => {
    const t = topChoice({ A: 0.2, B: 0.5, C: 0.3 });
    expect(t.choice).toBe('B');
    expect(t.probability).toBeCloseTo(0.5, 12);
    expect(t.margin).toBeCloseTo(0.2, 12);
  });
  it('breaks ties by order, handles one option and an empty dist', () => {
    expect(topChoice({ A: 0.5, B: 0.5 })).toEqual({ choice: 'A', probability: 0.5, margin: 0 });
    expect(topChoice({ A: 1 })).toEqual({ choice: 'A', probability: 1, margin: 1 });
    expect(topChoice({})).toEqual({ choice: '', probability: 0, margin: 0 });
  });
});

describe('roundWeight', () => {
  const answer = { choice: 'A', confidence: 0.5, rationale: '', dist: { A: 1 }, distSource: 'self-report' as const };
  const view = { coverage: 0.8 } as RoundRecord['view'];
  it('is 1 for the prior and the coverage for a view, × confidence when asked', () => {
    expect(roundWeight({ round: 0, answer })).toBe(1);
    expect(roundWeight({ round: 1, answer, view })).toBeCloseTo(0.8, 12);
    expect(roundWeight({ round: 1, answer, view }, { byConfidence: true })).toBeCloseTo(0.4, 12);
  });
  it('is 0 for a failed round, a uniform fallback answer, or a view round without a view', () => {
    expect(roundWeight({ round: 1, answer, view, failed: 'render failed' })).toBe(0);
    expect(roundWeight({ round: 0, answer: { ...answer, distSource: 'uniform-fallback' } })).toBe(0);
    expect(roundWeight({ round: 2, answer })).toBe(0);
  });
});
