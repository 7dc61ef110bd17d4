import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADAPTIVE_SMOOTHING, computeBudgets, median, roundsPerPeriod, updateStepEstimate } from './schedule';

describe('computeBudgets', () => {
  it('with fill, sizes the round to a worker slower than the round, the others filling it', () => {
    // 1249 ms SwiftShader step beside 28 ms WASM steps: the round is one slow step long.
    const filled = computeBudgets([1249, 28, 28], 32, { unbalanced: true, fill: true });
    expect(filled.tauFast).toBe(45);
    expect(filled.tau).toEqual([1, 45, 45]);
    // The slow worker paces the round: the others may step until its step is done, after their budget
    // in the round fill did not stretch (tauFast for the fast worker).
    expect(filled.paces).toEqual([true, false, false]);
    expect(filled.floor).toEqual([1, 32, 32]);
    // Two slow workers (tau 1 each) both pace; a one-step worker paces a round fill did not stretch too
    // (300 ms in a 320 ms round), with floors equal to the budgets, and so does one of fewer than
    // FILL_MIN_STEPS steps (2 of 40 ms in an 80 ms round); with no such worker, the fast one paces with its
    // tauFast steps and the others fill its time from one step on.
    expect(computeBudgets([1249, 1000, 28], 32, { unbalanced: true, fill: true }).paces).toEqual([true, true, false]);
    const unstretched = computeBudgets([300, 10], 32, { unbalanced: true, fill: true });
    expect(unstretched.tau).toEqual([1, 32]);
    expect(unstretched.paces).toEqual([true, false]);
    expect(unstretched.floor).toEqual([1, 32]);
    expect(computeBudgets([40, 10], 8, { unbalanced: true, fill: true }).paces).toEqual([true, false]);
    const byFast = computeBudgets([40, 10, 20], 32, { unbalanced: true, fill: true });
    expect(byFast.paces).toEqual([false, true, false]);
    expect(byFast.floor).toEqual([1, 32, 1]);
    expect(byFast.tau).toEqual([8, 32, 16]);
    // One worker has nobody to fill beside it.
    expect(computeBudgets([10], 32, { unbalanced: true, fill: true }).paces).toEqual([false]);
    // Without fill, and in plain local SGD, nobody paces; every worker at one step neither.
    expect(computeBudgets([1249, 28], 32, { unbalanced: true }).paces).toEqual([false, false]);
    expect(computeBudgets([1249, 28], 32, { unbalanced: false, fill: true }).paces).toEqual([false, false]);
    expect(computeBudgets([1249, 1249], 1, { unbalanced: true, fill: true }).paces).toEqual([false, false]);
    // Without fill the slow worker's one step is 1249 ms in a 896 ms round: the others would wait 353 ms.
    expect(computeBudgets([1249, 28, 28], 32, { unbalanced: true }).tau).toEqual([1, 32, 32]);
    // No worker slower than the round: fill changes nothing.
    expect(computeBudgets([40, 10, 20], 32, { unbalanced: true, fill: true }).tau).toEqual([8, 32, 16]);
    // Plain local SGD (equal budgets) keeps tauFast: waiting for the slowest is what it is.
    expect(computeBudgets([1249, 28], 32, { unbalanced: false, fill: true }).tau).toEqual([32, 32]);
  });

  it('takes the fast worker from measurement, wherever it sits', () => {
    const budgets = computeBudgets([40, 10, 20], 32, { unbalanced: true });
    expect(budgets.fastIndex).toBe(1);
    expect(budgets.gamma).toEqual([0.25, 1, 0.5]);
    expect(budgets.tau).toEqual([8, 32, 16]);
  });

  it('rounds gamma * tauFast to the nearest step and never below 1', () => {
    // gamma = 10/35: 2.857 -> 3; 10/45: 2.22 -> 2; 10/1000: 0.1 -> 1 (floor of one step).
    expect(computeBudgets([10, 35, 45, 1000], 10, { unbalanced: true }).tau).toEqual([10, 3, 2, 1]);
    // Exactly half rounds up: gamma = 0.5, tauFast = 5 -> 2.5 -> 3.
    expect(computeBudgets([10, 20], 5, { unbalanced: true }).tau).toEqual([5, 3]);
  });

  it('gives every worker tauFast when unbalanced steps are off', () => {
    const budgets = computeBudgets([40, 10, 20], 32, { unbalanced: false });
    expect(budgets.tau).toEqual([32, 32, 32]);
    expect(budgets.fastIndex).toBe(1);
    expect(budgets.gamma).toEqual([0.25, 1, 0.5]);
  });

  it('picks the first of equally fast workers', () => {
    expect(computeBudgets([20, 10, 10], 4, { unbalanced: true }).fastIndex).toBe(1);
  });

  it('keeps tau in [1, tauFast] with the fast worker at exactly tauFast', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 256 }),
        (stepMs, tauFast) => {
          const { fastIndex, gamma, tau } = computeBudgets(stepMs, tauFast, { unbalanced: true });
          expect(tau[fastIndex]).toBe(tauFast);
          expect(stepMs.every((t) => t >= (stepMs[fastIndex] as number))).toBe(true);
          tau.forEach((t, i) => {
            expect(Number.isInteger(t) && t >= 1 && t <= tauFast).toBe(true);
            expect(gamma[i]).toBeGreaterThan(0);
            expect(gamma[i]).toBeLessThanOrEqual(1);
          });
        },
      ),
    );
  });

  it('rejects bad step times and tauFast, naming the value', () => {
    expect(() => computeBudgets([], 32, { unbalanced: true })).toThrow(/stepMs/);
    expect(() => computeBudgets([10, 0], 32, { unbalanced: true })).toThrow(/stepMs\[1\]: 0/);
    expect(() => computeBudgets([10, Number.NaN], 32, { unbalanced: true })).toThrow(/stepMs\[1\]: NaN/);
    expect(() => computeBudgets([10, Number.POSITIVE_INFINITY], 32, { unbalanced: true })).toThrow(/Infinity/);
    expect(() => computeBudgets([10], 0, { unbalanced: true })).toThrow(/tauFast: 0/);
    expect(() => computeBudgets([10], 2.5, { unbalanced: true })).toThrow(/tauFast: 2.5/);
  });
});

