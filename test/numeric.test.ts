/** Numeric answers, checked by hand: parsing with units, VSI-Bench's MRA, log-space fusion. */
import { describe, expect, it } from 'vitest';
import {
  MRA_THRESHOLDS,
  inferNumericSpec,
  numericSpecFor,
  parseNumericSpec,
  fuseEstimates,
  meanRelativeAccuracy,
  numericAnswer,
  parseNumericAnswer,
  relativeChange,
} from '../core/numeric.js';
import { measureTemplates, parseQuestionText } from '../core/question-templates.js';

describe('reading a number and its unit', () => {
  it('converts to the base unit', () => {
    expect(parseNumericAnswer('about 2.5 m')).toEqual({ value: 2.5, raw: 2.5, unit: 'm', kind: 'length' });
    expect(parseNumericAnswer('250 cm')?.value).toBeCloseTo(2.5, 12);
    expect(parseNumericAnswer('It is 1,200 mm away')?.value).toBeCloseTo(1.2, 12);
    expect(parseNumericAnswer('6 feet')?.value).toBeCloseTo(1.8288, 12);
    expect(parseNumericAnswer('12 square meters')).toMatchObject({ value: 12, kind: 'area' });
    expect(parseNumericAnswer('12.5 m²')).toMatchObject({ value: 12.5, kind: 'area' });
    expect(parseNumericAnswer('3m.')).toMatchObject({ value: 3, kind: 'length' });
  });
  it('bare numbers and number words', () => {
    expect(parseNumericAnswer('4')).toEqual({ value: 4, raw: 4, unit: '' });
    expect(parseNumericAnswer('There are three.')).toEqual({ value: 3, raw: 3, unit: '' });
    expect(parseNumericAnswer('3 chairs')).toEqual({ value: 3, raw: 3, unit: '' });
    expect(parseNumericAnswer('no idea')).toBeUndefined();
  });
  it('answers in the unit the question asks for', () => {
    expect(numericAnswer('80 cm', { kind: 'length', unit: 'm' })).toBeCloseTo(0.8, 12);
    expect(numericAnswer('0.8 m', { kind: 'length', unit: 'cm' })).toBeCloseTo(80, 12);
    expect(numericAnswer('80', { kind: 'length', unit: 'cm' })).toBe(80);
    expect(numericAnswer('3', { kind: 'count', unit: '' })).toBe(3);
    expect(numericAnswer('not sure', { kind: 'count', unit: '' })).toBeUndefined();
    expect(() => numericAnswer('3 m', { kind: 'length', unit: 'kg' })).toThrow(/does not measure a length/);
  });
  it('a unit of another kind is not a unit for the question', () => {
    expect(numericAnswer('5 in the room', { kind: 'count', unit: '' })).toBe(5);
    expect(numericAnswer('5 in', { kind: 'length', unit: 'm' })).toBeCloseTo(0.127, 12);
    expect(numericAnswer('80 cm', { kind: 'length', unit: 'm' })).toBeCloseTo(0.8, 12);
  });
});

describe("VSI-Bench's Mean Relative Accuracy", () => {
  it('has the ten thresholds 0.50 … 0.95', () => {
    expect(MRA_THRESHOLDS).toHaveLength(10);
    expect(MRA_THRESHOLDS[0]).toBe(0.5);
    expect(MRA_THRESHOLDS[9]).toBeCloseTo(0.95, 12);
  });
  it('matches hand-computed values', () => {
    expect(meanRelativeAccuracy(2, 2)).toBe(1);
    // relative error 0.15 ≤ 1 − θ for θ = 0.50 … 0.85: 8 of 10
    expect(meanRelativeAccuracy(2.3, 2)).toBe(0.8);
    // relative error 0.5 ≤ 1 − θ only at θ = 0.5
    expect(meanRelativeAccuracy(3, 2)).toBe(0.1);
    expect(meanRelativeAccuracy(1, 2)).toBe(0.1);
    // error 0.52: no threshold
    expect(meanRelativeAccuracy(3.04, 2)).toBe(0);
    // counts: 4 for 5 is error 0.2 → θ ≤ 0.80: 7 of 10
    expect(meanRelativeAccuracy(4, 5)).toBe(0.7);
    expect(meanRelativeAccuracy(undefined, 5)).toBe(0);
    expect(meanRelativeAccuracy(Number.NaN, 5)).toBe(0);
  });
});

