import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import { poolScale, scheduledRate } from './run-helpers';

describe('the learning-rate schedule', () => {
  const base = { ...DEFAULT_CONFIG, learningRate: 0.05, lrDecayEpochs: [2], lrDecayFactor: 0.1 };

  it('decays at each listed epoch', () => {
    expect(scheduledRate(base, 1.9)).toBeCloseTo(0.05);
    expect(scheduledRate(base, 2)).toBeCloseTo(0.005);
  });

  it('scales with the averaged workers, linearly or by the square root, after a linear warm-up', () => {
    const linear = { ...base, lrScaling: 'linear' as const, lrWarmupRounds: 4 };
    expect([0, 1, 2, 4, 10].map((round) => poolScale(linear, round, 3))).toEqual([1, 1.5, 2, 3, 3]);
    expect(poolScale({ ...linear, lrScaling: 'sqrt' }, 4, 4)).toBeCloseTo(2);
    expect(poolScale({ ...linear, lrWarmupRounds: 0 }, 1, 3)).toBe(3);
    // One worker (fast-only) or no scaling: the rate as set.
    expect(poolScale(linear, 4, 1)).toBe(1);
    expect(poolScale({ ...linear, lrScaling: 'none' }, 4, 3)).toBe(1);
    // Decay applies to the scaled rate.
    expect(scheduledRate(linear, 2, { round: 10, averaged: 2 })).toBeCloseTo(0.01);
  });
});
