import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import { SweepPlanError } from './plan';
import { readRequest } from './plan-read';

const base = validateConfig({ seed: 7, algo: 'sync' });

/** The field of the SweepPlanError `fn` throws. */
function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SweepPlanError) return e.field;
    throw e;
  }
  throw new Error('expected a SweepPlanError, nothing was thrown');
}

describe('readRequest', () => {
  it('takes strings or lists, and defaults to the page’s seed and algorithm', () => {
    expect(readRequest({ grid: 'tauFast=8,16' }, base)).toEqual({
      grid: [{ key: 'tauFast', values: [8, 16] }],
      random: [],
      trials: 0,
      algos: ['sync'],
      seeds: [7],
      drawSeed: 1,
    });
    const plan = readRequest({ random: ['lambda=0.1:1'], trials: 3, seeds: '1,2', algos: 'biased,local', drawSeed: 4 }, base);
    expect(plan).toMatchObject({ trials: 3, seeds: [1, 2], algos: ['biased', 'local'], drawSeed: 4 });
    expect(readRequest({ random: 'lambda=0.1:1' }, base).trials).toBe(10);
  });

  it('refuses what is not a request', () => {
    expect(fieldOf(() => readRequest(null))).toBe('plan');
    expect(fieldOf(() => readRequest(['tauFast=8,16']))).toBe('plan');
    expect(fieldOf(() => readRequest({ seeds: { a: 1 }, grid: 'tauFast=8,16' }))).toBe('seeds');
    expect(() => readRequest({ seeds: { a: 1 }, grid: 'tauFast=8,16' })).toThrow(/^Invalid seeds: \{"a":1\}/);
  });
});