describe('fusing estimates', () => {
  it('is a weighted median in log space', () => {
    expect(
      fuseEstimates([
        { value: 1, weight: 1 },
        { value: 4, weight: 1 },
      ]),
    ).toBeCloseTo(2, 12);
    expect(
      fuseEstimates([
        { value: 1, weight: 1 },
        { value: 2, weight: 1 },
        { value: 100, weight: 1 },
      ]),
    ).toBe(2);
    // weight moves the median: 3 carries more than half
    expect(
      fuseEstimates([
        { value: 1, weight: 1 },
        { value: 3, weight: 3 },
        { value: 9, weight: 1 },
      ]),
    ).toBe(3);
    expect(
      fuseEstimates([
        { value: 5, weight: 0 },
        { value: -1, weight: 1 },
      ]),
    ).toBeUndefined();
    expect(fuseEstimates([{ value: 7, weight: 0.2 }])).toBe(7);
    // a lighter second estimate pulls part of the way: centres 0.294 and 0.794, t = 0.412
    expect(
      fuseEstimates([
        { value: 2, weight: 1 },
        { value: 2.5, weight: 0.7 },
      ]),
    ).toBeCloseTo(2 * 1.25 ** ((0.5 - 0.5 / 1.7) / 0.5), 12);
    // one wild estimate among many only nudges it
    const many = [1.9, 2, 2.1, 2, 1.95].map((value) => ({ value, weight: 1 }));
    expect(fuseEstimates([...many, { value: 1000, weight: 1 }])).toBeLessThan(2.1);
  });
  it('relative change', () => {
    expect(relativeChange(2, 2.2)).toBeCloseTo(0.1, 12);
    expect(relativeChange(0, 0)).toBe(0);
  });
});

describe('which questions are numeric', () => {
  it('reads the unit off the question text', () => {
    expect(inferNumericSpec('How far is the chair from the table (in metres)?')).toEqual({ kind: 'length', unit: 'm' });
    expect(
      inferNumericSpec('What is the length of the longest dimension of the sofa, measured in centimeters?'),
    ).toEqual({
      kind: 'length',
      unit: 'cm',
    });
    expect(inferNumericSpec('What is the size of this room (in square meters)?')).toEqual({ kind: 'area', unit: 'm²' });
    expect(inferNumericSpec('How many chair(s) are in this room?')).toEqual({ kind: 'count', unit: '' });
    expect(inferNumericSpec('What colour is the mug?')).toBeUndefined();
  });
  it('an explicit unit wins; options make it multiple choice', () => {
    expect(numericSpecFor('What colour?', [], 'ft')).toEqual({ kind: 'length', unit: 'ft' });
    expect(numericSpecFor('How many?', ['3', '4'])).toBeUndefined();
    expect(() => numericSpecFor('How many?', ['3', '4'], 'count')).toThrow(/takes no options/);
    expect(parseNumericSpec('m2')).toEqual({ kind: 'area', unit: 'm²' });
    expect(() => parseNumericSpec('kg')).toThrow(/unknown unit "kg"/);
  });
});

describe('measurement questions the perceiver reads', () => {
  it('parses distances and sizes in the benchmark wording and in plain English', () => {
    expect(parseQuestionText(measureTemplates.distance('red box', 'blue sphere'))).toEqual({
      kind: 'distance',
      a: 'red',
      b: 'blue',
    });
    expect(parseQuestionText('How far is the green sphere from the orange box (in metres)?')).toEqual({
      kind: 'distance',
      a: 'green',
      b: 'orange',
    });
    expect(parseQuestionText('What is the distance between the red box and the white cylinder?')).toMatchObject({
      kind: 'distance',
    });
    expect(parseQuestionText(measureTemplates.size('cyan box'))).toEqual({ kind: 'size', a: 'cyan' });
    expect(parseQuestionText(measureTemplates.roomSize())).toEqual({ kind: 'unknown' });
  });
});
