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

  it("sets each algorithm's medians against the reference's, and counts the seeds that reached the target", () => {
    const rows = samplesRows(
      [
        ['biased', [trained(7600, 2200, 1), trained(11400, 1200, 2), trained(9500, null, 3)]],
        ['fast-only', [fast(1, 3800, 4000), fast(2, 7600, 2200), fast(3, 5700, 2733.333)]],
      ],
      'fast-only',
    );
    // biased: 2000, 3000 and 2500 a second, 4000 and 3000 samples to the target (seed 3 missed it);
    // fast-only: 1000, 2000 and 1500 a second, 3800, 4000 and 3800 samples.
    expect(rows).toEqual([
      ['biased', '2500 (2000–3000)', '3.5k (3.0–4.0) [2/3 seeds]', '1.67x', '0.92x'],
      ['fast-only', '1500 (1000–2000)', '3.8k (3.8–4.0)', '1.00x', '1.00x'],
    ]);
  });

  it('leaves the ratios out without the reference, and a row with no seed at the target says so', () => {
    expect(samplesRows([['sync', [trained(3800, null)]]], 'fast-only')).toEqual([['sync', '1000', '-']]);
  });
});
