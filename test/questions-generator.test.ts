/**
 * The spatial question generator: deterministic, balanced, and every ground truth re-derived here
 * from the scene description and the ray caster (independently of the generator's own code paths
 * where that is cheap).
 */
import { describe, expect, it } from 'vitest';
import {
  generateQuestions,
  fixtureOfQuestion,
  sceneVisibility,
  QUESTION_RULES,
  sideAngleDeg,
} from '../fixtures/questions.js';
import { parseQuestionText, parseOptionText, SPATIAL_CATEGORIES } from '../core/question-templates.js';
import { visibleFraction } from '../fixtures/raycast.js';
import { VantageError } from '../core/errors.js';
import { OBJECT_PALETTE } from '../core/palette.js';

const items = generateQuestions({ count: 24, seed: 5 });
const letterIndex = (l: string) => l.charCodeAt(0) - 65;

describe('generateQuestions', () => {
  it('is deterministic in its seed', () => {
    const again = generateQuestions({ count: 24, seed: 5 });
    expect(again.map((x) => x.question)).toEqual(items.map((x) => x.question));
    const other = generateQuestions({ count: 8, seed: 6 });
    expect(other.map((x) => x.question.id)).not.toEqual(items.slice(0, 8).map((x) => x.question.id));
  });

  it('balances categories, and honours a category filter', () => {
    const per = new Map<string, number>();
    for (const { question } of items) per.set(question.category, (per.get(question.category) ?? 0) + 1);
    for (const c of SPATIAL_CATEGORIES) expect(per.get(c), c).toBe(6);
    // The first category named gets the remainder.
    const only = generateQuestions({ count: 5, seed: 9, categories: ['left-right', 'count'] });
    expect(only.map((x) => x.question.category).sort()).toEqual([
      'count',
      'count',
      'left-right',
      'left-right',
      'left-right',
    ]);
    expect(new Set(items.map((x) => x.question.id)).size).toBe(items.length);
  });

  it('writes well-formed multiple choice that the perceiver can parse back', () => {
    for (const { fixture, question: q } of items) {
      expect(q.options.length).toBeGreaterThanOrEqual(2);
      expect(new Set(q.options).size).toBe(q.options.length);
      expect(letterIndex(q.answer)).toBeGreaterThanOrEqual(0);
      expect(letterIndex(q.answer)).toBeLessThan(q.options.length);
      expect(parseQuestionText(q.text).kind).toBe(q.category);
      expect(q.sceneSeed).toBe(fixture.seed);
      expect(fixtureOfQuestion(q).objects.map((o) => o.name)).toEqual(fixture.objects.map((o) => o.name));
      for (const o of q.options) expect(parseOptionText(o).kind).not.toBe('other');
    }
  });

  it('only asks unambiguous questions, and their ground truth holds', () => {
    const R = QUESTION_RULES;
    for (const { fixture: f, question: q } of items) {
      const byName = (name: string) => f.objects.findIndex((o) => o.name === name);
      const named = (re: RegExp) => (q.text.match(re) ?? []).slice(1).map(byName);
      const correct = q.options[letterIndex(q.answer)];
      const s = f.room.kind === 'tabletop' ? 0.3 : 1;
      const vis = f.objects.map((_, i) => visibleFraction(f, i, f.reference, 256, 192));
      switch (q.category) {
        case 'hidden-behind': {
          const [x] = named(/hidden behind the (\w+ \w+)\?/);
          expect(x).toBeGreaterThanOrEqual(0);
          const y = byName(correct);
          expect(vis[y], q.id).toBeLessThan(R.hiddenVisible);
          const sv = sceneVisibility(f);
          expect(sv.cover[y][x]).toBeGreaterThanOrEqual(R.occluderCover);
          expect(vis[x]).toBeGreaterThanOrEqual(R.occluderVisible);
          // Hidden behind X means farther along the line of sight.
          expect(Math.hypot(...f.objects[y].center)).toBeGreaterThan(Math.hypot(...f.objects[x].center));
          expect(q.options).toContain('nothing');
          for (const o of q.options) {
            const z = byName(o);
            if (o === correct || z < 0) continue;
            expect(sv.cover[z][x], `${q.id} distractor ${o}`).toBeLessThan(R.distractorCover);
          }
          // Distractors not in the scene are real palette colours the scene does not use.
          for (const o of q.options.filter((t) => t !== 'nothing' && byName(t) < 0)) {
            const c = o.split(' ')[0];
            expect(OBJECT_PALETTE.map((p) => p.name)).toContain(c);
            expect(f.objects.map((p) => p.color)).not.toContain(c);
          }
          break;
        }
        case 'left-right': {
          const [a, b, c] = named(/standing at the (\w+ \w+) and facing the (\w+ \w+)\. Is the (\w+ \w+) to/);
          expect(
            [a, b, c].some((i) => vis[i] < R.hiddenVisible),
            q.id,
          ).toBe(true);
          const ang = sideAngleDeg(f.objects[a].center, f.objects[b].center, f.objects[c].center, f.up);
          expect(Math.abs(ang)).toBeGreaterThan(R.minSideAngleDeg);
          expect(Math.abs(ang)).toBeLessThan(180 - R.minSideAngleDeg);
          expect(correct).toBe(ang > 0 ? 'right' : 'left');
          expect([...q.options].sort()).toEqual(['left', 'right']);
          break;
        }
        case 'front-behind': {
          const [a, b] = named(/is the (\w+ \w+) in front of or behind the (\w+ \w+)\?/);
          expect(
            [a, b].some((i) => vis[i] < R.hiddenVisible),
            q.id,
          ).toBe(true);
          // From the opposite side, "in front" = farther from the original camera along its levelled forward.
          const up = f.up;
          const fwd = [-up[2] * up[0], -up[2] * up[1], 1 - up[2] * up[2]];
          const n = Math.hypot(...fwd);
          const A = f.objects[a].center,
            B = f.objects[b].center;
          const gap = ((A[0] - B[0]) * fwd[0] + (A[1] - B[1]) * fwd[1] + (A[2] - B[2]) * fwd[2]) / n;
          expect(Math.abs(gap)).toBeGreaterThanOrEqual(R.minDepthGap * s - 1e-9);
          expect(correct).toBe(gap > 0 ? 'in front' : 'behind');
          break;
        }
        case 'count': {
          expect(Number(correct)).toBe(f.objects.length);
          expect(vis.some((v) => v < R.hiddenVisible)).toBe(true);
          const nums = q.options.map(Number);
          expect(nums.length).toBe(4);
          nums.forEach((v, i) => expect(v).toBe(nums[0] + i));
          expect(nums[0]).toBeGreaterThanOrEqual(1);
          break;
        }
      }
    }
  });

  it('refuses impossible requests with a clear error', () => {
    expect(() => generateQuestions({ count: 0, seed: 1 })).toThrow(VantageError);
    expect(() => generateQuestions({ count: 3, seed: -1 })).toThrow(/seed/);
    expect(() => generateQuestions({ count: 3, seed: 1, categories: ['sideways' as never] })).toThrow(
      /unknown question categories/,
    );
  });
});