describe('adaptive budgets', () => {
  it('blends the measurement in by the smoothing factor', () => {
    expect(updateStepEstimate(10, 20, 1)).toBe(20);
    expect(updateStepEstimate(10, 20, 0)).toBe(10);
    expect(updateStepEstimate(10, 20, 0.25)).toBeCloseTo(12.5, 12);
  });

  it('moves tau most of the way within two rounds of a slowdown', () => {
    // Worker 1 starts at half the fast worker's speed, then is throttled to a quarter.
    let estimate = 20;
    const taus: number[] = [];
    for (let round = 0; round < 2; round++) {
      estimate = updateStepEstimate(estimate, 40, ADAPTIVE_SMOOTHING);
      taus.push(computeBudgets([10, estimate], 32, { unbalanced: true }).tau[1] as number);
    }
    expect(computeBudgets([10, 20], 32, { unbalanced: true }).tau[1]).toBe(16);
    // Estimates 34 ms then 38.2 ms: tau 9 then 8, against 16 before and 8 at the new speed.
    expect(taus).toEqual([9, 8]);
    expect(computeBudgets([10, 40], 32, { unbalanced: true }).tau[1]).toBe(8);
  });

  it('rejects a smoothing outside [0, 1] and non-positive times', () => {
    expect(() => updateStepEstimate(10, 20, 1.5)).toThrow(/smoothing: 1.5/);
    expect(() => updateStepEstimate(10, 20, Number.NaN)).toThrow(/smoothing: NaN/);
    expect(() => updateStepEstimate(0, 20, 0.5)).toThrow(/previousMs: 0/);
    expect(() => updateStepEstimate(10, -1, 0.5)).toThrow(/measuredMs: -1/);
  });
});

describe('roundsPerPeriod', () => {
  it('is floor(N / (B * sum tau)), at least 1', () => {
    expect(roundsPerPeriod(60_000, 32, [32, 8, 8])).toBe(39); // 60000 / 1536 = 39.06
    expect(roundsPerPeriod(1000, 10, [5, 5])).toBe(10);
    expect(roundsPerPeriod(100, 64, [32])).toBe(1);
  });

  it('rejects bad inputs', () => {
    expect(() => roundsPerPeriod(0, 32, [1])).toThrow(/n: 0/);
    expect(() => roundsPerPeriod(10, 0, [1])).toThrow(/batchSize: 0/);
    expect(() => roundsPerPeriod(10, 1, [])).toThrow(/taus/);
    expect(() => roundsPerPeriod(10, 1, [1, 0])).toThrow(/taus\[1\]: 0/);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects empty and non-finite input', () => {
    expect(() => median([])).toThrow(/at least one/);
    expect(() => median([1, Number.NaN])).toThrow(/values\[1\]: NaN/);
  });
});
