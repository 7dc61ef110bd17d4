import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCURACY, BARE_SECONDS, COUNT, SECONDS, countsOf, formatSpread, groupBy, median } from './stats';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([7, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(() => median([])).toThrow(/at least one/);
  });

  it('lies between the smallest and the largest value', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 }), (values) => {
        const m = median(values);
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
      }),
    );
  });
});

describe('formatSpread', () => {
  it('prints the median with its unit and the range bare beside it', () => {
    expect(formatSpread([6100, 7400, 6800], SECONDS)).toBe('6.8 s (6.1–7.4)');
    expect(formatSpread([0.8612, 0.859, 0.864], ACCURACY)).toBe('86.12% (85.90–86.40)');
    expect(formatSpread([9, 10, 11, 12], COUNT)).toBe('10.5 (9–12)');
    expect(formatSpread([4000, 5000], BARE_SECONDS)).toBe('4.5 (4.0–5.0)');
  });

  it('prints one seed, or seeds that print alike, as the value alone', () => {
    expect(formatSpread([6800], SECONDS)).toBe('6.8 s');
    expect(formatSpread([6810, 6790], SECONDS)).toBe('6.8 s');
    expect(formatSpread([], SECONDS)).toBe('-');
  });
});

describe('countsOf', () => {
  it('gives one value when all agree, else each with its count', () => {
    expect(countsOf(['target', 'target'])).toBe('target');
    expect(countsOf(['target', 'time', 'target'])).toBe('target 2, time 1');
  });
});

describe('groupBy', () => {
  it('keeps the order in which groups first appear', () => {
    expect(groupBy(['b1', 'a1', 'b2'], (s) => s[0])).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1']],
    ]);
  });
});
