/** VSI-Bench's official aggregate (lmms-eval tasks/vsibench), against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { vsiAggregate } from '../loop/eval/vsibench.js';

describe('VSI-Bench protocol', () => {
  it('aggregates per type, merges the three direction levels, averages types', () => {
    const agg = vsiAggregate([
      { questionType: 'object_counting', score: 1 },
      { questionType: 'object_counting', score: 0.5 },
      { questionType: 'object_rel_direction_easy', score: 1 },
      { questionType: 'object_rel_direction_medium', score: 0 },
      { questionType: 'object_rel_direction_hard', score: 0.5 },
      { questionType: 'route_planning', score: 0 },
    ]);
    expect(agg.byType).toEqual({ object_counting: 0.75, object_rel_direction: 0.5, route_planning: 0 });
    expect(agg.overall).toBeCloseTo((0.75 + 0.5 + 0) / 3, 12);
  });
});
