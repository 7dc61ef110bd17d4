import { describe, expect, it } from 'vitest';
import { fakeRun, fakeWorker } from './run-fixture';
import { samplesRows, samplesToTarget } from './samples';

// fakeRun: 4000 ms of training clock, 200 of profiling, so 3.8 s of rounds.
const trained = (samples: number, timeToTargetMs: number | null, seed = 1) =>
  fakeRun('biased', timeToTargetMs, { workers: [fakeWorker(0, { samples })] }, seed);

describe('samplesToTarget', () => {
  it('is the rate over the rounds times the training clock at the target less profiling', () => {
    // 3800 samples in 3.8 s of rounds: 1000 a second; the target at 2.2 s, 2.0 s of it rounds.
    expect(samplesToTarget(trained(3800, 2200))).toBeCloseTo(2000, 9);
  });

  it('is null for a missed target, a target reached while profiling, or a run without rounds', () => {
    expect(samplesToTarget(trained(3800, null))).toBeNull();
    expect(samplesToTarget(trained(3800, 200))).toBeNull();
    expect(samplesToTarget(trained(0, 2200))).toBeNull();
  });
});

describe('samplesRows', () => {
  const fast = (seed: number, samples: number, at: number) => ({ ...trained(samples, at, seed), algo: 'fast-only' as const });
  const fastOnly = [fast(1, 3800, 4000), fast(2, 7600, 2200), fast(3, 5700, 2733.333)];

  it("sets each algorithm's medians over the reference's (ratios of medians, not of seeds)", () => {
    // biased: 2000, 3000 and 2200 a second, 4000, 3000 and 3520 samples to the target;
    // fast-only: 1000, 2000 and 1500 a second, 3800, 4000 and 3800 samples. Paired by seed the
    // rates' ratios would have a median of 1.50x; the medians' ratio is 2200 / 1500.
    const rows = samplesRows([['biased', [trained(7600, 2200, 1), trained(11400, 1200, 2), trained(8360, 1800, 3)]], ['fast-only', fastOnly]], 'fast-only');
    expect(rows).toEqual([
      ['biased', '2200 (2000–3000)', '3.5k (3.0–4.0)', '1.47x', '0.93x'],
      ['fast-only', '1500 (1000–2000)', '3.8k (3.8–4.0)', '1.00x', '1.00x'],
    ]);
  });

  it('counts the seeds that reached the target, and gives no samples ratio unless every seed did', () => {
    const rows = samplesRows([['biased', [trained(7600, 2200, 1), trained(11400, 1200, 2), trained(9500, null, 3)]], ['fast-only', fastOnly]], 'fast-only');
    expect(rows[0]).toEqual(['biased', '2500 (2000–3000)', '3.5k (3.0–4.0) [2/3 seeds]', '1.67x', '-']);
    expect(samplesRows([['sync', [trained(3800, null), trained(3800, null, 2)]]], null)).toEqual([['sync', '1000', '- [0/2 seeds]']]);
  });

  it('leaves the ratio columns out without the reference', () => {
    expect(samplesRows([['sync', [trained(3800, 2200)]]], 'fast-only')).toEqual([['sync', '1000', '2.0k']]);
  });
});
