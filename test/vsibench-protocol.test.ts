/** VSI-Bench's official framing and scores (lmms-eval tasks/vsibench), against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { vsiAggregate, vsiFuzzy, vsiPrompt, vsiScore } from '../loop/eval/vsibench.js';

describe('VSI-Bench protocol', () => {
  it('frames the prompt as the benchmark does', () => {
    expect(vsiPrompt('object_counting', 'How many chair(s) are in this room?', [])).toBe(
      'These are frames of a video.\nHow many chair(s) are in this room?\nPlease answer the question using a single word or phrase.',
    );
    expect(vsiPrompt('route_planning', 'Which way?', ['A. left', 'B. right'])).toBe(
      "These are frames of a video.\nWhich way?\nOptions:\nA. left\nB. right\nAnswer with the option's letter from the given choices directly.",
    );
  });
  it('reads predictions by fuzzy matching', () => {
    expect(vsiFuzzy('B. The sofa')).toBe('B');
    expect(vsiFuzzy('3.5 meters')).toBe('3.5');
    expect(vsiFuzzy('2.')).toBe('2');
  });
  it('scores multiple choice by exact letter and numbers by MRA', () => {
    expect(vsiScore('object_rel_distance', 'b.', 'B')).toBe(1);
    expect(vsiScore('object_rel_distance', 'The answer is B', 'B')).toBe(0); // first token only, as upstream
    expect(vsiScore('object_abs_distance', '2.3', '2.0')).toBe(0.8);
    expect(vsiScore('object_counting', '4 chairs', '5')).toBe(0.7);
    expect(vsiScore('object_size_estimation', 'about 80', '80')).toBe(0); // "about" is not a number
    expect(vsiScore('room_size_estimation', '1e1', '10')).toBe(1);
  });
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
